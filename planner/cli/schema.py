"""gwplan schema: the JSON Schema of the scenario format, for an editor's YAML support."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from planner.cli.args import EXIT_OK, RAW


def add_parser(commands) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "schema", help="the JSON Schema of the scenario format (for editors)", formatter_class=RAW,
        epilog="examples:\n  gwplan schema -o schemas/scenario.schema.json\n"
               "  # then, first line of a scenario file (VS Code YAML, any yaml-language-server editor):\n"
               "  # yaml-language-server: $schema=../schemas/scenario.schema.json\n",
        description="Print (or write with -o) the JSON Schema (draft 2020-12) of scenario files, recorded from the "
                    "loader's own field readers: field names, types, bounds, choices and required fields. Checks "
                    "across fields stay with gwplan validate. The repository ships it as "
                    "schemas/scenario.schema.json.")
    parser.add_argument("-o", "--output", metavar="FILE", type=Path, help="write the schema here (default: print it)")
    return parser


def run(args: argparse.Namespace) -> int:
    from planner.files import write_text_atomic
    from planner.scenario.schema import scenario_schema

    text = json.dumps(scenario_schema(), indent=1) + "\n"
    if args.output is None:
        print(text, end="")
    else:
        write_text_atomic(args.output, text)
        print(f"schema written to {args.output}")
    return EXIT_OK
