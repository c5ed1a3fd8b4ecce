"""What moved between two plans: sites, when they open, IT MW per phase, and cost."""

from __future__ import annotations

from planner.plan import Plan


def _opening_phase(plan: Plan) -> dict[str, str]:
    out: dict[str, str] = {}
    for phase in plan.phases:
        for s in phase.sites:
            out.setdefault(s.site, phase.id)
    return out


def diff_plans(a: Plan, b: Plan) -> dict:
    """Plain data: totals, sites only in one plan, sites whose opening phase moved, and per phase and site
    the installed IT MW that changed (phases matched by id)."""
    open_a, open_b = _opening_phase(a), _opening_phase(b)
    moved = [{"site": s, "opens_a": open_a[s], "opens_b": open_b[s]}
             for s in sorted(set(open_a) & set(open_b)) if open_a[s] != open_b[s]]
    phases = []
    b_phases = {p.id: p for p in b.phases}
    for pa in a.phases:
        pb = b_phases.get(pa.id)
        if pb is None:
            continue
        it_a = {s.site: s.it_mw_total for s in pa.sites}
        it_b = {s.site: s.it_mw_total for s in pb.sites}
        changes = [{"site": s, "it_mw_a": it_a.get(s, 0.0), "it_mw_b": it_b.get(s, 0.0),
                    "delta_mw": round(it_b.get(s, 0.0) - it_a.get(s, 0.0), 6)}
                   for s in sorted(set(it_a) | set(it_b)) if abs(it_b.get(s, 0.0) - it_a.get(s, 0.0)) > 1e-6]
        phases.append({"phase": pa.id, "capex_usd_a": round(pa.capex_usd, 2), "capex_usd_b": round(pb.capex_usd, 2),
                       "delta_capex_usd": round(pb.capex_usd - pa.capex_usd, 2), "sites": changes})
    return {
        "npv_usd_a": a.npv_usd, "npv_usd_b": b.npv_usd, "delta_npv_usd": round(b.npv_usd - a.npv_usd, 2),
        "capex_usd_a": round(a.capex_usd, 2), "capex_usd_b": round(b.capex_usd, 2),
        "delta_capex_usd": round(b.capex_usd - a.capex_usd, 2),
        "sites_only_in_a": sorted(set(open_a) - set(open_b)), "sites_only_in_b": sorted(set(open_b) - set(open_a)),
        "sites_opening_moved": moved, "phases": phases,
        "phases_only_in_a": [p.id for p in a.phases if p.id not in b_phases],
        "phases_only_in_b": [p.id for p in b.phases if p.id not in {x.id for x in a.phases}],
    }
