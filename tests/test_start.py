"""Large scenarios start from the plan of a restricted model: screening, the fallback, and what is recorded."""

from __future__ import annotations

import pytest

import planner.optimize.start as start
from benchmarks.synthetic import scenario_doc
from planner.optimize.options import SolveOptions
from planner.optimize.rollout import plan_rollout
from planner.scenario import load_scenario
from tests.helpers import site, tiny_doc


def test_screening_keeps_the_cheap_the_required_each_region_and_the_servers(write_scenario):
    sites = [site(f"c{k}", capex_per_mw=(1 + k) * 1e6, grid=[50.0]) for k in range(10)]  # c0 cheapest
    sites += [site("far", region="r9", capex_per_mw=9e6), site("must", capex_per_mw=8e6)]
    demand = [{"id": "metro", "demand_mw": 10, "from_phase": "1", "serve_cost_usd_per_year": {"c9": 1.0}}]
    scenario = load_scenario(write_scenario(tiny_doc(sites, constraints={"required_sites": ["must"]},
                                                     demand_regions=demand)))
    kept = start.screen(scenario)
    assert {"c0", "c1", "c2", "c3", "c4", "c5"} <= kept  # 300 MW of the cheapest: 3 x the 100 MW required
    assert {"must", "far", "c9"} <= kept  # required; the only site of region r9; the only server of the metro
    assert "c8" not in kept


def test_a_restricted_start_reaches_the_same_optimum_and_says_so(write_scenario, monkeypatch):
    monkeypatch.setattr(start, "CAPACITY_COVER", 1.5)  # a smaller subset, so that this runs in seconds
    scenario = load_scenario(write_scenario(scenario_doc(60)))
    plain = plan_rollout(scenario, SolveOptions(start="none", relative_gap=1e-4))
    started = plan_rollout(scenario, SolveOptions(start="restricted", relative_gap=1e-4))
    assert started.plan.npv_usd == pytest.approx(plain.plan.npv_usd, rel=2e-4)  # both proven within 1e-4
    assert "started from the plan of a restricted model" in started.plan.provenance.method
    assert plain.plan.provenance.method == "branch and bound on the full model"
    assert started.plan.provenance.time_limit_s == plain.plan.provenance.time_limit_s  # the option, not what was left


def test_after_a_search_that_ends_without_a_plan_the_fallback_has_only_the_time_left(write_scenario, monkeypatch):
    """A reduced search (or a kernel search) that spends the time limit and finds no plan hands over to the
    restricted start and the full model: they get what is left of the limit, not the whole limit again (a
    200-site scenario with a training latency limit took 63 s for --time-limit 30). The plan records the limit
    asked for, the solve's time includes the search, and the provenance says it found nothing."""
    import time

    import planner.optimize.rollout as rollout

    def spent(rm, options, *args):
        time.sleep(2.0)
        return None

    limits = []

    def spy(model, options, *args, **kwargs):
        limits.append(options.time_limit_s)
        return solve(model, options, *args, **kwargs)

    solve = rollout.solve
    monkeypatch.setattr(rollout, "reduced_search", spent)
    monkeypatch.setattr(rollout, "kernel_search", spent)
    monkeypatch.setattr(rollout, "solve", spy)
    scenario = load_scenario(write_scenario(tiny_doc([site("A"), site("B")])))
    for mode in ("reduced", "lagrangean"):
        monkeypatch.setattr(rollout, "start_mode", lambda *args, mode=mode: mode)
        out = plan_rollout(scenario, SolveOptions(time_limit_s=10.0))
        assert out.result.status.value == "optimal" and out.plan.provenance.time_limit_s == 10.0
        assert 1.0 <= limits[-1] <= 8.0
        assert out.result.wall_s >= 2.0
        searched = "the reduced search" if mode == "reduced" else "the kernel search"
        assert out.plan.provenance.method.startswith(f"{searched} found no plan in 2."), out.plan.provenance.method


def test_a_too_small_subset_is_widened_until_it_has_a_plan(write_scenario, monkeypatch):
    """Keep only the single cheapest site at first: it cannot carry the phase alone, so the subset grows."""
    monkeypatch.setattr(start, "CAPACITY_COVER", 0.01)
    monkeypatch.setattr(start, "PER_REGION", 0)
    sites = [site(f"c{k}", capex_per_mw=(1 + k) * 1e6, grid=[30.0]) for k in range(8)]
    scenario = load_scenario(write_scenario(tiny_doc(sites)))
    assert len(start.screen(scenario)) == 1
    values, info = start.restricted_start(scenario, SolveOptions())
    assert info.objective is not None and info.sites_screened >= 4 and values


def test_lp_bound_mode_proves_the_restricted_plan_against_the_full_lp(write_scenario, monkeypatch):
    """lp-bound: the restricted plan, no branch and bound; its bound is the optimum of the full model's LP
    relaxation (checked with another LP solver, GLOP), which no plan can beat."""
    from ortools.math_opt.python import mathopt

    from planner.optimize.model import RolloutModel, build_model

    monkeypatch.setattr(start, "CAPACITY_COVER", 1.5)  # a smaller subset, so that this runs in seconds
    scenario = load_scenario(write_scenario(scenario_doc(60)))
    loaded = []  # the full model is never loaded into MathOpt (5.5 s and 730 MiB at 10,000 sites), only the
    monkeypatch.setattr(RolloutModel, "model", property(lambda rm: loaded.append(rm) or rm.builder.model()))
    bounded = plan_rollout(scenario, SolveOptions(start="lp-bound"))  # restricted ones (other sites forbidden)
    assert loaded and all(len(rm.scenario.constraints.forbidden_sites) > 0 for rm in loaded)
    r = bounded.result
    assert r.status.value in ("feasible", "optimal") and "LP relaxation" in bounded.plan.provenance.method
    lp = mathopt.solve(build_model(scenario).builder.model(relax=True), mathopt.SolverType.GLOP)
    assert r.best_bound == pytest.approx(lp.objective_value(), rel=1e-6)
    assert r.gap == pytest.approx((r.objective - r.best_bound) / r.objective)
    assert 0 < r.gap < 0.02  # the LP relaxation is a tight bound on these scenarios
    assert bounded.plan.npv_usd == pytest.approx(r.objective * 1e6)  # the plan is the one the gap is about


def test_a_plan_without_a_proven_bound_is_reported_not_a_crash(capsys):
    """lp-bound whose LP does not finish (or branch and bound stopped before any bound): a feasible plan with
    no gap. The command says so and exits 0, instead of failing to format a missing gap."""
    import argparse
    from pathlib import Path

    from planner.cli.outcome import exit_status
    from planner.optimize.result import SolveResult, SolveStatus

    result = SolveResult(status=SolveStatus.FEASIBLE, objective=1.0, best_bound=None, gap=None, wall_s=1.0,
                         solver="highs", detail="time limit", values=[])
    args = argparse.Namespace(scenario="s.yaml")
    assert exit_status(result, SolveOptions(), args, Path("p.yaml"), Path("p.yaml"), None) == 0
    assert "no bound was proven" in capsys.readouterr().err


def test_a_search_that_ended_early_outside_the_gap_is_not_said_to_have_stopped_at_a_limit(capsys):
    """A plan 1.5 % from its bound after 39 of 600 s (lp-bound whose restricted sites hold nothing closer): the note
    says the search ended early and that more time would not help. At the limit (the build counts: 531 s of solve
    after 9 s of build is 90 % of it), it says to raise it."""
    import argparse
    from pathlib import Path

    from planner.cli.outcome import exit_status
    from planner.optimize.result import SolveResult, SolveStatus

    args, options = argparse.Namespace(scenario="s.yaml"), SolveOptions(time_limit_s=600, relative_gap=0.01)
    for wall_s, build_s, words in ((30.0, 9.0, "ended after 39 of the 600 s allowed"),
                                   (601.0, 0.0, "raise --time-limit"), (531.0, 9.0, "raise --time-limit")):
        result = SolveResult(status=SolveStatus.FEASIBLE, objective=1.0, best_bound=0.985, gap=0.015, wall_s=wall_s,
                             solver="highs", detail="", values=[])
        assert exit_status(result, options, args, Path("p.yaml"), Path("p.yaml"), None, build_s) == 0
        err = capsys.readouterr().err
        assert words in err and ("would not close it" in err) == (wall_s == 30.0)


def _three_variables():
    """min 5x + z + 2y with z <= 10x, z + y >= 3 (x binary, y integer in 0-6, z in 0-10): the optimum is y = 3
    at 6, against 8 for z = 3 (z needs x = 1, at 5). Variables in the order x, y, z."""
    from ortools.math_opt.python import mathopt

    model = mathopt.Model()
    x = model.add_binary_variable(name="x")
    y = model.add_integer_variable(lb=0, ub=6, name="y")
    z = model.add_variable(lb=0, ub=10, name="z")
    model.add_linear_constraint(z <= 10 * x)
    model.add_linear_constraint(z + y >= 3)
    model.minimize(5 * x + z + 2 * y)
    return model


@pytest.mark.parametrize("outside", [-2e-7, 10 + 3e-7])
def test_a_start_a_hair_outside_its_bounds_is_taken_not_an_error(outside):
    """A plan read back from a search stopped at its limit can sit just outside its variables' bounds (-2.6e-7
    IT MW in one of early-scarce's); HiGHS refuses such a hint with an internal error that ends the solve, so
    solve() moves each value into its bounds first. Known answer: z + y >= 3 costs 6 with y = 3 alone, against
    8 with z = 3 (z needs x = 1, at 5)."""
    from planner.optimize.solve import solve

    model = _three_variables()
    result = solve(model, SolveOptions(), hint=[1.0, 0.0, outside])
    assert result.status.value == "optimal" and result.objective == pytest.approx(6.0)


def test_a_search_for_the_bound_leaves_out_highs_plan_heuristics_and_still_finds_the_optimum():
    """bound_search: HiGHS without RINS, RENS and the root reduced-cost heuristic, only where a plan is given and
    only for HiGHS. From the poorer plan (z = 3 with x = 1, cost 8) branching alone still reaches the optimum,
    y = 3 at 6; the interior-point choice is kept beside it."""
    from planner.optimize import race
    from planner.optimize.solve import parameters, solve

    left_out = {name: False for name in race.HEURISTIC_WORDS}
    assert dict(parameters(SolveOptions(), bound_search=True).highs.bool_options) == left_out
    both = parameters(SolveOptions(), interior_point=True, bound_search=True).highs
    assert dict(both.string_options) == {"solver": "ipm"} and dict(both.bool_options) == left_out
    assert not parameters(SolveOptions()).highs.bool_options
    assert not parameters(SolveOptions(solver="scip"), bound_search=True).highs.bool_options
    model = _three_variables()
    result = solve(model, SolveOptions(), hint=[1.0, 0.0, 3.0], bound_search=True)
    assert result.status.value == "optimal" and result.objective == pytest.approx(6.0)
    assert result.values == pytest.approx([0.0, 3.0, 0.0])


def test_a_solve_without_restarts_asks_highs_for_none_and_still_proves_the_optimum(tmp_path):
    """restarts=False (the reduced search's proof and re-solve, through solve_restricted): HiGHS's
    mip_allow_restart off, for HiGHS only, beside the other choices. On the generated 25-site scenario of seed 5,
    every site kept, HiGHS restarts its search by default; without restarts its log tells of none, and it proves
    the same optimum to 1e-6."""
    from benchmarks.synthetic import scenario_doc
    from planner.files import dump_yaml, write_text_atomic
    from planner.optimize.solve import parameters
    from planner.optimize.start import solve_restricted
    from planner.scenario import load_scenario

    assert dict(parameters(SolveOptions(), restarts=False).highs.bool_options) == {"mip_allow_restart": False}
    both = parameters(SolveOptions(), bound_search=True, restarts=False).highs.bool_options
    assert both["mip_allow_restart"] is False and len(both) == 4
    assert not parameters(SolveOptions(solver="scip"), restarts=False).highs.bool_options
    path = tmp_path / "s.yaml"
    write_text_atomic(path, dump_yaml(scenario_doc(25, seed=5)))
    scenario = load_scenario(path)
    every = {site.id for site in scenario.sites}
    runs = {}
    for restarts in (True, False):
        lines = []
        _, result = solve_restricted(scenario, every, SolveOptions(relative_gap=1e-6), on_log=lines.extend,
                                     restarts=restarts)
        assert result.status.value == "optimal"
        runs[restarts] = result.objective, sum("restarting" in line for line in lines)
    assert runs[True][1] > 0 and runs[False][1] == 0
    assert runs[False][0] == pytest.approx(runs[True][0], rel=1e-6)


def test_a_solve_with_a_target_stops_at_the_first_plan_below_it():
    """HiGHS's objective_target through `solve(target=...)`: min -value over a 60-item knapsack. Asked for any plan
    below 70 % of the optimum it stops at the first such plan (FEASIBLE: not proven, though it may be the optimum),
    where without a target it proves the optimum."""
    import random

    from ortools.math_opt.python import mathopt

    from planner.optimize.result import SolveStatus
    from planner.optimize.solve import solve

    rng = random.Random(1)
    model = mathopt.Model()
    weights, values = [rng.randint(5, 40) for _ in range(60)], [rng.randint(5, 60) for _ in range(60)]
    x = [model.add_binary_variable() for _ in range(60)]
    model.add_linear_constraint(sum(w * xi for w, xi in zip(weights, x)) <= 500)
    model.minimize(sum(-v * xi for v, xi in zip(values, x)))
    best = solve(model, SolveOptions(relative_gap=0.0))
    assert best.status == SolveStatus.OPTIMAL and best.objective < -1000
    early = solve(model, SolveOptions(relative_gap=0.0), target=0.7 * best.objective)
    assert early.status == SolveStatus.FEASIBLE and best.objective <= early.objective <= 0.7 * best.objective
    assert "ObjectiveTarget" in early.detail


def test_lp_bound_solves_a_restricted_plan_again_until_it_is_within_the_gap_of_the_lp_bound(write_scenario,
                                                                                               monkeypatch):
    """The restricted model is solved to the gap asked of its own bound, which is above the full LP's, so its plan
    can end further than asked from the LP bound. Here its first solve stops at the first plan HiGHS finds: that plan
    is more than the 0.5 % asked above the LP bound, and lp-bound solves the restricted model again from it, for a
    plan within 0.5 % of the LP bound; the provenance says so. Without that step the plan stays out."""
    import planner.optimize.rollout as rollout
    from planner.optimize import bounded

    monkeypatch.setattr(start, "CAPACITY_COVER", 1.5)  # a smaller subset, so that this runs in seconds
    scenario = load_scenario(write_scenario(scenario_doc(60)))
    real_solve = start.solve_restricted
    monkeypatch.setattr(start, "solve_restricted", lambda *a, **k: real_solve(*a, **k, target=1e12))  # any plan
    targets = []
    monkeypatch.setattr(bounded, "solve_restricted", lambda *a, **k: targets.append(k["target"]) or real_solve(*a, **k))
    options = SolveOptions(start="lp-bound", relative_gap=0.005)
    out = plan_rollout(scenario, options)
    r = out.result
    assert r.status.value == "optimal" and r.gap <= 0.005
    assert "solved again from that plan" in out.plan.provenance.method
    assert targets == [pytest.approx(r.best_bound / 0.995)]
    monkeypatch.setattr(rollout, "closer", lambda rm, values, *rest: (values, "as it was", 0.0))
    loose = plan_rollout(scenario, options).result
    assert loose.status.value == "feasible" and loose.gap > 0.005 and loose.best_bound == pytest.approx(r.best_bound)


def test_no_re_solve_when_the_restricted_models_own_bound_is_above_what_the_gap_needs(monkeypatch):
    """The restricted model's proven bound is above the objective the gap needs (B / (1 - gap) for a bound B): no
    plan of its sites can be within the gap, so `closer` returns the plan as it was at once, without a solve."""
    from planner.optimize import bounded
    from planner.optimize.start import StartInfo

    def no_solve(*args, **kwargs):
        raise AssertionError("solved again")

    monkeypatch.setattr(bounded, "solve_restricted", no_solve)
    info = StartInfo(10, 100, 120.0, "optimal", 1.0, ("a",), bound=101.1)
    plan = {"x": 1.0}
    assert bounded.target_objective(100.0, 0.01) == pytest.approx(101.0101, rel=1e-6)
    assert bounded.closer(None, plan, info, 100.0, SolveOptions(relative_gap=0.01), 50.0, (), None, None, None) == (
        plan, "", 0.0)
    assert bounded.target_objective(-100.0, 0.01) == pytest.approx(-100.0 / 1.01)  # a negative bound: same rule
