"""gwplan import: turn a benchmark instance into a gwplan scenario (`import` is a Python keyword)."""

from __future__ import annotations

import argparse
from pathlib import Path

from planner.cli.args import EXIT_OK, RAW, positive_float


def add_parser(commands) -> argparse.ArgumentParser:
    importer = commands.add_parser("import", help="turn a benchmark instance into a gwplan scenario")
    importer.set_defaults(help_parser=importer)
    formats = importer.add_subparsers(dest="format", metavar="FORMAT")
    orlib = formats.add_parser("orlib-cflp", help="Beasley OR-Library capacitated facility location instance",
                               formatter_class=RAW,
                               epilog="example:\n  gwplan import orlib-cflp capa.txt --capacity 8000 -o out/capa.yaml\n"
                                      "  gwplan optimize out/capa.yaml --gap 1e-6 --time-limit 600\n",
                               description="Facilities become sites, customers become demand regions (split "
                                           "demand). The scenario's optimum is the instance's.")
    orlib.add_argument("instance", metavar="FILE", help="OR-Library instance (capNN.txt, capa.txt, ...)")
    orlib.add_argument("--capacity", metavar="N", type=positive_float,
                       help="facility capacity for capa/capb/capc, which leave it open")
    orlib.add_argument("-o", "--output", metavar="SCENARIO", type=Path, required=True, help="scenario YAML to write")
    return orlib  # the parser that takes arguments


def run(args: argparse.Namespace) -> int:
    import tempfile

    from planner.cli.outputs import refuse_outputs_that_are_inputs
    from planner.fields import InputError, Problem
    from planner.files import dump_yaml, write_text_atomic
    from planner.scenario import load_scenario
    from planner.scenario.orlib import cflp_scenario, read_orlib_cflp

    refuse_outputs_that_are_inputs([args.instance], [args.output])
    instance = read_orlib_cflp(args.instance, capacity=args.capacity)
    # checked as any scenario (in a folder of its own) before it takes the output's name: a rejected one is
    # never left on disk
    output = Path(args.output)
    text = dump_yaml(cflp_scenario(instance))
    with tempfile.TemporaryDirectory(prefix="gwplan-import-") as folder:
        draft = Path(folder) / output.name
        draft.write_text(text, encoding="utf-8")
        try:
            scenario = load_scenario(draft)
        except InputError as err:
            raise InputError([Problem(f"{args.instance} (imported; {output} not written)", p.path, p.message)
                              for p in err.problems]) from None
    write_text_atomic(output, text)
    print(f"{args.output}: scenario {scenario.name!r} with {len(scenario.sites)} sites and "
          f"{len(scenario.demand_regions)} demand regions")
    return EXIT_OK
