"""Hand-solvable scenarios for money, power and risk: each new term of the model, worked out by hand.

Every scenario is tiny_doc's: planning start 2026-01-01, no discounting unless said, utilization 1,
horizon 5 years, one phase online 2027-01-01 (t1 = 365 / 365.25 years) unless said.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from planner.fields import InputError
from planner.optimize.options import SolveOptions
from planner.optimize.result import SolveStatus
from planner.optimize.rollout import plan_rollout
from planner.scenario import load_scenario
from tests.helpers import site, tiny_doc

M = 1e6
T1 = 365 / 365.25  # 2027-01-01, in years after 2026-01-01
HOURS = 8760.0


def phases(*specs):
    """(online date, required MW, funding USD) per phase."""
    return [{"id": str(i + 1), "online_date": date, "it_mw_required": mw, "platform": "unit", "funding_usd": funding}
            for i, (date, mw, funding) in enumerate(specs)]


def npv(out) -> float:
    assert out.result.status == SolveStatus.OPTIMAL, out.result.detail
    return out.plan.npv_usd


# -- latency between campuses -----------------------------------------------------------------------------

def latency_doc(**extra):
    """A and B (60 MW each) must both build in the one phase (100 MW): only if they are close enough.
    A-B is 853 km of great circle: 853 x 1.5 x 5 us = 6.4 ms direct."""
    sites = [site("A", grid=[60.0], lat=40.0, lon=-100.0), site("B", grid=[60.0], lat=40.0, lon=-90.0)]
    sites += extra.pop("more_sites", [])
    return tiny_doc(sites, **extra)


def test_forbidden_sites_do_not_change_the_latency_between_two_campuses(solve_doc):
    from topology.geo import Campus, direct_latency_ms

    assert direct_latency_ms(Campus("A", 40.0, -100.0), Campus("B", 40.0, -90.0)) == pytest.approx(6.4, abs=0.05)
    _, alone = solve_doc(latency_doc(constraints={"training_max_latency_ms": 10.0}))
    far = [site(f"F{k}", lat=30.0 + k, lon=-120.0 + 3 * k) for k in range(30)]  # a mesh could route A-B via these
    forbidden = {"training_max_latency_ms": 10.0, "forbidden_sites": [s["id"] for s in far]}
    _, crowded = solve_doc(latency_doc(constraints=forbidden, more_sites=far))
    assert npv(crowded) == pytest.approx(npv(alone), rel=1e-12) == pytest.approx(100 * M)


def test_latency_over_the_scenario_fiber_routes(solve_doc, write_scenario):
    """Direct A-B is 6.4 ms, over the limit of 5; with fiber A-C 400 km and C-B 500 km (C never built) the
    route is 900 km x 5 us = 4.5 ms: within it."""
    direct = latency_doc(constraints={"training_max_latency_ms": 5.0})
    scenario = load_scenario(write_scenario(direct))
    assert plan_rollout(scenario, SolveOptions()).result.status == SolveStatus.INFEASIBLE
    routed = latency_doc(constraints={"training_max_latency_ms": 5.0, "forbidden_sites": ["C"]},
                         more_sites=[site("C", lat=45.0, lon=-95.0)],
                         fiber_routes=[{"a": "A", "b": "C", "km": 400}, {"a": "C", "b": "B", "km": 500}])
    _, out = solve_doc(routed)
    assert npv(out) == pytest.approx(100 * M)
    slower = latency_doc(constraints={"training_max_latency_ms": 4.4, "forbidden_sites": ["C"]},
                         fiber_routes=routed["fiber_routes"],
                         more_sites=[site("C", lat=45.0, lon=-95.0)])
    assert plan_rollout(load_scenario(write_scenario(slower)), SolveOptions()).result.status == SolveStatus.INFEASIBLE


def test_fiber_routes_must_join_known_sites(write_scenario):
    doc = latency_doc(fiber_routes=[{"a": "A", "b": "Z", "km": 10}, {"a": "B", "b": "B", "km": 5}])
    with pytest.raises(InputError) as err:
        load_scenario(write_scenario(doc))
    messages = [f"{p.path}: {p.message}" for p in err.value.problems]
    assert "fiber_routes[0].b: unknown site 'Z'" in messages
    assert any(m.startswith("fiber_routes[1].b: a route joins two different sites") for m in messages)


# -- GPU refresh and retirement ---------------------------------------------------------------------------

def gpu_doc(q_per_mw: float, life: float, end_of_life: str = "refresh", **extra) -> dict:
    doc = tiny_doc([site("A", capex_per_mw=0.0)], **extra)
    doc["platforms"][0]["system_capex_usd_per_rack"] = q_per_mw  # one rack = 1 MW
    doc["economics"].update({"it_life_years": life, "it_end_of_life": end_of_life})
    return doc


def test_gpu_systems_are_refreshed_in_kind_until_the_horizon(solve_doc):
    """A 1.5-year life from t1: bought at t1, refreshed at t1 + 1.5 and t1 + 3 (t1 + 4.5 is past the horizon
    of 5); the last purchase is worth 1 - (5 - (t1 + 3)) / 1.5 of its price at the horizon."""
    _, out = solve_doc(gpu_doc(2 * M, 1.5))
    salvage = 1 - (5 - (T1 + 3.0)) / 1.5
    assert npv(out) == pytest.approx(3 * 200 * M - salvage * 200 * M, rel=1e-9)
    dates = [(date(2026, 1, 1) + timedelta(days=round(years * 365.25))).isoformat() for years in (T1 + 1.5, T1 + 3)]
    assert [(r.date, r.it_mw, r.capex_usd) for r in out.plan.refreshes] == [(d, 100.0, 200 * M) for d in dates]
    assert out.plan.refresh_capex_usd == 400 * M


def test_retired_gpu_systems_must_be_bought_again_to_keep_capacity(solve_doc):
    """Retired after 1.5 years, phase 1's systems are gone by phase 2 (two years later, 0 MW more required):
    phase 2 buys the 100 MW again. No salvage: each purchase retires before the horizon."""
    doc = gpu_doc(2 * M, 1.5, "retire", phases=phases(("2027-01-01", 100, 1e12), ("2029-01-01", 0, 1e12)))
    _, out = solve_doc(doc)
    assert npv(out) == pytest.approx(2 * 200 * M, rel=1e-9)
    second = out.plan.phases[1].sites[0]
    assert second.it_mw_added == pytest.approx(100.0) and second.it_mw_total == pytest.approx(100.0)
    assert out.plan.refreshes == ()


def test_retired_systems_stop_drawing_energy(solve_doc):
    """At 10 $/MWh and PUE 1, 100 MW of GPUs that retire after 1.5 years use 1.5 years of energy."""
    doc = gpu_doc(0.0, 1.5, "retire")
    doc["sites"][0]["energy_usd_per_mwh"] = 10.0
    _, out = solve_doc(doc)
    assert npv(out) == pytest.approx(100 * HOURS * 10.0 * 1.5, rel=1e-9)
    refreshed = gpu_doc(0.0, 1.5, "refresh")
    refreshed["sites"][0]["energy_usd_per_mwh"] = 10.0
    _, kept = solve_doc(refreshed)
    assert npv(kept) == pytest.approx(100 * HOURS * 10.0 * (5 - T1), rel=1e-9)  # refreshed: to the horizon


# -- when money is spent ----------------------------------------------------------------------------------

def test_construction_is_paid_over_its_lead_time(solve_doc):
    """Blocks for 100 MW at 1 M/MW with a 12-month lead, 10 % discount: paid evenly over [t1 - 1, t1], they
    cost the average discount factor over that year; a profile [0, 1] pays all in the last half-year."""
    doc = tiny_doc([site("A", lead=12)])
    doc["economics"]["discount_rate"] = 0.1
    _, even = solve_doc(doc)
    d = lambda t: 1.1 ** -t  # noqa: E731
    assert npv(even) == pytest.approx(100 * M * (d(T1 - 1) - d(T1)) / math.log(1.1), rel=1e-9)
    doc["economics"]["construction_spend_profile"] = [0.0, 1.0]
    _, late = solve_doc(doc)
    assert npv(late) == pytest.approx(100 * M * (d(T1 - 0.5) - d(T1)) / 0.5 / math.log(1.1), rel=1e-9)
    assert npv(late) < npv(even)  # paying later costs less today


def test_funding_is_checked_against_when_construction_is_paid(write_scenario):
    """Phase 2 (2027-07-01, 50 MW more) can only build at B (lead 15 months, so not in phase 1): the part of
    B's 50 M paid before phase 1 is online comes from phase 1's funding (no carry-over), on top of the
    50 M phase 1 spends at A."""
    specs = phases(("2027-01-01", 50, None), ("2027-07-01", 50, 1e12))
    sites = [site("A", grid=[50.0], lead=0), site("B", lead=15)]

    def status(phase1_funding: float) -> SolveStatus:
        specs[0]["funding_usd"] = phase1_funding
        scenario = load_scenario(write_scenario(tiny_doc(sites, specs)))
        return plan_rollout(scenario, SolveOptions(relative_gap=1e-9)).result.status

    t2 = 546 / 365.25  # 2027-07-01
    share = (T1 - (t2 - 1.25)) / 1.25  # of B's 15 months of construction, what falls before 2027-01-01
    assert status(50 * M + share * 50 * M + 1.0) == SolveStatus.OPTIMAL
    assert status(50 * M + share * 50 * M - 1e5) == SolveStatus.INFEASIBLE


def test_a_power_block_kind_waits_for_its_own_lead_time(solve_doc):
    """The cheap 200 MW block takes 18 months: phase 1 (12 months out) must use the dear 10 MW blocks."""
    doc = tiny_doc([site("A")], phases(("2027-01-01", 100, 1e12), ("2028-01-01", 200, 1e12)))
    doc["sites"][0]["power_blocks"] = [{"it_mw": 10, "capex_usd_per_it_mw": 2 * M},
                                       {"it_mw": 200, "capex_usd_per_it_mw": 1 * M, "lead_time_months": 18}]
    _, out = solve_doc(doc)
    first, second = (p.sites[0].blocks_added for p in out.plan.phases)
    assert first == (10, 0) and second == (0, 1)
    assert npv(out) == pytest.approx(100 * 2 * M + 200 * 1 * M, rel=1e-9)


# -- whole racks and what a GPU is -----------------------------------------------------------------------

def test_the_plan_shows_whole_rack_power_and_gpu_dies(solve_doc):
    doc = tiny_doc([site("A")])
    doc["platforms"][0].update({"rack_it_kw": 300, "gpus_per_rack": 72, "gpu_dies_per_rack": 144})
    _, out = solve_doc(doc)
    a = out.plan.phases[0].sites[0]
    assert a.it_mw_added == pytest.approx(100.0) and a.racks_added == 333
    assert a.rack_it_mw_added == pytest.approx(99.9)  # what the 333 whole racks draw: 0.1 MW less
    assert a.gpus_added == 333 * 72 and a.gpu_dies_added == 333 * 144


# -- power supply as a decision ----------------------------------------------------------------------------

def test_gas_turbines_cover_what_the_grid_cannot(solve_doc):
    """A's grid gives 60 MW; 40 MW of turbines (0.5 M/MW, fuel 50 $/MWh) carry the rest: the grid's 60 MW
    average at 20 $/MWh, the turbines' 40 MW. B (no grid limit) costs 3 M/MW of blocks: dearer."""
    a = site("A", grid=[60.0], energy=20.0, onsite_power=[
        {"id": "turbines", "capex_usd_per_mw": 0.5 * M, "lead_time_months": 0, "max_mw": 50, "fuel_usd_per_mwh": 50,
         "carbon_kg_per_mwh": 400}])
    _, out = solve_doc(tiny_doc([a, site("B", capex_per_mw=3 * M, energy=20.0)]))
    years = 5 - T1
    expected = 100 * M + 40 * 0.5 * M + (60 * 20.0 + 40 * 50.0) * HOURS * years
    assert npv(out) == pytest.approx(expected, rel=1e-9)
    planned = out.plan.phases[0].sites[0]
    assert dict(planned.power_mw) == pytest.approx({"grid": 60.0, "turbines": 40.0})
    assert dict(planned.energy_mwh_per_year) == pytest.approx({"grid": 60 * HOURS, "turbines": 40 * HOURS})
    assert planned.emissions_t_per_year == pytest.approx(40 * HOURS * 0.4)  # the grid's carbon is not given


def test_batteries_firm_the_peak_but_supply_no_energy(solve_doc):
    """Grid 90 MW, utilization 0.8: the 80 MW average fits the grid, the 100 MW peak needs 10 MW of batteries."""
    a = site("A", grid=[90.0], onsite_power=[
        {"id": "batteries", "capex_usd_per_mw": 0.2 * M, "lead_time_months": 0, "max_mw": 50,
         "supplies_energy": False}])
    doc = tiny_doc([a, site("B", capex_per_mw=3 * M)])
    doc["economics"]["utilization"] = 0.8
    _, out = solve_doc(doc)
    assert npv(out) == pytest.approx(100 * M + 10 * 0.2 * M, rel=1e-9)
    assert dict(out.plan.phases[0].sites[0].power_mw) == pytest.approx({"grid": 90.0, "batteries": 10.0})


@pytest.mark.parametrize("upgrade_usd, upgraded", [(5 * M, True), (60 * M, False)])
def test_a_paid_grid_upgrade_brings_power_earlier(solve_doc, upgrade_usd, upgraded):
    """A's grid reaches 100 MW only in 2029; lifting it to 100 MW now costs `upgrade_usd`. Without it, 50 MW
    go to B at 1.5 M/MW instead of 1 M/MW (25 M more): worth it for 5 M, not for 60 M."""
    a = site("A", grid=[50.0], grid_upgrades=[{"to_mw": 100, "capex_usd": upgrade_usd, "lead_time_months": 0}])
    _, out = solve_doc(tiny_doc([a, site("B", capex_per_mw=1.5 * M)]))
    planned = {s.site: s for s in out.plan.phases[0].sites}
    assert ("upgrade" in dict(planned["A"].power_mw)) is upgraded
    assert npv(out) == pytest.approx(100 * M + upgrade_usd if upgraded else 50 * M + 75 * M, rel=1e-9)


# -- slips, build rate, carbon, escalation -------------------------------------------------------------------

def test_a_shortfall_at_its_price_instead_of_infeasibility(solve_doc, write_scenario):
    """Only 80 MW can be built for the 100 required: infeasible, unless each MW short costs 3 M."""
    hard = tiny_doc([site("A", grid=[80.0])])
    assert plan_rollout(load_scenario(write_scenario(hard)), SolveOptions()).result.status == SolveStatus.INFEASIBLE
    _, out = solve_doc(tiny_doc([site("A", grid=[80.0])], constraints={"shortfall_usd_per_mw": 3 * M}))
    assert out.plan.phases[0].shortfall_mw == pytest.approx(20.0)
    assert npv(out) == pytest.approx(80 * M + 20 * 3 * M, rel=1e-9)


def test_construction_rate_of_a_campus_and_of_a_region(solve_doc):
    """A (cheapest) adds at most 60 MW a phase; region r1 (A and B) at most 80: C in r2 takes the last 20."""
    sites = [site("A", max_it_mw_per_phase=60), site("B", capex_per_mw=1.2 * M),
             site("C", capex_per_mw=1.5 * M, region="r2")]
    _, out = solve_doc(tiny_doc(sites, constraints={"max_region_it_mw_per_phase": 80}))
    built = {s.site: s.it_mw_added for s in out.plan.phases[0].sites if s.it_mw_added > 0}
    assert built == pytest.approx({"A": 60.0, "B": 20.0, "C": 20.0})
    assert npv(out) == pytest.approx(60 * M + 20 * 1.2 * M + 20 * 1.5 * M, rel=1e-9)


def test_a_carbon_price_and_a_carbon_cap_move_capacity_to_clean_power(solve_doc):
    """Dirty A (500 kg/MWh, 20 $/MWh) and clean B (0 kg/MWh, 25 $/MWh): without a carbon price A wins; at
    50 $/t A's energy costs 20 + 25 = 45 $/MWh and B wins; a cap of 100,000 t/yr keeps A to 22.8 MW (with
    free power blocks, so that whole blocks do not round it)."""
    sites = [site("A", energy=20.0, carbon_kg_per_mwh=500), site("B", energy=25.0, carbon_kg_per_mwh=0)]
    _, free = solve_doc(tiny_doc(sites))
    assert {s.site for s in free.plan.phases[0].sites if s.it_mw_added > 0} == {"A"}
    assert free.plan.phases[0].emissions_t_per_year == pytest.approx(100 * HOURS * 0.5)
    priced = tiny_doc(sites)
    priced["economics"]["carbon_usd_per_tonne"] = 50
    _, out = solve_doc(priced)
    assert {s.site for s in out.plan.phases[0].sites if s.it_mw_added > 0} == {"B"}
    assert npv(out) == pytest.approx(100 * M + 100 * HOURS * 25.0 * (5 - T1), rel=1e-9)
    free_blocks = [{**record, "power_blocks": [{"it_mw": 10, "capex_usd_per_it_mw": 0.0}]} for record in sites]
    _, capped = solve_doc(tiny_doc(free_blocks, constraints={"carbon_cap_tonnes_per_year": 1e5}))
    assert capped.plan.phases[0].emissions_t_per_year == pytest.approx(1e5, rel=1e-6)
    assert {s.site: s.it_mw_added for s in capped.plan.phases[0].sites} == pytest.approx(
        {"A": 1e5 / (HOURS * 0.5), "B": 100 - 1e5 / (HOURS * 0.5)})


def test_energy_prices_escalate(solve_doc):
    """10 $/MWh growing 5 % a year, 100 MW at PUE 1 from t1 to 5, no discounting: 876,000 MWh a year times
    the integral of 1.05^t."""
    doc = tiny_doc([site("A", energy=10.0)])
    doc["economics"]["energy_escalation_per_year"] = 0.05
    _, out = solve_doc(doc)
    growth = (1.05 ** 5 - 1.05 ** T1) / math.log(1.05)
    assert npv(out) == pytest.approx(100 * M + 100 * HOURS * 10.0 * growth, rel=1e-9)


def test_a_re_plan_keeps_the_on_site_power_and_upgrade_committed_phases_built(write_scenario):
    """Phase 1 built 40 MW of turbines and bought A's upgrade; re-planned with dearer turbines and a
    dearer upgrade, the committed phase keeps both (they are built), and the plan says so."""
    from planner.optimize.replan import commitments_from_plan

    def doc(turbine_usd: float, upgrade_usd: float) -> dict:
        a = site("A", grid=[40.0, 40.0], onsite_power=[
            {"id": "turbines", "capex_usd_per_mw": turbine_usd, "lead_time_months": 0, "max_mw": 40}],
            grid_upgrades=[{"to_mw": 60, "capex_usd": upgrade_usd, "lead_time_months": 0}])
        return tiny_doc([a, site("B", capex_per_mw=3 * M)],
                        phases(("2027-01-01", 100, 1e12), ("2028-01-01", 0, 1e12)))

    first = plan_rollout(load_scenario(write_scenario(doc(0.1 * M, 1 * M))), SolveOptions(relative_gap=1e-9))
    built = dict(first.plan.phases[0].sites[0].power_mw)
    assert built == pytest.approx({"grid": 40.0, "upgrade": 20.0, "turbines": 40.0})
    dearer = load_scenario(write_scenario(doc(50 * M, 500 * M)))
    alone = plan_rollout(dearer, SolveOptions(relative_gap=1e-9))
    at_a = next(s for s in alone.plan.phases[0].sites if s.site == "A")
    assert dict(at_a.power_mw) == pytest.approx({"grid": 40.0})  # too dear to choose now ...
    kept = plan_rollout(dearer, SolveOptions(relative_gap=1e-9),
                        commitments=commitments_from_plan(first.plan, dearer, ["1"]))
    assert dict(kept.plan.phases[0].sites[0].power_mw) == pytest.approx(built)  # ... but already built
