"""The `gwplan` command line: parse, load, call one library function, render.

One module per command (`validate`, `optimize`, `fabric`, `topology`, `report`, `sweep`, `diff`, `stacks`,
`export`, `sync`, `import`, `schema`), each with `add_parser(commands)` and `run(args) -> exit code`;
`runtime` holds the worker thread, signal handling, spinners and the fd-1 redirect; `args` the exit codes
and argument types; `outputs` the checks of output paths made before any work.
Commands import heavy libraries (OR-Tools, networkx, rich, matplotlib) inside `run`, so `gwplan --help`
and `gwplan validate` load none of them.

Exit codes: 0 success (a plan, optimal or feasible at a limit and marked so); 2 bad input;
3 infeasible (no plan meets every constraint); 4 no plan found before a limit, or a solver failure;
5 `gwplan sync` wrote its records but found records changed by hand (drift, left alone);
130 interrupted; 70 an internal error.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys

from planner.cli import (
    diff,
    export,
    fabric,
    importer,
    optimize,
    report,
    schema,
    stacks,
    sweep,
    sync,
    topology,
    validate,
)
from planner.cli.args import EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, UsageError, add_quiet

COMMANDS = {"validate": validate, "optimize": optimize, "fabric": fabric, "topology": topology, "report": report,
            "sweep": sweep, "diff": diff, "export": export, "stacks": stacks, "sync": sync, "import": importer,
            "schema": schema}

EPILOG = """\
examples:
  gwplan validate scenarios/10gw-rollout.yaml
  gwplan optimize scenarios/10gw-rollout.yaml -o out/plan.yaml
  gwplan optimize scenarios/10gw-rollout.yaml --solver cp-sat --time-limit 120 --json
  gwplan topology out/plan.yaml --phase 3 --site tx-abilene --format summary cabling
  gwplan topology out/plan.yaml --dci
  gwplan fabric --nodes 2304 --gpus-per-node 4 --rails 4 --planes 2 --switch q3450 --nodes-per-su 72
  gwplan import orlib-cflp cap41.txt -o out/cap41.yaml
  NAUTOBOT_TOKEN=... gwplan sync out/plan.yaml --phase 1 --nautobot http://127.0.0.1:8080 --dry-run

exit codes: 0 ok, 2 bad input, 3 infeasible, 4 no plan within the limits (or a solver failure),
  5 sync wrote its records but found records changed by hand in Nautobot (drift, left alone),
  130 interrupted (Ctrl-C / SIGTERM; optimize keeps the previous plan, and with cp-sat or scip writes
  PLAN.interrupted.yaml), 70 internal error (GWPLAN_TRACEBACK=1 shows the traceback)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gwplan", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
        description="Plan gigawatt-scale GPU data-center rollouts: where and when to build (optimize), "
                    "checked scenarios (validate), the GPU fabrics a plan implies (topology) or a spec "
                    "describes (fabric), and benchmark imports (import).")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress display (it is also off when standard error is not a terminal)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS.values():
        add_quiet(module.add_parser(commands))
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_INPUT
    if args.command == "import" and args.format is None:
        args.help_parser.print_help()
        return EXIT_INPUT
    from planner.fields import InputError
    from topology.atomic import output_set

    try:
        with output_set():  # all of a command's files, or none of them: an interruption leaves the old set
            return COMMANDS[args.command].run(args)
    except InputError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        return EXIT_INPUT
    except UsageError as err:
        print(f"gwplan {args.command}: {err}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as err:
        if err.errno not in WRITE_ERRNOS:
            return _internal_error(args, err)
        where = f" {err.filename}" if err.filename else ""
        print(f"gwplan {args.command}: cannot write{where}: {err.strerror}; files being replaced were left as "
              "they were (outputs are written whole, or not at all)", file=sys.stderr)
        return EXIT_INPUT
    except MemoryError:
        print(f"gwplan {args.command}: out of memory; try smaller inputs (or --compact for fabric graphs)",
              file=sys.stderr)
        return EXIT_INTERNAL
    except Exception as err:  # noqa: BLE001 - the last line of defence: one clear line, not a traceback
        return _internal_error(args, err)


# Write failures that are the place's, not gwplan's: a full or read-only filesystem, no permission, a quota
WRITE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT, errno.EFBIG}


def _internal_error(args: argparse.Namespace, err: BaseException) -> int:
    if os.environ.get("GWPLAN_TRACEBACK"):
        raise err
    print(f"gwplan {args.command}: internal error ({type(err).__name__}: {err}). This is a bug in gwplan; "
          "please report it with the command and its input files (GWPLAN_TRACEBACK=1 shows where it "
          "happened)", file=sys.stderr)
    return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
