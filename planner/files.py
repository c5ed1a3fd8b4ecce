"""Files on disk: safe YAML reading, stable YAML writing, atomic writes, canonical hashes.

Every gwplan input goes through `read_yaml` (PyYAML's safe loader, hardened against hostile files) and
every output through `write_text_atomic` (temporary file, then rename), so a reader never sees half a
file and an interrupted write leaves the old file intact.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from planner.fields import InputError, Problem

MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_EXPANDED_VALUES = 2_000_000  # values in a document once aliases are expanded (the bundled scenario: ~2,000)
MAX_NESTING = 100  # levels of mappings and lists (scenarios and plans use at most 6)

_SAFE_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when present: ~5x faster


class SafeLoader(_SAFE_BASE):  # type: ignore[misc, valid-type]
    """PyYAML's safe loader, reading numbers as YAML 1.2 does (`5.9e6` and `1e9` are numbers, not text; `010`
    is ten and `1:30` is text, not YAML 1.1's octal eight and base-60 ninety),
    refusing a key written twice in one mapping (PyYAML would silently keep the last), and keeping an
    impossible date such as `2026-13-45` as text for the field checks to report (PyYAML would raise)."""

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_scalar(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
                continue  # `<<: *base` may be overridden key by key; complex keys are refused later
            key = self.construct_object(key_node)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping", node.start_mark,
                    f"found the key {key!r} twice (first at line {seen[key].start_mark.line + 1})",
                    key_node.start_mark)
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", SafeLoader.construct_yaml_timestamp)
SafeLoader.yaml_implicit_resolvers = {k: list(v) for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
for _first in "-+0123456789.":
    SafeLoader.yaml_implicit_resolvers[_first] = [
        r for r in SafeLoader.yaml_implicit_resolvers.get(_first, []) if r[0] != "tag:yaml.org,2002:float"]
SafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                   |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
                   |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
                   |[-+]?\.(?:inf|Inf|INF)
                   |\.(?:nan|NaN|NAN))$""", re.VERBOSE),
    list("-+0123456789."))


# Integers as YAML 1.2 reads them: decimal (`010` is ten, not PyYAML's octal eight), 0x hex and 0o octal;
# YAML 1.1's base-60 (`1:30` read as 90) is text, which the field checks then report.
for _first in "-+0123456789":
    SafeLoader.yaml_implicit_resolvers[_first] = [
        r for r in SafeLoader.yaml_implicit_resolvers.get(_first, []) if r[0] != "tag:yaml.org,2002:int"]
SafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9][0-9_]*|0x[0-9a-fA-F][0-9a-fA-F_]*|0o[0-7][0-7_]*)$"),
    list("-+0123456789"))


def _construct_int(loader: SafeLoader, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node).replace("_", "")
    if text.startswith(("0x", "0o")):
        return int(text, 16 if text[1] == "x" else 8)
    return int(text, 10)


SafeLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


class ExpansionError(ValueError):
    """A YAML document that is cyclic or expands (through aliases) beyond MAX_EXPANDED_VALUES."""


def _expanded_size(doc: Any) -> int:
    """How many values the document holds once aliases are expanded, computed without expanding them.

    A few lines of anchors and aliases can stand for billions of values (an "alias bomb"), and an
    alias inside its own anchor makes a cycle; both would hang anything that walks the data.
    """
    sizes: dict[int, int] = {}
    open_ids: set[int] = set()

    def size(value: Any, depth: int) -> int:
        if isinstance(value, (bytes, set, frozenset)):  # !!binary, !!set: YAML types no gwplan field takes
            raise ExpansionError(f"it holds a {'!!binary' if isinstance(value, bytes) else '!!set'} value; "
                                 "expected plain text, numbers, lists and mappings")
        if not isinstance(value, (dict, list)):
            return 1
        key = id(value)
        if key in sizes:
            return sizes[key]
        if key in open_ids:
            raise ExpansionError("an alias refers to a value that contains it (a cycle)")
        if depth > MAX_NESTING:
            raise ExpansionError(f"it nests lists and mappings more than {MAX_NESTING} levels deep")
        open_ids.add(key)
        children = value.values() if isinstance(value, dict) else value
        total = 1
        for child in children:
            total += size(child, depth + 1)
            if total > MAX_EXPANDED_VALUES:
                raise ExpansionError(f"it expands to more than {MAX_EXPANDED_VALUES:,} values (through aliases)")
        open_ids.discard(key)
        sizes[key] = total
        return total
    return size(doc, 1)


COUNT_EVENTS_FROM_BYTES = 2 * 2**20  # larger texts are counted before they are built (see parse_yaml_text)


def _count_events(text: str) -> None:
    """Refuse a text of more than MAX_EXPANDED_VALUES values before building it: the parser's events are
    streamed and counted, stopping at the limit (a 30 MB list of 15 million items is refused in seconds
    and a few MB, instead of minutes and gigabytes spent building it)."""
    for n, _ in enumerate(yaml.parse(text, Loader=SafeLoader)):
        if n > 2 * MAX_EXPANDED_VALUES:  # a value is one event (a collection two)
            raise ExpansionError(f"it holds more than {MAX_EXPANDED_VALUES:,} values")


def parse_yaml_text(text: str) -> Any:
    """Parse YAML text with the safe loader (no Python objects, ever); refuse cycles, alias bombs and texts
    of more values than any gwplan input has."""
    if len(text) > COUNT_EVENTS_FROM_BYTES:
        _count_events(text)
    doc = yaml.load(text, Loader=SafeLoader)  # noqa: S506 - SafeLoader subclass
    _expanded_size(doc)
    return doc


def read_yaml(path: str | os.PathLike) -> Any:
    """Parse one YAML file with the safe loader; file-level problems become an InputError."""
    name = str(path)
    p = Path(path)
    try:
        if p.is_dir():
            raise InputError([Problem(name, "", "is a directory, expected a YAML file")])
        if not stat.S_ISREG(p.stat().st_mode):  # a FIFO would hang the read, /dev/zero never end it
            raise InputError([Problem(name, "", "is not a regular file (a pipe, device or socket); expected a "
                                                "YAML file")])
        with open(p, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)  # capped: the size can change between stat and read
        if len(data) > MAX_FILE_BYTES:
            raise InputError([Problem(name, "", f"is over {MAX_FILE_BYTES // 2**20} MiB; expected a YAML file under "
                                                f"{MAX_FILE_BYTES // 2**20} MiB")])
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise InputError([Problem(name, "", "no such file")]) from None
    except PermissionError:
        raise InputError([Problem(name, "", "cannot be read (permission denied)")]) from None
    except UnicodeDecodeError:
        raise InputError([Problem(name, "", "is not UTF-8 text; expected a YAML file")]) from None
    except OSError as err:
        raise InputError([Problem(name, "", f"cannot be read ({err.strerror})")]) from None
    try:
        return parse_yaml_text(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        raise InputError([Problem(name, where, f"is not valid YAML: {err.problem}")]) from None
    except ExpansionError as err:
        raise InputError([Problem(name, "", f"is refused: {err}")]) from None
    except (yaml.YAMLError, RecursionError) as err:
        raise InputError([Problem(name, "", f"is not valid YAML ({type(err).__name__})")]) from None
    except ValueError as err:  # e.g. an integer of more than 4,300 digits, which Python will not convert
        raise InputError([Problem(name, "", f"holds a value that cannot be read ({str(err).split(';')[0]})")]) from None


def canonical_sha256(doc: Any) -> str:
    """sha256 of the document as canonical JSON: keys sorted, dates (as keys or values) in ISO form."""
    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k.isoformat() if isinstance(k, date) else k if isinstance(k, str) else str(k): plain(v)
                    for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value.isoformat() if isinstance(value, date) else value
    text = json.dumps(plain(doc), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write a file so that readers see either the old content or the complete new one (inside
    topology.atomic.output_set(), together with the rest of the set)."""
    from topology.atomic import commit

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes it private; outputs are ordinary files
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        commit(Path(tmp), target)  # renamed now, or with the rest of an open output set
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dump_yaml(data: Any) -> str:
    """YAML in a stable form: keys in the order given, no aliases, dates as ISO text."""
    class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
        def ignore_aliases(self, data: Any) -> bool:  # noqa: ARG002 - signature fixed by PyYAML
            return True
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=110, allow_unicode=True)
