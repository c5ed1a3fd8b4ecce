"""The bundled 10 GW scenario: solved to optimality, and the plan keeps every rule of the scenario."""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace

import pytest

from planner.optimize.parameters import eligible_phases
from planner.plan import load_plan


@pytest.fixture(scope="module")
def solved(bundled_run):
    """(scenario, outcome-like view): the bundled scenario solved once per test run (conftest)."""
    scenario, plan_path, report = bundled_run
    return scenario, SimpleNamespace(plan=load_plan(plan_path), report=report)


def test_optimal_within_the_default_gap(solved):
    _, out = solved
    assert out.report["status"] == "optimal" and out.report["gap"] <= 1e-4
    assert out.plan.provenance.status == "optimal" and out.plan.provenance.gap <= 1e-4


def test_capacity_meets_every_phase(solved):
    scenario, out = solved
    needed = 0.0
    for phase, planned in zip(scenario.phases, out.plan.phases):
        needed += phase.it_mw_required
        assert planned.it_mw_total >= needed - 1e-6
        platform = scenario.platform(phase.platform)
        assert planned.gpus_added == sum(s.racks_added for s in planned.sites) * platform.gpus_per_rack
        assert all(s.racks_added * platform.rack_it_mw <= s.it_mw_added + 1e-6 for s in planned.sites)


def test_grid_funding_and_lead_times_hold(solved):
    scenario, out = solved
    sites = {s.id: s for s in scenario.sites}
    spent = funded = 0.0
    for p, planned in enumerate(out.plan.phases):
        spent += planned.capex_usd
        funded += planned.funding_usd
        assert spent <= funded + 1.0
        for s in planned.sites:
            assert s.grid_mw == sites[s.site].grid_mw_by_phase[p]
            assert s.facility_mw <= s.supply_mw + 1e-6  # grid, a paid upgrade and on-site power
            assert s.it_mw_total <= s.block_it_mw_total + 1e-6
            assert p in eligible_phases(scenario, sites[s.site])


def test_diversity_rules_hold_and_the_regional_limit_binds(solved):
    scenario, out = solved
    c = scenario.constraints
    binding = 0
    for planned in out.plan.phases:
        by_region = defaultdict(float)
        for s in planned.sites:
            by_region[s.region] += s.it_mw_total
            assert s.it_mw_total <= c.max_site_share * planned.it_mw_total + 1e-6
        assert max(by_region.values()) <= c.max_region_share * planned.it_mw_total + 1e-6
        binding += max(by_region.values()) >= c.max_region_share * planned.it_mw_total - 1e-3
        adding = [s for s in planned.sites if s.it_mw_added >= c.diversity_min_it_mw - 1e-6]
        assert len(adding) >= c.min_sites_per_phase
        assert len({s.region for s in adding}) >= c.min_regions_per_phase
    assert binding >= 1, "the scenario should make the regional limit bind somewhere"


def test_inference_demand_is_served(solved):
    scenario, out = solved
    phase_index = {p.id: i for i, p in enumerate(scenario.phases)}
    for region in scenario.demand_regions:
        for planned in out.plan.phases[phase_index[region.from_phase]:]:
            service = next(d for d in planned.demand if d.region == region.id)
            assert sum(mw for _, mw in service.served_mw) == pytest.approx(region.demand_mw, rel=1e-6)
