"""What came of a solve: a status enum, the figures the solver proved, and the plan when there is one."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from planner.plan.types import Plan

USD_SCALE = 1e6  # the model's money unit: 1 = one million USD (keeps its coefficients well scaled)


class SolveStatus(enum.Enum):
    OPTIMAL = "optimal"  # proven within the relative gap asked for
    FEASIBLE = "feasible"  # a plan, but a limit stopped the proof: see the gap
    INTERRUPTED = "interrupted"  # stopped by the user (Ctrl-C): the best plan found so far
    INFEASIBLE = "infeasible"  # no plan meets every constraint
    NO_SOLUTION = "no_solution"  # a limit stopped the search before any plan was found
    ERROR = "error"  # the back end failed (numerics, unbounded, ...)

    @property
    def has_plan(self) -> bool:
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE, SolveStatus.INTERRUPTED)


@dataclass(frozen=True)
class SolveResult:
    status: SolveStatus
    objective: float | None  # in the model's units
    best_bound: float | None
    gap: float | None
    wall_s: float
    solver: str
    detail: str
    values: list  # variable values by id; empty without a plan

    def __post_init__(self):
        # Bounds computed with numpy (the least bound ruled out) come back as numpy floats, which neither YAML
        # nor JSON writers take: every figure leaves as a Python float.
        for name in ("objective", "best_bound", "gap"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, float(value))

    @property
    def objective_usd(self) -> float | None:
        return None if self.objective is None else self.objective * USD_SCALE

    @property
    def best_bound_usd(self) -> float | None:
        return None if self.best_bound is None else self.best_bound * USD_SCALE


@dataclass(frozen=True)
class Outcome:
    """One optimization: the solve's result, the plan (None unless result.status.has_plan), the time to
    build the model and to extract the plan (seconds, the solve's own time is result.wall_s), and the
    model's size."""

    result: SolveResult
    plan: Plan | None
    build_s: float
    extract_s: float
    model_size: dict[str, int]

    def as_json(self) -> dict:
        """The solve's figures as plain data (money in USD, times in seconds)."""
        r = self.result
        return {"status": r.status.value, "objective": r.objective_usd, "best_bound": r.best_bound_usd, "gap": r.gap,
                "wall_s": round(r.wall_s, 4), "build_s": round(self.build_s, 4), "extract_s": round(self.extract_s, 4),
                "solver": r.solver, "model": self.model_size, "detail": r.detail}


def relative_gap(objective: float, bound: float) -> float:
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return math.inf
    return abs(objective - bound) / max(abs(objective), 1e-9)
