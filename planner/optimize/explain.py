"""Why a scenario has no plan: necessary conditions checked one by one, in the scenario's own terms.

Each check is a bound any plan must meet (capacity the grid and lead times allow by a phase, the least
spend that capacity needs against the funding released, diversity counts, required sites); a check that
fails is a reason, stated with the phase, sites, MW, dollars and dates involved. When the solver finds
a scenario infeasible but no single check fails, the constraints only conflict in combination, and
that is said too.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.optimize.latency import buildable
from planner.optimize.parameters import HOURS_PER_YEAR, eligible_phases, max_it_mw, site_it_limit_mw
from planner.scenario.types import Scenario, Site


@dataclass(frozen=True)
class Reason:
    family: str  # grid | lead_time | build_rate | funding | diversity | latency | region_share | carbon
    #              | required_site | demand
    phase: str | None
    message: str


def _mw(value: float) -> str:
    return f"{value:,.0f} MW"


def _usd_b(value: float) -> str:
    return f"${value / 1e9:,.2f}B"


def least_t_per_it_mw_year(scenario: Scenario, sites: list[Site]) -> float:
    """The fewest tonnes of CO2 a year one MW of IT can cause anywhere: the cleanest source of any site."""
    util = scenario.economics.utilization
    best = []
    for s in sites:
        sources = [s.carbon_kg_per_mwh or 0.0] + [o.carbon_kg_per_mwh for o in s.onsite_power if o.supplies_energy]
        best.append(s.pue * util * HOURS_PER_YEAR * min(sources) / 1000.0)
    return min(best, default=0.0)


def build_rate_limit_mw(scenario: Scenario, usable: list[Site], eligible: dict, limits: dict, p: int) -> float:
    """The most IT that construction rates let stand by phase p (each site's rate per phase it can build in,
    within its supply; each region's rate per phase)."""
    c = scenario.constraints
    by_region: dict[str, float] = {}
    for s in usable:
        phases = sum(1 for q in range(p + 1) if q in eligible[s.id])
        reach = limits[s.id] if s.max_it_mw_per_phase is None else min(limits[s.id], s.max_it_mw_per_phase * phases)
        by_region[s.region] = by_region.get(s.region, 0.0) + reach
    if c.max_region_it_mw_per_phase is not None:
        by_region = {g: min(mw, c.max_region_it_mw_per_phase * (p + 1)) for g, mw in by_region.items()}
    return sum(by_region.values())


def explain(scenario: Scenario) -> list[Reason]:
    """Reasons no plan can exist (empty when every necessary condition holds)."""
    reasons: list[Reason] = []
    c = scenario.constraints
    forbidden = set(c.forbidden_sites)
    usable = [s for s in scenario.sites if s.id not in forbidden]
    eligible = {s.id: set(eligible_phases(scenario, s)) for s in usable}
    start = scenario.economics.planning_start_date
    needed = 0.0
    funded = 0.0
    cheapest_block = min((b.capex_usd_per_it_mw for s in usable for b in s.power_blocks), default=0.0)
    limits_by_phase = [{s.id: site_it_limit_mw(scenario, s, p) if p in eligible[s.id] else 0.0 for s in usable}
                       for p in range(len(scenario.phases))]
    for p, phase in enumerate(scenario.phases):
        needed += phase.it_mw_required
        funded += phase.funding_usd
        when = f"by {phase.online_label}"
        limits = limits_by_phase[p]
        supply = sum(limits.values())
        soft = c.shortfall_usd_per_mw is not None  # a shortfall at a price: capacity cannot make it infeasible
        if needed > supply + 1e-6 and not soft:
            late = sorted((s for s in usable if p not in eligible[s.id] and site_it_limit_mw(scenario, s, p) > 0),
                          key=lambda s: -site_it_limit_mw(scenario, s, p))
            top = sorted(((mw, sid) for sid, mw in limits.items() if mw > 0), reverse=True)[:4]
            where = ", ".join(f"{sid} {_mw(mw)}" for mw, sid in top) or "none"
            text = (f"phase {phase.id} needs {_mw(needed)} of IT installed {when}; the sites allowed then can "
                    f"supply at most {_mw(supply)} (power limits: {where})")
            if late:
                lead = ", ".join(f"{s.id} ({s.lead_time_months:g} months, {_mw(site_it_limit_mw(scenario, s, p))})"
                                 for s in late[:4])
                reasons.append(Reason("lead_time", phase.id, text + f"; sites whose grid is there but whose lead "
                                                                    f"time from {start} is too long: {lead}"))
            else:
                reasons.append(Reason("grid", phase.id, text))
        elif not soft and needed > build_rate_limit_mw(scenario, usable, eligible, limits, p) + 1e-6:
            reachable = build_rate_limit_mw(scenario, usable, eligible, limits, p)
            reasons.append(Reason("build_rate", phase.id,
                                  f"phase {phase.id} needs {_mw(needed)} of IT installed {when}; at the campuses' "
                                  f"and regions' construction rates (max_it_mw_per_phase, "
                                  f"max_region_it_mw_per_phase) at most {_mw(reachable)} can stand by then"))
        caps = c.carbon_cap_tonnes_per_year
        least_t = needed * least_t_per_it_mw_year(scenario, usable)
        if caps is not None and not soft and least_t > caps[p] + 1e-6:
            reasons.append(Reason("carbon", phase.id,
                                  f"phase {phase.id} needs {_mw(needed)} of IT {when}; even on the cleanest power "
                                  f"available it emits at least {least_t:,.0f} t of CO2 a year, above the cap of "
                                  f"{caps[p]:,.0f} t"))
        if c.max_region_share is not None and c.max_region_share < 1 and needed > 0 and not soft:
            by_region: dict[str, float] = {}
            for s in usable:
                by_region[s.region] = by_region.get(s.region, 0.0) + limits[s.id]
            cap = sum(min(mw, c.max_region_share * needed) for mw in by_region.values())
            if needed > cap + 1e-6 and needed <= supply + 1e-6:
                reasons.append(Reason("region_share", phase.id,
                                      f"phase {phase.id} needs {_mw(needed)} {when}, but with at most "
                                      f"{c.max_region_share:.0%} of it per region the regions can hold only "
                                      f"{_mw(cap)}"))
        # The least the capacity needed by this phase can cost: GPU systems at the cheapest price per MW of
        # the platforms installed so far, and power blocks at the cheapest capex per MW of any site.
        unit_price = min(scenario.platform(ph.platform).system_capex_usd_per_rack.default
                         / scenario.platform(ph.platform).rack_it_mw for ph in scenario.phases[: p + 1])
        least = needed * (unit_price + cheapest_block)
        if needed > 0 and least > funded + 1 and not any(r.family == "funding" for r in reasons):
            reasons.append(Reason("funding", phase.id,
                                  f"phase {phase.id} needs {_mw(needed)} of IT installed {when}: GPU systems and "
                                  f"power blocks for it cost at least {_usd_b(least)}, but only "
                                  f"{_usd_b(funded)} is funded up to this phase"))
        for count, unit, groups in ((c.min_sites_per_phase, "sites", {s.id: [s] for s in usable}),
                                    (c.min_regions_per_phase, "regions",
                                     {g: [s for s in usable if s.region == g] for g in scenario.regions})):
            if count <= 0:
                continue
            able = [g for g, members in groups.items()
                    if sum(limits[s.id] for s in members) >= c.diversity_min_it_mw - 1e-6]
            if len(able) < count:
                reasons.append(Reason("diversity", phase.id,
                                      f"phase {phase.id} must add at least {c.diversity_min_it_mw:g} MW in each "
                                      f"of {count} {unit} {when}; only {len(able)} can "
                                      f"({', '.join(sorted(able)) or 'none'})"))
    reasons += _demand_reasons(scenario, limits_by_phase)
    reasons += _latency_reasons(scenario, limits_by_phase, reasons)
    last = len(scenario.phases) - 1
    for sid in c.required_sites:
        site = next(s for s in scenario.sites if s.id == sid)
        phases = eligible_phases(scenario, site)
        if not phases:
            reasons.append(Reason("required_site", None,
                                  f"site {sid} is required, but its lead time of {site.lead_time_months:g} months "
                                  f"from {start} reaches beyond the last phase "
                                  f"({scenario.phases[last].online_label})"))
        elif max_it_mw(site) <= 0:
            reasons.append(Reason("required_site", None,
                                  f"site {sid} is required, but its grid never delivers any power"))
    return reasons


def _latency_reasons(scenario: Scenario, limits_by_phase: list[dict], found: list[Reason]) -> list[Reason]:
    """A phase's additions all lie within training_max_latency_ms of each other, and must reach the diversity
    counts (latency.buildable): a phase in which no site can add, or a demand region none of whose serving sites
    can add by its first phase, has no plan."""
    able = buildable(scenario, limits_by_phase)
    if able is None:
        return []
    c = scenario.constraints
    counts = " and ".join(f"{k} {unit}" for k, unit in ((c.min_regions_per_phase, "regions"),
                                                        (c.min_sites_per_phase, "sites")) if k > 0)
    rule = (f"at least {c.diversity_min_it_mw:g} MW in each of {counts}, all within "
            f"{c.training_max_latency_ms:g} ms of fiber of each other (training_max_latency_ms)")
    reasons = []
    diversity = {r.phase for r in found if r.family == "diversity"}
    for p, phase in enumerate(scenario.phases):
        if not able[p] and phase.id not in diversity:
            reasons.append(Reason("latency", phase.id, f"phase {phase.id} must add {rule} by {phase.online_label}; "
                                                       f"no site that can add then has that many within the limit"))
    for region, q, servers in _servers_online(scenario, limits_by_phase):
        if servers and not any(sid in able[p] for sid in servers for p in range(q + 1)):
            named = ", ".join(servers[:4]) + (f" and {len(servers) - 4} more" if len(servers) > 4 else "")
            reasons.append(Reason("latency", region.from_phase,
                                  f"demand region {region.id} ({_mw(region.demand_mw)} from phase {region.from_phase})"
                                  f" can be served only from {named}; none of them can add IT by then, since every "
                                  f"phase must add {rule}, and the sites within the limit of them do not"))
    return reasons


def _servers_online(scenario: Scenario, limits_by_phase: list[dict]):
    """(demand region, index of its first phase, its serving sites that can hold IT by then) for every region."""
    index = {phase.id: p for p, phase in enumerate(scenario.phases)}
    for region in scenario.demand_regions:
        q = index[region.from_phase]
        yield region, q, [sid for sid, _ in region.serve_cost_usd_per_year
                          if any(limits_by_phase[p].get(sid, 0.0) > 0 for p in range(q + 1))]


def _demand_reasons(scenario: Scenario, limits_by_phase: list[dict]) -> list[Reason]:
    """A demand region must be served in full from its first phase on, so some site that serves it must be able
    to hold IT by then (not forbidden, its lead time and grid reaching that phase)."""
    reasons = []
    for region, _, servers in _servers_online(scenario, limits_by_phase):
        if not servers:
            named = ", ".join(sid for sid, _ in region.serve_cost_usd_per_year[:4])
            more = len(region.serve_cost_usd_per_year) - 4
            reasons.append(Reason("demand", region.from_phase,
                                  f"demand region {region.id} ({_mw(region.demand_mw)} from phase {region.from_phase})"
                                  f" can be served only from {named}{f' and {more} more' if more > 0 else ''}; none "
                                  f"of them can hold IT by then (forbidden, lead time, or no grid yet)"))
    return reasons
