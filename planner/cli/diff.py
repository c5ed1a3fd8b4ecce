"""gwplan diff: what moved between two plans (sites, MW, phases, cost)."""

from __future__ import annotations

import argparse
import json

from planner.cli.args import EXIT_OK, RAW


def add_parser(commands) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "diff", help="what moved between two plans: sites, MW, phases, cost", formatter_class=RAW,
        epilog="example:\n  gwplan diff out/plan.yaml out/what-if.plan.yaml --json\n",
        description="Compare two plans (e.g. before and after a what-if): sites added or dropped, sites opening in "
                    "another phase, installed IT MW per phase and site, capex and net present cost.")
    parser.add_argument("plan_a", metavar="PLAN_A", help="the plan to compare from")
    parser.add_argument("plan_b", metavar="PLAN_B", help="the plan to compare to")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    return parser


def run(args: argparse.Namespace) -> int:
    from planner.plan import load_plan
    from planner.plan.diff import diff_plans

    d = diff_plans(load_plan(args.plan_a), load_plan(args.plan_b))
    if args.json:
        print(json.dumps(d.as_json()))
        return EXIT_OK
    from planner.report.text import console, print_diff

    print_diff(console(140), d)
    return EXIT_OK
