"""CP-SAT's result restated for the model as written, where the model has continuous variables.

CP-SAT has integer variables only. OR-Tools' MIP conversion rounds every continuous domain to whole units
(`mip_var_scaling` 1), so CP-SAT searches a narrower model: a region's serving share can only be 0 or 1,
IT only whole MW. Its plans are plans of the real model too (every constraint holds), but its optimum, its
bound and an "infeasible" are those of the narrower model: on 60 generated sites (seed 5) it reported
457,515.9 as optimal where HiGHS proves 457,443.1. So, after CP-SAT:

- the plan's continuous values are solved again exactly, by an LP (HiGHS) with every integer variable fixed
  at CP-SAT's value: the same decisions, at their true least cost (never dearer than CP-SAT's);
- the bound is the real model's LP relaxation (HiGHS), which is proven, and the plan is optimal only when
  its gap to that bound is within the gap asked; CP-SAT's own bound is kept in the detail, for reference;
- "infeasible" stands only when the LP relaxation is infeasible too; otherwise no plan was found;
- when CP-SAT stopped without a plan, or the user interrupted it, no bound is reported (CP-SAT's is not one).

The LPs cost little beside CP-SAT's search (0.04 s and 0.12 s on the 60-site model above; the LP relaxation
of a full 1,000-site model takes ~15 s). The LP bound is weaker than a branch-and-bound proof, so CP-SAT plans
are mostly reported feasible with their true gap.
"""

from __future__ import annotations

import dataclasses
import datetime

from ortools.math_opt.python import mathopt

from planner.optimize.result import SolveResult, SolveStatus, relative_gap

LP_BOUND = "the bound here is the LP relaxation's"  # in the detail of a result restated here
NOT_PROVEN_INFEASIBLE = "infeasibility not proven"  # in the detail of an "infeasible" CP-SAT could not stand by


def has_continuous(model: mathopt.Model) -> bool:
    """Whether any variable of `model` is continuous (CP-SAT's answers are then those of a narrower model)."""
    return not all(model.export_model().variables.integers)


def restated(model: mathopt.Model, result: SolveResult, relative_gap_asked: float, time_limit_s: float
             ) -> SolveResult:
    """`result` (CP-SAT's, on `model`) with its plan's continuous values re-solved exactly, its bound the LP
    relaxation's and its status decided by that bound (see the module's docstring)."""
    if result.status in (SolveStatus.ERROR, SolveStatus.NO_SOLUTION):
        return dataclasses.replace(result, best_bound=None, gap=None)  # CP-SAT's bound holds only for its model
    limit = datetime.timedelta(seconds=max(1.0, time_limit_s))
    interrupted = result.status == SolveStatus.INTERRUPTED  # stopped by the user: no LP over the whole model then
    proto = model.export_model()  # once: each LP below edits a copy
    relaxed = None if interrupted else _lp(proto, None, limit)
    proven = relaxed is not None and relaxed.termination.reason == mathopt.TerminationReason.OPTIMAL
    bound = relaxed.objective_value() if proven else None
    own = "none" if result.best_bound is None else f"{result.best_bound:,.6f}"
    note = (f"CP-SAT's own bound ({own}) is of its model with continuous variables rounded to whole units; "
            + ("no bound is reported for an interrupted search" if interrupted else
               LP_BOUND))
    if result.status == SolveStatus.INFEASIBLE:
        if relaxed.termination.reason in (mathopt.TerminationReason.INFEASIBLE,
                                          mathopt.TerminationReason.INFEASIBLE_OR_UNBOUNDED):
            return result
        return dataclasses.replace(result, status=SolveStatus.NO_SOLUTION, best_bound=bound, gap=None, detail=(
            f"{result.detail}; CP-SAT found its model with continuous variables rounded to whole units infeasible, "
            f"but the model's LP relaxation has a solution: no plan found, {NOT_PROVEN_INFEASIBLE}"))
    objective, values, polished = result.objective, result.values, ""
    exact = _lp(proto, result.values, limit)
    if exact.termination.reason == mathopt.TerminationReason.OPTIMAL and exact.objective_value() <= objective:
        objective, values = exact.objective_value(), _by_id(exact, model)
        polished = f"; its continuous values solved again exactly with its integer decisions fixed ({objective:,.6f})"
    if bound is not None:
        bound = min(bound, objective)
    gap = relative_gap(objective, bound) if bound is not None else None
    status = result.status
    if status == SolveStatus.OPTIMAL and (gap is None or gap > relative_gap_asked):
        status = SolveStatus.FEASIBLE
    elif status == SolveStatus.FEASIBLE and gap is not None and gap <= relative_gap_asked:
        status = SolveStatus.OPTIMAL
    return dataclasses.replace(result, status=status, objective=objective, best_bound=bound, gap=gap, values=values,
                               detail=f"{result.detail}{polished}; {note}")


def _lp(model_proto, fixed: list[float] | None, limit: datetime.timedelta) -> mathopt.SolveResult:
    """HiGHS on the model (its ModelProto, left unchanged) with integrality dropped: its LP relaxation, or, with
    `fixed` (values by variable id), the LP over the continuous variables with every integer variable fixed at
    its (rounded) value."""
    proto = type(model_proto)()
    proto.CopyFrom(model_proto)
    columns = proto.variables
    for k, var_id in enumerate(columns.ids):
        if columns.integers[k]:
            if fixed is not None:
                value = float(round(fixed[var_id]))
                columns.lower_bounds[k] = columns.upper_bounds[k] = value
            columns.integers[k] = False
    return mathopt.solve(mathopt.Model.from_model_proto(proto), mathopt.SolverType.HIGHS,
                         params=mathopt.SolveParameters(time_limit=limit))


def _by_id(result: mathopt.SolveResult, model: mathopt.Model) -> list[float]:
    """The LP's values as a list indexed by `model`'s variable ids (the relaxed copy keeps them)."""
    out = [0.0] * model.get_next_variable_id()
    for var, value in result.variable_values().items():
        out[var.id] = value
    return out
