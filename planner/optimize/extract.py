"""From a solved model to a Plan.

Every count comes from integer decisions (blocks, sites) or whole racks, and every dollar figure is
recomputed from those counts and the scenario, so a plan is self-consistent.
"""

from __future__ import annotations

from importlib import metadata

from ortools.math_opt.python import mathopt

from planner.optimize.model import RolloutModel
from planner.optimize.options import SolveOptions
from planner.optimize.parameters import yearly_cost_usd_per_it_mw
from planner.optimize.result import USD_SCALE, SolveResult
from planner.plan.types import Campus, DemandService, PhasePlan, Plan, Provenance, SitePhase
from planner.rules import whole_racks


def version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


def _round_mw(value: float) -> float:
    return round(value, 6) + 0.0  # + 0.0 turns -0.0 into 0.0


def extract_plan(rm: RolloutModel, result: SolveResult, options: SolveOptions) -> Plan:
    """Read the decisions out of a solved model. Requires a result that has a plan."""
    if not result.status.has_plan:
        raise ValueError(f"no plan to extract: the solve ended {result.status.value}")
    s_ = rm.scenario
    values = result.values

    def integer(expression) -> int:
        return int(round(mathopt.evaluate_expression(expression, values)))

    shares: dict[tuple[int, int], list] = {}  # (region, phase) -> [(site, x_rsp)]
    for (r, i, p), x in rm.serve.items():
        shares.setdefault((r, p), []).append((i, x))
    phases: list[PhasePlan] = []
    opened: set[int] = set()
    listed: set[int] = set()  # sites already in the plan
    blocks_total = [0.0] * len(s_.sites)
    it_total = [0.0] * len(s_.sites)
    gpus_total = [0] * len(s_.sites)
    for p, phase in enumerate(s_.phases):
        platform = s_.platform(phase.platform)
        site_plans = []
        for i, site in enumerate(s_.sites):
            if (i, p) not in rm.opened:
                continue
            opens_now = values[rm.opened[i, p]] > 0.5 and i not in opened
            blocks = tuple(integer(rm.blocks[i, k, p]) for k in range(len(site.power_blocks)))
            it_mw = max(0.0, mathopt.evaluate_expression(rm.it[i, p], values))
            racks = whole_racks(_round_mw(it_mw), platform.rack_it_mw)  # as the plan states it_mw_added
            if opens_now:
                opened.add(i)
            if i not in opened:
                continue
            block_mw = sum(n * b.it_mw for n, b in zip(blocks, site.power_blocks))
            blocks_total[i] += block_mw
            it_total[i] += it_mw
            gpus_total[i] += racks * platform.gpus_per_rack
            if not (blocks_total[i] or it_total[i] or site.open_cost_usd):
                continue  # "opened" for free with nothing built: not part of the plan (yet)
            first_listing = i not in listed
            listed.add(i)
            capex = (site.open_cost_usd * opens_now
                     + sum(n * b.it_mw * b.capex_usd_per_it_mw for n, b in zip(blocks, site.power_blocks))
                     + racks * platform.system_capex_usd_per_rack.default)
            site_plans.append(SitePhase(
                site=site.id, region=site.region, opened_this_phase=first_listing, blocks_added=blocks,
                block_it_mw_added=_round_mw(block_mw), block_it_mw_total=_round_mw(blocks_total[i]),
                facility_mw=_round_mw(blocks_total[i] * site.pue), grid_mw=site.grid_mw_by_phase[p], pue=site.pue,
                racks_added=racks, it_mw_added=_round_mw(it_mw), it_mw_total=_round_mw(it_total[i]),
                gpus_added=racks * platform.gpus_per_rack, gpus_total=gpus_total[i], capex_usd=round(capex, 2),
                opex_usd_per_year=round(it_total[i] * yearly_cost_usd_per_it_mw(s_, site), 2)))
        demand = []
        for r, region in enumerate(s_.demand_regions):
            served = tuple((s_.sites[i].id, _round_mw(values[x] * region.demand_mw))
                           for i, x in shares.get((r, p), ()) if values[x] > 1e-9)
            if served:
                demand.append(DemandService(region=region.id, demand_mw=region.demand_mw, served_mw=served))
        phases.append(PhasePlan(id=phase.id, online_date=phase.online_label, platform=phase.platform,
                                it_mw_required=phase.it_mw_required, funding_usd=phase.funding_usd,
                                sites=tuple(site_plans), demand=tuple(demand)))

    def usd(model_value: float | None) -> float | None:
        return None if model_value is None else round(model_value * USD_SCALE, 2)

    provenance = Provenance(
        scenario_name=s_.name, scenario_sha256=s_.sha256, gwplan_version=version("gwplan"),
        ortools_version=version("ortools"), solver=options.solver, seed=options.seed, threads=options.threads,
        time_limit_s=options.time_limit_s, relative_gap_limit=options.relative_gap,
        deterministic=options.deterministic, status=result.status.value, objective_usd=usd(result.objective),
        best_bound_usd=usd(result.best_bound), gap=None if result.gap is None else float(f"{result.gap:.3g}"))
    used = tuple(s_.platform(pid) for pid in dict.fromkeys(ph.platform for ph in s_.phases))
    switch_ids = {p.switch for p in used}
    used_sites = {sp.site for ph in phases for sp in ph.sites}
    campuses = tuple(Campus(id=site.id, lat=site.lat, lon=site.lon, region=site.region)
                     for site in s_.sites if site.id in used_sites)
    return Plan(provenance=provenance, phases=tuple(phases), platforms=used,
                switches=tuple(sw for sw in s_.switches if sw.id in switch_ids), campuses=campuses)
