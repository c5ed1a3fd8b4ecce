"""gwplan validate: check a scenario file and list every problem."""

from __future__ import annotations

import argparse

from planner.cli.args import EXIT_OK, RAW


def add_parser(commands) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "validate", help="check a scenario file and list every problem", formatter_class=RAW,
        epilog="example:\n  gwplan validate scenarios/10gw-rollout.yaml --set economics.discount_rate=0.1\n",
        description="Check a scenario (and the base files it extends). Exit 0 when valid; otherwise exit 2 with "
                    "one line per problem: file, field path, what was expected.")
    parser.add_argument("scenario", metavar="FILE", help="scenario YAML")
    parser.add_argument("--set", metavar="PATH=VALUE", action="append", default=[], dest="overrides",
                        help="override a field for a what-if, e.g. sites[tx-abilene].lead_time_months=30 "
                             "(repeatable; values are YAML)")
    return parser


def run(args: argparse.Namespace) -> int:
    from planner.scenario import load_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    print(f"{args.scenario}: valid scenario {scenario.name!r}: {len(scenario.sites)} sites in "
          f"{len(scenario.regions)} regions, {len(scenario.phases)} phases, "
          f"{sum(p.it_mw_required for p in scenario.phases):,.0f} MW IT required, "
          f"{len(scenario.demand_regions)} demand regions")
    return EXIT_OK
