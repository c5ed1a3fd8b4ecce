"""What every command shares: exit codes, argument types, and the -q flag."""

from __future__ import annotations

import argparse

EXIT_OK, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_NO_PLAN = 0, 2, 3, 4
EXIT_INTERNAL, EXIT_INTERRUPTED = 70, 130  # EX_SOFTWARE; 128 + SIGINT, as shells report Ctrl-C
FABRIC_FORMATS = ("summary", "bom", "graphml", "json", "dot", "cabling", "bom-csv", "netbox", "ufm")
FABRIC_FILE_FORMATS = ("graphml", "json", "dot", "cabling", "bom-csv", "netbox", "ufm")
RAW = argparse.RawDescriptionHelpFormatter


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}")
    return value


def gap(text: str) -> float:
    value = positive_float(text) if text not in ("0", "0.0") else 0.0
    if value >= 1:
        raise argparse.ArgumentTypeError(f"expected a relative gap below 1 (e.g. 1e-4), got {text!r}")
    return value


def percent(text: str) -> float:
    value = text.strip()
    scale = 100.0 if value.endswith("%") else 1.0
    try:
        number = float(value.rstrip("%")) / scale
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a share like 2% or 0.02, got {text!r}") from None
    if not 0 <= number < 1:
        raise argparse.ArgumentTypeError(f"expected a share in [0, 100%), got {text!r}")
    return number


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


MAX_SEED = 2**31 - 1  # the solvers take a 32-bit signed seed (HiGHS, SCIP and CP-SAT through MathOpt)


def seed(text: str) -> int:
    """A solver or sweep seed: a whole number in [0, 2**31 - 1]."""
    value = non_negative_int(text)
    if value > MAX_SEED:
        raise argparse.ArgumentTypeError(f"expected a seed from 0 to {MAX_SEED:,}, got {text!r}")
    return value


def positive_int(text: str) -> int:
    value = non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("expected a whole number >= 1, got 0")
    return value


def add_quiet(parser: argparse.ArgumentParser) -> None:
    """-q also after the command (`gwplan optimize S -q`), as `gwplan -q optimize S`."""
    parser.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                        help="no progress display (as `gwplan -q COMMAND`)")


class FormatList(argparse.Action):
    """--format a b, --format a,b and repeated --format all accumulate (in order, each once)."""

    def __call__(self, parser, namespace, values, option_string=None):
        chosen = list(getattr(namespace, self.dest, None) or [])
        for value in values:
            for name in filter(None, (v.strip() for v in value.split(","))):
                if name not in self.formats:
                    parser.error(f"argument --format: invalid choice {name!r} (choose from {', '.join(self.formats)})")
                if name not in chosen:
                    chosen.append(name)
        setattr(namespace, self.dest, chosen)


def add_formats(parser: argparse.ArgumentParser, formats: tuple[str, ...], help_text: str) -> None:
    """A --format option taking one or more formats (repeatable, comma-separated or not); default summary."""
    action = type("Formats", (FormatList,), {"formats": formats})
    parser.add_argument("--format", nargs="+", action=action, default=None, metavar="FORMAT", help=help_text)


def formats_of(args: argparse.Namespace) -> list[str]:
    return args.format or ["summary"]


class UsageError(Exception):
    """Options that cannot go together: one line on stderr, exit 2 (gwplan's main reports it)."""


DETAIL_FORMATS = ("dot", "cabling", "netbox", "ufm")  # need every tray's ports (topology.export.DETAIL_FORMATS)


def refuse_compact_detail(compact: bool, formats: list[str]) -> None:
    """--compact with formats that need per-tray ports is a usage error, found before any graph is built."""
    wrong = [f for f in formats if f in DETAIL_FORMATS]
    if compact and wrong:
        raise UsageError(f"--compact draws each scalable unit's nodes as one vertex, so it has no per-tray "
                         f"ports for {', '.join(wrong)}: drop --compact or those formats")
