"""HiGHS searches raced in their own processes (planner.optimize.race; `--threads N`, decided by work, or with
`--non-deterministic` by time): the racers' configurations, a raced proof against the single search's, the
race by work's winner against each racer's proof alone, the merge of racers stopped at a limit, a refusal in
the racers' own words, log lines, and no racer outliving its race."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
from ortools.math_opt.python import mathopt

from benchmarks.synthetic import scenario_doc
from planner.optimize import race
from planner.optimize.options import RACE_DEFAULT_MAX, SolveOptions
from planner.optimize.result import SolveResult, SolveStatus
from planner.optimize.rollout import plan_rollout
from planner.optimize.solve import INTERRUPTED_BEFORE_ANY_PLAN, SolveInterrupter, race_merged, solve
from planner.scenario import load_scenario
from tests.helpers import processes_with, site, tiny_doc

MARKER = "GWPLAN_TEST_RACE"  # in the environment of this test's racers, so that they can be found in /proc


@pytest.fixture
def marked(monkeypatch):
    value = f"{MARKER}={os.getpid()}-{time.monotonic_ns()}"
    monkeypatch.setenv(MARKER, value)
    return value


def test_races_as_many_searches_as_threads_and_only_with_highs():
    assert SolveOptions().racers() == 1  # deterministic and no threads asked for: one search
    assert SolveOptions(threads=2).racers() == 2  # decided by work: the same plan every run
    assert SolveOptions(threads=3, deterministic=False).racers() == 3
    assert SolveOptions(solver="cp-sat", threads=3, deterministic=False).racers() == 1  # CP-SAT races its own
    assert SolveOptions(deterministic=False).racers() == min(RACE_DEFAULT_MAX, os.cpu_count() or 1)


def test_racer_zero_is_the_single_search_and_racer_one_leaves_out_the_start_heuristics():
    params = mathopt.SolveParameters(random_seed=7, relative_gap_tolerance=1e-4).to_proto()
    from_plan = race.variants(params, 3, started_from_plan=True)
    assert from_plan[0] == params
    assert [p.random_seed for p in from_plan] == [7, 8, 9]
    assert dict(from_plan[1].highs.bool_options) == {name: False for name in race.WITHOUT_START_HEURISTICS}
    assert not from_plan[2].highs.bool_options and from_plan[2].relative_gap_tolerance == 1e-4
    without = race.variants(params, 2, started_from_plan=False)  # no plan to start from: heuristics find one
    assert not without[1].highs.bool_options and without[1].random_seed == 8
    assert params.random_seed == 7 and not params.highs.bool_options  # the caller's parameters are left alone
    assert [race.describe(p) for p in from_plan] == ["defaults", "without RENS and the root reduced-cost heuristic",
                                                     "defaults"]


def test_when_racer_zero_searches_for_the_bound_racer_one_brings_the_heuristics_back():
    """The reduced search's proof leaves out HiGHS's plan heuristics (solve's bound_search); racing it, racer 1
    runs with them, so that a start farther from the best than measured still has a search that looks for plans."""
    from planner.optimize.solve import parameters

    params = parameters(SolveOptions(seed=3), bound_search=True).to_proto()
    assert dict(params.highs.bool_options) == {name: False for name in race.HEURISTIC_WORDS}
    zero, one = race.variants(params, 2, started_from_plan=True)
    assert zero == params and not one.highs.bool_options and one.random_seed == 4
    assert race.describe(zero) == "without RINS, RENS and the root reduced-cost heuristic"
    assert race.describe(one) == "defaults"


def _scenario(tmp_path, sites: int, seed: int):
    from planner.files import dump_yaml

    path = tmp_path / "s.yaml"
    path.write_text(dump_yaml(scenario_doc(sites, seed)))
    return load_scenario(path)


def test_a_raced_search_proves_the_single_searchs_optimum_and_leaves_no_racer(tmp_path, marked):
    """30 generated sites, branch and bound on the full model to 1e-6: two racers end where one search does,
    the result names the racer that finished first, and both racer processes are gone once it returns."""
    scenario = _scenario(tmp_path, 30, 4)
    single = plan_rollout(scenario, SolveOptions(start="none", relative_gap=1e-6))
    lines: list[str] = []
    raced = plan_rollout(scenario, SolveOptions(start="none", relative_gap=1e-6, threads=2, deterministic=False),
                         on_log=lines.extend)
    assert single.result.status == raced.result.status == SolveStatus.OPTIMAL
    assert raced.result.objective == pytest.approx(single.result.objective, rel=2e-6)
    assert raced.result.best_bound <= single.result.objective * (1 + 1e-9)
    assert "2 HiGHS searches raced (seeds 0-1), the first to finish: racer " in raced.result.detail
    assert raced.plan is not None and "2 HiGHS searches raced" in raced.plan.provenance.method
    assert raced.plan.provenance.threads == 2 and raced.plan.provenance.deterministic is False
    # racer 0's log as HiGHS writes it (a progress display reads it); racer 1's marked as its own
    assert any(line.startswith("Solving MIP model with") for line in lines)
    assert any(line.startswith("racer 1: ") for line in lines)
    assert not any(line.startswith("racer 0") for line in lines)
    assert processes_with(marked, "planner.optimize.race") == []


def _iterations_alone(model, configurations) -> list[int]:
    """The LP iterations of each configuration's proof, run alone (by work: the same on every run)."""
    out = []
    for mine in configurations:
        (finish,), decided = race.run(model.export_model().SerializeToString(), mathopt.SolverType.HIGHS.value,
                                      [mine], b"", by_work=True)
        assert decided and finish.result is not None
        out.append(race._iterations(finish.result))
    return out


def _raced_by_work(model, configurations, delayed: int):
    """The race of `configurations` by work, with racer `delayed` started 4 s late."""
    real, started = subprocess.Popen, []

    def popen(command, *rest, **kwargs):
        started.append(command)
        if len(started) - 1 == delayed:
            command = [command[0], "-c", "import runpy, time; time.sleep(4); "
                       "runpy.run_module('planner.optimize.race', run_name='__main__')"]
        return real(command, *rest, **kwargs)

    race.subprocess.Popen = popen
    try:
        return race.run(model.export_model().SerializeToString(), mathopt.SolverType.HIGHS.value,
                        list(configurations), b"", by_work=True)
    finally:
        race.subprocess.Popen = real


def test_the_race_by_work_keeps_the_proof_with_the_fewest_lp_iterations_however_late_it_starts(tmp_path, marked):
    """30 generated sites to 1e-6, two configurations: each proof alone takes a number of LP iterations that is
    the same every run; raced by work, the one with fewer wins even when it starts 4 s after the other (which
    by then has finished: by time it would have won), and its proof is the one it gives alone."""
    from planner.optimize.model import build_model
    from planner.optimize.solve import parameters

    model = build_model(_scenario(tmp_path, 30, 4)).model
    params = parameters(SolveOptions(relative_gap=1e-6, time_limit_s=120)).to_proto()
    configurations = race.variants(params, 2, started_from_plan=False)
    alone = _iterations_alone(model, configurations)
    assert _iterations_alone(model, configurations) == alone  # the same work on every run
    assert alone[0] != alone[1]  # the two searches differ, so the rule has something to decide
    winner = alone.index(min(alone))
    # the winner last: its task is written last, so its late start delays no other racer
    finishes, decided = _raced_by_work(model, [configurations[1 - winner], configurations[winner]], delayed=1)
    assert decided and finishes[-1].racer == 1 and race._iterations(finishes[-1].result) == min(alone)
    assert processes_with(marked, "planner.optimize.race") == []


def test_a_display_line_gives_its_lp_iterations_and_no_other_line_does():
    assert race._work(" T      22       1         5  37.50%   450730.455287   450845.100489      0.03%     1825"
                      "     74    612     40298    11.1s") == 40298
    assert race._work("         0       0         0   0.00%   449589.455045   449728.2571        0.03%       26"
                      "      0      0     14713     4.6s") == 14713
    for other in ("  LP iterations     25077", "  Timing            8.63",
                  "  Gap               0.0098% (tolerance: 0.01%)",
                  "Model after restart has 4794 rows, 2748 cols (1295 bin., 638 int.), and 18568 nonzeros",
                  "Src  Proc. InQueue |  Leaves   Expl. | BestBound       BestSol              Gap |   Cuts   InLp "
                  "Confl. | LpIters     Time"):
        assert race._work(other) == 0


def _refused() -> mathopt.Model:
    """A model HiGHS's interface refuses: a variable whose lower bound is +inf."""
    model = mathopt.Model()
    x = model.add_integer_variable(lb=float("inf"), ub=float("inf"), name="x")
    model.minimize(x)
    return model


def test_a_model_every_racer_refuses_is_an_error_in_the_back_ends_words(marked):
    single = solve(_refused(), SolveOptions())
    raced = solve(_refused(), SolveOptions(threads=2, deterministic=False))
    assert single.status == raced.status == SolveStatus.ERROR
    assert raced.detail.startswith("racer ") and single.detail.split()[0] in raced.detail
    assert processes_with(marked, "planner.optimize.race") == []


def test_racers_that_cannot_start_are_an_error_with_exit_4_not_a_traceback(write_scenario, tmp_path, capsys,
                                                                         monkeypatch):
    """No interpreter to start racers with (as with no process slots left): the back end's failure, exit 4."""
    from planner.cli import main

    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))
    path = write_scenario(tiny_doc([site("A"), site("B", capex_per_mw=2e6)]))
    out = tmp_path / "p.yaml"
    assert main(["optimize", str(path), "-o", str(out), "--non-deterministic", "--threads", "2"]) == 4
    err = capsys.readouterr().err
    assert "racer 0: the racer could not be started" in err and "none of them finished" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_the_race_goes_on_without_a_racer_that_cannot_start(write_scenario, monkeypatch, marked):
    started, real = [], subprocess.Popen  # the second racer fails to start, as fork does with no process slots

    def popen(*args, **kwargs):
        started.append(args)
        if len(started) == 2:
            raise BlockingIOError(11, "Resource temporarily unavailable")
        return real(*args, **kwargs)

    monkeypatch.setattr(race.subprocess, "Popen", popen)
    scenario = load_scenario(write_scenario(tiny_doc([site("A"), site("B", capex_per_mw=2e6)])))
    raced = plan_rollout(scenario, SolveOptions(start="none", threads=2, deterministic=False))
    assert len(started) == 2 and raced.result.status == SolveStatus.OPTIMAL
    assert raced.result.objective == pytest.approx(100.0) and "first to finish: racer 0" in raced.result.detail
    assert processes_with(marked, "planner.optimize.race") == []


def test_racers_stopped_at_a_limit_give_the_cheapest_plan_with_the_highest_bound():
    def stopped(objective, bound, status=SolveStatus.FEASIBLE):
        return SolveResult(status=status, objective=objective, best_bound=bound, gap=None, wall_s=1.0,
                           solver="highs", detail="time limit", values=[objective])

    options = SolveOptions(relative_gap=1e-3)
    merged = race_merged([stopped(105.0, 95.0), stopped(101.0, 90.0)], False, options, "2 raced")
    assert merged.objective == 101.0 and merged.values == [101.0] and merged.best_bound == 95.0
    assert merged.gap == pytest.approx(6.0 / 101.0) and merged.status == SolveStatus.FEASIBLE
    assert merged.detail == "time limit; 2 raced"
    # together they prove what neither did alone
    close = race_merged([stopped(100.05, 99.0), stopped(100.5, 100.0)], False, options, "2 raced")
    assert close.objective == 100.05 and close.best_bound == 100.0 and close.status == SolveStatus.OPTIMAL
    # maximizing: the largest plan, the lowest bound
    up = race_merged([stopped(90.0, 110.0), stopped(95.0, 120.0)], True, options, "2 raced")
    assert (up.objective, up.best_bound) == (95.0, 110.0)
    # no plan anywhere: a racer that ran to its limit speaks before one that failed
    failed = SolveResult(status=SolveStatus.ERROR, objective=None, best_bound=None, gap=None, wall_s=0.1,
                         solver="highs", detail="racer 0: gone", values=[])
    none = race_merged([failed, stopped(None, 80.0, SolveStatus.NO_SOLUTION)], False, options, "2 raced")
    assert none.status == SolveStatus.NO_SOLUTION and none.detail == "time limit; 2 raced"


def test_an_interrupt_stops_every_racer_at_once(tmp_path, marked):
    """200 generated sites on the full model take minutes; an interrupt two seconds in ends the race (HiGHS's
    racers are terminated, having no way to hand over a plan part-way) and no racer is left running."""
    from planner.optimize.model import build_model

    model = build_model(_scenario(tmp_path, 200, 1)).model
    interrupter = SolveInterrupter()
    threading.Timer(2.0, interrupter.interrupt).start()
    started = time.monotonic()
    result = solve(model, SolveOptions(threads=2, deterministic=False, time_limit_s=300), interrupter=interrupter)
    assert time.monotonic() - started < 30
    assert result.status == SolveStatus.NO_SOLUTION and result.detail.startswith(INTERRUPTED_BEFORE_ANY_PLAN)
    assert processes_with(marked, "planner.optimize.race") == []
