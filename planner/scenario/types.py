"""The typed, validated form of a rollout scenario: what the optimizer reads.

Instances are built only by `planner.scenario.load_scenario` (which checks every field) and are frozen:
the model never mutates its input. Units are in the field names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Uncertain:
    """A catalog figure that public sources do not pin down: the value used, and the range they span."""

    default: float
    low: float
    high: float
    source: str = ""


@dataclass(frozen=True)
class Platform:
    """A rack-scale GPU system: one rack is one NVLink (scale-up) domain or more."""

    id: str
    name: str
    available_from: date
    gpus_per_rack: int
    gpu_dies_per_rack: int
    gpus_per_node: int
    nvlink_domain_gpus: int
    rack_it_kw: Uncertain
    system_capex_usd_per_rack: Uncertain
    scale_out_gbps_per_gpu: float
    scale_out_nics_per_gpu: int
    switch: str
    su_racks: int | None = None  # racks in one scalable unit of the platform's reference design (None: derived)

    @property
    def rack_it_mw(self) -> float:
        return self.rack_it_kw.default / 1000.0

    @property
    def nodes_per_rack(self) -> int:
        """Compute nodes (trays) in one rack."""
        return self.gpus_per_rack // self.gpus_per_node


@dataclass(frozen=True)
class Switch:
    """A fabric switch model."""

    id: str
    name: str
    ports: int
    port_gbps: float
    netbox_device_type: str | None
    optics: str = "pluggable"  # pluggable | cpo (co-packaged)
    power_w: Uncertain | None = None  # system power without optics
    protocol: str = "ethernet"  # infiniband | ethernet
    u_height: int = 1  # rack units
    port_names: str | None = None  # port name template (topology.ports); None: swp{n} / p{n} by protocol
    interface_type: str | None = None  # NetBox interface type; None: from protocol and port speed
    ufm_port_names: str | None = None  # port names in UFM's P2P sheet (InfiniBand); None: port_names


@dataclass(frozen=True)
class PowerBlock:
    """One kind of power block a site can add: a fixed slice of IT capacity at a capex per IT MW."""

    it_mw: float
    capex_usd_per_it_mw: float
    lead_time_months: float | None = None  # from order to energized; None: the site's lead time


@dataclass(frozen=True)
class GridUpgrade:
    """A paid interconnection upgrade: from `lead_time_months` after the planning start, the grid delivers
    at least `to_mw` facility MW (earlier than its own ramp, or more than it ever would)."""

    to_mw: float
    capex_usd: float
    lead_time_months: float


@dataclass(frozen=True)
class OnsitePower:
    """An on-site supply option: gas turbines, fuel cells (energy and firm capacity), or batteries (firm
    capacity only: they shave the peak above the grid's supply, the energy still comes from elsewhere)."""

    id: str
    capex_usd_per_mw: float
    lead_time_months: float
    max_mw: float
    fuel_usd_per_mwh: float = 0.0
    carbon_kg_per_mwh: float = 0.0
    supplies_energy: bool = True


@dataclass(frozen=True)
class FiberRoute:
    """A fiber route the scenario knows of, between two candidate sites, with its length along the route."""

    a: str
    b: str
    km: float


@dataclass(frozen=True)
class Site:
    """A candidate campus."""

    id: str
    name: str
    region: str
    grid_operator: str
    lat: float
    lon: float
    grid_mw_by_phase: tuple[float, ...]  # facility MW the grid can deliver, one value per phase
    lead_time_months: float
    open_cost_usd: float
    power_blocks: tuple[PowerBlock, ...]
    energy_usd_per_mwh: float
    pue: float
    max_it_mw: float | None = None
    opex_usd_per_it_mw_year: float | None = None  # None: the scenario's economics default
    carbon_kg_per_mwh: float | None = None  # of the grid's energy; None: not counted
    max_it_mw_per_phase: float | None = None  # construction rate: the most IT MW one phase adds here
    grid_upgrades: tuple[GridUpgrade, ...] = ()
    onsite_power: tuple[OnsitePower, ...] = ()

    def block_lead_time_months(self, block: PowerBlock) -> float:
        return self.lead_time_months if block.lead_time_months is None else block.lead_time_months


@dataclass(frozen=True)
class Phase:
    """One rollout phase: new IT capacity that must be online by a date, on one platform."""

    id: str
    online_date: date
    online_label: str  # as written in the scenario, e.g. "2026-H2"
    it_mw_required: float
    platform: str
    funding_usd: float


@dataclass(frozen=True)
class Economics:
    planning_start_date: date
    discount_rate: float
    horizon_years: float
    utilization: float  # average IT load as a fraction of installed IT capacity
    fixed_opex_usd_per_it_mw_year: float
    facility_life_years: float  # straight-line salvage of power blocks and open costs
    it_life_years: float  # GPU systems are refreshed (or retired) at the end of it; straight-line salvage
    carry_over_unspent_funding: bool
    it_end_of_life: str = "refresh"  # refresh: in kind at the then-current platform's price | retire
    construction_spend_profile: tuple[float, ...] = (1.0,)  # shares of construction capex over equal slices
    #   of its lead time, first slice first: (1.0,) spreads it evenly; GPU systems are paid at the online date
    energy_escalation_per_year: float = 0.0  # energy and fuel prices grow by this share a year
    carbon_usd_per_tonne: float = 0.0


@dataclass(frozen=True)
class Constraints:
    max_site_share: float | None = None
    max_region_share: float | None = None
    min_sites_per_phase: int = 0
    min_regions_per_phase: int = 0
    diversity_min_it_mw: float = 0.0  # a site/region counts toward the minimums when it adds this much
    required_sites: tuple[str, ...] = ()
    forbidden_sites: tuple[str, ...] = ()
    training_max_latency_ms: float | None = None  # every pair of sites adding IT in one phase within this
    fiber_route_factor: float = 1.5  # direct route = great circle x this (without the scenario's fiber_routes)
    shortfall_usd_per_mw: float | None = None  # None: requirements are hard; else each MW short costs this per phase
    max_region_it_mw_per_phase: float | None = None  # construction rate of a region
    carbon_cap_tonnes_per_year: tuple[float, ...] | None = None  # one cap per phase, on its run rate


@dataclass(frozen=True)
class DemandRegion:
    """Inference demand: MW to be served, from any site with a cost, from a phase on; split allowed."""

    id: str
    demand_mw: float
    from_phase: str
    serve_cost_usd_per_year: tuple[tuple[str, float], ...]  # (site id, yearly cost of serving all of it)


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    caveat: str  # what a reader must know before trusting the figures ("" when none); shown on reports
    source_path: str
    sha256: str  # of the merged, canonical scenario document
    economics: Economics
    constraints: Constraints
    phases: tuple[Phase, ...]
    sites: tuple[Site, ...]
    platforms: tuple[Platform, ...]
    switches: tuple[Switch, ...]
    demand_regions: tuple[DemandRegion, ...] = field(default=())
    fiber_routes: tuple[FiberRoute, ...] = field(default=())

    def platform(self, platform_id: str) -> Platform:
        return next(p for p in self.platforms if p.id == platform_id)

    def phase_years(self, phase: Phase) -> float:
        """Years from the planning start to a phase's online date."""
        return (phase.online_date - self.economics.planning_start_date).days / 365.25

    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(sorted({s.region for s in self.sites}))
