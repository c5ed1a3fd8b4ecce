"""Plan files: the only place plans are written and read back.

`dump_plan` writes the plan document atomically; `load_plan` reads it back field by field (the same
`Fields` reader as scenarios) and checks the plan's cross-references and invariants (`planner.rules`),
raising `InputError` with the file and field path of every problem. The format is docs/plan-format.md.
"""

from __future__ import annotations

import os
from dataclasses import asdict

from planner.fields import Fields, InputError, Problem, describe
from planner.files import dump_yaml, read_yaml, write_text_atomic
from planner.plan.types import PLAN_FORMAT, Campus, DemandService, PhasePlan, Plan, Provenance, Refresh, SitePhase
from planner.rules import PUE_MAX, PUE_MIN, racks_fit_power, within_funding, within_supply
from planner.scenario.read import read_platform, read_switch


def plan_to_dict(plan: Plan) -> dict:
    """The plan file's document: phases with their sites, totals, and the provenance."""
    phases = []
    spent = funded = 0.0
    for phase in plan.phases:
        spent += phase.capex_usd
        funded += phase.funding_usd
        phases.append({
            "id": phase.id, "online_date": phase.online_date, "platform": phase.platform,
            "it_mw_required": phase.it_mw_required, "funding_usd": phase.funding_usd,
            "totals": {
                "sites": len(phase.sites), "sites_building": len(phase.sites_building),
                "it_mw_added": round(phase.it_mw_added, 6), "it_mw_total": round(phase.it_mw_total, 6),
                "facility_mw": round(phase.facility_mw, 6), "racks_added": phase.racks_added,
                "gpus_added": phase.gpus_added, "gpus_total": phase.gpus_total,
                "capex_usd": round(phase.capex_usd, 2), "cumulative_capex_usd": round(spent, 2),
                "cumulative_funding_usd": round(funded, 2),
                "opex_usd_per_year": round(phase.opex_usd_per_year, 2),
                "rack_it_mw_total": round(phase.rack_it_mw_total, 6), "gpu_dies_total": phase.gpu_dies_total,
                "power_mw": {k: round(v, 6) for k, v in phase.power_mw_by_source().items()},
                "emissions_t_per_year": round(phase.emissions_t_per_year, 3)},
            "shortfall_mw": phase.shortfall_mw,
            "sites": [_site_dict(s) for s in phase.sites],
            "demand": [{"region": d.region, "demand_mw": d.demand_mw,
                        "served_mw": {site: mw for site, mw in d.served_mw}} for d in phase.demand],
        })
    last = plan.phases[-1] if plan.phases else None
    totals = {
        "sites_used": len(plan.sites_used), "it_mw": round(last.it_mw_total, 6) if last else 0.0,
        "rack_it_mw": round(last.rack_it_mw_total, 6) if last else 0.0,
        "facility_mw": round(last.facility_mw, 6) if last else 0.0, "gpus": last.gpus_total if last else 0,
        "gpu_dies": last.gpu_dies_total if last else 0, "capex_usd": round(plan.capex_usd, 2),
        "refresh_capex_usd": round(plan.refresh_capex_usd, 2), "npv_usd": plan.npv_usd}
    def uncertain(value) -> dict:
        return {"default": value.default, "range": [value.low, value.high], "source": value.source}

    platforms = [{k: v for k, v in {**asdict(p), "available_from": p.available_from.isoformat(),
                                    "rack_it_kw": uncertain(p.rack_it_kw),
                                    "system_capex_usd_per_rack": uncertain(p.system_capex_usd_per_rack)}.items()
                  if v is not None} for p in plan.platforms]
    optional = ("port_names", "interface_type", "ufm_port_names")  # written only when given
    switches = [{k: v for k, v in {**asdict(sw), "power_w": uncertain(sw.power_w) if sw.power_w else None}.items()
                 if v is not None or k not in optional} for sw in plan.switches]
    return {"format": PLAN_FORMAT, "provenance": asdict(plan.provenance), "totals": totals,
            "platforms": platforms, "switches": switches,
            "campuses": [asdict(c) for c in plan.campuses], "phases": phases,
            "refreshes": [asdict(r) for r in plan.refreshes]}


def _site_dict(s: SitePhase) -> dict:
    return {**asdict(s), "blocks_added": list(s.blocks_added), "power_mw": dict(s.power_mw),
            "energy_mwh_per_year": dict(s.energy_mwh_per_year)}


def dump_plan(plan: Plan, path: str | os.PathLike) -> None:
    write_text_atomic(path, dump_yaml(plan_to_dict(plan)))


def load_plan(path: str | os.PathLike) -> Plan:
    """Read a plan file back; problems (missing fields, wrong types) raise InputError."""
    name = str(path)
    doc = read_yaml(path)
    if not isinstance(doc, dict) or "format" not in doc:
        raise InputError([Problem(name, "", f"is not a gwplan plan (no 'format: {PLAN_FORMAT}'); plans are "
                                            "written by gwplan optimize")])
    problems: list[Problem] = []
    top = Fields(problems, name, "", doc)
    fmt = top.string("format")
    if fmt and fmt != PLAN_FORMAT:
        top.problem("format", f"expected {PLAN_FORMAT!r}, got {fmt!r}")
    top.raw("totals", None)  # derived from the phases; recomputed, not read
    pv = top.mapping("provenance")
    opt_num = lambda f, key: f.number(key) if f.has(key) else f.raw(key, None)  # noqa: E731
    provenance = Provenance(
        scenario_name=pv.string("scenario_name"), scenario_sha256=pv.string("scenario_sha256"),
        gwplan_version=pv.string("gwplan_version"), ortools_version=pv.string("ortools_version"),
        solver=pv.string("solver"), seed=pv.integer("seed"),
        threads=pv.integer("threads") if pv.has("threads") else pv.raw("threads", None),
        time_limit_s=pv.number("time_limit_s", gt=0), relative_gap_limit=pv.number("relative_gap_limit", ge=0),
        deterministic=pv.boolean("deterministic"), status=pv.string("status"),
        objective_usd=pv.number("objective_usd"), best_bound_usd=opt_num(pv, "best_bound_usd"),
        gap=opt_num(pv, "gap"), method=pv.string("method", "branch and bound on the full model"),
        caveat=pv.string("caveat", ""))
    pv.done()
    phases = []
    for ph in top.records("phases"):
        sites = []
        for s in ph.records("sites", []):
            blocks = tuple(int(s.check_number(v, p, ge=0)) for p, v in s.items("blocks_added"))
            sites.append(SitePhase(
                site=s.identifier("site"), region=s.identifier("region"),
                opened_this_phase=s.boolean("opened_this_phase"), blocks_added=blocks,
                block_it_mw_added=s.number("block_it_mw_added", ge=0),
                block_it_mw_total=s.number("block_it_mw_total", ge=0), facility_mw=s.number("facility_mw", ge=0),
                grid_mw=s.number("grid_mw", ge=0), pue=s.number("pue", ge=PUE_MIN, le=PUE_MAX),
                racks_added=s.integer("racks_added", ge=0), it_mw_added=s.number("it_mw_added", ge=0),
                it_mw_total=s.number("it_mw_total", ge=0), gpus_added=s.integer("gpus_added", ge=0),
                gpus_total=s.integer("gpus_total", ge=0), capex_usd=s.number("capex_usd", ge=0),
                opex_usd_per_year=s.number("opex_usd_per_year", ge=0),
                rack_it_mw_added=s.number("rack_it_mw_added", 0.0, ge=0),
                rack_it_mw_total=s.number("rack_it_mw_total", 0.0, ge=0),
                gpu_dies_added=s.integer("gpu_dies_added", 0, ge=0),
                gpu_dies_total=s.integer("gpu_dies_total", 0, ge=0),
                power_mw=_by_source(s, "power_mw"), energy_mwh_per_year=_by_source(s, "energy_mwh_per_year"),
                emissions_t_per_year=s.number("emissions_t_per_year", 0.0, ge=0)))
            s.done()
        demand = []
        for d in ph.records("demand", []):
            served_raw = d.raw("served_mw")
            served = tuple((str(k), d.check_number(v, f"{d.at('served_mw')}.{k}", ge=0))
                           for k, v in (served_raw.items() if isinstance(served_raw, dict) else ()))
            demand.append(DemandService(region=d.identifier("region"), demand_mw=d.number("demand_mw", gt=0),
                                        served_mw=served))
            d.done()
        ph.raw("totals", None)
        phases.append(PhasePlan(id=ph.identifier("id"), online_date=ph.string("online_date"),
                                platform=ph.identifier("platform"), it_mw_required=ph.number("it_mw_required", ge=0),
                                funding_usd=ph.number("funding_usd", ge=0), sites=tuple(sites),
                                demand=tuple(demand), shortfall_mw=ph.number("shortfall_mw", 0.0, ge=0)))
        ph.done()
    campuses = []
    for c in top.records("campuses", []):
        campuses.append(Campus(id=c.identifier("id"), lat=c.number("lat", ge=-90, le=90),
                               lon=c.number("lon", ge=-180, le=180), region=c.string("region", "")))
        c.done()
    platforms = tuple(read_platform(f) for f in top.records("platforms"))
    switches = tuple(read_switch(f) for f in top.records("switches"))
    refreshes = []
    for r in top.records("refreshes", []):
        refreshes.append(Refresh(date=r.string("date"), site=r.identifier("site"),
                                 bought_in_phase=r.identifier("bought_in_phase"), platform=r.identifier("platform"),
                                 it_mw=r.number("it_mw", ge=0), capex_usd=r.number("capex_usd", ge=0)))
        r.done()
    top.done()
    if problems:
        raise InputError(problems)
    _check_plan_references(name, phases, platforms, campuses, problems, switches)
    if problems:
        raise InputError(problems)
    plan = Plan(provenance=provenance, phases=tuple(phases), platforms=platforms, switches=switches,
                campuses=tuple(campuses), refreshes=tuple(refreshes))
    _check_plan_invariants(name, plan, problems)
    if problems:
        raise InputError(problems)
    return plan


def _by_source(f: Fields, key: str) -> tuple[tuple[str, float], ...]:
    """A mapping source: figure (power_mw, energy_mwh_per_year), read in its order."""
    raw = f.raw(key, {})
    if not isinstance(raw, dict):
        f.problem(f.at(key), f"expected a mapping source: number, got {describe(raw)}")
        return ()
    return tuple((str(k), f.check_number(v, f"{f.at(key)}.{k}", ge=0)) for k, v in raw.items())


def _check_plan_references(name: str, phases: list, platforms: tuple, campuses: list,
                           problems: list[Problem], switches: tuple = ()) -> None:
    """A plan's records refer to each other: unique phases, each site once per phase, known platforms, a
    campus for every site."""
    if not phases:
        problems.append(Problem(name, "phases", "expected at least one phase"))
    known_platforms = {p.id for p in platforms}
    known_switches = {sw.id for sw in switches}
    for k, platform in enumerate(platforms):  # the fabric of every phase is sized on its platform's switch
        if platform.switch and platform.switch not in known_switches:
            problems.append(Problem(name, f"platforms[{k}].switch", f"switch {platform.switch!r} is not in the "
                                                                    "plan's switches section"))
    campus_ids = {c.id for c in campuses}
    first: dict[str, int] = {}
    for i, phase in enumerate(phases):
        if phase.id in first:
            problems.append(Problem(name, f"phases[{i}].id", f"duplicate id {phase.id!r}, already used by "
                                                             f"phases[{first[phase.id]}]"))
        first.setdefault(phase.id, i)
        if phase.platform not in known_platforms:
            problems.append(Problem(name, f"phases[{i}].platform", f"platform {phase.platform!r} is not in the "
                                                                   "plan's platforms section"))
        sites = {s.site for s in phase.sites}
        listed: dict[str, int] = {}
        for j, site in enumerate(phase.sites):
            if site.site in listed:  # a site twice would double its fabric and its Pulumi resources
                problems.append(Problem(name, f"phases[{i}].sites[{j}].site",
                                        f"site {site.site!r} is listed twice in this phase "
                                        f"(also sites[{listed[site.site]}])"))
            listed.setdefault(site.site, j)
            if site.site not in campus_ids:
                problems.append(Problem(name, f"phases[{i}].sites[{j}].site", f"site {site.site!r} has no record "
                                                                              "in the plan's campuses section"))
        for j, service in enumerate(phase.demand):
            for site_id, _ in service.served_mw:
                if site_id not in sites:
                    problems.append(Problem(name, f"phases[{i}].demand[{j}].served_mw.{site_id}",
                                            f"site {site_id!r} is not among the phase's sites"))


def _check_plan_invariants(name: str, plan: Plan, problems: list[Problem]) -> None:
    """The rules every plan keeps (`planner.rules`): grid, whole racks, GPUs per rack, funding."""
    spent = funded = 0.0
    for i, phase in enumerate(plan.phases):
        platform = plan.platform(phase.platform)
        for j, s in enumerate(phase.sites):
            at = f"phases[{i}].sites[{j}]"
            if not within_supply(s.facility_mw, s.supply_mw):
                problems.append(Problem(name, f"{at}.facility_mw", f"{s.facility_mw:,.3f} MW of facility power exceeds "
                                                                  f"the {s.supply_mw:,.3f} MW supplied at {s.site}"))
            if not racks_fit_power(s.racks_added, s.it_mw_added, platform.rack_it_mw):
                problems.append(Problem(name, f"{at}.racks_added", f"expected the whole {platform.id} racks of "
                                        f"{platform.rack_it_kw.default:g} kW that fit in {s.it_mw_added:,.6f} MW, "
                                        f"got {s.racks_added:,}"))
            if s.gpus_added != s.racks_added * platform.gpus_per_rack:
                problems.append(Problem(name, f"{at}.gpus_added", f"expected {s.racks_added:,} racks x "
                                        f"{platform.gpus_per_rack} GPUs, got {s.gpus_added:,}"))
        spent += phase.capex_usd
        funded += phase.funding_usd
        if not within_funding(spent, funded):
            problems.append(Problem(name, f"phases[{i}]", f"${spent / 1e9:,.2f}B spent by this phase exceeds the "
                                                          f"${funded / 1e9:,.2f}B funded by then"))
