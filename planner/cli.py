"""The `gwplan` command line: parse, load, call one library function, render.

Exit codes: 0 success (a plan, optimal or feasible at a limit and marked so); 2 bad input;
3 infeasible (no plan meets every constraint); 4 no plan found before a limit, or a solver failure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_NO_PLAN = 0, 2, 3, 4
EXIT_INTERNAL, EXIT_INTERRUPTED = 70, 130  # EX_SOFTWARE; 128 + SIGINT, as shells report Ctrl-C
FABRIC_FORMATS = ("summary", "bom", "graphml", "json", "dot", "cabling", "bom-csv", "netbox")
FABRIC_FILE_FORMATS = ("graphml", "json", "dot", "cabling", "bom-csv", "netbox")

EPILOG = """\
examples:
  gwplan validate scenarios/10gw-rollout.yaml
  gwplan optimize scenarios/10gw-rollout.yaml -o out/plan.yaml
  gwplan optimize scenarios/10gw-rollout.yaml --solver cp-sat --time-limit 120 --json
  gwplan topology out/plan.yaml --phase 3 --site tx-abilene --format summary cabling
  gwplan topology out/plan.yaml --dci
  gwplan fabric --nodes 2304 --gpus-per-node 4 --rails 4 --planes 2 --switch q3450 --nodes-per-su 72
  gwplan import orlib-cflp cap41.txt -o out/cap41.yaml

exit codes: 0 ok, 2 bad input, 3 infeasible, 4 no plan within the limits (or a solver failure),
  130 interrupted (Ctrl-C / SIGTERM; optimize keeps the previous plan, and with cp-sat or scip writes
  PLAN.interrupted.yaml), 70 internal error (GWPLAN_TRACEBACK=1 shows the traceback)
"""


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}")
    return value


def _gap(text: str) -> float:
    value = _positive_float(text) if text not in ("0", "0.0") else 0.0
    if value >= 1:
        raise argparse.ArgumentTypeError(f"expected a relative gap below 1 (e.g. 1e-4), got {text!r}")
    return value


def _percent(text: str) -> float:
    value = text.strip()
    scale = 100.0 if value.endswith("%") else 1.0
    try:
        number = float(value.rstrip("%")) / scale
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a share like 2% or 0.02, got {text!r}") from None
    if not 0 <= number < 1:
        raise argparse.ArgumentTypeError(f"expected a share in [0, 100%), got {text!r}")
    return number


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("expected a whole number >= 1, got 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    from planner.solve import DEFAULT_SOLVER, SOLVERS, SolveOptions

    defaults = SolveOptions()
    parser = argparse.ArgumentParser(
        prog="gwplan", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
        description="Plan gigawatt-scale GPU data-center rollouts: where and when to build (optimize), "
                    "checked scenarios (validate), the GPU fabrics a plan implies (topology) or a spec "
                    "describes (fabric), and benchmark imports (import).")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress display (it is also off when standard error is not a terminal)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    validate = commands.add_parser(
        "validate", help="check a scenario file and list every problem",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  gwplan validate scenarios/10gw-rollout.yaml --set economics.discount_rate=0.1\n",
        description="Check a scenario (and the base files it extends). Exit 0 when valid; otherwise exit 2 with "
                    "one line per problem: file, field path, what was expected.")
    validate.add_argument("scenario", metavar="FILE", help="scenario YAML")
    validate.add_argument("--set", metavar="PATH=VALUE", action="append", default=[], dest="overrides",
                          help="override a field for a what-if, e.g. sites[tx-abilene].lead_time_months=30 "
                               "(repeatable; values are YAML)")

    optimize = commands.add_parser(
        "optimize", help="choose sites and power for every phase at the lowest net present cost",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Solve the rollout model for a scenario and write the plan (YAML) and a summary.",
        epilog="example:\n  gwplan optimize scenarios/10gw-rollout.yaml -o out/plan.yaml --gap 1e-4\n")
    optimize.add_argument("scenario", metavar="SCENARIO", help="scenario YAML")
    optimize.add_argument("--set", metavar="PATH=VALUE", action="append", default=[], dest="overrides",
                          help="override a field for a what-if, e.g. economics.discount_rate=0.1 or "
                               "phases[3].funding_usd=40e9 (repeatable; values are YAML; the plan's scenario "
                               "hash covers them)")
    optimize.add_argument("-o", "--output", metavar="PLAN", type=Path,
                          help="plan file to write (default: out/<scenario name>.plan.yaml)")
    optimize.add_argument("--summary", metavar="FILE", type=Path,
                          help="summary text file to write (default: beside the plan, .summary.txt)")
    optimize.add_argument("--commit", metavar="PLAN", type=Path,
                          help="a plan whose first phases are already built (with --phases); later phases are "
                               "re-optimized around them")
    optimize.add_argument("--phases", metavar="IDS",
                          help="the committed phases of --commit: a range 1-3 or a list 1,2,3 of phase ids")
    optimize.add_argument("--previous", metavar="PLAN", type=Path,
                          help="a previous plan to stay close to (with --stability)")
    optimize.add_argument("--stability", metavar="USD_PER_MW", type=_positive_float,
                          help="cost added to the objective per MW of installed IT that moves, per site and "
                               "phase, against --previous (the plan's objective then includes it)")
    optimize.add_argument("--alternatives", metavar="K", type=_positive_int,
                          help="also find up to K plans using a different set of campuses, within --within of "
                               "the optimum's cost; written beside the plan as <plan>.alt1.yaml, ...")
    optimize.add_argument("--within", metavar="REL", type=_percent, default=0.02,
                          help="cost slack for --alternatives, e.g. 2%% or 0.02 (default 2%%)")
    optimize.add_argument("--time-limit", metavar="S", type=_positive_float, default=defaults.time_limit_s,
                          help=f"stop the solver after S seconds, keeping its best plan (default {defaults.time_limit_s:g})")
    optimize.add_argument("--gap", metavar="REL", type=_gap, default=defaults.relative_gap,
                          help=f"stop when the plan is proven within this relative gap of the optimum "
                               f"(default {defaults.relative_gap:g})")
    optimize.add_argument("--threads", metavar="N", type=_positive_int, default=None,
                          help="solver threads (default: HiGHS 1, SCIP 1, CP-SAT 8 workers)")
    optimize.add_argument("--seed", metavar="N", type=_non_negative_int, default=defaults.seed,
                          help=f"solver random seed (default {defaults.seed})")
    optimize.add_argument("--solver", choices=sorted(SOLVERS), default=DEFAULT_SOLVER,
                          help=f"MathOpt back end (default {DEFAULT_SOLVER})")
    optimize.add_argument("--non-deterministic", action="store_true",
                          help="let CP-SAT's parallel workers race (faster, results may vary run to run)")
    optimize.add_argument("--json", action="store_true",
                          help="print one JSON object (status, objective, best_bound, gap, wall_s, plan_path, ...)")
    optimize.add_argument("--log", action="store_true", help="show the solver's own log (on standard error)")
    optimize.add_argument("--force", action="store_true",
                          help="overwrite a plan that Pulumi stack files (stacks/config) point at, or the "
                               "--commit / --previous plan this run reads")

    fabric = commands.add_parser(
        "fabric", help="size and build a GPU fabric from a spec: tiers, switches, cables",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Size a rail-optimized, multi-plane folded Clos from a fabric spec (YAML) and/or flags "
                    "(flags override the file). Prints tiers, switches by role and cables by tier.",
        epilog="example:\n  gwplan fabric --nodes 2048 --gpus-per-node 4 --rails 4 --planes 2 --switch q3400 "
               "--nodes-per-su 32 --format bom --json\n")
    fabric.add_argument("spec", metavar="SPEC", nargs="?", help="fabric spec YAML (optional if flags say it all)")
    fabric.add_argument("--nodes", type=_positive_int, help="compute nodes (trays / servers)")
    fabric.add_argument("--gpus-per-node", type=_positive_int, help="GPUs per node")
    fabric.add_argument("--rails", type=_positive_int, help="scale-out NIC ports per node in one plane")
    fabric.add_argument("--planes", type=_positive_int, help="independent scale-out planes (default 1)")
    fabric.add_argument("--port-gbps", type=_positive_float, help="port speed in Gb/s")
    fabric.add_argument("--switch-radix", type=_positive_int, help="ports per switch")
    fabric.add_argument("--switch", help="switch model from the catalog (sets radix and port speed), e.g. q3400")
    fabric.add_argument("--nodes-per-su", type=_positive_int, help="nodes in one scalable unit")
    fabric.add_argument("--oversubscription", type=_positive_float, help="leaf downlink:uplink (default 1)")
    fabric.add_argument("--nvlink-domain-gpus", type=_positive_int, help="GPUs per NVLink (scale-up) domain")
    fabric.add_argument("--format", nargs="+", choices=FABRIC_FORMATS, default=["summary"], metavar="FORMAT",
                        help="one or more of: summary (a table, default), bom (switch and cable counts; with "
                             "--json, one JSON object), graphml, json (node-link), dot (NVIDIA Air / UFM), "
                             "cabling (port-level CSV), bom-csv, netbox (bulk-import CSVs); file formats are "
                             "written into -o DIR")
    fabric.add_argument("-o", "--output", metavar="DIR", type=Path, default=Path("out") / "fabric",
                        help="directory for file formats (default out/fabric)")
    fabric.add_argument("--failures", action="store_true",
                        help="build the full graph and report what losing one leaf, one spine, one core, one "
                             "plane and one NVLink domain costs, and hops / ECMP paths between sample nodes")
    fabric.add_argument("--compact", action="store_true",
                        help="file exports aggregate each scalable unit's nodes and GPUs into one vertex "
                             "(same switches and cables; for very large fabrics)")
    fabric.add_argument("--json", action="store_true", help="print one JSON object instead of a table")

    topo = commands.add_parser(
        "topology", help="the GPU fabrics a plan implies, per site and platform, up to a phase",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="For the racks a plan puts on each site up to a phase, size the scale-out fabric of each "
                    "platform (one fabric per site and GPU generation, from the platform's catalog entry "
                    "recorded in the plan), and say what each phase adds.",
        epilog="example:\n  gwplan topology out/plan.yaml --phase 3 --site tx-abilene --format summary graphml\n")
    topo.add_argument("plan", metavar="PLAN", help="plan YAML written by gwplan optimize")
    topo.add_argument("--phase", help="phase id: fabrics as they stand at the end of it (required without --dci)")
    topo.add_argument("--dci", action="store_true",
                      help="the inter-campus network instead: fiber routes (great circle x 1.5, 5 us/km), "
                           "the lowest-latency route and edge-disjoint alternatives between every pair of campuses")
    topo.add_argument("--paths", metavar="K", type=_positive_int, default=2,
                      help="with --dci: edge-disjoint routes per pair of campuses (default 2)")
    topo.add_argument("--site", help="one site only (default: every site with racks)")
    topo.add_argument("--racks-per-su", type=_positive_int,
                      help="racks per scalable unit (default: as many as fill half a leaf's ports)")
    topo.add_argument("--format", nargs="+", choices=FABRIC_FORMATS, default=["summary"], metavar="FORMAT",
                      help="as for gwplan fabric; file formats (of one cluster) are written into "
                           "-o DIR/<site>-<platform>/")
    topo.add_argument("-o", "--output", metavar="DIR", type=Path, default=Path("out") / "topology",
                      help="directory for file formats (default out/topology)")
    topo.add_argument("--compact", action="store_true",
                      help="file exports aggregate each scalable unit's nodes and GPUs into one vertex")
    topo.add_argument("--json", action="store_true", help="print one JSON object instead of tables")

    report = commands.add_parser(
        "report", help="an HTML report of a plan with charts (opens from disk)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  gwplan report out/plan.yaml -o out/report\n",
        description="Write DIR/index.html and its PNG charts: capacity per phase by site, spend against "
                    "funding, a site map, a timeline, site fabrics and the solver provenance. No network needed "
                    "to open it.")
    report.add_argument("plan", metavar="PLAN", help="plan YAML written by gwplan optimize")
    report.add_argument("-o", "--output", metavar="DIR", type=Path, default=Path("out") / "report",
                        help="directory to write (default out/report)")

    sweep = commands.add_parser(
        "sweep", help="Monte Carlo over uncertain inputs: how often each site is chosen, cost P10/P50/P90",
        description="Solve the scenario once per sample of its uncertain inputs (grid ramps slipping a phase, "
                    "energy prices, power-block capex, rack power within the catalog range), in parallel on this "
                    "machine or on a Dask cluster; same seed, same results whichever executor runs them.",
        epilog="example:\n  gwplan sweep scenarios/10gw-rollout.yaml --samples 200 --time-limit 30 -o out/sweep.json\n",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sweep.add_argument("scenario", metavar="SCENARIO", help="scenario YAML")
    sweep.add_argument("--samples", metavar="N", type=_positive_int, default=100, help="samples (default 100)")
    sweep.add_argument("--seed", metavar="N", type=_non_negative_int, default=0, help="sweep seed (default 0)")
    sweep.add_argument("--executor", choices=["process", "dask", "serial"], default="process",
                       help="process: all cores of this machine (default); dask: --scheduler, or an in-process "
                            "cluster; serial: one at a time")
    sweep.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://10.0.0.5:8786")
    sweep.add_argument("--workers", metavar="N", type=_positive_int, help="parallel solves (default: cores)")
    sweep.add_argument("--time-limit", metavar="S", type=_positive_float, default=30.0,
                       help="solver limit per sample (default 30)")
    sweep.add_argument("--gap", metavar="REL", type=_gap, default=1e-4, help="relative gap per sample (default 1e-4)")
    sweep.add_argument("--grid-delay", metavar="P", type=_percent, default=0.2,
                       help="chance that a site's grid ramp slips one phase, e.g. 20%% (default 20%%)")
    sweep.add_argument("--price-spread", metavar="REL", type=_percent, default=0.15,
                       help="energy price varies within +- this share (default 15%%)")
    sweep.add_argument("--capex-spread", metavar="REL", type=_percent, default=0.10,
                       help="power-block capex per MW varies within +- this share (default 10%%)")
    sweep.add_argument("-o", "--output", metavar="FILE", type=Path, help="also write the JSON summary here")
    sweep.add_argument("--json", action="store_true", help="print the JSON summary instead of tables")

    diff = commands.add_parser(
        "diff", help="what moved between two plans: sites, MW, phases, cost",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  gwplan diff out/plan.yaml out/what-if.plan.yaml --json\n",
        description="Compare two plans (e.g. before and after a what-if): sites added or dropped, sites "
                    "opening in another phase, installed IT MW per phase and site, capex and net present cost.")
    diff.add_argument("plan_a", metavar="PLAN_A", help="the plan to compare from")
    diff.add_argument("plan_b", metavar="PLAN_B", help="the plan to compare to")
    diff.add_argument("--json", action="store_true", help="print one JSON object instead of tables")

    stacks = commands.add_parser(
        "stacks", formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  gwplan stacks plans/10gw-rollout.plan.yaml   # then: pulumi preview --stack phase-1\n",
        help="write one Pulumi stack file per phase of a plan (Pulumi.phase-N.yaml)",
        description="Write stacks/config/Pulumi.phase-<id>.yaml for every phase of a plan, each naming the plan "
                    "and its phase, for `pulumi preview --stack phase-<id>`. Run it from the directory that "
                    "holds Pulumi.yaml: the plan path is stored relative to it.")
    stacks.add_argument("plan", metavar="PLAN", help="plan YAML written by gwplan optimize")
    stacks.add_argument("-o", "--output", metavar="DIR", type=Path, default=Path("stacks") / "config",
                        help="stack config directory (default stacks/config, Pulumi.yaml's stackConfigDir)")

    importer = commands.add_parser("import", help="turn a benchmark instance into a gwplan scenario")
    importer.set_defaults(help_parser=importer)
    formats = importer.add_subparsers(dest="format", metavar="FORMAT")
    orlib = formats.add_parser("orlib-cflp", help="Beasley OR-Library capacitated facility location instance",
                               formatter_class=argparse.RawDescriptionHelpFormatter,
                               epilog="example:\n  gwplan import orlib-cflp capa.txt --capacity 8000 -o out/capa.yaml\n"
                                      "  gwplan optimize out/capa.yaml --gap 1e-6 --time-limit 600\n",
                               description="Facilities become sites, customers become demand regions "
                                           "(split demand). The scenario's optimum is the instance's.")
    orlib.add_argument("instance", metavar="FILE", help="OR-Library instance (capNN.txt, capa.txt, ...)")
    orlib.add_argument("--capacity", metavar="N", type=_positive_float,
                       help="facility capacity for capa/capb/capc, which leave it open")
    orlib.add_argument("-o", "--output", metavar="SCENARIO", type=Path, required=True, help="scenario YAML to write")
    for command in (validate, optimize, fabric, topo, report, sweep, diff, stacks, orlib):  # -q after the command too
        command.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                             help="no progress display (as `gwplan -q COMMAND`)")
    return parser


def _report_input_error(err) -> int:
    for problem in err.problems:
        print(problem, file=sys.stderr)
    return EXIT_INPUT


def cmd_validate(args: argparse.Namespace) -> int:
    from planner.io import load_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    print(f"{args.scenario}: valid scenario {scenario.name!r}: {len(scenario.sites)} sites in "
          f"{len(scenario.regions)} regions, {len(scenario.phases)} phases, "
          f"{sum(p.it_mw_required for p in scenario.phases):,.0f} MW IT required, "
          f"{len(scenario.demand_regions)} demand regions")
    return EXIT_OK


def _default_plan_path(scenario_path: str) -> Path:
    return Path("out") / f"{Path(scenario_path).stem}.plan.yaml"


def cmd_optimize(args: argparse.Namespace) -> int:
    from planner.io import dump_plan, load_scenario, write_text_atomic
    from planner.render import summary_text
    from planner.solve import SolveOptions, SolveStatus

    scenario = load_scenario(args.scenario, args.overrides)
    target = args.output or _default_plan_path(args.scenario)
    dependents = _stack_files_reading(target)
    if dependents and not args.force:
        print(f"{target}: {len(dependents)} Pulumi stack file(s) read this plan ({dependents[0]}, ...); "
              "write elsewhere with -o, or pass --force to replace it", file=sys.stderr)
        return EXIT_INPUT
    for flag, source in (("--commit", args.commit), ("--previous", args.previous)):
        if source is not None and not args.force and Path(source).resolve() == target.resolve():
            print(f"{target}: this is the {flag} plan this run reads; write the new plan elsewhere with -o "
                  "(keeping the record of what was committed), or pass --force to replace it", file=sys.stderr)
            return EXIT_INPUT
    commitments = ()
    if args.commit is not None or args.phases is not None:
        if args.commit is None or args.phases is None:
            print("gwplan optimize: --commit PLAN and --phases IDS go together", file=sys.stderr)
            return EXIT_INPUT
        from planner.io import load_plan
        from planner.optimize import commitments_from_plan

        committed = load_plan(args.commit)
        ids = [p.id for p in committed.phases]
        first, dash, last = args.phases.partition("-")
        if dash and first in ids and last in ids:
            chosen = ids[ids.index(first): ids.index(last) + 1]
        else:
            chosen = [x.strip() for x in args.phases.split(",") if x.strip()]
        try:
            commitments = commitments_from_plan(committed, scenario, chosen)
        except KeyError as err:
            print(f"{args.commit}: {err.args[0]}", file=sys.stderr)
            return EXIT_INPUT
    stability = None
    if args.previous is not None or args.stability is not None:
        if args.previous is None or args.stability is None:
            print("gwplan optimize: --previous PLAN and --stability USD_PER_MW go together", file=sys.stderr)
            return EXIT_INPUT
        from planner.io import load_plan
        from planner.optimize import stability_from_plan

        stability = stability_from_plan(load_plan(args.previous), args.stability)
    options = SolveOptions(solver=args.solver, time_limit_s=args.time_limit, relative_gap=args.gap,
                           threads=args.threads, seed=args.seed, deterministic=not args.non_deterministic)

    if args.alternatives:
        return _alternatives(scenario, options, args)
    try:
        with _native_stdout_to_stderr():
            outcome = _solve(scenario, options, args, commitments, stability)
    except SolveAbandoned as abandoned:
        _leave_without_writing(target, str(abandoned))
    result = outcome.result
    interrupted = result.status == SolveStatus.INTERRUPTED
    plan_path = target.with_name(target.name.removesuffix(".yaml") + ".interrupted.yaml") if interrupted else target
    summary_path = (None if interrupted else args.summary) or plan_path.with_name(
        plan_path.name.removesuffix(".yaml").removesuffix(".plan") + ".summary.txt")
    text = summary_text(outcome, scenario.name)
    written = outcome.plan is not None
    if written:
        dump_plan(outcome.plan, plan_path)
        write_text_atomic(summary_path, text)
    if args.json:
        usd = 1e6  # the model's money unit
        print(json.dumps({
            "status": result.status.value, "objective": None if result.objective is None else result.objective * usd,
            "best_bound": None if result.best_bound is None else result.best_bound * usd, "gap": result.gap,
            "wall_s": round(result.wall_s, 4), "build_s": round(outcome.build_s, 4),
            "extract_s": round(outcome.extract_s, 4), "solver": result.solver, "seed": options.seed,
            "plan_path": str(plan_path) if written else None,
            "summary_path": str(summary_path) if written else None, "model": outcome.model_size,
            "detail": result.detail}))
    else:
        from rich.console import Console

        from planner.render import plan_table, status_line

        console = Console(width=None if sys.stdout.isatty() else 140)  # files and pipes: no wrapping at 80
        if outcome.plan is not None:
            console.print(plan_table(outcome.plan, title=f"Rollout plan: {scenario.name}"))
        console.print(status_line(outcome), highlight=False)
        if written:
            console.print(f"plan written to {plan_path}; summary to {summary_path}", highlight=False)
    if interrupted:
        print(f"interrupted: the best plan found so far (gap {result.gap:.2e}, status 'interrupted') was written to "
              f"{plan_path}; {target} is as it was", file=sys.stderr)
        return EXIT_INTERRUPTED
    if result.status == SolveStatus.FEASIBLE:
        print(f"note: the solver stopped at a limit; the plan is feasible but only proven within a gap of "
              f"{result.gap:.2e} (raise --time-limit to close it)", file=sys.stderr)
        return EXIT_OK
    if result.status == SolveStatus.OPTIMAL:
        return EXIT_OK
    if result.status == SolveStatus.INFEASIBLE:
        from planner.explain import explain

        reasons = explain(scenario)
        print(f"{args.scenario}: infeasible: no rollout meets every constraint of this scenario. "
              "No plan was written.", file=sys.stderr)
        for reason in reasons:
            print(f"  - {reason.message}", file=sys.stderr)
        if not reasons:
            print("  - no single rule explains it: capacity, grid, lead times, funding, diversity and demand are "
                  "each satisfiable alone but not together", file=sys.stderr)
        return EXIT_INFEASIBLE
    if result.status == SolveStatus.NO_SOLUTION:
        print(f"{args.scenario}: no plan found within {options.time_limit_s:g} s; raise --time-limit. "
              "No plan was written.", file=sys.stderr)
    else:
        print(f"{args.scenario}: the solver {options.solver} failed ({result.detail}); try another --solver. "
              "No plan was written.", file=sys.stderr)
    return EXIT_NO_PLAN


def cmd_fabric(args: argparse.Namespace) -> int:
    from planner.io import FABRIC_FIELDS, load_fabric_spec
    from topology.spec import (
        FabricError,
        bill_of_materials,
        cables_by_media,
        fabric_power_w,
        oversubscription_by_tier,
        size_fabric,
    )

    spec, switch_model, switch = load_fabric_spec(args.spec, {k: getattr(args, k, None) for k in FABRIC_FIELDS})
    try:
        size = size_fabric(spec)
    except FabricError as err:
        print(f"{args.spec or 'command line'}: {err}", file=sys.stderr)
        return EXIT_INPUT
    from topology.analysis import bisection_gbps

    bom = bill_of_materials(spec, size)
    numbers = {"bisection_gbps": bisection_gbps(spec, size), "max_switch_hops": 2 * size.tiers - 1,
               "oversubscription": oversubscription_by_tier(size)}
    numbers["media"] = cables_by_media(bom, switch.optics if switch is not None else "pluggable")
    if switch is not None and switch.power_w is not None:
        numbers["power_w"] = fabric_power_w(spec, bom, switch.power_w.default, switch.optics)
    files = [f for f in args.format if f in FABRIC_FILE_FORMATS]
    written = {}
    try:
        if files:
            from topology.clos import rail_optimized_clos
            from topology.export import export

            with _busy(args, f"building and exporting a {spec.gpus:,}-GPU fabric ({', '.join(files)})"):
                written = export(rail_optimized_clos(spec, compact=args.compact), bom, args.output, files,
                                 switch_model=switch_model)
        if args.failures:
            from topology.analysis import failures_and_paths

            with _busy(args, f"building a {spec.gpus:,}-GPU fabric and failing its elements one at a time"):
                numbers.update(failures_and_paths(spec))
    except FabricError as err:
        print(f"{args.spec or 'command line'}: {err}", file=sys.stderr)
        return EXIT_INPUT
    if args.json:
        print(json.dumps({**bom, **numbers, "size": size.__dict__, "files": written}))
        return EXIT_OK
    for fmt, path in written.items():
        print(f"{fmt}: {path}")
    if not {"summary", "bom"} & set(args.format):
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 120)
    console.print(f"{spec.gpus:,} GPUs on {spec.nodes:,} nodes; {spec.planes} plane(s) of a {size.tiers}-tier "
                  f"rail-optimized Clos ({size.sus:,} scalable units of {spec.nodes_per_su} nodes)", highlight=False)
    table = Table(header_style="bold")
    for column in ("", "leaf", "spine", "core"):
        table.add_column(column, justify="right" if column else "left")
    table.add_row("switches", *(f"{bom['switches'][r]:,}" for r in ("leaf", "spine", "core")))
    table.add_row("cables below", *(f"{bom['cables'][k]:,}" for k in ("node_leaf", "leaf_spine", "spine_core")))
    console.print(table)
    ratios = ", ".join(f"{tier} {ratio:g}:1" for tier, ratio in numbers["oversubscription"].items()) or "none"
    console.print(f"bisection {numbers['bisection_gbps'] / 1000:,.1f} Tb/s; at most {numbers['max_switch_hops']} "
                  f"switch hops; oversubscription {ratios}", highlight=False)
    media = numbers["media"]
    console.print("cables: " + ", ".join(f"{n:,} {m}" for m, n in media["by_media"].items())
                  + f"; {media['pluggable_transceivers']:,} pluggable transceivers", highlight=False)
    if "power_w" in numbers:
        power = numbers["power_w"]
        console.print(f"power {power['total_w'] / 1e6:,.2f} MW: switches {power['switches_w'] / 1e6:,.2f} MW "
                      f"(assumed per-switch figure, see the catalog), optics {power['optics_w'] / 1e6:,.2f} MW",
                      highlight=False)
    for pair in numbers.get("paths", []):
        console.print(f"{pair['a']} to {pair['b']}: {pair['switch_hops']} switch hops, {pair['ecmp_paths']} "
                      "equal-cost paths", highlight=False)
    for impact in numbers.get("failures", []):
        console.print(f"lose {impact['element']}: {impact['gpus_cut_off']:,} GPUs cut off, "
                      f"{impact['injection_gbps_lost'] / 1000:,.1f} Tb/s of injection and "
                      f"{impact['uplink_gbps_lost'] / 1000:,.1f} Tb/s of uplinks lost", highlight=False)
    return EXIT_OK


def _busy(args: argparse.Namespace, message: str):
    """A spinner on standard error for long work, when it is a terminal and not --quiet / --json."""
    if getattr(args, "quiet", False) or getattr(args, "json", False) or not sys.stderr.isatty():
        return contextlib.nullcontext()
    from rich.console import Console

    return Console(stderr=True).status(message)


@contextlib.contextmanager
def _native_stdout_to_stderr():
    """Send what native solver code prints on file descriptor 1 to stderr while it runs.

    HiGHS occasionally prints debugging lines straight to stdout; --json output must stay one object.
    """
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no usable stdout (closed): nothing to protect
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _alternatives(scenario, options, args: argparse.Namespace) -> int:
    """gwplan optimize --alternatives K: the optimum and different plans within the cost slack.

    The solves run in a worker thread so that Ctrl-C is heard at once; it leaves without writing."""
    from planner.io import dump_plan
    from planner.optimize import alternatives

    plan_path = args.output or _default_plan_path(args.scenario)
    with _native_stdout_to_stderr(), _sigterm_as_ctrl_c():
        log = (lambda lines: print(*lines, sep="\n", file=sys.stderr)) if args.log else None
        work = _Worker(lambda: alternatives(scenario, options, args.alternatives, args.within, log))
        try:
            work.done.wait()
        except KeyboardInterrupt:
            _leave_without_writing(plan_path, "alternatives are written only once all are found")
    found = work.result()
    if found[0].plan is None:
        print(f"{args.scenario}: no plan ({found[0].result.status.value}); no alternatives", file=sys.stderr)
        return EXIT_INFEASIBLE if found[0].result.status.value == "infeasible" else EXIT_NO_PLAN
    rows = []
    best = found[0].plan.npv_usd
    for k, outcome in enumerate(found):
        path = plan_path if k == 0 else plan_path.with_name(plan_path.name.removesuffix(".yaml") + f".alt{k}.yaml")
        dump_plan(outcome.plan, path)
        rows.append({"plan_path": str(path), "npv_usd": outcome.plan.npv_usd,
                     "above_optimum": (outcome.plan.npv_usd - best) / best,
                     "sites": [s.site for s in outcome.plan.phases[-1].sites if s.it_mw_total >= 1.0]})
    if args.json:
        print(json.dumps({"within": args.within, "plans": rows}))
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(rows) - 1} alternative(s) within {args.within:.1%} of the optimum",
                  title_justify="left", header_style="bold")
    for column in ("plan", "NPV $B", "above optimum", "campuses used"):
        table.add_column(column, justify="right" if column in ("NPV $B", "above optimum") else "left")
    for r in rows:
        table.add_row(r["plan_path"], f"{r['npv_usd'] / 1e9:,.3f}", f"{r['above_optimum']:.2%}", ", ".join(r["sites"]))
    Console(width=None if sys.stdout.isatty() else 160).print(table)
    return EXIT_OK


def _stack_files_reading(plan_path: Path) -> list[str]:
    """Stack files under ./stacks/config whose gwplan:plan is this file (they depend on it)."""
    import yaml

    if not plan_path.exists():
        return []
    target = plan_path.resolve()
    found = []
    for stack_file in sorted(Path("stacks", "config").glob("Pulumi.*.yaml")):
        try:
            config = (yaml.safe_load(stack_file.read_text()) or {}).get("config", {})
        except (OSError, yaml.YAMLError, AttributeError):
            continue
        ref = config.get("gwplan:plan") if isinstance(config, dict) else None
        if isinstance(ref, str) and Path(ref).resolve() == target:
            found.append(str(stack_file))
    return found


def _leave_without_writing(target: Path, why: str) -> None:
    """Exit at once (130) while a solver thread still runs: it cannot be joined, so do not wait for it."""
    print(f"interrupted: nothing was written ({target} is as it was); {why}", file=sys.stderr)
    sys.stderr.flush()
    sys.stdout.flush()
    os._exit(EXIT_INTERRUPTED)


class _Worker:
    """Run `work()` in a daemon thread so that the main thread hears Ctrl-C while native solver code runs.

    Wait on `done` (an Event), not on Thread.join: a join interrupted by KeyboardInterrupt can leave the
    thread marked finished while it still runs (CPython); an Event wait cannot.
    """

    def __init__(self, work):
        import threading

        self.done = threading.Event()
        self._box: list = []
        threading.Thread(target=self._run, args=(work,), daemon=True).start()

    def _run(self, work) -> None:
        try:
            self._box.append(work())
        except Exception as err:  # noqa: BLE001 - re-raised in the main thread by result()
            self._box.append(err)
        finally:
            self.done.set()

    def result(self):
        """What work() returned (raising what it raised); call once `done` is set."""
        if isinstance(self._box[0], Exception):
            raise self._box[0]
        return self._box[0]


class SolveAbandoned(Exception):
    """Ctrl-C during a solve the back end cannot stop early (or a second Ctrl-C): quit, writing nothing."""


@contextlib.contextmanager
def _sigterm_as_ctrl_c():
    """Treat SIGTERM (a batch system stopping gwplan) like Ctrl-C while the block runs."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):  # noqa: ARG001 - signature fixed by the signal module
        raise KeyboardInterrupt
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _solve(scenario, options, args: argparse.Namespace, commitments=(), stability=None):
    """Solve in a worker thread, so that Ctrl-C reaches gwplan while native solver code runs.

    A terminal shows what is running, for how long, and (HiGHS) the incumbent and gap from the log.
    On Ctrl-C an interruptible back end (CP-SAT, SCIP) is asked to stop and return its best plan so far
    (the outcome is INTERRUPTED); with HiGHS, which OR-Tools cannot stop early, or on a second Ctrl-C,
    SolveAbandoned is raised and nothing is written.
    """
    import time

    from planner.model import USD_SCALE
    from planner.optimize import plan_rollout
    from planner.solve import INTERRUPTIBLE, SolveInterrupter, parse_progress

    show = not (args.log or args.json or args.quiet or not sys.stderr.isatty())
    best: list = []  # the latest (bound, incumbent, gap) the solver logged

    def on_log(lines) -> None:
        for line in lines:
            if args.log:
                print(line, file=sys.stderr)
            progress = parse_progress(line)
            if progress is not None:
                best[:] = [progress]

    interrupter = SolveInterrupter()

    def message() -> str:
        found = ""
        if best and best[0][1] != float("inf"):
            _, incumbent, gap = best[0]
            found = f"; incumbent ${incumbent * USD_SCALE / 1e9:,.2f}B" + (f", gap {gap:.2%}" if gap is not None else "")
        return (f"optimizing {scenario.name!r} with {options.solver}: {time.monotonic() - started:,.0f} s "
                f"(limit {options.time_limit_s:g} s, gap target {options.relative_gap:g}){found}")

    started = time.monotonic()
    work = _Worker(lambda: plan_rollout(scenario, options, on_log=on_log, commitments=commitments,
                                        stability=stability, interrupter=interrupter))
    if show:
        from rich.console import Console

        spinner = Console(stderr=True).status("")
    else:
        spinner = contextlib.nullcontext()
    with spinner as status, _sigterm_as_ctrl_c():
        try:
            while not work.done.wait(0.25):
                if status is not None:
                    status.update(message())
        except KeyboardInterrupt:
            if options.solver not in INTERRUPTIBLE:
                raise SolveAbandoned(f"{options.solver} cannot be stopped part-way, so there is no best-so-far plan. "
                                     "Bound a run with --time-limit, or use --solver cp-sat or scip to stop one "
                                     "early with its best plan.") from None
            interrupter.interrupt()
            print("interrupted: asking the solver for its best plan so far (Ctrl-C again to quit without it)",
                  file=sys.stderr)
            try:
                work.done.wait()
            except KeyboardInterrupt:
                raise SolveAbandoned("a second Ctrl-C: left without the best plan so far") from None
    return work.result()


def cmd_topology(args: argparse.Namespace) -> int:
    from planner.fabric import fabric_report, phased_graph, site_fabrics
    from planner.io import load_plan
    from topology.spec import FabricError

    plan = load_plan(args.plan)
    if args.dci:
        return _campus_network(plan, args)
    if args.phase is None:
        print("gwplan topology: --phase is required (or --dci for the inter-campus network)", file=sys.stderr)
        return EXIT_INPUT
    try:
        fabrics = site_fabrics(plan, args.phase, args.site, args.racks_per_su)
    except KeyError as err:
        print(f"{args.plan}: {err.args[0]}", file=sys.stderr)
        return EXIT_INPUT
    except FabricError as err:
        print(f"{args.plan}: {err}", file=sys.stderr)
        return EXIT_INPUT
    wanted = [f for f in args.format if f in FABRIC_FILE_FORMATS]
    report = []
    for fab in fabrics:
        entry = fabric_report(plan, fab, args.racks_per_su)
        entry["files"] = {}
        if wanted:  # one cluster's fabric (all clusters of a site are alike)
            from topology.export import export
            from topology.spec import bill_of_materials, size_fabric

            platform = plan.platform(fab.platform)
            switch = plan.switch(platform.switch)
            with _busy(args, f"building and exporting {fab.site} {fab.platform} ({fab.spec.gpus:,} GPUs per cluster)"):
                try:
                    graph = phased_graph(plan, fab, compact=args.compact)
                except FabricError as err:
                    print(f"{args.plan}: {fab.site} {fab.platform}: {err}", file=sys.stderr)
                    return EXIT_INPUT
                entry["files"] = export(graph, bill_of_materials(fab.spec, size_fabric(fab.spec)),
                                        args.output / f"{fab.site}-{fab.platform}", wanted, site=fab.site,
                                        node_model=f"{platform.name} compute tray",
                                        switch_model=switch.netbox_device_type or switch.name)
        report.append(entry)
    if args.json:
        print(json.dumps({"phase": args.phase, "fabrics": report}))
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 140)
    table = Table(title=f"Fabrics at the end of phase {args.phase} (bisection: of one cluster)", title_justify="left",
                  header_style="bold")
    for column in ("site", "platform", "racks", "GPUs", "clusters", "tiers", "leaf", "spine", "core", "cables",
                   "bisection Tb/s", "fabric MW", "added by phase (switches)"):
        table.add_column(column, justify="left" if column in ("site", "platform", "added by phase (switches)")
                         else "right")
    for r in report:
        added = "; ".join(f"{st['phase']}: +{sum(st['switches_added'].values()):,}" for st in r["by_phase"])
        table.add_row(r["site"], r["platform"], f"{r['racks']:,}", f"{r['gpus']:,}", str(r["clusters"]), str(r["tiers"]),
                      *(f"{r['switches'][k]:,}" for k in ("leaf", "spine", "core")),
                      f"{sum(r['cables'].values()):,}", f"{r['bisection_gbps'] / 1000:,.0f}",
                      f"{r['power_w']['total_w'] / 1e6:,.1f}" if "power_w" in r else "-", added)
    console.print(table)
    for r in report:
        for fmt, path in r["files"].items():
            console.print(f"{r['site']} {r['platform']} {fmt}: {path}", highlight=False)
    return EXIT_OK


def _campus_network(plan, args: argparse.Namespace) -> int:
    """gwplan topology PLAN --dci: the campuses of the plan (open by --phase, if given) and their fiber mesh."""
    from topology.campus import campus_graph, pair_routes

    campuses = list(plan.campuses)
    if args.phase is not None:
        index = next((i for i, p in enumerate(plan.phases) if p.id == args.phase), None)
        if index is None:
            print(f"{args.plan}: phase {args.phase!r} is not in the plan", file=sys.stderr)
            return EXIT_INPUT
        open_by = {s.site for s in plan.phases[index].sites}
        campuses = [c for c in campuses if c.id in open_by]
    if len(campuses) < 2:
        print(f"{args.plan}: fewer than two campuses: no inter-campus network", file=sys.stderr)
        return EXIT_INPUT
    g = campus_graph(campuses)
    pairs = pair_routes(g, k=args.paths)
    files = {}
    if any(f in ("graphml", "json") for f in args.format):
        from topology.export import write_graphml, write_node_link_json

        args.output.mkdir(parents=True, exist_ok=True)
        if "graphml" in args.format:
            files["graphml"] = str(args.output / "campuses.graphml")
            write_graphml(g, files["graphml"])
        if "json" in args.format:
            files["json"] = str(args.output / "campuses.json")
            write_node_link_json(g, files["json"])
    if args.json:
        links = [{"a": u, "b": v, **d} for u, v, d in g.edges(data=True)]
        print(json.dumps({"campuses": [c.__dict__ for c in campuses], "links": links, "pairs": pairs,
                          "files": files}))
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Inter-campus network: {len(campuses)} campuses, {g.number_of_edges()} fiber routes",
                  title_justify="left", header_style="bold")
    for column in ("campus A", "campus B", "shortest ms", "route", "2nd disjoint ms"):
        table.add_column(column, justify="right" if "ms" in column else "left")
    for pair in pairs:
        first, *rest = pair["paths"]
        table.add_row(pair["a"], pair["b"], f"{first['latency_ms']:.2f}", " > ".join(first["via"]),
                      f"{rest[0]['latency_ms']:.2f}" if rest else "none")
    console = Console(width=None if sys.stdout.isatty() else 160)
    console.print(table)
    for fmt, path in files.items():
        console.print(f"{fmt}: {path}", highlight=False)
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from planner.io import load_plan
    from planner.report import write_report

    path = write_report(load_plan(args.plan), args.output)
    print(f"report written to {path}")
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace) -> int:
    from planner.io import load_scenario, write_text_atomic
    from planner.solve import SolveOptions
    from planner.sweep import SweepOptions, run_sweep, summarize

    scenario = load_scenario(args.scenario)
    sweep = SweepOptions(samples=args.samples, seed=args.seed, grid_delay_probability=args.grid_delay,
                         price_spread=args.price_spread, capex_spread=args.capex_spread)
    solve_options = SolveOptions(time_limit_s=args.time_limit, relative_gap=args.gap)
    if args.executor == "process" and args.scheduler:
        args.executor = "dask"
    if sys.stderr.isatty() and not args.json and not args.quiet:
        from rich.progress import Progress

        with Progress(transient=True) as progress:
            task = progress.add_task(f"{args.samples} samples ({args.executor})", total=args.samples)
            results = run_sweep(scenario, sweep, solve_options, args.executor, args.scheduler, args.workers,
                                on_done=lambda n: progress.update(task, completed=n))
    else:
        results = run_sweep(scenario, sweep, solve_options, args.executor, args.scheduler, args.workers)
    summary = {"scenario": scenario.name, "seed": args.seed, **summarize(results)}
    if args.output:
        write_text_atomic(args.output, json.dumps(summary, indent=1))
    if args.json:
        print(json.dumps(summary))
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    npv = summary["npv_usd"]
    console = Console(width=None if sys.stdout.isatty() else 160)
    console.print(f"{summary['solved']} of {summary['samples']} samples solved ({summary['infeasible']} infeasible); "
                  f"NPV P10 ${npv['p10'] / 1e9:,.2f}B, P50 ${npv['p50'] / 1e9:,.2f}B, P90 ${npv['p90'] / 1e9:,.2f}B",
                  highlight=False)
    table = Table(title="How often each site builds, per phase (robust recommendation: >= 50 %)",
                  title_justify="left", header_style="bold")
    table.add_column("phase")
    table.add_column("recommended")
    table.add_column("sites (share of samples)")
    for phase, sites in summary["frequency"].items():
        table.add_row(phase, ", ".join(summary["recommended"][phase]) or "-",
                      ", ".join(f"{site} {share:.0%}" for site, share in sites.items()))
    console.print(table)
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    from planner.diff import diff_plans
    from planner.io import load_plan

    d = diff_plans(load_plan(args.plan_a), load_plan(args.plan_b))
    if args.json:
        print(json.dumps(d))
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 140)
    console.print(f"NPV ${d['npv_usd_a'] / 1e9:,.2f}B -> ${d['npv_usd_b'] / 1e9:,.2f}B "
                  f"({d['delta_npv_usd'] / 1e9:+,.2f}B); capex ${d['capex_usd_a'] / 1e9:,.2f}B -> "
                  f"${d['capex_usd_b'] / 1e9:,.2f}B ({d['delta_capex_usd'] / 1e9:+,.2f}B)", highlight=False)
    for label, key in (("sites dropped", "sites_only_in_a"), ("sites added", "sites_only_in_b")):
        if d[key]:
            console.print(f"{label}: {', '.join(d[key])}", highlight=False)
    for m in d["sites_opening_moved"]:
        console.print(f"{m['site']} opens in phase {m['opens_b']} instead of {m['opens_a']}", highlight=False)
    table = Table(title="Installed IT MW that changed, by phase and site", title_justify="left", header_style="bold")
    for column in ("phase", "site", "IT MW A", "IT MW B", "change", "phase capex change $B"):
        table.add_column(column, justify="left" if column in ("phase", "site") else "right")
    for p in d["phases"]:
        for i, c in enumerate(p["sites"]):
            table.add_row(p["phase"] if i == 0 else "", c["site"], f"{c['it_mw_a']:,.1f}", f"{c['it_mw_b']:,.1f}",
                          f"{c['delta_mw']:+,.1f}", f"{p['delta_capex_usd'] / 1e9:+,.2f}" if i == 0 else "")
    console.print(table if any(p["sites"] for p in d["phases"]) else "no change in installed IT MW")
    return EXIT_OK


def cmd_stacks(args: argparse.Namespace) -> int:
    from planner.io import load_plan, write_stack_configs

    plan = load_plan(args.plan)
    plan_path = Path(args.plan)
    try:
        plan_ref = plan_path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        plan_ref = str(plan_path.resolve())
    for path in write_stack_configs(plan, plan_ref, args.output):
        print(path)
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from planner.io import dump_yaml, load_scenario, write_text_atomic
    from planner.orlib import cflp_scenario, read_orlib_cflp

    instance = read_orlib_cflp(args.instance, capacity=args.capacity)
    write_text_atomic(args.output, dump_yaml(cflp_scenario(instance)))
    scenario = load_scenario(args.output)  # the same checks as any scenario
    print(f"{args.output}: scenario {scenario.name!r} with {len(scenario.sites)} sites and "
          f"{len(scenario.demand_regions)} demand regions")
    return EXIT_OK


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

    handlers = {"validate": cmd_validate, "optimize": cmd_optimize, "fabric": cmd_fabric, "topology": cmd_topology,
                "stacks": cmd_stacks, "diff": cmd_diff, "sweep": cmd_sweep, "report": cmd_report, "import": cmd_import}
    try:
        return handlers[args.command](args)
    except InputError as err:
        return _report_input_error(err)
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except MemoryError:
        print(f"gwplan {args.command}: out of memory; try smaller inputs (or --compact for fabric graphs)",
              file=sys.stderr)
        return EXIT_INTERNAL
    except Exception as err:  # noqa: BLE001 - the last line of defence: one clear line, not a traceback
        if os.environ.get("GWPLAN_TRACEBACK"):
            raise
        print(f"gwplan {args.command}: internal error ({type(err).__name__}: {err}). This is a bug in gwplan; "
              "please report it with the command and its input files (GWPLAN_TRACEBACK=1 shows where it "
              "happened)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
