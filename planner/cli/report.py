"""gwplan report: an HTML report of a plan with charts, that opens from disk."""

from __future__ import annotations

import argparse
from pathlib import Path

from planner.cli.args import EXIT_OK, RAW


def add_parser(commands) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "report", help="an HTML report of a plan with charts (opens from disk)", formatter_class=RAW,
        epilog="example:\n  gwplan report out/plan.yaml -o out/report\n",
        description="Write DIR/index.html and its PNG charts: capacity per phase by site, spend against funding, a "
                    "site map, a timeline, site fabrics and the solver provenance. No network needed to open it.")
    parser.add_argument("plan", metavar="PLAN", help="plan YAML written by gwplan optimize")
    parser.add_argument("-o", "--output", metavar="DIR", type=Path, default=Path("out") / "report",
                        help="directory to write (default out/report)")
    return parser


def run(args: argparse.Namespace) -> int:
    from planner.plan import load_plan
    from planner.report.html import write_report

    path = write_report(load_plan(args.plan), args.output)
    print(f"report written to {path}")
    return EXIT_OK
