"""The optimizer as one call: scenario and options in, solve outcome (and plan, when there is one) out."""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Callable, Sequence

from ortools.util.python.solve_interrupter import SolveInterrupter

from planner.optimize.bounded import bounded_by_pricing, closer, priced_bound, stronger_bound
from planner.optimize.extract import extract_plan
from planner.optimize.model import build_model
from planner.optimize.options import AUTO_LP_BOUND_MIN_SITES, AUTO_START_MIN_SITES, SolveOptions
from planner.optimize.pricing import lp_bound
from planner.optimize.replan import Commitment, Stability
from planner.optimize.result import Outcome, SolveResult, SolveStatus, relative_gap
from planner.optimize.solve import solve
from planner.optimize.start import StartInfo, restricted_start
from planner.optimize.warm import WarmStart, first_plan
from planner.scenario.types import Scenario

PRICING_SHARE = 0.25  # of the time left after the start, what pricing the LP bound may use before branching


def plan_rollout(scenario: Scenario, options: SolveOptions,
                 on_log: Callable[[Sequence[str]], None] | None = None,
                 commitments: tuple[Commitment, ...] = (), stability: Stability | None = None,
                 interrupter: SolveInterrupter | None = None, warm: WarmStart | None = None) -> Outcome:
    """Build the model, solve it, and extract the plan: three separate, timed steps.

    `on_log` receives the solver's log lines and `interrupter` can stop the search early (see
    `planner.optimize.solve.solve`); `commitments` fix what earlier phases already built (see
    `planner.optimize.replan`); `stability` keeps the plan close to a previous one; `warm` is a plan to start
    from (planner.optimize.warm), in place of the first plan each start would find (the kernel search of the
    lagrangean start does not use it, and its provenance says so).
    """
    started = time.perf_counter()
    asked = options  # what the plan records; `options` may be left less time below
    rm = build_model(scenario, commitments, stability, round_grid=options.round_grid)
    mode = start_mode(scenario, options, rm)
    if mode in ("none", "restricted"):  # the others hand the full model to a solver only when their start fails
        _ = rm.model  # loaded into MathOpt here (once: it is kept), so that build_s covers it
    build_s = time.perf_counter() - started
    searched = ""  # a search that ended without a plan before the fallback below, and its seconds
    if mode == "reduced":
        outcome = reduced_search(rm, options, build_s, commitments, stability, on_log, interrupter, warm)
        if outcome is not None:
            return outcome
        # No LP duals or no kernel plan: the restricted start and the full model decide, in the time left.
        mode, searched, options = "restricted", "the reduced search", _time_left(options, started + build_s)
    if mode == "lagrangean":
        outcome = kernel_search(rm, options, build_s, commitments, stability, on_log, interrupter)
        if outcome is not None:
            return unused_warm_start(outcome, warm)
        # The kernel had no plan within its share of the time: the full model decides.
        mode, searched, options = "none", "the kernel search", _time_left(options, started + build_s)
    searched_s = time.perf_counter() - started - build_s
    hint, method, solve_options, priced, result = None, "branch and bound on the full model", options, None, None
    values, info = warm_start_plan(rm, options, warm, commitments, stability, on_log, interrupter)
    unfit = f"; {info.origin}" if info is not None and not values else ""  # the warm start gave no plan: why
    if mode == "none" and info is not None:  # no restricted start or pricing: the full model, from the warm plan
        hint = rm.hint(values) if values else None
        method = (describe_start(info) if values else method) + unfit
        solve_options = dataclasses.replace(options, time_limit_s=max(1.0, options.time_limit_s - info.wall_s))
    elif mode != "none":
        if not values:
            values, info = restricted_start(scenario, options, commitments, stability, on_log, interrupter)
        method = describe_start(info) + unfit
        left_s = options.time_limit_s - info.wall_s
        if values:
            hint = rm.hint(values)
            budget_s = left_s if mode == "lp-bound" else left_s * PRICING_SHARE
            priced = priced_bound(rm, info, budget_s, on_log, interrupter)
            left_s -= priced.wall_s
            result = bounded_by_pricing(rm.builder.objective.value(hint), hint, priced, options, info.wall_s)
            found = info.origin or (f"the plan of a restricted model ({info.sites_screened} of {info.sites_total} "
                                    f"sites screened by estimated cost, {info.status})")
            if (mode == "lp-bound" and result.status == SolveStatus.FEASIBLE and result.best_bound is not None
                    and left_s > 1.0):
                values, words, closer_s = closer(rm, values, info, result.best_bound, options, left_s, commitments,
                                                 stability, on_log, interrupter)
                hint, found = rm.hint(values), f"{found}, {words}" if words else found
                result = bounded_by_pricing(rm.builder.objective.value(hint), hint, priced, options,
                                            info.wall_s + closer_s)
            if mode == "lp-bound" or result.status == SolveStatus.OPTIMAL:  # no branch and bound
                method = f"{found}; bound from the {priced.describe()}; no branch and bound{unfit}"
            else:
                result = None
        solve_options = dataclasses.replace(options, time_limit_s=max(1.0, left_s))
    if result is None:
        result = solve(rm.model, solve_options, on_log, interrupter, hint=hint)
        if priced is not None:
            result = stronger_bound(result, priced, options)
    if searched:  # the solve's time includes the search that found nothing, and its provenance says so
        method = f"{searched} found no plan in {searched_s:.1f} s; then {method}"
        result = dataclasses.replace(result, wall_s=result.wall_s + searched_s)
    started = time.perf_counter()
    plan = extract_plan(rm, result, asked, method) if result.status.has_plan else None
    extract_s = time.perf_counter() - started
    return Outcome(result=result, plan=plan, build_s=build_s, extract_s=extract_s, model_size=rm.size)


def start_mode(scenario: Scenario, options: SolveOptions, rm=None) -> str:
    """none, restricted, reduced, lp-bound or lagrangean (SolveOptions.start). "auto" chooses by shape and size,
    for HiGHS only (where the starts were measured to help): lagrangean for single-phase facility location
    whose model lacks serve_open rows (`lagrange.applies`), reduced from AUTO_START_MIN_SITES candidate sites,
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
    return "lp-bound" if len(scenario.sites) >= AUTO_LP_BOUND_MIN_SITES else "reduced"


RELAX_SHARE = 0.4  # of the time limit, the most the Lagrangean relaxation may use (it stops on its own sooner)
CORE_SHARE = 0.25  # of the time left, the most the core's restricted model may use
KERNEL_STRONG_LINKING_MAX_PAIRS = 50_000  # serve_open rows in the kernel's model up to this many pairs (the full
#   model's limit is lower; measured on capb_6000's 21-site kernel, 21,000 pairs: 45.9 s without, 23.8 s with)


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
    strong = KERNEL_STRONG_LINKING_MAX_PAIRS
    first, _ = solve_restricted(rm.scenario, core, dataclasses.replace(options, time_limit_s=left * CORE_SHARE),
                                commitments, stability, on_log, interrupter, strong_linking_max_pairs=strong)
    left = max(1.0, options.time_limit_s - (time.perf_counter() - started))
    values, restricted = solve_restricted(rm.scenario, kept, dataclasses.replace(options, time_limit_s=left),
                                          commitments, stability, on_log, interrupter, start=first,
                                          strong_linking_max_pairs=strong)
    kernel_status = restricted.status.value
    if not values and first:  # the kernel found nothing in its time: the core's plan stands
        values, kernel_status = first, f"the core's plan; the kernel: {kernel_status}"
    if not values:
        return None
    hint = rm.hint(values)
    objective = rm.builder.objective.value(hint)
    gap = relative_gap(objective, bound) if bound is not None else None
    status = SolveStatus.OPTIMAL if gap is not None and gap <= options.relative_gap else SolveStatus.FEASIBLE
    how = (f"a Lagrangean relaxation of the demand rows ({relaxation.iterations} iterations) chose {len(kept)} "
           f"of {len(rm.scenario.sites)} sites, "
           f"started from the plan on the {len(core)} opened most often")
    result = SolveResult(status=status, objective=objective, best_bound=bound, gap=gap,
                         wall_s=time.perf_counter() - started, solver=options.solver,
                         detail=f"kernel plan ({kernel_status}); bound from the Lagrangean",
                         values=hint)
    method = (f"kernel search: {how}; the plan of the model restricted to them ({kernel_status}); "
              "bound from that relaxation with every site's opening integer, "
              "evaluated on the full model; no branch and bound on the full model")
    extracted = time.perf_counter()
    plan = extract_plan(rm, result, options, method)
    return Outcome(result=result, plan=plan, build_s=build_s, extract_s=time.perf_counter() - extracted,
                   model_size=rm.size)


KERNEL_SITES = 40  # the first pass: a plan from this many of the kept sites, least excess first ...
KERNEL_TIME_SHARE = 0.35  # ... in at most this share of the time left ...
KERNEL_GAP_FACTOR = 3.0  # ... proven within this multiple of the gap asked (1x: 57 -> 78 s on seed5, same elsewhere)
GUESS_GAP = 5e-4  # the first threshold: this much above the site Lagrangean's bound (measured 2.8-5.9e-4 below
#   the optimum on seeds 2 and 5; with the demand rows kept, 2.5e-4 on seed5, 5.9e-4 on seed9)
GUESS_WIDEN = 4.0  # when nothing below the guess is feasible, the next guess is this much further above the bound
SCREEN_SCALES = (2.0, 4.0, 8.0)  # the sites pricing starts from: screen(scale), the next when its LP is infeasible
REDUCED_PRICING_SHARE = 0.2  # of the time limit, the most pricing the LP may use
ASCENT_SHARE = 0.15  # ... and the stabilized ascent of the site Lagrangean (models without the grid rows only)
DEMAND_SHARE = 0.15  # ... and the demand groups' MIPs (a safeguard: each is a fixed amount of work; fixing)
PROOF_GAP_SHARE = 0.9  # the proof rules out above the plan's cost less this share of the gap asked: the reduced
#   model must prove the same gap itself, so what is ruled out needs no more slack than the rest of the gap
#   (measured against 0.5: 15-20 % fewer sites kept, the proof 9-34 % faster on seeds 2, 3 and 5, 5 % slower on 9)
RESTARTS_MIN_SITES = 200  # a proof, or the first plan's re-solve, on fewer sites runs without HiGHS's restarts (after
#   its root fixes integers, HiGHS presolves and solves the root again): measured on proofs of 33-147 sites, 0.71x the
#   time in all and faster in 9 of 9 solves, on re-solves of four shapes 0.58x; on larger proofs, mixed
#   (docs/PERFORMANCE.md)


def reduced_search(rm, options: SolveOptions, build_s: float, commitments, stability, on_log,
                   interrupter, warm: WarmStart | None = None) -> Outcome | None:
    """Branch and bound on the model reduced by Lagrangean fixing (planner.optimize.fixing).

    1. The LP's duals, by pricing sites in; at them, the Lagrangean bound L whose site subproblems are MIPs,
       or (models without the grid rows, i.e. for CP-SAT) at better multipliers from them by a stabilized
       ascent, which with the rows was measured not to pay for its time (docs/PERFORMANCE.md); then the
       demand rows kept for each group of regions that share serving sites (one MIP per group).
    2. A guess at the optimum's cost, GUESS_GAP above L, is the first threshold: every site and early
       opening whose bound exceeds it is ruled out, and the KERNEL_SITES kept sites whose opening adds least
       to their own minimum, with the kept sites L's demand groups serve from, give a plan quickly (within
       KERNEL_GAP_FACTOR x the gap, in KERNEL_TIME_SHARE of the time left), which is then re-solved on its own
       sites alone (`polished`), unless it already ends within the gap asked of the best its kept sites give.
       A `warm` start's plan (planner.optimize.warm) takes the place of that first plan when it gives one.
    3. HiGHS proves on everything kept at the plan's own cost less PROOF_GAP_SHARE of the gap asked (or at
       the guess when the plan is far above it: twice the guess's distance from L), from that plan; on fewer
       than RESTARTS_MIN_SITES kept sites, without HiGHS's restarts. A plan above the threshold then moves the
       threshold to its cost and the rest is solved again; a reduced model with no plan widens the guess
       (GUESS_WIDEN).
    The bound is the reduced model's, or the least bound ruled out, whichever is lower (and never below L).
    None when pricing gives no duals or no plan is found (the caller falls back to the restricted start)."""
    from planner.optimize import fixing
    from planner.optimize.pricing import split_by_site
    from planner.optimize.start import screen, solve_restricted

    started = time.perf_counter()
    scenario = rm.scenario
    n_sites = len(scenario.sites)
    index = {site.id: i for i, site in enumerate(scenario.sites)}
    arrays = rm.builder.arrays()
    split = split_by_site(arrays, n_sites)
    always = set(scenario.constraints.required_sites) | {c.site for c in commitments}
    scales = iter(SCREEN_SCALES)  # the screen, widened while the LP over it has no solution

    def screened() -> set[int]:
        scale = next(scales, None)
        return set() if scale is None else {index[sid] for sid in screen(scenario, scale) | always}

    priced = lp_bound(rm, screened(), options.time_limit_s * REDUCED_PRICING_SHARE, on_log, interrupter, arrays,
                      widen=screened)
    if priced.duals is None or priced.lp_objective is None:
        return None
    scale = max(1.0, abs(priced.lp_objective))
    if rm.round_grid:
        lag = fixing.site_lagrangean(rm, arrays, split, priced.duals, scale, minima=priced.site_minima)
    else:
        lag, _ = fixing.stabilized_ascent(rm, arrays, split, priced.duals, scale,
                                          options.time_limit_s * ASCENT_SHARE, on_log, priced.site_minima)
    if lag is None:
        return None
    lag = fixing.with_demand_kept(rm, arrays, split, lag, options.time_limit_s * DEMAND_SHARE,
                                  workers=options.threads or os.cpu_count() or 1)
    sites = fixing.buildable(rm)
    kept_rows = f"the demand rows of {lag.demand_groups} groups of regions kept" + (
        f" ({lag.demand_stopped} stopped by the time left)" if lag.demand_stopped else "")
    log = on_log or (lambda lines: None)
    log([f"site Lagrangean: bound {lag.bound:,.3f} ({lag.integer_sites} site MIPs; {kept_rows}, "
         f"+{lag.demand_gain:,.3f}; LP {priced.lp_objective:,.3f}, "
         f"{time.perf_counter() - started:.1f} s)"])
    always_index = {index[sid] for sid in always if sid in index}
    threshold = lag.bound + GUESS_GAP * abs(lag.bound)  # a first guess at the optimum's cost, above the bound
    values: dict[str, float] = {}
    memo: dict = {}  # every opening's excess, once (fixing.reduce)
    passes, proving = [], False  # the first pass only looks for a plan, on the best-ranked kept sites
    near = False  # the proof starts from the best plan on the first plan's own sites: it searches for the bound
    given: dict[str, float] = {}  # the warm start's plan, in the first pass's place
    resolved = False  # ... already re-solved on its own sites (as `polished` would)
    if warm is not None:
        left = max(1.0, options.time_limit_s - (time.perf_counter() - started))
        given, warm_words, resolved = first_plan(scenario, warm, options, dataclasses.replace(
            options, time_limit_s=left * POLISH_TIME_SHARE, relative_gap=options.relative_gap * POLISH_GAP_FACTOR),
            always, commitments, stability, on_log, interrupter)
        log([f"warm start: {warm_words}"])
        if not given:
            passes.append(warm_words)
    while True:
        used = plan_sites(rm, arrays, values or given)
        reduction = fixing.reduce(rm, arrays, split, lag, threshold, used | always_index, memo,
                                   priced.site_lp)
        served = tuple(i for i in reduction.kept[KERNEL_SITES:] if i in lag.demand_sites)  # where L serves demand
        chosen = (reduction.kept if proving else
                  reduction.kept[:KERNEL_SITES] + served + tuple(always_index - set(reduction.kept)))
        proving = proving or len(chosen) >= len(reduction.kept)
        restarts = not proving or len(chosen) >= RESTARTS_MIN_SITES
        what = ("branch and bound on the rest" + (" for its bound, without HiGHS's plan heuristics" if near else "")
                + ("" if restarts else ", without restarts")
                if proving else warm_words if given else f"a plan from the best {len(chosen)} sites left")
        kept = {scenario.sites[i].id for i in chosen}
        shut = frozenset(rm.builder.names[j] for j in reduction.shut)
        log([f"fixing: {len(sites) - len(reduction.kept):,} of {len(sites):,} sites and {len(shut):,} early openings "
             f"ruled out above {threshold:,.3f} (least bound ruled out {reduction.bound_outside:,.3f}); "
             + what])
        left = max(1.0, options.time_limit_s - (time.perf_counter() - started))
        left *= 1.0 if proving else KERNEL_TIME_SHARE
        gap_asked = options.relative_gap * (1.0 if proving else KERNEL_GAP_FACTOR)
        pass_gap = None  # this pass's own gap when it searched (a warm start's plan did not)
        if given and not proving:  # the warm start's plan is the first plan
            found, given = given, {}
            passes.append(what)
        else:
            if given:  # so few sites are kept that the proof comes first: the warm start's plan is its start
                what = f"{what}, from {warm_words}"
            found, result = solve_restricted(scenario, kept, dataclasses.replace(
                options, time_limit_s=left, relative_gap=gap_asked), commitments, stability, on_log, interrupter,
                start=values or given or None, shut=shut, bound_search=proving and near, restarts=restarts)
            given, pass_gap = {}, result.gap
            passes.append(f"{len(sites) - len(reduction.kept)} of {len(sites)} sites and {len(shut)} early openings "
                          f"ruled out above {threshold:,.1f}, {what} ({result.status.value})")
        values = found or values
        if found and not proving and resolved:  # the warm start's plan, re-solved on its sites in its own step
            near = True
        elif found and not proving and pass_gap is not None and pass_gap <= options.relative_gap:
            # within the gap asked of the best its kept sites give (its own and more, the early openings ruled
            # out shut): a re-solve would gain little (measured: on many-demand@13 11 s for nothing). Within
            # POLISH_GAP_FACTOR x the gap, the proof searches for the bound, as after a proven re-solve
            near = pass_gap <= options.relative_gap * POLISH_GAP_FACTOR
            log([f"the first plan: within {pass_gap:.1e} of the best its {len(chosen)} kept sites give, not re-solved"])
            passes.append(f"that plan not re-solved: within {pass_gap:.1e} of the best its {len(chosen)} sites give")
        elif found and not proving:  # the first plan's own sites re-solved: its openings' timing and blocks
            values, polish, near = polished(rm, arrays, values, always, options, started, commitments, stability,
                                            on_log, interrupter)
            passes.append(polish)
        out_of_time = time.perf_counter() - started >= options.time_limit_s or (
            interrupter is not None and interrupter.interrupted)
        if not values:
            if out_of_time:
                return None
            if not proving:  # the best-ranked sites alone have no plan: all that is left
                proving = True
                continue
            if result.status == SolveStatus.INFEASIBLE and len(reduction.kept) < len(sites):
                threshold = lag.bound + GUESS_WIDEN * (threshold - lag.bound)  # the guess was too low: widen it
                continue
            return None
        hint = rm.hint(values)
        objective = rm.builder.objective.value(hint)
        at_plan = objective - PROOF_GAP_SHARE * options.relative_gap * abs(objective)
        if not proving:  # rule out by the plan's own cost, unless it is far above the guess; solve the rest from it
            far = at_plan > threshold + (threshold - lag.bound)  # measured: such a plan is a poor one, not a sign
            threshold, proving = (threshold if far else at_plan), True  # that the guess was low
            near = near and not far
            continue
        inside = result.best_bound if found and result.best_bound is not None else lag.bound
        bound = max(lag.bound, min(inside, reduction.bound_outside))
        gap = relative_gap(objective, bound)
        if gap <= options.relative_gap or threshold >= at_plan or out_of_time:
            break
        threshold = at_plan  # the plan costs more than the guess: rule out by its own cost, and solve from it
    status = SolveStatus.OPTIMAL if gap <= options.relative_gap else SolveStatus.FEASIBLE
    multipliers = "at the LP's duals" if rm.round_grid else "its multipliers from the LP's duals by a stabilized ascent"
    method = (f"reduced-cost fixing: the LP relaxation by pricing sites in ({priced.sites_in} of "
              f"{priced.sites_total} sites); a Lagrangean bound with each site's own problem "
              f"solved as a MIP, {multipliers}, and {kept_rows} (+{lag.demand_gain:,.1f}: {lag.bound:,.1f}); "
              + "; then ".join(passes) + "; bound: the reduced model's, or the least bound ruled out, whichever "
              "is lower")
    result = SolveResult(status=status, objective=objective, best_bound=bound, gap=gap,
                         wall_s=time.perf_counter() - started, solver=options.solver,
                         detail=f"reduced model: {result.status.value}; {result.detail}", values=hint)
    extracted = time.perf_counter()
    plan = extract_plan(rm, result, options, method)
    return Outcome(result=result, plan=plan, build_s=build_s, extract_s=time.perf_counter() - extracted,
                   model_size=rm.size)


POLISH_TIME_SHARE = 0.15  # of the time left, the most re-solving the first plan on its own sites may use ...
POLISH_GAP_FACTOR = 0.1  # ... proven within this multiple of the gap asked


def _time_left(options: SolveOptions, since: float) -> SolveOptions:
    """`options` with the time limit less what has passed since `since` (perf_counter), at least 1 s."""
    return dataclasses.replace(options, time_limit_s=max(1.0, options.time_limit_s - (time.perf_counter() - since)))


def plan_sites(rm, arrays, values: dict[str, float]) -> set[int]:
    """The indices of the sites a plan (values by name) builds anything at."""
    return {int(arrays.site[j]) for j, name in enumerate(rm.builder.names) if values.get(name) and arrays.site[j] >= 0}


def polished(rm, arrays, values: dict[str, float], always: set[str], options: SolveOptions, started: float,
             commitments, stability, on_log, interrupter) -> tuple[dict[str, float], str, bool]:
    """(the plan re-solved on its own sites alone, words for the provenance, whether the plan is proven the best
    its sites give): a neighbourhood of the plan with every other site shut and the rest free (when each site
    opens, its blocks, its IT and the serving), proven within POLISH_GAP_FACTOR x the gap asked in at most
    POLISH_TIME_SHARE of the time left (without HiGHS's restarts on fewer than RESTARTS_MIN_SITES sites). The
    first pass is asked for a looser gap than the proof and stops with those choices short of their best:
    measured on its plans, 1.1e-4 (seed22) and 2.7e-4 (early-scarce) above what the same sites give. The plan
    as it was when this finds nothing better (then within that gap of the best too, when the re-solve is
    proven)."""
    from planner.optimize.start import solve_restricted

    own = {rm.scenario.sites[i].id for i in plan_sites(rm, arrays, values)} | always
    left = max(1.0, options.time_limit_s - (time.perf_counter() - started)) * POLISH_TIME_SHARE
    restarts = len(own) >= RESTARTS_MIN_SITES
    better, result = solve_restricted(rm.scenario, own, dataclasses.replace(
        options, time_limit_s=left, relative_gap=options.relative_gap * POLISH_GAP_FACTOR), commitments, stability,
        on_log, interrupter, start=values, restarts=restarts)
    before = rm.cost(values)
    if better and rm.cost(better) < before:
        values = better
    log = on_log or (lambda lines: None)
    log([f"the first plan on its own {len(own)} sites: {before:,.3f} -> {rm.cost(values):,.3f} "
         f"({result.status.value})"])
    proven = result.status == SolveStatus.OPTIMAL
    how = "" if restarts else ", without restarts"
    return values, f"that plan re-solved on its own {len(own)} sites{how} ({result.status.value})", proven


def warm_start_plan(rm, options: SolveOptions, warm: WarmStart | None, commitments, stability, on_log,
                    interrupter) -> tuple[dict[str, float], StartInfo | None]:
    """(variable values by name, how they were found) from the warm start, for the starts that branch on the
    full model; no values when there is no warm start or it gives no plan (the info then says why)."""
    from planner.optimize.start import START_SHARE_LIMIT

    if warm is None:
        return {}, None
    started = time.perf_counter()
    always = set(rm.scenario.constraints.required_sites) | {c.site for c in commitments}
    values, words, _ = first_plan(rm.scenario, warm, options, dataclasses.replace(
        options, time_limit_s=options.time_limit_s * START_SHARE_LIMIT), always, commitments, stability, on_log,
        interrupter)
    objective = rm.cost(values) if values else None
    return values, StartInfo(len(warm.sites), len(rm.scenario.sites), objective, "warm", time.perf_counter() - started,
                             tuple(sorted(set(warm.sites) | always)), origin=words)


def unused_warm_start(outcome: Outcome, warm: WarmStart | None) -> Outcome:
    """The kernel search's outcome, its provenance saying that it did not use the warm start."""
    if warm is None or outcome.plan is None:
        return outcome
    provenance = outcome.plan.provenance
    method = f"{provenance.method}; {warm.describe()} not used (the kernel search finds its own sites)"
    plan = dataclasses.replace(outcome.plan, provenance=dataclasses.replace(provenance, method=method))
    return dataclasses.replace(outcome, plan=plan)


def describe_start(info: StartInfo) -> str:
    """The provenance's words for how a plan was found."""
    if info.origin and info.objective is not None:
        return f"branch and bound on the full model, started from {info.origin}; bound and gap from the full model"
    if info.objective is None:
        return (f"branch and bound on the full model (no restricted start: {info.status} on {info.sites_screened} "
                f"of {info.sites_total} sites)")
    return (f"branch and bound on the full model, started from the plan of a restricted model "
            f"({info.sites_screened} of {info.sites_total} sites screened by estimated cost, {info.status}); "
            "bound and gap from the full model")
