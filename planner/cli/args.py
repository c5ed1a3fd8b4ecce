"""What every command shares: exit codes, argument types, and the -q flag."""

from __future__ import annotations

import argparse

EXIT_OK, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_NO_PLAN = 0, 2, 3, 4
EXIT_INTERNAL, EXIT_INTERRUPTED = 70, 130  # EX_SOFTWARE; 128 + SIGINT, as shells report Ctrl-C
FABRIC_FORMATS = ("summary", "bom", "graphml", "json", "dot", "cabling", "bom-csv", "netbox")
FABRIC_FILE_FORMATS = ("graphml", "json", "dot", "cabling", "bom-csv", "netbox")
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


def positive_int(text: str) -> int:
    value = non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("expected a whole number >= 1, got 0")
    return value


def add_quiet(parser: argparse.ArgumentParser) -> None:
    """-q also after the command (`gwplan optimize S -q`), as `gwplan -q optimize S`."""
    parser.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                        help="no progress display (as `gwplan -q COMMAND`)")
