"""Hand-solvable scenarios: each constraint family binding, and the objective's arithmetic."""

from __future__ import annotations

import math

import pytest

from planner.optimize.options import SolveOptions
from planner.optimize.parameters import annuity
from planner.optimize.result import SolveStatus
from planner.optimize.rollout import plan_rollout
from planner.scenario import load_scenario
from tests.helpers import site, tiny_doc

M = 1e6


def phases(*specs):
    """(required MW, funding USD) per phase, a year apart from 2027."""
    return [{"id": str(i + 1), "online_date": f"{2027 + i}-01-01", "it_mw_required": mw, "platform": "unit",
             "funding_usd": funding} for i, (mw, funding) in enumerate(specs)]


def it_by_site(plan, phase_index=-1):
    return {s.site: s.it_mw_total for s in plan.phases[phase_index].sites if s.it_mw_total > 1e-9}


def test_cheapest_site_takes_everything_when_nothing_binds(solve_doc):
    # A: 10 + 100 x 1 = 110 M; B: 5 + 100 x 2 = 205 M.
    _, out = solve_doc(tiny_doc([site("A", open_cost=10 * M), site("B", open_cost=5 * M, capex_per_mw=2 * M)]))
    assert out.result.status == SolveStatus.OPTIMAL
    assert out.plan.npv_usd == pytest.approx(110 * M, rel=1e-9)
    assert it_by_site(out.plan) == pytest.approx({"A": 100.0})


def test_grid_limit_splits_capacity(solve_doc):
    # A's grid gives 60 MW facility at PUE 1.2 = 50 MW IT; B supplies the rest at 2 M/MW.
    doc = tiny_doc([site("A", grid=[60.0], pue=1.2), site("B", capex_per_mw=2 * M)])
    _, out = solve_doc(doc)
    assert it_by_site(out.plan) == pytest.approx({"A": 50.0, "B": 50.0})
    assert out.plan.npv_usd == pytest.approx(50 * M + 100 * M, rel=1e-9)
    a = next(s for s in out.plan.phases[0].sites if s.site == "A")
    assert a.facility_mw <= a.grid_mw + 1e-9


def test_power_blocks_are_whole(solve_doc):
    # 35 MW grid at PUE 1 with 10 MW blocks: A can hold only 30 MW, though 35 would fit the grid.
    _, out = solve_doc(tiny_doc([site("A", grid=[35.0]), site("B", capex_per_mw=3 * M)]))
    assert it_by_site(out.plan) == pytest.approx({"A": 30.0, "B": 70.0})
    assert out.plan.phases[0].sites[0].blocks_added == (3,)


TWO_KINDS = [{"it_mw": 10, "capex_usd_per_it_mw": 1 * M}, {"it_mw": 5, "capex_usd_per_it_mw": 1.1 * M}]


def test_blocks_cover_only_where_the_requirement_is_not_whole_blocks(write_scenario):
    """With 10 MW as the largest block, 20 then 40 MW in all is whole blocks: no row. 25 then 50 MW is not (25):
    every phase gets the implied row sum_s BLK_sp >= R_p, on which the solver's rounding cuts work."""
    from planner.optimize.model import build_model

    def covers(*mw):
        doc = tiny_doc([site("A", power_blocks=TWO_KINDS), site("B")], phases=phases(*((m, 1e12) for m in mw)))
        return [r for r in build_model(load_scenario(write_scenario(doc))).builder.row_names
                if r.startswith("blocks_cover")]

    assert covers(20, 20) == []
    assert covers(25, 25) == ["blocks_cover[1]", "blocks_cover[2]"]


def test_blocks_cover_cuts_off_no_plan(solve_doc):
    """25 MW from 10 MW blocks at 1 M/MW and 5 MW blocks at 1.1 M/MW: two of 10 and one of 5, 25.5 M (whole
    large blocks alone would cost 30 M). Short of a 20 MW grid, the row counts the shortfall as the requirement
    does: 20 MW built and 5 MW short at 3 M/MW, 35 M, where a row without it would leave no plan."""
    _, out = solve_doc(tiny_doc([site("A", power_blocks=TWO_KINDS)], phases=phases((25, 1e12))))
    assert out.plan.npv_usd == pytest.approx(25.5 * M, rel=1e-9)
    assert out.plan.phases[0].sites[0].blocks_added == (2, 1)
    short = tiny_doc([site("A", grid=[20.0], power_blocks=TWO_KINDS)], phases=phases((25, 1e12)),
                     constraints={"shortfall_usd_per_mw": 3 * M})
    _, out = solve_doc(short)
    assert out.plan.phases[0].shortfall_mw == pytest.approx(5.0)
    assert out.plan.npv_usd == pytest.approx(20 * M + 5 * 3 * M, rel=1e-9)


def test_lead_time_defers_the_cheap_site(solve_doc):
    # Phase 1 is 12 months after the start; A needs 18. B serves phase 1, A phase 2.
    doc = tiny_doc([site("A", lead=18), site("B", capex_per_mw=2 * M)], phases=phases((100, 1e12), (100, 1e12)))
    _, out = solve_doc(doc)
    assert it_by_site(out.plan, 0) == pytest.approx({"B": 100.0})
    assert it_by_site(out.plan, 1) == pytest.approx({"A": 100.0, "B": 100.0})
    assert out.plan.npv_usd == pytest.approx(200 * M + 100 * M, rel=1e-9)


def test_grid_ramp_by_date(solve_doc):
    # A's grid arrives mid-2027: nothing in phase 1 (2027-01-01), 100 MW in phase 2 (2028-01-01).
    a = site("A")
    del a["grid_mw_by_phase"]
    a["grid_mw_by_date"] = {"2027-06-30": 100.0}
    doc = tiny_doc([a, site("B", capex_per_mw=2 * M)], phases=phases((100, 1e12), (100, 1e12)))
    _, out = solve_doc(doc)
    assert it_by_site(out.plan, 0) == pytest.approx({"B": 100.0})
    assert it_by_site(out.plan, 1) == pytest.approx({"A": 100.0, "B": 100.0})


def _funding_doc(funding1, funding2, carry):
    # A: one 200 MW block for 200 M (cheapest per MW); B: 50 MW blocks at 1.5 M/MW.
    doc = tiny_doc([site("A", block_mw=200.0), site("B", block_mw=50.0, capex_per_mw=1.5 * M)],
                   phases=phases((100, funding1), (100, funding2)))
    doc["economics"]["carry_over_unspent_funding"] = carry
    return doc


def test_funding_binds(solve_doc):
    # Unlimited: A's 200 MW block in phase 1 covers both phases for 200 M.
    _, free = solve_doc(_funding_doc(1e12, 1e12, False))
    assert free.plan.npv_usd == pytest.approx(200 * M, rel=1e-9)
    # 160 M in phase 1 cannot buy A's block: B builds 100 MW (150 M), then B again (150 M) beats A (200 M).
    _, tight = solve_doc(_funding_doc(160 * M, 1e12, False))
    assert tight.plan.npv_usd == pytest.approx(300 * M, rel=1e-9)
    assert tight.plan.phases[0].capex_usd <= 160 * M


def test_funding_carry_over(solve_doc):
    # Phase 2 has 140 M: too little for 100 MW anywhere, unless phase 1's unspent 10 M carries over.
    scenario, stuck = solve_doc(_funding_doc(160 * M, 140 * M, False))
    assert stuck.result.status == SolveStatus.INFEASIBLE
    _, carried = solve_doc(_funding_doc(160 * M, 140 * M, True))
    assert carried.result.status == SolveStatus.OPTIMAL
    assert carried.plan.npv_usd == pytest.approx(300 * M, rel=1e-9)


def test_max_site_share(solve_doc):
    doc = tiny_doc([site("A"), site("B", capex_per_mw=2 * M)], constraints={"max_site_share": 0.6})
    _, out = solve_doc(doc)
    assert it_by_site(out.plan) == pytest.approx({"A": 60.0, "B": 40.0})


def test_max_region_share(solve_doc):
    doc = tiny_doc([site("A", region="east"), site("A2", region="east", capex_per_mw=1.1 * M),
                    site("B", region="west", capex_per_mw=2 * M)], constraints={"max_region_share": 0.7})
    _, out = solve_doc(doc)
    assert it_by_site(out.plan) == pytest.approx({"A": 70.0, "B": 30.0})


def test_min_sites_and_regions_per_phase(solve_doc):
    sites = [site("A", region="east"), site("A2", region="east", capex_per_mw=1.1 * M),
             site("B", region="west", capex_per_mw=2 * M)]
    _, two_sites = solve_doc(tiny_doc(sites, constraints={"min_sites_per_phase": 2, "diversity_min_it_mw": 20}))
    assert it_by_site(two_sites.plan) == pytest.approx({"A": 80.0, "A2": 20.0})
    _, two_regions = solve_doc(tiny_doc(sites, constraints={"min_regions_per_phase": 2, "diversity_min_it_mw": 20}))
    assert it_by_site(two_regions.plan) == pytest.approx({"A": 80.0, "B": 20.0})


def test_required_and_forbidden_sites(solve_doc):
    sites = [site("A"), site("B", capex_per_mw=2 * M, open_cost=7 * M)]
    _, required = solve_doc(tiny_doc(sites, constraints={"required_sites": ["B"], "max_site_share": 0.9}))
    assert it_by_site(required.plan) == pytest.approx({"A": 90.0, "B": 10.0})
    _, forbidden = solve_doc(tiny_doc(sites, constraints={"forbidden_sites": ["A"]}))
    assert it_by_site(forbidden.plan) == pytest.approx({"B": 100.0})
    assert forbidden.plan.npv_usd == pytest.approx(207 * M, rel=1e-9)


def test_required_site_opens_even_without_capacity_need(solve_doc):
    _, out = solve_doc(tiny_doc([site("A"), site("B", open_cost=7 * M)], constraints={"required_sites": ["B"]}))
    assert "B" in out.plan.sites_used
    assert out.plan.npv_usd == pytest.approx(100 * M + 7 * M, rel=1e-9)


def test_demand_region_pulls_capacity_to_the_sites_that_can_serve_it(solve_doc):
    # Only B can serve 30 MW of inference demand (for 1 M a year); A is cheaper for everything else.
    demand = [{"id": "metro", "demand_mw": 30.0, "from_phase": "1", "serve_cost_usd_per_year": {"B": 1 * M}}]
    scenario, out = solve_doc(tiny_doc([site("A"), site("B", capex_per_mw=2 * M)], demand_regions=demand))
    assert it_by_site(out.plan) == pytest.approx({"A": 70.0, "B": 30.0})
    served_years = 5.0 - scenario.phase_years(scenario.phases[0])  # from the online date to the horizon
    assert out.plan.npv_usd == pytest.approx(70 * M + 60 * M + 1 * M * served_years, rel=1e-9)
    assert out.plan.phases[0].demand[0].served_mw == (("B", pytest.approx(30.0)),)


def test_demand_is_split_across_sites(solve_doc):
    # 30 MW of demand, B's grid holds 20 MW: the rest is served from A at a higher cost.
    demand = [{"id": "metro", "demand_mw": 30.0, "from_phase": "1",
               "serve_cost_usd_per_year": {"A": 9 * M, "B": 3 * M}}]
    scenario, out = solve_doc(tiny_doc([site("A"), site("B", grid=[20.0])], demand_regions=demand))
    served = dict(out.plan.phases[0].demand[0].served_mw)
    assert served == pytest.approx({"B": 20.0, "A": 10.0})
    # serving cost a year: B 3 M x 20/30 + A 9 M x 10/30 = 5 M, over the years served; capacity 100 M.
    served_years = 5.0 - scenario.phase_years(scenario.phases[0])
    assert out.plan.npv_usd == pytest.approx(100 * M + 5 * M * served_years, rel=1e-9)


def test_annuity_is_the_discounted_flow_integrated():
    """The running-cost weight is the integral of the discount factor: a fine Riemann sum agrees."""
    rate, horizon, t1 = 0.1, 4.0, 1.0
    assert annuity_value(rate, t1, horizon) == pytest.approx(
        sum((1 + rate) ** -(t1 + (k + 0.5) / 10000) / 10000 for k in range(int((horizon - t1) * 10000))), rel=1e-6)


def test_gpu_systems_are_salvaged_at_the_horizon(solve_doc):
    """GPU capex Q per rack at t1, an 8-year IT life and a 4-year horizon: (1 - 3/8) of it comes back at t=4.

    Power blocks are free and the facility life is short, so the GPU systems are the only thing salvaged.
    """
    doc = tiny_doc([site("A", capex_per_mw=0.0)])
    doc["platforms"][0]["system_capex_usd_per_rack"] = 3 * M  # one rack = 1 MW
    doc["economics"].update({"discount_rate": 0.1, "horizon_years": 4.0, "it_life_years": 8.0})
    doc["phases"][0]["online_date"] = "2027-01-01"
    scenario, out = solve_doc(doc)
    t1 = scenario.phase_years(scenario.phases[0])
    capex = 100 * 3 * M
    salvage = capex * (1 - (4.0 - t1) / 8.0)
    assert out.plan.npv_usd == pytest.approx(1.1 ** -t1 * capex - 1.1 ** -4.0 * salvage, rel=1e-7)
    assert salvage > 0.6 * capex  # the case is one where salvage matters


def annuity_value(rate, start, end):
    from types import SimpleNamespace

    from planner.optimize.parameters import annuity as pv

    scenario = SimpleNamespace(economics=SimpleNamespace(discount_rate=rate))
    return pv(scenario, start, end)


def test_net_present_cost_by_hand(solve_doc):
    # One site, one phase one year after the start; 10 % discount; horizon 4 years.
    # capex 100 MW x 1 M = 100 M at t=1; energy 50 $/MWh x PUE 1.25 x 8760 h x 0.5 utilization x 100 MW
    # per year from t=1 to t=4; facility life 6 years: 1 - 3/6 = 50 % of the capex salvaged at t=4.
    doc = tiny_doc([site("A", energy=50.0, pue=1.25, open_cost=20 * M)])
    doc["economics"].update({"discount_rate": 0.1, "horizon_years": 4.0, "utilization": 0.5,
                             "facility_life_years": 6.0})
    doc["phases"][0]["online_date"] = "2027-01-01"
    scenario, out = solve_doc(doc)
    t1 = scenario.phase_years(scenario.phases[0])
    d = lambda t: 1.1 ** -t  # noqa: E731
    capex = 20 * M + 100 * M
    energy_per_year = 50.0 * 1.25 * 8760 * 0.5 * 100
    expected = d(t1) * capex + energy_per_year * (d(t1) - d(4.0)) / math.log(1.1) \
        - d(4.0) * capex * (1 - (4.0 - t1) / 6.0)
    assert out.plan.npv_usd == pytest.approx(expected, rel=1e-7)
    assert annuity(scenario, t1, 4.0) == pytest.approx((d(t1) - d(4.0)) / math.log(1.1))


def test_whole_racks_and_gpus_follow_the_platform(solve_doc):
    doc = tiny_doc([site("A")])
    doc["platforms"][0].update({"rack_it_kw": 300, "gpus_per_rack": 72})
    _, out = solve_doc(doc)
    a = out.plan.phases[0].sites[0]
    assert a.racks_added == math.floor(a.it_mw_added / 0.3 + 1e-6) == 333
    assert a.gpus_added == 333 * 72


def test_training_cluster_latency_limit(solve_doc):
    """A and B are 1 degree apart (~1.7 ms of fiber), C is 10 degrees away (~16.7 ms) and cheapest.
    Each site holds 60 MW: the phase needs two; within 5 ms only A+B may share a phase's cluster."""
    from topology.campus import Campus, fiber_latency_ms, great_circle_km

    sites = [site("A", grid=[60.0], lat=40.0, lon=-100.0), site("B", grid=[60.0], lat=40.0, lon=-99.0,
                                                               capex_per_mw=1.5 * M),
             site("C", grid=[60.0], lat=40.0, lon=-110.0, capex_per_mw=0.5 * M)]
    ab = fiber_latency_ms(great_circle_km(Campus("A", 40.0, -100.0), Campus("B", 40.0, -99.0)))
    assert ab < 5.0
    _, free = solve_doc(tiny_doc(sites))
    assert set(it_by_site(free.plan)) == {"A", "C"}  # the two cheapest
    _, near = solve_doc(tiny_doc(sites, constraints={"training_max_latency_ms": 5.0}))
    assert it_by_site(near.plan) == pytest.approx({"A": 60.0, "B": 40.0})
    assert near.plan.npv_usd == pytest.approx(60 * M + 40 * 1.5 * M, rel=1e-9)


def test_cp_sat_gets_a_model_its_presolve_rejects_solved_without_it(write_scenario):
    """CP-SAT 9.15's MIP presolve calls the generated 20-site model invalid (HiGHS solves it): gwplan
    retries once without that presolve, and the plan CP-SAT returns is no cheaper than HiGHS's optimum."""
    from benchmarks.synthetic import scenario_doc

    scenario = load_scenario(write_scenario(scenario_doc(20)))
    highs = plan_rollout(scenario, SolveOptions(time_limit_s=60))
    cp_sat = plan_rollout(scenario, SolveOptions(solver="cp-sat", time_limit_s=5))
    assert highs.result.status == SolveStatus.OPTIMAL
    assert cp_sat.result.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE), cp_sat.result.detail
    assert cp_sat.result.objective >= highs.result.objective * (1 - 1e-4)


def test_the_presolve_retry_happens_once_and_only_for_model_invalid(monkeypatch, write_scenario):
    from ortools.math_opt.python import mathopt

    calls = []
    real_solve = mathopt.solve

    def flaky(model, solver_type, *, params, **kwargs):
        if solver_type != mathopt.SolverType.CP_SAT and calls:  # the LPs that restate CP-SAT's result (exact.py)
            return real_solve(model, solver_type, params=params, **kwargs)
        calls.append(params.cp_sat.mip_presolve_level if params.cp_sat.HasField("mip_presolve_level") else None)
        if len(calls) == 1:
            raise RuntimeError("cp-sat solver returned MODEL_INVALID, details: [INTERNAL]")
        return real_solve(model, solver_type, params=params, **kwargs)
    monkeypatch.setattr(mathopt, "solve", flaky)
    scenario = load_scenario(write_scenario(tiny_doc([site("A")])))
    out = plan_rollout(scenario, SolveOptions(solver="cp-sat"))
    assert calls == [None, 0] and out.result.status == SolveStatus.OPTIMAL
    assert "solved without its MIP presolve" in out.result.detail
    calls.clear()
    out = plan_rollout(scenario, SolveOptions(solver="highs"))  # other back ends: an error, no retry
    assert calls == [None] and out.result.status == SolveStatus.ERROR and "MODEL_INVALID" in out.result.detail


def test_alternatives_time_the_build_and_the_extraction_apart_from_the_solve(write_scenario, monkeypatch):
    """Each alternative's extract_s is the extraction alone and build_s its own model build: a solve made
    artificially slow (0.5 s longer) shows up in neither."""
    import time

    import planner.optimize.alternatives as module
    from planner.optimize.solve import solve as real_solve

    def slow_solve(*args, **kwargs):
        time.sleep(0.5)
        return real_solve(*args, **kwargs)

    monkeypatch.setattr(module, "solve", slow_solve)
    scenario = load_scenario(write_scenario(tiny_doc([site("A"), site("B", capex_per_mw=1.01e6)])))
    found = module.alternatives(scenario, SolveOptions(), count=1, within=0.02)
    assert len(found) == 2
    alternative = found[1]
    assert 0 < alternative.build_s < 0.5 and 0 < alternative.extract_s < 0.5


def test_the_build_leaves_the_garbage_collector_as_it_found_it(write_scenario, monkeypatch):
    """The build pauses Python's cyclic collector; after it, on success or on an error inside, the collector
    is on again if it was on, and stays off if the caller had turned it off."""
    import gc

    from planner.optimize import model as model_module

    scenario = load_scenario(write_scenario(tiny_doc([site("A"), site("B")])))
    seen = []
    real = model_module.add_site_variables
    monkeypatch.setattr(model_module, "add_site_variables",
                        lambda rm, **kw: seen.append(gc.isenabled()) or real(rm, **kw))
    assert gc.isenabled()
    model_module.build_model(scenario)
    assert seen == [False] and gc.isenabled()
    monkeypatch.setattr(model_module, "add_site_variables", lambda rm, **kw: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        model_module.build_model(scenario)
    assert gc.isenabled()
    gc.disable()
    try:
        monkeypatch.setattr(model_module, "add_site_variables", real)
        model_module.build_model(scenario)
        assert not gc.isenabled()
    finally:
        gc.enable()


def _block_variables(scenario, site_id, commitments=()):
    from planner.optimize.model import build_model

    names = build_model(scenario, commitments).builder.names
    return [n for n in names if n.startswith(f"blocks_total[{site_id},")]


def test_free_blocks_are_built_whole_as_the_site_opens(solve_doc, write_scenario):
    """A site whose one block kind is free and always fits its grid builds every block as it opens: the count
    is no decision (no variable), the cost is unchanged. A priced block stays a decision."""
    doc = tiny_doc([site("A", grid=[35.0], capex_per_mw=0.0, open_cost=5 * M), site("B", capex_per_mw=3 * M)],
                   phases=phases((20, 1e12), (10, 1e12)))
    scenario = load_scenario(write_scenario(doc))
    assert _block_variables(scenario, "A") == [] and len(_block_variables(scenario, "B")) == 2
    _, out = solve_doc(doc)
    # A's 35 MW grid takes three 10 MW blocks, all free: A serves both phases for its open cost alone.
    assert out.plan.npv_usd == pytest.approx(5 * M, rel=1e-9)
    assert set(it_by_site(out.plan, 0)) == set(it_by_site(out.plan, 1)) == {"A"}
    a1, a2 = (next(s for s in ph.sites if s.site == "A") for ph in out.plan.phases)
    assert a1.blocks_added == (3,) and a1.block_it_mw_total == pytest.approx(30.0) and a2.blocks_added == (0,)


@pytest.mark.parametrize("why", ["grid ramps up", "block lead time", "two block kinds", "committed"])
def test_free_blocks_stay_a_decision_when_building_them_whole_could_lose_a_plan(why, write_scenario):
    """Each condition of the substitution, broken on its own, keeps the block count a variable."""
    from planner.optimize.replan import Commitment

    a = site("A", capex_per_mw=0.0, grid=[40.0])
    commitments = ()
    if why == "grid ramps up":  # phase 1's grid takes one 10 MW block of the four phase 2's does
        a["grid_mw_by_phase"] = [15.0, 40.0]
    elif why == "block lead time":
        a["power_blocks"][0]["lead_time_months"] = 18
    elif why == "two block kinds":
        a["power_blocks"].append({"it_mw": 5.0, "capex_usd_per_it_mw": 0.0})
    else:
        commitments = (Commitment(site="A", phase="1", opened=True, blocks_total=(1,), it_mw_total=10.0),)
    scenario = load_scenario(write_scenario(tiny_doc([a, site("B")], phases=phases((10, 1e12), (30, 1e12)))))
    assert _block_variables(scenario, "A", commitments)


def test_a_grid_that_ramps_up_still_limits_the_blocks_of_a_free_site(solve_doc):
    # 15 MW of grid in phase 1 holds one 10 MW block at A; B covers the rest of phase 1 at 2 M/MW, and A's
    # grid of 40 MW takes phase 2's 10 MW more for free.
    a = site("A", capex_per_mw=0.0, grid=[15.0, 40.0])
    _, out = solve_doc(tiny_doc([a, site("B", capex_per_mw=2 * M)], phases=phases((30, 1e12), (10, 1e12))))
    assert it_by_site(out.plan, 0) == pytest.approx({"A": 10.0, "B": 20.0})
    assert it_by_site(out.plan, 1)["A"] >= 20.0 - 1e-6
    assert out.plan.npv_usd == pytest.approx(40 * M, rel=1e-9)


@pytest.mark.parametrize("source", ["bundled", "generated"])
def test_each_funding_row_is_its_payments_added_term_by_term_to_the_last_bit(source, tmp_path):
    """The funding rows are assembled with numpy from every payment's terms at once (planner.optimize.costs); they
    must be what adding each payment at its window's share, one term at a time, gives, bit for bit, so that the
    faster build changes no solver's path. The bundled scenario has grid upgrades and on-site power; the generated
    one two block kinds with their own lead times."""
    from pathlib import Path

    from benchmarks.synthetic import scenario_doc
    from planner.files import dump_yaml
    from planner.optimize.costs import construction_items
    from planner.optimize.linear import lin_combination
    from planner.optimize.model import build_model
    from planner.optimize.parameters import funding_windows, paid_within, phase_platform_rack, phase_years
    from planner.optimize.result import USD_SCALE

    path = Path(__file__).parents[1] / "scenarios" / "10gw-rollout.yaml"
    if source == "generated":
        path = tmp_path / "generated.yaml"
        path.write_text(dump_yaml(scenario_doc(60, 4)))
    rm = build_model(load_scenario(path))
    s_ = rm.scenario
    years, windows = phase_years(s_), funding_windows(s_)
    spend = [[] for _ in s_.phases]
    for (i, q) in rm.opened:
        for usd, lead, units in construction_items(rm, i, q):
            for p, (after, until) in enumerate(windows[: q + 1]):
                share = paid_within(s_, years[q], lead, after, until)
                if usd and share > 0:
                    spend[p].append((share * usd / USD_SCALE, units))
        rack_mw, rack_capex = phase_platform_rack(s_, s_.phases[q])
        spend[q].append((rack_capex / rack_mw / USD_SCALE, rm.it[i, q]))
    matrix = rm.builder.arrays().matrix
    unspent = {j for j, name in enumerate(rm.builder.names) if name.startswith("unspent[")}
    for phase, payments in zip(s_.phases, spend):
        row = matrix.getrow(rm.builder.row_names.index(f"funding[{phase.id}]"))
        written = {int(j): float(c) for j, c in zip(row.indices, row.data) if j not in unspent}
        expected = {j: c for j, c in lin_combination(payments).terms.items() if c != 0.0}
        assert len(written) > 10 and written == expected  # exact: floats compared for equality
