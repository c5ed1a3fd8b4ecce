"""Names of fabric switches, written and read back in one place (the generator, the flow network, the
exports and the failure analysis all name a switch the same way).

`p0-leaf-su3-r5` is plane 0, scalable unit 3, rail 5 (`p0-leaf-su3-r5-1`: the rail's second leaf in that
SU, when it has several); `p0-spine-pod2-7` is spine 7 of pod 2; `p0-core-g7-3` is core 3 of the core
group that spine index 7 of every pod meets.
"""

from __future__ import annotations

import re


def leaf_name(plane: int, su: int, rail: int, index: int = 0, per_rail: int = 1) -> str:
    return f"p{plane}-leaf-su{su}-r{rail}" + (f"-{index}" if per_rail > 1 else "")


def spine_name(plane: int, pod: int, index: int) -> str:
    return f"p{plane}-spine-pod{pod}-{index}"


def core_name(plane: int, group: int, index: int) -> str:
    return f"p{plane}-core-g{group}-{index}"


_PATTERNS = {
    "leaf": re.compile(r"p(?P<plane>\d+)-leaf-su(?P<su>\d+)-r(?P<rail>\d+)(?:-(?P<index>\d+))?"),
    "spine": re.compile(r"p(?P<plane>\d+)-spine-pod(?P<pod>\d+)-(?P<index>\d+)"),
    "core": re.compile(r"p(?P<plane>\d+)-core-g(?P<group>\d+)-(?P<index>\d+)"),
}


def parse_switch(role: str, name: str) -> dict[str, int] | None:
    """The numbers in a switch name of `role` (None when the name is not of that form)."""
    match = _PATTERNS[role].fullmatch(name)
    if match is None:
        return None
    return {k: int(v) for k, v in match.groupdict().items() if v is not None}
