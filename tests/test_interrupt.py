"""Ctrl-C (and SIGTERM) during a solve: the previous plan file is untouched, and with a back end that can
stop early, a complete best-so-far plan is written beside it, marked `status: interrupted`.

Each test runs `gwplan optimize` in a child process on a generated 200-site scenario (long enough to
solve that the signal arrives mid-search), waits for the solver's log to show the search under way,
and sends the signal.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest
import yaml

from benchmarks.synthetic import scenario_doc
from planner.plan import load_plan
from tests.helpers import REPO, processes_with


def _as_from_a_terminal() -> None:
    """In the child before it runs: Ctrl-C's default disposition. A test run started in the background (`cmd &`
    in a script, nohup) hands its children SIGINT ignored, and Python then installs no handler for it; a user
    at a terminal has it delivered, which is what these tests are about."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


PREVIOUS = "format: gwplan-plan/1\n# the previous plan: must survive the interruption byte for byte\n"


def _start(tmp_path, solver: str, *extra: str) -> tuple[subprocess.Popen, object]:
    scenario = tmp_path / "big.yaml"
    scenario.write_text(yaml.safe_dump(scenario_doc(200)))
    plan = tmp_path / "plan.yaml"
    plan.write_text(PREVIOUS)
    child = subprocess.Popen([sys.executable, "-m", "planner", "optimize", str(scenario), "-o", str(plan),
                              "--solver", solver, "--time-limit", "300", "--log", *extra],
                             cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=_as_from_a_terminal)
    return child, plan


def _wait_for(child: subprocess.Popen, pattern: str, timeout_s: float = 120) -> list[str]:
    """Read the child's stderr until a line matches (the solver's log is there with --log)."""
    seen, deadline = [], time.monotonic() + timeout_s
    for line in child.stderr:
        seen.append(line)
        if re.search(pattern, line):
            return seen
        if time.monotonic() > deadline:
            break
    child.kill()
    pytest.fail(f"no log line matching {pattern!r}: {''.join(seen[-20:])}")


def test_ctrl_c_with_cp_sat_writes_the_best_plan_so_far_beside_the_previous_one(tmp_path):
    child, plan = _start(tmp_path, "cp-sat")
    _wait_for(child, r"^#\d+\s")  # CP-SAT logs each solution it finds as '#<n> <time> best:...'
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 130, err
    assert plan.read_text() == PREVIOUS
    interrupted = tmp_path / "plan.interrupted.yaml"
    assert f"was written to {interrupted}" in err and "Traceback" not in err
    best = load_plan(interrupted)  # complete: it passes every check of the plan reader
    assert best.provenance.status == "interrupted" and best.provenance.solver == "cp-sat"
    assert best.provenance.gap is None or best.provenance.gap >= 0
    required = sum(p.it_mw_required for p in best.phases)
    assert best.phases[-1].it_mw_total >= required - 1e-6 * required  # a whole, feasible plan


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_with_highs_writes_nothing_and_exits_at_once(tmp_path, signum):
    child, plan = _start(tmp_path, "highs")
    _wait_for(child, r"Solving MIP model with|Presolving model")  # HiGHS is searching
    sent = time.monotonic()
    child.send_signal(signum)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert time.monotonic() - sent < 30  # does not wait for the search to end (it could take minutes)
    assert "cannot be stopped part-way" in err and "Traceback" not in err
    assert plan.read_text() == PREVIOUS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.yaml", "plan.yaml"]


def test_ctrl_c_while_looking_for_alternatives_writes_nothing(tmp_path):
    child, plan = _start(tmp_path, "highs", "--alternatives", "2")
    _wait_for(child, r"Solving MIP model with|Presolving model")  # the first solve is searching
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert "alternatives are written only once all are found" in err and "Traceback" not in err
    assert plan.read_text() == PREVIOUS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.yaml", "plan.yaml"]


def test_an_interrupt_before_any_solution_gives_no_plan_and_says_so(write_scenario):
    from planner.optimize.options import SolveOptions
    from planner.optimize.result import SolveStatus
    from planner.optimize.rollout import plan_rollout
    from planner.optimize.solve import SolveInterrupter
    from planner.scenario import load_scenario
    from tests.helpers import site, tiny_doc

    scenario = load_scenario(write_scenario(tiny_doc([site("A"), site("B")])))
    interrupter = SolveInterrupter()
    interrupter.interrupt()
    outcome = plan_rollout(scenario, SolveOptions(solver="cp-sat"), interrupter=interrupter)
    assert outcome.result.status == SolveStatus.NO_SOLUTION and outcome.plan is None
    assert outcome.result.detail == "interrupted before any plan was found"
    # ... and the command says so with the interrupt's exit code (130), not "no plan within the limit" (4)
    import argparse
    from pathlib import Path as P

    from planner.cli.outcome import exit_status, why_not

    assert exit_status(outcome.result, SolveOptions(solver="cp-sat"), argparse.Namespace(scenario="s.yaml"),
                       P("p.yaml"), P("p.yaml"), why_not(outcome.result, scenario)) == 130


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_sweep_stops_at_once_and_leaves_no_worker_behind(tmp_path, signum):
    """Ctrl-C used to run every remaining sample (57 s) and SIGTERM left workers alive for over a minute:
    now both end the command within seconds (exit 130) and no worker process survives it."""
    import uuid

    marker = f"GWPLAN_SWEEP_TEST={uuid.uuid4().hex}"
    key, value = marker.split("=")
    scenario = REPO / "scenarios" / "10gw-rollout.yaml"
    child = subprocess.Popen([sys.executable, "-m", "planner", "-q", "sweep", str(scenario), "--samples", "40",
                              "--workers", "2", "--time-limit", "30", "-o", str(tmp_path / "s.json")],
                             cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, key: value}, preexec_fn=_as_from_a_terminal)
    deadline = time.monotonic() + 60
    while len(processes_with(marker)) < 3 and time.monotonic() < deadline:  # the command and its 2 workers
        time.sleep(0.2)
    time.sleep(3)  # the workers are solving
    started = time.monotonic()
    child.send_signal(signum)
    _, err = child.communicate(timeout=30)
    assert child.returncode == 130, err
    assert time.monotonic() - started < 5
    time.sleep(0.5)
    assert processes_with(marker) == []
    assert "interrupted; nothing was written" in err and not (tmp_path / "s.json").exists()


def test_ctrl_c_with_raced_highs_searches_leaves_no_racer_behind(tmp_path):
    """`--non-deterministic --threads 2`: HiGHS's searches run in racer processes of their own. Ctrl-C ends
    the command as with one search (exit 130, nothing written), and no racer runs on to its time limit."""
    import uuid

    marker = f"GWPLAN_RACE_TEST={uuid.uuid4().hex}"
    key, value = marker.split("=")
    scenario = tmp_path / "big.yaml"
    scenario.write_text(yaml.safe_dump(scenario_doc(200)))
    plan = tmp_path / "plan.yaml"
    child = subprocess.Popen([sys.executable, "-m", "planner", "optimize", str(scenario), "-o", str(plan),
                              "--start", "none", "--time-limit", "300", "--log", "--non-deterministic",
                              "--threads", "2"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env={**os.environ, key: value}, preexec_fn=_as_from_a_terminal)
    _wait_for(child, r"^racer 1: .*(Solving MIP model with|Presolving model)")  # both racers are searching
    assert len(processes_with(marker)) == 3  # the command and its two racers
    sent = time.monotonic()
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert time.monotonic() - sent < 30 and "Traceback" not in err
    deadline = time.monotonic() + 10  # a racer whose command is gone ends itself within a second or two
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_with(marker) == [] and not plan.exists()
