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
                    "its phase, for `pulumi preview --stack phase-<id>`. The plan path is stored relative to the "
                    "project root (the directory holding Pulumi.yaml), from wherever gwplan runs. Stack files of "
                    "phases the plan no longer has are removed when gwplan alone wrote them; one that holds "
                    "Pulumi's own settings (a stack that may be deployed) stops the command instead.")
    parser.add_argument("plan", metavar="PLAN", help="plan YAML written by gwplan optimize")
    parser.add_argument("-o", "--output", metavar="DIR", type=Path,
                        help="stack config directory (default: the stackConfigDir of the Pulumi project holding the "
                             "working directory, found from any folder inside it; stacks/config here otherwise)")
    return parser


def run(args: argparse.Namespace) -> int:
    from planner.fields import InputError, Problem
    from planner.plan import load_plan
    from planner.plan.stack_files import default_stack_dir, plan_reference, stale_stack_files, write_stack_configs
    from topology.atomic import remove

    plan = load_plan(args.plan)
    out = args.output if args.output is not None else default_stack_dir()
    stale, deployed = stale_stack_files(plan, out)
    if deployed:  # a mixed set (some stacks reading another plan's phases) must not be left behind
        ids = ", ".join(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in deployed)
        raise InputError([Problem(str(path), "",
                                  f"phase {path.name.removeprefix('Pulumi.phase-').removesuffix('.yaml')} is not in "
                                  "the plan, and this stack file holds Pulumi's own settings (a stack that may be "
                                  "deployed): `pulumi destroy --stack "
                                  f"{path.name.removeprefix('Pulumi.').removesuffix('.yaml')}` and remove the file, "
                                  "or keep that phase in the plan") for path in deployed]
                         + [Problem(str(out), "", f"nothing was written (stacks not in the plan: {ids})")])
    for path in write_stack_configs(plan, plan_reference(args.plan, out), out):
        print(path)
    for path in stale:
        remove(path)
        print(f"{path} removed (phase not in the plan)")
    return EXIT_OK
