"""What moved between two plans: sites, when they open, IT MW per phase, and cost."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from planner.plan.types import Plan

MW_TOLERANCE = 1e-6  # installed IT closer than this is unchanged


@dataclass(frozen=True)
class SiteMove:
    site: str
    opens_a: str  # phase id
    opens_b: str


@dataclass(frozen=True)
class SiteChange:
    site: str
    it_mw_a: float
    it_mw_b: float
    delta_mw: float


@dataclass(frozen=True)
class PhaseDiff:
    phase: str
    capex_usd_a: float
    capex_usd_b: float
    delta_capex_usd: float
    sites: tuple[SiteChange, ...]  # sites whose installed IT MW changed


@dataclass(frozen=True)
class PlanDiff:
    npv_usd_a: float
    npv_usd_b: float
    delta_npv_usd: float
    capex_usd_a: float
    capex_usd_b: float
    delta_capex_usd: float
    sites_only_in_a: tuple[str, ...]
    sites_only_in_b: tuple[str, ...]
    sites_opening_moved: tuple[SiteMove, ...]
    phases: tuple[PhaseDiff, ...]  # phases in both plans, matched by id
    phases_only_in_a: tuple[str, ...]
    phases_only_in_b: tuple[str, ...]

    def as_json(self) -> dict:
        """Plain data for `gwplan diff --json` (tuples as lists)."""
        return asdict(self)


def _opening_phase(plan: Plan) -> dict[str, str]:
    out: dict[str, str] = {}
    for phase in plan.phases:
        for s in phase.sites:
            out.setdefault(s.site, phase.id)
    return out


def _phase_diff(a, b) -> PhaseDiff:
    it_a = {s.site: s.it_mw_total for s in a.sites}
    it_b = {s.site: s.it_mw_total for s in b.sites}
    changes = tuple(SiteChange(site=s, it_mw_a=it_a.get(s, 0.0), it_mw_b=it_b.get(s, 0.0),
                               delta_mw=round(it_b.get(s, 0.0) - it_a.get(s, 0.0), 6))
                    for s in sorted(set(it_a) | set(it_b))
                    if abs(it_b.get(s, 0.0) - it_a.get(s, 0.0)) > MW_TOLERANCE)
    return PhaseDiff(phase=a.id, capex_usd_a=round(a.capex_usd, 2), capex_usd_b=round(b.capex_usd, 2),
                     delta_capex_usd=round(b.capex_usd - a.capex_usd, 2), sites=changes)


def diff_plans(a: Plan, b: Plan) -> PlanDiff:
    """Totals, sites only in one plan, sites whose opening phase moved, and per phase and site the
    installed IT MW that changed (phases matched by id)."""
    open_a, open_b = _opening_phase(a), _opening_phase(b)
    b_phases = {p.id: p for p in b.phases}
    a_ids = {p.id for p in a.phases}
    return PlanDiff(
        npv_usd_a=a.npv_usd, npv_usd_b=b.npv_usd, delta_npv_usd=round(b.npv_usd - a.npv_usd, 2),
        capex_usd_a=round(a.capex_usd, 2), capex_usd_b=round(b.capex_usd, 2),
        delta_capex_usd=round(b.capex_usd - a.capex_usd, 2),
        sites_only_in_a=tuple(sorted(set(open_a) - set(open_b))),
        sites_only_in_b=tuple(sorted(set(open_b) - set(open_a))),
        sites_opening_moved=tuple(SiteMove(site=s, opens_a=open_a[s], opens_b=open_b[s])
                                  for s in sorted(set(open_a) & set(open_b)) if open_a[s] != open_b[s]),
        phases=tuple(_phase_diff(pa, b_phases[pa.id]) for pa in a.phases if pa.id in b_phases),
        phases_only_in_a=tuple(p.id for p in a.phases if p.id not in b_phases),
        phases_only_in_b=tuple(p.id for p in b.phases if p.id not in a_ids))
