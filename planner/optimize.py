"""The optimizer as one call: scenario and options in, solve outcome (and plan, when there is one) out."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Sequence

from planner.extract import extract_plan
from planner.model import build_model
from planner.plan import Plan
from planner.scenario import Scenario
from planner.solve import SolveOptions, SolveResult, solve


@dataclass(frozen=True)
class Outcome:
    result: SolveResult
    plan: Plan | None  # None unless result.status.has_plan
    build_s: float
    extract_s: float
    model_size: dict[str, int]


def plan_rollout(scenario: Scenario, options: SolveOptions,
                 on_log: Callable[[Sequence[str]], None] | None = None) -> Outcome:
    """Build the model, solve it, and extract the plan: three separate, timed steps.

    `on_log` receives the solver's log lines (see `planner.solve.solve`).
    """
    started = time.perf_counter()
    rm = build_model(scenario)
    build_s = time.perf_counter() - started
    result = solve(rm.model, options, on_log)
    started = time.perf_counter()
    plan = extract_plan(rm, result, options) if result.status.has_plan else None
    extract_s = time.perf_counter() - started
    return Outcome(result=result, plan=plan, build_s=build_s, extract_s=extract_s, model_size=rm.size)
