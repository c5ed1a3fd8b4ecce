"""From a solved model to a Plan.

Every count comes from integer decisions (blocks, sites) or whole racks, and every dollar figure is
recomputed from those counts and the scenario, so a plan is self-consistent.
"""

from __future__ import annotations

import datetime
from importlib import metadata

from planner.optimize import supply
from planner.optimize.model import RolloutModel
from planner.optimize.options import SolveOptions
from planner.optimize.parameters import (
    HOURS_PER_YEAR,
    fixed_opex_usd_per_it_mw_year,
    refreshes,
    retired_by,
    usd_per_it_mw,
)
from planner.optimize.result import USD_SCALE, SolveResult
from planner.plan.types import Campus, DemandService, PhasePlan, Plan, Provenance, Refresh, SitePhase
from planner.rules import whole_racks

# CP-SAT has integer variables only; its MIP conversion rounds each continuous domain to whole units (README,
# "CP-SAT and continuous variables"), so its results are restated for the model as written (planner.optimize.exact).
CP_SAT_ROUNDING = ("CP-SAT rounds continuous variables to whole units (serving shares 0 or 1, IT in whole MW): "
                   "the plan's continuous values were solved again exactly with its integer decisions fixed, and "
                   "its gap is to a bound proven for the model as written (the LP relaxation's), not CP-SAT's own")


def version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


def _round_mw(value: float) -> float:
    return round(value, 6) + 0.0  # + 0.0 turns -0.0 into 0.0


def raced(options: SolveOptions) -> str:
    """The provenance's words for HiGHS searches raced on each branch and bound (planner.optimize.race)."""
    n = options.racers()
    if n == 1:
        return ""
    if options.deterministic:
        return (f"; {n} HiGHS searches raced on each branch and bound (seeds {options.seed}-{options.seed + n - 1}),"
                " the proof with the fewest LP iterations kept, so the plan is the same run to run")
    return (f"; {n} HiGHS searches raced on each branch and bound (seeds {options.seed}-{options.seed + n - 1}), "
            "the first to prove the gap kept, so the plan may differ run to run within the gap")


def extract_plan(rm: RolloutModel, result: SolveResult, options: SolveOptions,
                 method: str = "branch and bound on the full model") -> Plan:
    """Read the decisions out of a solved model. Requires a result that has a plan."""
    if not result.status.has_plan:
        raise ValueError(f"no plan to extract: the solve ended {result.status.value}")
    s_ = rm.scenario
    values = result.values

    def value(expression) -> float:
        return expression.value(values)

    bought = _purchases(rm, value)  # (site, phase) -> (IT MW, racks) added
    shares: dict[tuple[int, int], list] = {}  # (region, phase) -> [(site, x_rsp)]
    for (r, i, p), x in rm.serve.items():
        shares.setdefault((r, p), []).append((i, x))
    phases: list[PhasePlan] = []
    opened: set[int] = set()
    listed: set[int] = set()  # sites already in the plan
    blocks_total = [0.0] * len(s_.sites)
    for p, phase in enumerate(s_.phases):
        platform = s_.platform(phase.platform)
        site_plans = []
        for i, site in enumerate(s_.sites):
            if (i, p) not in rm.opened:
                continue
            opens_now = value(rm.opened[i, p]) > 0.5 and i not in opened
            blocks = tuple(int(round(value(rm.blocks[i, k, p]))) for k in range(len(site.power_blocks)))
            if opens_now:
                opened.add(i)
            if i not in opened:
                continue
            block_mw = sum(n * b.it_mw for n, b in zip(blocks, site.power_blocks))
            blocks_total[i] += block_mw
            it_mw, racks = bought.get((i, p), (0.0, 0))
            standing = _standing(rm, bought, i, p)
            if not (blocks_total[i] or standing["it_mw"] or site.open_cost_usd):
                continue  # "opened" for free with nothing built: not part of the plan (yet)
            first_listing = i not in listed
            listed.add(i)
            capex = (site.open_cost_usd * opens_now
                     + sum(n * b.it_mw * b.capex_usd_per_it_mw for n, b in zip(blocks, site.power_blocks))
                     + _supply_capex(rm, value, i, p) + racks * platform.system_capex_usd_per_rack.default)
            power, energy, fuel_usd, emissions = _power(rm, value, i, p, standing["it_mw"])
            site_plans.append(SitePhase(
                site=site.id, region=site.region, opened_this_phase=first_listing, blocks_added=blocks,
                block_it_mw_added=_round_mw(block_mw), block_it_mw_total=_round_mw(blocks_total[i]),
                facility_mw=_round_mw(blocks_total[i] * site.pue), grid_mw=site.grid_mw_by_phase[p], pue=site.pue,
                racks_added=racks, it_mw_added=_round_mw(it_mw), it_mw_total=_round_mw(standing["it_mw"]),
                gpus_added=racks * platform.gpus_per_rack, gpus_total=standing["gpus"], capex_usd=round(capex, 2),
                opex_usd_per_year=round(standing["it_mw"] * fixed_opex_usd_per_it_mw_year(s_, site)
                                        + energy.get("grid", 0.0) * site.energy_usd_per_mwh + fuel_usd, 2),
                rack_it_mw_added=_round_mw(racks * platform.rack_it_mw),
                rack_it_mw_total=_round_mw(standing["rack_mw"]),
                gpu_dies_added=racks * platform.gpu_dies_per_rack, gpu_dies_total=standing["dies"],
                power_mw=tuple((k, _round_mw(v)) for k, v in power.items()),
                energy_mwh_per_year=tuple((k, round(v, 3)) for k, v in energy.items()),
                emissions_t_per_year=round(emissions, 3)))
        demand = []
        for r, region in enumerate(s_.demand_regions):
            served = tuple((s_.sites[i].id, _round_mw(value(x) * region.demand_mw))
                           for i, x in shares.get((r, p), ()) if value(x) > 1e-9)
            if served:
                demand.append(DemandService(region=region.id, demand_mw=region.demand_mw, served_mw=served))
        short = _round_mw(max(0.0, value(rm.shortfall[p]))) if p in rm.shortfall else 0.0
        phases.append(PhasePlan(id=phase.id, online_date=phase.online_label, platform=phase.platform,
                                it_mw_required=phase.it_mw_required, funding_usd=phase.funding_usd,
                                sites=tuple(site_plans), demand=tuple(demand), shortfall_mw=short))

    def usd(model_value: float | None) -> float | None:
        return None if model_value is None else round(model_value * USD_SCALE, 2)

    provenance = Provenance(
        scenario_name=s_.name, scenario_sha256=s_.sha256, gwplan_version=version("gwplan"),
        ortools_version=version("ortools"), solver=options.solver, seed=options.seed,
        threads=options.racers() if options.racers() > 1 else options.threads,
        time_limit_s=options.time_limit_s, relative_gap_limit=options.relative_gap,
        deterministic=options.deterministic, status=result.status.value, objective_usd=usd(result.objective),
        best_bound_usd=usd(result.best_bound), gap=None if result.gap is None else float(f"{result.gap:.3g}"),
        method=f"{method}; {CP_SAT_ROUNDING}" if options.solver == "cp-sat" else f"{method}{raced(options)}",
        caveat=s_.caveat)
    used = tuple(s_.platform(pid) for pid in dict.fromkeys(ph.platform for ph in s_.phases))
    switch_ids = {p.switch for p in used}
    used_sites = {sp.site for ph in phases for sp in ph.sites}
    campuses = tuple(Campus(id=site.id, lat=site.lat, lon=site.lon, region=site.region)
                     for site in s_.sites if site.id in used_sites)
    return Plan(provenance=provenance, phases=tuple(phases), platforms=used,
                switches=tuple(sw for sw in s_.switches if sw.id in switch_ids), campuses=campuses,
                refreshes=_refreshes(rm, bought))


def _purchases(rm: RolloutModel, value) -> dict[tuple[int, int], tuple[float, int]]:
    """(IT MW, whole racks) of GPU systems each site adds in each phase."""
    s_ = rm.scenario
    out = {}
    for (i, p), added in rm.it.items():
        it_mw = max(0.0, value(added))
        if it_mw > 0:
            # racks from the figure the plan states (it_mw_added), so that a plan read back checks out
            out[i, p] = (it_mw, whole_racks(_round_mw(it_mw), s_.platform(s_.phases[p].platform).rack_it_mw))
    return out


def _standing(rm: RolloutModel, bought: dict, i: int, p: int) -> dict[str, float]:
    """IT MW, whole-rack MW, GPUs and dies standing at site i at phase p's online date: everything bought
    so far, less what has retired (economics.it_end_of_life: retire)."""
    s_ = rm.scenario
    gone = retired_by(s_, p)
    out = {"it_mw": 0.0, "rack_mw": 0.0, "gpus": 0, "dies": 0}
    for q in range(p + 1):
        if (i, q) not in bought or (gone is not None and q <= gone):
            continue
        it_mw, racks = bought[i, q]
        platform = s_.platform(s_.phases[q].platform)
        out["it_mw"] += it_mw
        out["rack_mw"] += racks * platform.rack_it_mw
        out["gpus"] += racks * platform.gpus_per_rack
        out["dies"] += racks * platform.gpu_dies_per_rack
    return out


def _supply_capex(rm: RolloutModel, value, i: int, p: int) -> float:
    """Nominal capex of the grid upgrade and on-site power site i adds in phase p."""
    site = rm.scenario.sites[i]
    usd = 0.0
    for totals, options, price in ((rm.upgrades, site.grid_upgrades, lambda u: u.capex_usd),
                                   (rm.onsite, site.onsite_power, lambda o: o.capex_usd_per_mw)):
        for k, option in enumerate(options):
            if (i, k, p) in totals:
                added = supply.added(totals, (i, k, p), supply.previous(totals, i, k, p))
                usd += price(option) * max(0.0, value(added))
    return usd


def _power(rm: RolloutModel, value, i: int, p: int, it_mw: float):
    """(firm MW by source, MWh a year by source, fuel USD a year, tonnes CO2 a year) of site i in phase p."""
    s_ = rm.scenario
    site = s_.sites[i]
    power = {"grid": site.grid_mw_by_phase[p]}
    for k in range(len(site.grid_upgrades)):
        if (i, k, p) in rm.upgrades and value(rm.upgrades[i, k, p]) > 0.5:
            power["upgrade"] = supply.upgrade_gain_mw(site, k, p)
    for k, option in enumerate(site.onsite_power):
        if (i, k, p) in rm.onsite and value(rm.onsite[i, k, p]) > 1e-6:
            power[option.id] = value(rm.onsite[i, k, p])
    running = value(rm.running[i, p]) if (i, p) in rm.running else it_mw
    load_mwh = s_.economics.utilization * site.pue * running * HOURS_PER_YEAR
    energy = {}
    generated = {site.onsite_power[k].id: value(e) * HOURS_PER_YEAR for k, e in rm.energy.get((i, p), {}).items()}
    energy["grid"] = max(0.0, load_mwh - sum(generated.values()))
    energy.update({k: v for k, v in generated.items() if v > 1e-6})
    fuel = sum(site.onsite_power[k].fuel_usd_per_mwh * generated[site.onsite_power[k].id]
               for k in rm.energy.get((i, p), {}))
    kg = energy["grid"] * (site.carbon_kg_per_mwh or 0.0) + sum(
        o.carbon_kg_per_mwh * generated.get(o.id, 0.0) for o in site.onsite_power)
    return power, energy, fuel, kg / 1000.0


def _refreshes(rm: RolloutModel, bought: dict) -> tuple[Refresh, ...]:
    """Every like-for-like refresh inside the horizon, per site and phase of purchase."""
    s_ = rm.scenario
    start = s_.economics.planning_start_date
    out = []
    for (i, p), (it_mw, _) in sorted(bought.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        for years, platform in refreshes(s_, p):
            when = start + datetime.timedelta(days=round(years * 365.25))
            out.append(Refresh(date=when.isoformat(), site=s_.sites[i].id, bought_in_phase=s_.phases[p].id,
                               platform=platform.id, it_mw=_round_mw(it_mw),
                               capex_usd=round(it_mw * usd_per_it_mw(platform), 2)))
    return tuple(sorted(out, key=lambda r: (r.date, r.site)))
