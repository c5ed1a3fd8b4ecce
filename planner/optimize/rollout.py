"""The optimizer as one call: scenario and options in, solve outcome (and plan, when there is one) out."""

from __future__ import annotations

import time
from typing import Callable, Sequence

from ortools.util.python.solve_interrupter import SolveInterrupter

from planner.optimize.extract import extract_plan
from planner.optimize.model import build_model
from planner.optimize.options import SolveOptions
from planner.optimize.replan import Commitment, Stability
from planner.optimize.result import Outcome
from planner.optimize.solve import solve
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
    result = solve(model, options, on_log, interrupter)
    started = time.perf_counter()
    plan = extract_plan(rm, result, options) if result.status.has_plan else None
    extract_s = time.perf_counter() - started
    return Outcome(result=result, plan=plan, build_s=build_s, extract_s=extract_s, model_size=rm.size)
