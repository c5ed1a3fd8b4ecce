"""Field readers: one function per section of a scenario, from checked YAML data to frozen types.

Each reader takes a `Fields` view of one mapping, asks for every key it knows (a wrong or missing key
becomes a `Problem` with its field path, and reading goes on so that every problem is reported at
once) and returns the typed record. Plans reuse `read_platform` and `read_switch` for the catalog
entries they record.
"""

from __future__ import annotations

from datetime import date

from planner.fields import Fields, describe, parse_date
from planner.rules import PUE_MAX, PUE_MIN
from planner.scenario.types import (
    Constraints,
    DemandRegion,
    Economics,
    FiberRoute,
    GridUpgrade,
    OnsitePower,
    Phase,
    Platform,
    PowerBlock,
    Scenario,
    Site,
    Switch,
    Uncertain,
)

END_OF_LIFE = ("refresh", "retire")


def read_scenario(top: Fields, file: str, sha: str) -> Scenario:
    name = top.string("name")
    description = top.string("description", "")
    caveat = top.string("caveat", "")
    switches = tuple(read_switch(f) for f in top.records("switches"))
    platforms = tuple(read_platform(f) for f in top.records("platforms"))
    economics = read_economics(top.mapping("economics"))
    phases = tuple(read_phase(f) for f in top.records("phases"))
    if not phases and not any(p.path.startswith("phases") for p in top.problems):
        top.problem("phases", "expected at least one phase")
    sites = tuple(read_site(f, phases) for f in top.records("sites"))
    if not sites and not any(p.path.startswith("sites") for p in top.problems):
        top.problem("sites", "expected at least one candidate site")
    constraints = read_constraints(top.mapping("constraints", {}), len(phases))
    demand = tuple(read_demand_region(f) for f in top.records("demand_regions", []))
    routes = tuple(read_fiber_route(f) for f in top.records("fiber_routes", []))
    top.done()
    return Scenario(name=name, description=description, caveat=caveat, source_path=file, sha256=sha,
                    economics=economics, constraints=constraints, phases=phases, sites=sites,
                    platforms=platforms, switches=switches, demand_regions=demand, fiber_routes=routes)


def read_switch(f: Fields) -> Switch:
    switch = Switch(id=f.identifier("id"), name=f.string("name"), ports=f.integer("ports", ge=2),
                    port_gbps=f.number("port_gbps", gt=0),
                    netbox_device_type=f.string("netbox_device_type", "") or None,
                    optics=f.string("optics", "pluggable", choices=("pluggable", "cpo")),
                    power_w=f.uncertain("power_w", Uncertain) if f.has("power_w") else None,
                    protocol=f.string("protocol", "ethernet", choices=("infiniband", "ethernet")),
                    u_height=f.integer("u_height", 1, ge=1),
                    port_names=f.port_template("port_names") if f.has("port_names") else None,
                    interface_type=f.string("interface_type", "") or None,
                    ufm_port_names=f.port_template("ufm_port_names") if f.has("ufm_port_names") else None)
    f.done()
    return switch


def read_platform(f: Fields) -> Platform:
    platform = Platform(
        id=f.identifier("id"), name=f.string("name"), available_from=f.date("available_from"),
        gpus_per_rack=f.integer("gpus_per_rack", ge=1), gpu_dies_per_rack=f.integer("gpu_dies_per_rack", ge=1),
        gpus_per_node=f.integer("gpus_per_node", ge=1), nvlink_domain_gpus=f.integer("nvlink_domain_gpus", ge=1),
        rack_it_kw=f.uncertain("rack_it_kw", Uncertain),
        system_capex_usd_per_rack=f.uncertain("system_capex_usd_per_rack", Uncertain, gt=-1.0),
        scale_out_gbps_per_gpu=f.number("scale_out_gbps_per_gpu", gt=0),
        scale_out_nics_per_gpu=f.integer("scale_out_nics_per_gpu", ge=1), switch=f.identifier("switch"),
        su_racks=f.integer("su_racks", ge=1) if f.has("su_racks") else None)
    per_node = platform.gpus_per_node
    if per_node and platform.gpus_per_rack and platform.gpus_per_rack % per_node:  # trays hold whole GPUs
        f.problem(f.at("gpus_per_node"),
                  f"expected a divisor of gpus_per_rack ({platform.gpus_per_rack}), got {per_node}")
    elif per_node and platform.nvlink_domain_gpus and platform.nvlink_domain_gpus % per_node:
        f.problem(f.at("gpus_per_node"), f"expected a divisor of nvlink_domain_gpus ({platform.nvlink_domain_gpus}), "
                                   f"got {per_node}")
    f.done()
    return platform


def read_economics(f: Fields) -> Economics:
    economics = Economics(
        planning_start_date=f.date("planning_start_date"),
        discount_rate=f.number("discount_rate", ge=0, lt=1),
        horizon_years=f.number("horizon_years", gt=0, le=100),
        utilization=f.number("utilization", 0.8, gt=0, le=1),
        fixed_opex_usd_per_it_mw_year=f.number("fixed_opex_usd_per_it_mw_year", 0.0, ge=0),
        facility_life_years=f.number("facility_life_years", 20.0, gt=0),
        it_life_years=f.number("it_life_years", 6.0, gt=0),
        carry_over_unspent_funding=f.boolean("carry_over_unspent_funding", True),
        it_end_of_life=f.string("it_end_of_life", "refresh", choices=END_OF_LIFE),
        construction_spend_profile=read_spend_profile(f),
        energy_escalation_per_year=f.number("energy_escalation_per_year", 0.0, gt=-1, lt=1),
        carbon_usd_per_tonne=f.number("carbon_usd_per_tonne", 0.0, ge=0))
    f.done()
    return economics


def read_spend_profile(f: Fields) -> tuple[float, ...]:
    """Shares of construction capex over equal slices of its lead time: each >= 0, together 1."""
    if not f.has("construction_spend_profile"):
        return (1.0,)
    shares = tuple(f.check_number(v, path, ge=0) for path, v in f.items("construction_spend_profile"))
    if not shares:
        f.problem(f.at("construction_spend_profile"), "expected at least one share, e.g. [0.2, 0.3, 0.5]")
        return (1.0,)
    if abs(sum(shares) - 1.0) > 1e-6:
        f.problem(f.at("construction_spend_profile"), f"expected shares adding up to 1, got {sum(shares):g}")
        return (1.0,)
    return shares


def read_phase(f: Fields) -> Phase:
    label = f.data.get("online_date")
    phase = Phase(id=f.identifier("id"), online_date=f.date("online_date"),
                  online_label=label.isoformat() if isinstance(label, date) else str(label),
                  it_mw_required=f.number("it_mw_required", ge=0), platform=f.identifier("platform"),
                  funding_usd=f.number("funding_usd", ge=0))
    f.done()
    return phase


def read_grid(f: Fields, phases: tuple[Phase, ...]) -> tuple[float, ...]:
    """Grid MW per phase, from `grid_mw_by_phase` (a list) or `grid_mw_by_date` (a step function)."""
    by_phase, by_date = f.has("grid_mw_by_phase"), f.has("grid_mw_by_date")
    if by_phase == by_date:
        f.raw("grid_mw_by_phase", None), f.raw("grid_mw_by_date", None)
        if not f.broken:
            f.problem(f.at("grid_mw_by_phase"), "expected exactly one of grid_mw_by_phase (one number per "
                                                "phase) or grid_mw_by_date (date: MW from then on)")
        return tuple(0.0 for _ in phases)
    if by_phase:
        values = [f.check_number(v, path, ge=0) for path, v in f.items("grid_mw_by_phase")]
        if phases and len(values) != len(phases):
            f.problem(f.at("grid_mw_by_phase"), f"expected {len(phases)} values (one per phase), got {len(values)}")
            return tuple(0.0 for _ in phases)
        return tuple(values)
    steps_raw = f.raw("grid_mw_by_date")
    if not isinstance(steps_raw, dict):
        f.problem(f.at("grid_mw_by_date"), f"expected a mapping date: MW, got {describe(steps_raw)}")
        return tuple(0.0 for _ in phases)
    steps = []
    for key, value in steps_raw.items():
        path = f"{f.at('grid_mw_by_date')}.{key}"
        when = parse_date(key)
        if when is None:
            f.problem(path, f"expected a date as the key, got {describe(key)}")
            continue
        steps.append((when, f.check_number(value, path, ge=0)))
    steps.sort()
    return tuple(next((mw for when, mw in reversed(steps) if when <= ph.online_date), 0.0) for ph in phases)


def read_site(f: Fields, phases: tuple[Phase, ...]) -> Site:
    blocks = []
    for b in f.records("power_blocks"):
        blocks.append(PowerBlock(it_mw=b.number("it_mw", gt=0),
                                 capex_usd_per_it_mw=b.number("capex_usd_per_it_mw", ge=0),
                                 lead_time_months=(b.number("lead_time_months", ge=0)
                                                   if b.has("lead_time_months") else None)))
        b.done()
    if not blocks and f.has("power_blocks"):
        f.problem(f.at("power_blocks"), "expected at least one power block {it_mw, capex_usd_per_it_mw}")
    site = Site(
        id=f.identifier("id"), name=f.string("name", ""), region=f.identifier("region"),
        grid_operator=f.string("grid_operator", ""), lat=f.number("lat", ge=-90, le=90),
        lon=f.number("lon", ge=-180, le=180), grid_mw_by_phase=read_grid(f, phases),
        lead_time_months=f.number("lead_time_months", ge=0), open_cost_usd=f.number("open_cost_usd", ge=0),
        power_blocks=tuple(blocks), energy_usd_per_mwh=f.number("energy_usd_per_mwh", ge=0),
        pue=f.number("pue", ge=PUE_MIN, le=PUE_MAX),
        max_it_mw=f.number("max_it_mw", gt=0) if f.has("max_it_mw") else None,
        opex_usd_per_it_mw_year=(f.number("opex_usd_per_it_mw_year", ge=0)
                                 if f.has("opex_usd_per_it_mw_year") else None),
        carbon_kg_per_mwh=f.number("carbon_kg_per_mwh", ge=0) if f.has("carbon_kg_per_mwh") else None,
        max_it_mw_per_phase=f.number("max_it_mw_per_phase", gt=0) if f.has("max_it_mw_per_phase") else None,
        grid_upgrades=tuple(read_grid_upgrade(u) for u in f.records("grid_upgrades", [])),
        onsite_power=tuple(read_onsite_power(o) for o in f.records("onsite_power", [])))
    f.done()
    return site


def read_grid_upgrade(f: Fields) -> GridUpgrade:
    upgrade = GridUpgrade(to_mw=f.number("to_mw", gt=0), capex_usd=f.number("capex_usd", ge=0),
                          lead_time_months=f.number("lead_time_months", ge=0))
    f.done()
    return upgrade


def read_onsite_power(f: Fields) -> OnsitePower:
    option = OnsitePower(id=f.identifier("id"), capex_usd_per_mw=f.number("capex_usd_per_mw", ge=0),
                         lead_time_months=f.number("lead_time_months", ge=0), max_mw=f.number("max_mw", gt=0),
                         fuel_usd_per_mwh=f.number("fuel_usd_per_mwh", 0.0, ge=0),
                         carbon_kg_per_mwh=f.number("carbon_kg_per_mwh", 0.0, ge=0),
                         supplies_energy=f.boolean("supplies_energy", True))
    f.done()
    return option


def read_fiber_route(f: Fields) -> FiberRoute:
    route = FiberRoute(a=f.identifier("a"), b=f.identifier("b"), km=f.number("km", gt=0))
    f.done()
    return route


def read_constraints(f: Fields, phases: int) -> Constraints:
    def id_list(key: str) -> tuple[str, ...]:
        out = []
        for path, item in f.items(key, []):
            if isinstance(item, bool) or not isinstance(item, (str, int)):
                f.problem(path, f"expected a site id, got {describe(item)}")
            else:
                out.append(str(item))
        return tuple(out)

    counted = f.has("min_sites_per_phase") or f.has("min_regions_per_phase")
    constraints = Constraints(
        max_site_share=f.number("max_site_share", gt=0, le=1) if f.has("max_site_share") else None,
        max_region_share=f.number("max_region_share", gt=0, le=1) if f.has("max_region_share") else None,
        min_sites_per_phase=f.integer("min_sites_per_phase", 0, ge=0),
        min_regions_per_phase=f.integer("min_regions_per_phase", 0, ge=0),
        diversity_min_it_mw=f.number("diversity_min_it_mw", 100.0 if counted else 0.0,
                                     **({"gt": 0} if counted else {"ge": 0})),
        required_sites=id_list("required_sites"), forbidden_sites=id_list("forbidden_sites"),
        training_max_latency_ms=(f.number("training_max_latency_ms", gt=0)
                                 if f.has("training_max_latency_ms") else None),
        fiber_route_factor=f.number("fiber_route_factor", 1.5, ge=1),
        shortfall_usd_per_mw=f.number("shortfall_usd_per_mw", gt=0) if f.has("shortfall_usd_per_mw") else None,
        max_region_it_mw_per_phase=(f.number("max_region_it_mw_per_phase", gt=0)
                                    if f.has("max_region_it_mw_per_phase") else None),
        carbon_cap_tonnes_per_year=read_carbon_caps(f, phases))
    f.done()
    return constraints


def read_carbon_caps(f: Fields, phases: int) -> tuple[float, ...] | None:
    """carbon_cap_tonnes_per_year: one number for every phase, or a list of one per phase."""
    key = "carbon_cap_tonnes_per_year"
    if not f.has(key):
        return None
    value = f.raw(key)
    if not isinstance(value, list):
        return (f.check_number(value, f.at(key), ge=0),) * phases
    caps = tuple(f.check_number(v, path, ge=0) for path, v in f.items(key))
    if len(caps) != phases:
        f.problem(f.at(key), f"expected one number, or {phases} (one per phase), got {len(caps)}")
        return None
    return caps


def read_demand_region(f: Fields) -> DemandRegion:
    key = "serve_cost_usd_per_year"
    costs = []
    cost_map = f.raw(key)
    if isinstance(cost_map, dict):
        for site_id, value in cost_map.items():
            costs.append((str(site_id), f.check_number(value, f"{f.at(key)}.{site_id}", ge=0)))
        if not costs:
            f.problem(f.at(key), "expected at least one site that can serve this region")
    elif f.has(key):
        f.problem(f.at(key), f"expected a mapping site id: yearly cost in USD, got {describe(cost_map)}")
    region = DemandRegion(id=f.identifier("id"), demand_mw=f.number("demand_mw", gt=0),
                          from_phase=f.identifier("from_phase"), serve_cost_usd_per_year=tuple(costs))
    f.done()
    return region
