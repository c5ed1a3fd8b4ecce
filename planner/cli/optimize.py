"""gwplan optimize: choose sites and power for every phase at the lowest net present cost."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from planner.cli import args as a
from planner.cli import outputs
from planner.cli.replanning import replanning
from planner.fields import InputError, Problem
from planner.optimize.options import (
    AUTO_LP_BOUND_MIN_SITES,
    AUTO_START_MIN_SITES,
    DEFAULT_SOLVER,
    SOLVER_NAMES,
    STARTS,
    SolveOptions,
)


def add_parser(commands) -> argparse.ArgumentParser:
    defaults = SolveOptions()
    p = commands.add_parser(
        "optimize", help="choose sites and power for every phase at the lowest net present cost", formatter_class=a.RAW,
        description="Solve the rollout model for a scenario and write the plan (YAML) and a summary.",
        epilog="example:\n  gwplan optimize scenarios/10gw-rollout.yaml -o out/plan.yaml --gap 1e-4\n")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML")
    p.add_argument("--set", metavar="PATH=VALUE", action="append", default=[], dest="overrides",
                   help="override a field for a what-if, e.g. economics.discount_rate=0.1 or "
                        "phases[3].funding_usd=40e9 (repeatable; values are YAML; the plan's scenario hash covers "
                        "them)")
    p.add_argument("-o", "--output", metavar="PLAN", type=Path,
                   help="plan file to write (default: out/<scenario name>.plan.yaml)")
    p.add_argument("--summary", metavar="FILE", type=Path,
                   help="summary text file to write (default: beside the plan, .summary.txt)")
    p.add_argument("--commit", metavar="PLAN", type=Path,
                   help="a plan whose first phases are already built (with --phases); later phases are re-optimized "
                        "around them")
    p.add_argument("--phases", metavar="IDS",
                   help="the committed phases of --commit: a range 1-3 or a list 1,2,3 of phase ids")
    p.add_argument("--previous", metavar="PLAN", type=Path, help="a previous plan to stay close to (with --stability)")
    p.add_argument("--stability", metavar="USD_PER_MW", type=a.positive_float,
                   help="cost added to the objective per MW of installed IT that moves, per site and phase, against "
                        "--previous (the plan's objective then includes it)")
    p.add_argument("--warm-start", metavar="PLAN", type=Path,
                   help="start the search from PLAN (an earlier run's, of this scenario or an edited one) instead of "
                        "the first plan it would find itself; a plan that no longer fits is re-solved on its sites")
    p.add_argument("--alternatives", metavar="K", type=a.positive_int,
                   help="also find up to K plans using a different set of campuses, within --within of the optimum's "
                        "cost; written beside the plan as <plan>.alt1.yaml, ...")
    p.add_argument("--within", metavar="REL", type=a.percent, default=0.02,
                   help="cost slack for --alternatives, e.g. 2%% or 0.02 (default 2%%)")
    p.add_argument("--time-limit", metavar="S", type=a.positive_float, default=defaults.time_limit_s,
                   help=f"stop the solver after S seconds, keeping its best plan (default {defaults.time_limit_s:g})")
    p.add_argument("--gap", metavar="REL", type=a.gap, default=defaults.relative_gap, help=f"stop when the plan "
                   f"is proven within this relative gap of the optimum (default {defaults.relative_gap:g})")
    p.add_argument("--threads", metavar="N", type=a.positive_int, default=None,
                   help="HiGHS: N searches raced on each branch and bound, the proof with the fewest LP iterations "
                        "kept, so the plan is the same every run (default 1: one search); with "
                        "--non-deterministic the first to finish wins (default: the cores, up to 4). SCIP 1, CP-SAT "
                        "8 workers; the reduced start's demand-group MIPs run N at once (default: one per core)")
    p.add_argument("--seed", metavar="N", type=a.seed, default=defaults.seed,
                   help=f"solver random seed (default {defaults.seed})")
    p.add_argument("--solver", choices=sorted(SOLVER_NAMES), default=DEFAULT_SOLVER,
                   help=f"MathOpt back end (default {DEFAULT_SOLVER}); cp-sat rounds continuous variables to whole "
                   "units, so its plans' gaps are to the LP relaxation's bound")
    p.add_argument("--start", choices=STARTS, default=defaults.start,
                   help="reduced: rule out the sites and early openings a Lagrangean bound (each site's own problem "
                        "a MIP) proves too costly, branch and bound on the rest; restricted: a screened subset's plan, "
                        "proven against the full LP (pricing sites in), branched from if needed; lp-bound: that plan "
                        "and bound, no branching; lagrangean: kernel search for one-phase facility location; none; "
                        f"auto (default, HiGHS): lagrangean where it applies, reduced from {AUTO_START_MIN_SITES} "
                        f"sites, lp-bound from {AUTO_LP_BOUND_MIN_SITES}")
    p.add_argument("--non-deterministic", action="store_true",
                   help="let searches race by time: CP-SAT's parallel workers, or --threads HiGHS searches in their "
                        "own processes, the first to finish winning (the plan may vary run to run within the gap)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object (status, objective, best_bound, gap, wall_s, plan_path, ...)")
    p.add_argument("--log", action="store_true", help="show the solver's own log (on standard error)")
    p.add_argument("--write-models", metavar="DIR", type=Path,
                   help="also write each model handed to the back end into DIR (new or empty), NN-NAME.mps, with "
                        "NN-NAME.mst for the plan it starts from: to try another solver on the same models")
    p.add_argument("--force", action="store_true",
                   help="overwrite a plan that Pulumi stack files (stacks/config) point at, or the --commit / "
                        "--previous plan this run reads")
    return p


def default_plan_path(scenario_path: str) -> Path:
    return Path("out") / f"{Path(scenario_path).stem}.plan.yaml"


def check_target(target: Path, args: argparse.Namespace) -> None:
    """Refuse (InputError) to replace a plan that stack files or this run read, unless --force."""
    from planner.plan.stack_files import stack_files_reading

    if args.force:
        return
    dependents = stack_files_reading(target)
    if dependents:
        raise InputError([Problem(str(target), "", f"{len(dependents)} Pulumi stack file(s) read this plan "
                                                   f"({dependents[0]}, ...); write elsewhere with -o, or pass --force "
                                                   "to replace it")])
    for flag, source in (("--commit", args.commit), ("--previous", args.previous)):
        if source is not None and Path(source).resolve() == target.resolve():
            raise InputError([Problem(str(target), "", f"this is the {flag} plan this run reads; write the new plan "
                                                       "elsewhere with -o (keeping the record of what was committed), "
                                                       "or pass --force to replace it")])


def written_models(args) -> dict:
    return {"model_files": outputs.files_in(args.write_models, (".mps", ".mst"))} if args.write_models else {}


def run(args: argparse.Namespace) -> int:
    from planner.cli.outcome import exit_status, why_not
    from planner.cli.runtime import SolveAbandoned, leave_without_writing, native_stdout_to_stderr, solve_with_progress
    from planner.files import write_text_atomic
    from planner.optimize.result import SolveStatus
    from planner.plan import dump_plan
    from planner.report.text import console, print_plan, status_line, summary_text
    from planner.scenario import load_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    target = args.output or default_plan_path(args.scenario)
    outputs.refuse_outputs_that_are_inputs([args.scenario], [target, args.summary])  # --commit/--previous: check_target
    outputs.check_writable(target, args.summary)
    outputs.check_new_or_empty_dir(args.write_models, "--write-models")
    check_target(target, args)
    commitments, stability, warm = replanning(args, scenario)
    options = SolveOptions(solver=args.solver, time_limit_s=args.time_limit, relative_gap=args.gap,
                           threads=args.threads, seed=args.seed, deterministic=not args.non_deterministic,
                           start=args.start, write_models=str(args.write_models) if args.write_models else None)
    if args.alternatives:
        from planner.cli.alternatives import run_alternatives

        return run_alternatives(scenario, options, args, target)
    try:
        with native_stdout_to_stderr():
            outcome = solve_with_progress(scenario, options, args, commitments, stability, warm)
    except SolveAbandoned as abandoned:
        leave_without_writing(target, str(abandoned))
    interrupted = outcome.result.status == SolveStatus.INTERRUPTED
    plan_path = target.with_name(target.name.removesuffix(".yaml") + ".interrupted.yaml") if interrupted else target
    summary_path = (None if interrupted else args.summary) or plan_path.with_name(
        plan_path.name.removesuffix(".yaml").removesuffix(".plan") + ".summary.txt")
    written = outcome.plan is not None
    if written:
        dump_plan(outcome.plan, plan_path)
        write_text_atomic(summary_path, summary_text(outcome, scenario.name))
    reasons = why_not(outcome.result, scenario)
    if args.json:  # with no plan, "reasons" lists the rules that prove none exists ([] when none does)
        told = {} if reasons is None else {"reasons": [dataclasses.asdict(r) for r in reasons]}
        print(json.dumps({**outcome.as_json(), "seed": options.seed, "plan_path": str(plan_path) if written else None,
                          "summary_path": str(summary_path) if written else None, **written_models(args), **told}))
    else:
        out = console(140)
        if written:
            print_plan(out, outcome.plan, scenario.name)
        out.print(status_line(outcome), highlight=False)
        if written:
            out.print(f"plan written to {plan_path}; summary to {summary_path}", highlight=False)
        if args.write_models:
            out.print(f"models written to {args.write_models}: {len(written_models(args)['model_files'])} files",
                      highlight=False)
    return exit_status(outcome.result, options, args, target, plan_path, reasons, outcome.build_s)
