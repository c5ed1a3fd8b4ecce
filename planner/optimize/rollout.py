"""The optimizer as one call: scenario and options in, solve outcome (and plan, when there is one) out."""

from __future__ import annotations

import dataclasses
import time
from typing import Callable, Sequence

from ortools.util.python.solve_interrupter import SolveInterrupter

from planner.optimize.extract import extract_plan
from planner.optimize.model import build_model
from planner.optimize.options import AUTO_START_MIN_SITES, SolveOptions
from planner.optimize.replan import Commitment, Stability
from planner.optimize.result import Outcome
from planner.optimize.solve import solve
from planner.optimize.start import StartInfo, restricted_start
from planner.scenario.types import Scenario


def plan_rollout(scenario: Scenario, options: SolveOptions,
                 on_log: Callable[[Sequence[str]], None] | None = None,
                 commitments: tuple[Commitment, ...] = (), stability: Stability | None = None,
                 interrupter: SolveInterrupter | None = None) -> Outcome:
    """Build the model, solve it, and extract the plan: three separate, timed steps.

    `on_log` receives the solver's log lines and `interrupter` can stop the search early (see
    `planner.optimize.solve.solve`); `commitments` fix what earlier phases already built (see
    `planner.optimize.replan`); `stability` keeps the plan close to a previous one.
    """
    started = time.perf_counter()
    rm = build_model(scenario, commitments, stability)
    model = rm.model  # loaded into MathOpt here, so that build_s covers it
    build_s = time.perf_counter() - started
    hint, method, solve_options = None, "branch and bound on the full model", options
    if wants_start(scenario, options):
        values, info = restricted_start(scenario, options, commitments, stability, on_log, interrupter)
        if values:
            hint = [values.get(name, 0.0) for name in rm.builder.names]
        method = describe_start(info)
        solve_options = dataclasses.replace(options, time_limit_s=max(1.0, options.time_limit_s - info.wall_s))
    result = solve(model, solve_options, on_log, interrupter, hint=hint)
    started = time.perf_counter()
    plan = extract_plan(rm, result, options, method) if result.status.has_plan else None
    extract_s = time.perf_counter() - started
    return Outcome(result=result, plan=plan, build_s=build_s, extract_s=extract_s, model_size=rm.size)


def wants_start(scenario: Scenario, options: SolveOptions) -> bool:
    """Whether the solve starts from a restricted plan (SolveOptions.start): "auto" does for HiGHS (where it
    was measured to help) from AUTO_START_MIN_SITES candidate sites."""
    if options.start == "auto":
        return options.solver == "highs" and len(scenario.sites) >= AUTO_START_MIN_SITES
    return options.start == "restricted"


def describe_start(info: StartInfo) -> str:
    """The provenance's words for how a plan was found."""
    if info.objective is None:
        return (f"branch and bound on the full model (no restricted start: {info.status} on {info.sites_screened} "
                f"of {info.sites_total} sites)")
    return (f"branch and bound on the full model, started from the plan of a restricted model "
            f"({info.sites_screened} of {info.sites_total} sites screened by estimated cost, {info.status}, "
            f"{info.wall_s:.1f} s); bound and gap from the full model")
