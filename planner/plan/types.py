"""The rollout plan: what to build where in each phase, and how it was found.

A Plan is the contract between the optimizer, `topology/` and `stacks/`: plain frozen data, importable
without OR-Tools or networkx (`planner.optimize.extract` turns a solved model into one;
`planner.plan.io` reads and writes them).
IT MW is the power envelope the optimizer chose for GPU systems; racks are the whole racks of the
phase's platform that fit in it (GPUs follow from racks), and GPU capex is counted per whole rack. Both
figures are reported: `it_mw_*` (the envelope the requirement is met with) and `rack_it_mw_*` (what the
whole racks in it draw). "GPUs" are GPU packages, as NVIDIA counts them for the rack names (72 in a
Vera Rubin NVL144 rack); `gpu_dies_*` count the dies (two per Rubin package, four per Rubin Ultra).
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.scenario.types import Platform, Switch
from topology.geo import Campus  # where a site of the plan is (networkx-free)

PLAN_FORMAT = "gwplan-plan/1"


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
    it_mw_total: float  # IT MW standing at the phase's online date, every platform (less what has retired)
    gpus_added: int  # GPU packages
    gpus_total: int
    capex_usd: float  # open cost, power blocks, grid upgrade, on-site power, GPU systems bought now (nominal)
    opex_usd_per_year: float  # run rate of energy, fuel and fixed opex at it_mw_total, today's prices
    rack_it_mw_added: float = 0.0  # racks_added x the platform's rack IT MW: what the whole racks draw
    rack_it_mw_total: float = 0.0
    gpu_dies_added: int = 0
    gpu_dies_total: int = 0
    power_mw: tuple[tuple[str, float], ...] = ()  # firm facility MW by source: grid, upgrade, on-site ids
    energy_mwh_per_year: tuple[tuple[str, float], ...] = ()  # facility energy by source at this phase's run rate
    emissions_t_per_year: float = 0.0  # CO2 at this phase's run rate

    @property
    def supply_mw(self) -> float:
        """Firm facility MW available: every source of power_mw (the grid alone in plans without it)."""
        return sum(mw for _, mw in self.power_mw) if self.power_mw else self.grid_mw


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
    shortfall_mw: float = 0.0  # IT MW of the cumulative requirement not met (only with a shortfall price)

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
    def rack_it_mw_total(self) -> float:
        return sum(s.rack_it_mw_total for s in self.sites)

    @property
    def gpu_dies_total(self) -> int:
        return sum(s.gpu_dies_total for s in self.sites)

    @property
    def emissions_t_per_year(self) -> float:
        return sum(s.emissions_t_per_year for s in self.sites)

    def power_mw_by_source(self) -> dict[str, float]:
        """Firm facility MW by source over the phase's sites: grid, upgrade, and each on-site option."""
        out: dict[str, float] = {}
        for s in self.sites:
            for source, mw in s.power_mw:
                out[source] = out.get(source, 0.0) + mw
        return out

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
class Refresh:
    """GPU systems reaching the end of their IT life inside the horizon, replaced in kind."""

    date: str  # ISO date
    site: str
    bought_in_phase: str
    platform: str  # the platform current at the refresh
    it_mw: float
    capex_usd: float  # nominal


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
    gap: float | None  # proven: (objective - best bound) / objective, the bound from the full model
    method: str = "branch and bound on the full model"  # how the plan was found (a restricted start, ...)
    caveat: str = ""  # the scenario's caveat (e.g. "illustrative figures"), shown at the top of reports


@dataclass(frozen=True)
class Plan:
    provenance: Provenance
    phases: tuple[PhasePlan, ...]
    platforms: tuple[Platform, ...] = ()  # the catalog entries the phases use, as the plan was made
    switches: tuple[Switch, ...] = ()  # the switches those platforms name
    campuses: tuple[Campus, ...] = ()  # where the sites used are (for the inter-campus network)
    refreshes: tuple[Refresh, ...] = ()  # like-for-like GPU refreshes inside the horizon

    def platform(self, platform_id: str) -> Platform:
        return next(p for p in self.platforms if p.id == platform_id)

    def _repr_html_(self) -> str:
        """A plan in a notebook: the phases as a table, and how the plan was found."""
        from html import escape

        head = ("phase", "online", "platform", "sites building", "IT MW added", "IT MW total", "GPUs added",
                "capex $B", "funding $B")
        rows = "".join(
            "<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in (
                p.id, p.online_date, p.platform, ", ".join(p.sites_building), f"{p.it_mw_added:,.0f}",
                f"{p.it_mw_total:,.0f}", f"{p.gpus_added:,}", f"{p.capex_usd / 1e9:,.2f}",
                f"{p.funding_usd / 1e9:,.2f}")) + "</tr>" for p in self.phases)
        pv = self.provenance
        gap = f"gap {pv.gap:.1e}" if pv.gap is not None else "no proven gap"
        return (f"<p><b>{escape(pv.scenario_name)}</b>: {escape(pv.status)}, {gap}, net present cost "
                f"${pv.objective_usd / 1e9:,.1f}B ({escape(pv.solver)})</p><table><thead><tr>"
                + "".join(f"<th>{h}</th>" for h in head) + f"</tr></thead><tbody>{rows}</tbody></table>")

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
    def refresh_capex_usd(self) -> float:
        return sum(r.capex_usd for r in self.refreshes)

    @property
    def sites_used(self) -> tuple[str, ...]:
        return tuple(sorted({s.site for p in self.phases for s in p.sites}))
