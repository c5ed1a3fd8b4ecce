"""A starting plan for large scenarios: the same model restricted to a screened subset of sites.

Most candidate sites of a large scenario never appear in a good plan (on the generated 1,000-site
scenarios the optimum uses ~16). `screen` ranks the sites by a cheap estimate of the net present cost
of one MW of IT they could hold, and keeps, for every phase, the cheapest sites eligible by then until
they could carry a multiple of the running requirement, the cheapest few of every region (for region
shares and counts), the cheapest sites that serve each demand region, and the required sites.
`restricted_start` solves the model with every other site forbidden (a few hundred variables instead
of tens of thousands) and returns its plan's variable values for the full model (sites outside the
subset at zero: unused sites satisfy every constraint), which the solver then takes as a starting
solution (a MathOpt solution hint). The start itself proves nothing: `planner.optimize.rollout` proves its
plan against the full model's LP relaxation (`planner.optimize.pricing`, from the sites kept here) and
branches only when that bound is not close enough. If the restricted model is infeasible (the subset is
too small for some rule), the subset grows (twice the cover, twice per region, ...) until it has a plan;
one that would hold every site means no start.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from planner.optimize.options import SolveOptions
from planner.optimize.parameters import (
    annuity,
    eligible_phases,
    energy_mwh_per_it_mw_year,
    fixed_opex_usd_per_it_mw_year,
    max_it_mw,
    pay_weight,
    phase_years,
)
from planner.optimize.replan import Commitment, Stability
from planner.scenario.types import Scenario, Site

CAPACITY_COVER = 3.0  # keep the cheapest sites eligible by a phase until they could hold this x its requirement
PER_REGION = 2  # and at least this many of the cheapest sites of every region
PER_DEMAND_REGION = 3  # and the cheapest sites that can serve each inference demand region
START_SHARE_LIMIT = 0.5  # of the full solve's time limit the start may use


@dataclass(frozen=True)
class StartInfo:
    """How the starting plan was found, for the plan's provenance."""

    sites_screened: int
    sites_total: int
    objective: float | None  # of the restricted plan, in the model's units (None: no start found)
    status: str
    wall_s: float
    kept: tuple[str, ...] = ()  # the ids of the sites the restricted model held (its plan uses some of them)
    origin: str = ""  # words for a plan that did not come from screening (the warm start's)
    bound: float | None = None  # the restricted model's own proven bound (None: none, or not a restricted model)


def site_cost_usd_per_it_mw(scenario: Scenario, site: Site, p: int) -> float:
    """A cheap estimate of the net present cost of one MW of IT at `site` from phase p: its open cost spread
    over all it could hold, its cheapest power block, and running it to the horizon at today's prices."""
    years = phase_years(scenario)
    econ = scenario.economics
    opening = site.open_cost_usd * pay_weight(scenario, years[p], site.lead_time_months) / max(max_it_mw(site), 1.0)
    block = min((b.capex_usd_per_it_mw * pay_weight(scenario, years[p], site.block_lead_time_months(b))
                 for b in site.power_blocks), default=0.0)
    running_years = annuity(scenario, years[p], econ.horizon_years)
    yearly = site.energy_usd_per_mwh * energy_mwh_per_it_mw_year(scenario, site) + fixed_opex_usd_per_it_mw_year(
        scenario, site)
    return opening + block + yearly * running_years


def screen(scenario: Scenario, scale: float = 1.0) -> set[str]:
    """The ids of the sites a restricted model keeps (`scale` multiplies how many)."""
    forbidden = set(scenario.constraints.forbidden_sites)
    usable = [s for s in scenario.sites if s.id not in forbidden and max_it_mw(s) > 0]
    eligible = {s.id: eligible_phases(scenario, s) for s in usable}
    keep = set(scenario.constraints.required_sites)
    required = 0.0
    for p, phase in enumerate(scenario.phases):
        required += phase.it_mw_required
        ranked = sorted((site_cost_usd_per_it_mw(scenario, s, p), s.id, s) for s in usable if p in eligible[s.id])
        cover = 0.0
        for _, sid, s in ranked:
            if cover >= CAPACITY_COVER * scale * required:
                break
            keep.add(sid)
            cover += max_it_mw(s)
    per_region: dict[str, list] = {}
    for s in usable:
        if eligible[s.id]:
            per_region.setdefault(s.region, []).append((site_cost_usd_per_it_mw(scenario, s, eligible[s.id][0]), s.id))
    for ranked in per_region.values():
        keep.update(sid for _, sid in sorted(ranked)[: math.ceil(PER_REGION * scale)])
    usable_ids = {s.id for s in usable}
    for region in scenario.demand_regions:
        ranked = sorted((cost, sid) for sid, cost in region.serve_cost_usd_per_year if sid in usable_ids)
        keep.update(sid for _, sid in ranked[: math.ceil(PER_DEMAND_REGION * scale)])
    return keep


def restricted_start(scenario: Scenario, options: SolveOptions, commitments: tuple[Commitment, ...] = (),
                     stability: Stability | None = None, on_log=None, interrupter=None
                     ) -> tuple[dict[str, float], StartInfo]:
    """(variable values by name for the full model, how they were found); empty values when no start was
    found within the time given to it (or it was interrupted). `on_log` and `interrupter` as for solve."""
    import time

    started = time.perf_counter()
    scale = 1.0
    committed = {c.site for c in commitments}
    budget = options.time_limit_s * START_SHARE_LIMIT
    while True:
        kept = screen(scenario, scale) | committed
        if len(kept) >= len(scenario.sites):
            return {}, StartInfo(len(kept), len(scenario.sites), None, "screening kept every site", 0.0)
        left = budget - (time.perf_counter() - started)
        if left <= 0:
            return {}, StartInfo(len(kept), len(scenario.sites), None, "no time left", time.perf_counter() - started)
        values, result = solve_restricted(scenario, kept, dataclasses.replace(options, time_limit_s=left),
                                          commitments, stability, on_log, interrupter)
        if values:
            return values, StartInfo(len(kept), len(scenario.sites), result.objective, result.status.value,
                                     time.perf_counter() - started, tuple(sorted(kept)), bound=result.best_bound)
        if result.status.value != "infeasible":
            return {}, StartInfo(len(kept), len(scenario.sites), None, result.status.value,
                                 time.perf_counter() - started)
        scale *= 2  # until the subset has a plan, or holds every site (then the full solve needs no start)


def solve_restricted(scenario: Scenario, kept: set[str], options: SolveOptions, commitments=(), stability=None,
                     on_log=None, interrupter=None, start: dict[str, float] | None = None,
                     shut: frozenset[str] = frozenset(), strong_linking_max_pairs: int | None = None,
                     bound_search: bool = False, target: float | None = None, restarts: bool = True):
    """(variable values by name, SolveResult) of the model with every site outside `kept` forbidden; the
    values are empty when the solve found no plan (or was interrupted). `start`: values by name of a plan
    to start from (a MathOpt hint; names absent from it are 0); `shut`: names of variables fixed at 0;
    `strong_linking_max_pairs`: the model's own limit for serve_open rows unless given; `bound_search`, `target`,
    `restarts`: as for `solve.solve`."""
    from planner.optimize.model import STRONG_LINKING_MAX_PAIRS, build_model
    from planner.optimize.solve import solve

    others = tuple(s.id for s in scenario.sites if s.id not in kept)
    small = dataclasses.replace(scenario, constraints=dataclasses.replace(
        scenario.constraints, forbidden_sites=tuple(scenario.constraints.forbidden_sites) + others))
    pairs = STRONG_LINKING_MAX_PAIRS if strong_linking_max_pairs is None else strong_linking_max_pairs
    rm = build_model(small, commitments, stability, pairs, round_grid=options.round_grid)
    if shut:
        rm.builder.shut(shut)
    hint = rm.hint(start) if start else None
    result = solve(rm.model, options, on_log, interrupter, hint=hint, bound_search=bound_search, target=target,
                   restarts=restarts)
    if not result.status.has_plan or (interrupter is not None and interrupter.interrupted):
        return {}, result
    names = rm.builder.names
    return {names[j]: v for j, v in enumerate(result.values) if v != 0.0 and names[j]}, result
