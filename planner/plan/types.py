"""The rollout plan: what to build where in each phase, and how it was found.

A Plan is the contract between the optimizer, `topology/` and `stacks/`: plain frozen data, importable
without OR-Tools or networkx (`planner.optimize.extract` turns a solved model into one;
`planner.plan.io` reads and writes them).
IT MW is the power envelope the optimizer chose for GPU systems; racks are the whole racks of the
phase's platform that fit in it (GPUs follow from racks), and GPU capex is counted per whole rack.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.scenario.types import Platform, Switch

PLAN_FORMAT = "gwplan-plan/1"


@dataclass(frozen=True)
class Campus:
    """Where a site of the plan is (for the inter-campus network and the map)."""

    id: str
    lat: float
    lon: float
    region: str = ""


@dataclass(frozen=True)
class SitePhase:
    """One site in one phase: what is added now and what stands by the end of the phase."""

    site: str
    region: str
    opened_this_phase: bool
    blocks_added: tuple[int, ...]  # per power-block kind of the site, in scenario order
    block_it_mw_added: float
    block_it_mw_total: float  # IT capacity of the power blocks built so far
    facility_mw: float  # block_it_mw_total x PUE: power provisioned from the grid
    grid_mw: float  # what the grid can deliver to the site in this phase
    pue: float
    racks_added: int  # racks of this phase's platform
    it_mw_added: float
    it_mw_total: float  # IT MW of all racks installed so far, every platform
    gpus_added: int
    gpus_total: int
    capex_usd: float  # open cost, power blocks and GPU systems bought in this phase (nominal)
    opex_usd_per_year: float  # run rate of energy and fixed opex at it_mw_total


@dataclass(frozen=True)
class DemandService:
    region: str
    demand_mw: float
    served_mw: tuple[tuple[str, float], ...]  # (site, MW), split allowed


@dataclass(frozen=True)
class PhasePlan:
    id: str
    online_date: str
    platform: str
    it_mw_required: float
    funding_usd: float
    sites: tuple[SitePhase, ...]  # every site open by the end of this phase
    demand: tuple[DemandService, ...] = ()

    @property
    def it_mw_added(self) -> float:
        return sum(s.it_mw_added for s in self.sites)

    @property
    def it_mw_total(self) -> float:
        return sum(s.it_mw_total for s in self.sites)

    @property
    def facility_mw(self) -> float:
        return sum(s.facility_mw for s in self.sites)

    @property
    def racks_added(self) -> int:
        return sum(s.racks_added for s in self.sites)

    @property
    def gpus_added(self) -> int:
        return sum(s.gpus_added for s in self.sites)

    @property
    def gpus_total(self) -> int:
        return sum(s.gpus_total for s in self.sites)

    @property
    def capex_usd(self) -> float:
        return sum(s.capex_usd for s in self.sites)

    @property
    def opex_usd_per_year(self) -> float:
        return sum(s.opex_usd_per_year for s in self.sites)

    @property
    def sites_building(self) -> tuple[str, ...]:
        """Sites that add power blocks or racks in this phase."""
        return tuple(s.site for s in self.sites if s.racks_added or s.block_it_mw_added or s.opened_this_phase)


@dataclass(frozen=True)
class Provenance:
    scenario_name: str
    scenario_sha256: str
    gwplan_version: str
    ortools_version: str
    solver: str
    seed: int
    threads: int | None
    time_limit_s: float
    relative_gap_limit: float
    deterministic: bool
    status: str
    objective_usd: float
    best_bound_usd: float | None
    gap: float | None


@dataclass(frozen=True)
class Plan:
    provenance: Provenance
    phases: tuple[PhasePlan, ...]
    platforms: tuple[Platform, ...] = ()  # the catalog entries the phases use, as the plan was made
    switches: tuple[Switch, ...] = ()  # the switches those platforms name
    campuses: tuple[Campus, ...] = ()  # where the sites used are (for the inter-campus network)

    def platform(self, platform_id: str) -> Platform:
        return next(p for p in self.platforms if p.id == platform_id)

    def phase_index(self, phase_id: str) -> int:
        """Position of a phase; KeyError naming the plan's phases when there is no such phase."""
        for i, phase in enumerate(self.phases):
            if phase.id == phase_id:
                return i
        raise KeyError(f"phase {phase_id!r} is not in the plan (phases: {', '.join(p.id for p in self.phases)})")

    def switch(self, switch_id: str) -> Switch:
        return next(sw for sw in self.switches if sw.id == switch_id)

    @property
    def npv_usd(self) -> float:
        return self.provenance.objective_usd

    @property
    def capex_usd(self) -> float:
        return sum(p.capex_usd for p in self.phases)

    def capex_usd_through(self, index: int) -> float:
        """Capex of the phases up to and including position `index`."""
        return sum(p.capex_usd for p in self.phases[: index + 1])

    def funding_usd_through(self, index: int) -> float:
        """Funding released by the phases up to and including position `index`."""
        return sum(p.funding_usd for p in self.phases[: index + 1])

    @property
    def sites_used(self) -> tuple[str, ...]:
        return tuple(sorted({s.site for p in self.phases for s in p.sites}))
