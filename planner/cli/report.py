"""gwplan report: an HTML report of a plan with charts, that opens from disk."""

from __future__ import annotations

import argparse
from pathlib import Path

from planner.cli.args import EXIT_OK, RAW


def add_parser(commands) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "report", help="an HTML report of a plan with charts (opens from disk)", formatter_class=RAW,
        epilog="examples:\n  gwplan report out/plan.yaml -o out/report\n"
               "  gwplan sweep scenarios/10gw-rollout.yaml --samples 200 -o out/sweep.json\n"
               "  gwplan report out/plan.yaml --sweep out/sweep.json -o out/report\n",
        description="Write DIR/index.html and its PNG charts: capacity per phase by site, spend against funding, a "
                    "site map, a timeline, site fabrics and the solver provenance. No network needed to open it.")
    parser.add_argument("plan", metavar="PLAN", help="plan YAML written by gwplan optimize")
    parser.add_argument("--sweep", metavar="FILE", type=Path,
                        help="a sweep result (gwplan sweep -o FILE) of the same scenario: adds P10/P50/P90 of cost "
                             "and shortfall and how often each campus builds across the samples")
    parser.add_argument("-o", "--output", metavar="DIR", type=Path, default=Path("out") / "report",
                        help="directory to write (default out/report)")
    return parser


def run(args: argparse.Namespace) -> int:
    from planner.cli.outputs import check_output_dir
    from planner.plan import load_plan
    from planner.report.html import write_report

    plan = load_plan(args.plan)
    check_output_dir(args.output)
    risk, warning = None, None
    if args.sweep is not None:
        from planner.report.risk import check_matches, read_sweep

        risk = read_sweep(args.sweep)
        warning = check_matches(risk, plan, args.sweep)
    from planner.fields import InputError, Problem
    from topology.spec import FabricError

    try:
        path = write_report(plan, args.output, risk=risk, risk_warning=warning)
    except FabricError as err:  # a plan whose platform's fabric cannot be built (a switch too small for it)
        raise InputError([Problem(args.plan, "", f"its fabrics cannot be sized: {err}")]) from None
    print(f"report written to {path}")
    return EXIT_OK
