"""The optimizer as one call: scenario and options in, solve outcome (and plan, when there is one) out."""

from __future__ import annotations

import dataclasses
import time
from typing import Callable, Sequence

from ortools.util.python.solve_interrupter import SolveInterrupter

from planner.optimize.extract import extract_plan
from planner.optimize.model import build_model
from planner.optimize.options import AUTO_LP_BOUND_MIN_SITES, AUTO_START_MIN_SITES, SolveOptions
from planner.optimize.pricing import PricedBound, lp_bound
from planner.optimize.replan import Commitment, Stability
from planner.optimize.result import Outcome, SolveResult, SolveStatus, relative_gap
from planner.optimize.solve import solve
from planner.optimize.start import StartInfo, restricted_start
from planner.scenario.types import Scenario

PRICING_SHARE = 0.25  # of the time left after the start, what pricing the LP bound may use before branching


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
    hint, method, solve_options, priced = None, "branch and bound on the full model", options, None
    mode = start_mode(scenario, options, rm)
    if mode == "lagrangean":
        outcome = kernel_search(rm, options, build_s, commitments, stability, on_log, interrupter)
        if outcome is not None:
            return outcome
        mode = "none"  # the kernel had no plan within its share of the time: the full model decides
    if mode != "none":
        values, info = restricted_start(scenario, options, commitments, stability, on_log, interrupter)
        method = describe_start(info)
        left_s = options.time_limit_s - info.wall_s
        if values:
            hint = [values.get(name, 0.0) for name in rm.builder.names]
            budget_s = left_s if mode == "lp-bound" else left_s * PRICING_SHARE
            priced = priced_bound(rm, info, budget_s, on_log, interrupter)
            left_s -= priced.wall_s
            result = bounded_by_pricing(rm.builder.objective.value(hint), hint, priced, options, info.wall_s)
            if mode == "lp-bound" or result.status == SolveStatus.OPTIMAL:
                method = (f"the plan of a restricted model ({info.sites_screened} of {info.sites_total} sites "
                          f"screened by estimated cost, {info.status}, {info.wall_s:.1f} s); bound from the "
                          f"{priced.describe()}; no branch and bound")
                started = time.perf_counter()
                plan = extract_plan(rm, result, options, method)
                return Outcome(result=result, plan=plan, build_s=build_s, extract_s=time.perf_counter() - started,
                               model_size=rm.size)
        solve_options = dataclasses.replace(options, time_limit_s=max(1.0, left_s))
    result = solve(model, solve_options, on_log, interrupter, hint=hint)
    if priced is not None:
        result = stronger_bound(result, priced, options)
    started = time.perf_counter()
    plan = extract_plan(rm, result, options, method) if result.status.has_plan else None
    extract_s = time.perf_counter() - started
    return Outcome(result=result, plan=plan, build_s=build_s, extract_s=extract_s, model_size=rm.size)


def start_mode(scenario: Scenario, options: SolveOptions, rm=None) -> str:
    """none, restricted, lp-bound or lagrangean (SolveOptions.start). "auto" chooses by shape and size, for
    HiGHS only (where the starts were measured to help): lagrangean for single-phase facility location whose
    model lacks serve_open rows (`lagrange.applies`), restricted from AUTO_START_MIN_SITES candidate sites,
    lp-bound from AUTO_LP_BOUND_MIN_SITES (where branch and bound does not finish its root in minutes)."""
    from planner.optimize import lagrange

    if options.start != "auto":
        if options.start == "lagrangean" and rm is not None and not (len(scenario.phases) == 1 and rm.demand_rows):
            return "none"  # the method needs one phase and demand regions
        return options.start
    if options.solver == "highs" and rm is not None and lagrange.applies(rm):
        return "lagrangean"
    if options.solver != "highs" or len(scenario.sites) < AUTO_START_MIN_SITES:
        return "none"
    return "lp-bound" if len(scenario.sites) >= AUTO_LP_BOUND_MIN_SITES else "restricted"


RELAX_SHARE = 0.4  # of the time limit, the most the Lagrangean relaxation may use (it stops on its own sooner)
CORE_SHARE = 0.25  # of the time left, the most the core's restricted model may use


def kernel_search(rm, options: SolveOptions, build_s: float, commitments, stability, on_log,
                  interrupter) -> Outcome | None:
    """The plan of the model restricted to the sites a Lagrangean relaxation of the demand rows opens, proven
    against that relaxation's bound evaluated on the model (planner.optimize.lagrange); None when the
    restricted model has no plan in time."""
    from planner.optimize import lagrange
    from planner.optimize.start import solve_restricted

    started = time.perf_counter()
    arrays = rm.builder.arrays()  # made once for both
    relaxation = lagrange.relax(rm, options.time_limit_s * RELAX_SHARE, on_log, arrays)
    bound = lagrange.integer_site_bound(rm, relaxation.multipliers, arrays)
    kept = {rm.scenario.sites[i].id for i in relaxation.kernel}
    core = {rm.scenario.sites[i].id for i in relaxation.core}
    left = max(1.0, options.time_limit_s - (time.perf_counter() - started))
    first, _ = solve_restricted(rm.scenario, core, dataclasses.replace(options, time_limit_s=left * CORE_SHARE),
                                commitments, stability, on_log, interrupter)
    left = max(1.0, options.time_limit_s - (time.perf_counter() - started))
    values, restricted = solve_restricted(rm.scenario, kept, dataclasses.replace(options, time_limit_s=left),
                                          commitments, stability, on_log, interrupter, start=first)
    kernel_status = restricted.status.value
    if not values and first:  # the kernel found nothing in its time: the core's plan stands
        values, kernel_status = first, f"the core's plan; the kernel: {kernel_status}"
    if not values:
        return None
    hint = [values.get(name, 0.0) for name in rm.builder.names]
    objective = rm.builder.objective.value(hint)
    gap = relative_gap(objective, bound) if bound is not None else None
    status = SolveStatus.OPTIMAL if gap is not None and gap <= options.relative_gap else SolveStatus.FEASIBLE
    how = (f"a Lagrangean relaxation of the demand rows ({relaxation.iterations} iterations, "
           f"{relaxation.wall_s:.1f} s) chose {len(kept)} of {len(rm.scenario.sites)} sites, "
           f"started from the plan on the {len(core)} opened most often")
    result = SolveResult(status=status, objective=objective, best_bound=bound, gap=gap,
                         wall_s=time.perf_counter() - started, solver=options.solver,
                         detail=f"kernel plan ({kernel_status}); bound from the Lagrangean",
                         values=hint)
    method = (f"kernel search: {how}; the plan of the model restricted to them ({kernel_status}, "
              f"{restricted.wall_s:.1f} s); bound from that relaxation with every site's opening integer, "
              "evaluated on the full model; no branch and bound on the full model")
    extracted = time.perf_counter()
    plan = extract_plan(rm, result, options, method)
    return Outcome(result=result, plan=plan, build_s=build_s, extract_s=time.perf_counter() - extracted,
                   model_size=rm.size)


def priced_bound(rm, info: StartInfo, budget_s: float, on_log, interrupter) -> PricedBound:
    """The full model's LP bound by pricing sites in, starting from the sites the restricted model held."""
    index = {site.id: i for i, site in enumerate(rm.scenario.sites)}
    return lp_bound(rm, {index[sid] for sid in info.kept}, budget_s, on_log, interrupter)


def bounded_by_pricing(objective: float, hint: list[float], priced: PricedBound, options: SolveOptions,
                       start_s: float) -> SolveResult:
    """The restricted plan as the result, its gap proven against the priced LP bound (no bound, and the plan
    marked feasible, when pricing proved none)."""
    bound = priced.bound
    gap = relative_gap(objective, bound) if bound is not None else None
    status = SolveStatus.OPTIMAL if gap is not None and gap <= options.relative_gap else SolveStatus.FEASIBLE
    detail = f"restricted plan; {priced.describe()}: {priced.status}"
    return SolveResult(status=status, objective=objective, best_bound=bound, gap=gap,
                       wall_s=start_s + priced.wall_s, solver=options.solver, detail=detail, values=hint)


def stronger_bound(result: SolveResult, priced: PricedBound, options: SolveOptions) -> SolveResult:
    """Branch and bound's result with the priced LP bound where that is the stronger one (e.g. a search
    stopped before its root finished); both are proven, so the larger holds."""
    if priced.bound is None or result.objective is None:
        return result
    if result.best_bound is not None and result.best_bound >= priced.bound:
        return result
    gap = relative_gap(result.objective, priced.bound)
    status = result.status
    if status == SolveStatus.FEASIBLE and gap <= options.relative_gap:
        status = SolveStatus.OPTIMAL
    return dataclasses.replace(result, best_bound=priced.bound, gap=gap, status=status,
                               detail=f"{result.detail}; bound from the {priced.describe()}")


def describe_start(info: StartInfo) -> str:
    """The provenance's words for how a plan was found."""
    if info.objective is None:
        return (f"branch and bound on the full model (no restricted start: {info.status} on {info.sites_screened} "
                f"of {info.sites_total} sites)")
    return (f"branch and bound on the full model, started from the plan of a restricted model "
            f"({info.sites_screened} of {info.sites_total} sites screened by estimated cost, {info.status}, "
            f"{info.wall_s:.1f} s); bound and gap from the full model")
