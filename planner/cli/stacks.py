"""gwplan stacks: one Pulumi stack file per phase of a plan (stacks/config/Pulumi.phase-<id>.yaml)."""

from __future__ import annotations

import argparse
from pathlib import Path

from planner.cli.args import EXIT_OK, RAW


def add_parser(commands) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "stacks", formatter_class=RAW,
        epilog="example:\n  gwplan stacks plans/10gw-rollout.plan.yaml   # then: pulumi preview --stack phase-1\n",
        help="write one Pulumi stack file per phase of a plan (Pulumi.phase-N.yaml)",
        description="Write stacks/config/Pulumi.phase-<id>.yaml for every phase of a plan, each naming the plan and "
                    "its phase, for `pulumi preview --stack phase-<id>`. Run it from the directory that holds "
                    "Pulumi.yaml: the plan path is stored relative to it.")
    parser.add_argument("plan", metavar="PLAN", help="plan YAML written by gwplan optimize")
    parser.add_argument("-o", "--output", metavar="DIR", type=Path, default=Path("stacks") / "config",
                        help="stack config directory (default stacks/config, Pulumi.yaml's stackConfigDir)")
    return parser


def run(args: argparse.Namespace) -> int:
    from topology.atomic import output_set

    with output_set():  # all of the command's files, or none of them (an interruption leaves the old set)
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from planner.plan import load_plan
    from planner.plan.stack_files import plan_reference, write_stack_configs

    plan = load_plan(args.plan)
    for path in write_stack_configs(plan, plan_reference(args.plan), args.output):
        print(path)
    return EXIT_OK
