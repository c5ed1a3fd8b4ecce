"""Several HiGHS searches on one MIP at once, each in its own process: the first to finish its proof wins.

HiGHS's branch and bound uses one core (measured: 2 threads gave 48.3 s of wall time for 47.8 s of CPU), and
how long a search takes depends on its random seed and heuristics as much as on the model: the same proof
took 22.7 to 71.1 s over three seeds, and a proof without RENS and the root reduced-cost heuristic was faster
on 14 of 17 measured shapes but more than twice as slow on another (docs/PERFORMANCE.md). Racing differently
configured searches takes the fastest of them, on cores that would otherwise sit idle.

Racer 0 is exactly the search a single thread runs. Racer k runs with seed + k; racer 1, when the search starts
from a plan, also leaves out RENS and the root reduced-cost heuristic (what a start from a good plan does not
need), or, when racer 0 already leaves out HiGHS's sub-MIP heuristics (HEURISTIC_WORDS: the reduced search's
proof, `solve.solve(bound_search=True)`), runs with them: the two configurations each win on some proofs.
Racers that stop at a limit are merged: the cheapest plan with the highest bound any of them proved, both
valid for the same model. Which racer's proof is kept is decided in one of two ways:

- **by time** (`by_work=False`, `--non-deterministic`): the first racer to prove the gap or infeasibility ends
  the race and the others are stopped (HiGHS cannot be interrupted through OR-Tools, so they are terminated).
  Which racer that is depends on the machine's timing, so the plan can differ from run to run (within the gap).
- **by work** (`by_work=True`: `--threads N` without `--non-deterministic`): the racer whose proof takes the
  fewest LP iterations wins, ties to the lower racer. One HiGHS search with given options does the same
  iterations on every run, so the winner, and with it the plan, is the same run to run and machine to machine.
  Each racer logs its iteration count at least every WORK_LOG_INTERVAL_S (HiGHS's `mip_min_logging_interval`);
  once a racer has proven, any other is stopped as soon as its count passes the winner's, and one that proves
  with fewer iterations first takes its place. The fewer iterations was the faster proof in every measured
  pair, but the rates differ (1,700-2,800 a second; fewer with HiGHS's heuristics), so the race waits a few
  seconds past the first proof (docs/PERFORMANCE.md).

The result says which racer won. Each racer is a fresh Python process (`python -m
planner.optimize.race`; a fork could copy a lock held by another thread of the parent, and multiprocessing's
spawn would run the caller's script again) that gets the model as serialized protocol buffers on stdin.
"""

from __future__ import annotations

import os
import pickle
import re
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import wait
from pathlib import Path
from typing import Callable, Sequence

from ortools.math_opt import parameters_pb2

WITHOUT_START_HEURISTICS = ("mip_heuristic_run_rens", "mip_heuristic_run_root_reduced_cost")
HEURISTIC_WORDS = {  # HiGHS's sub-MIP heuristics that look for plans, and their names in words
    "mip_heuristic_run_rins": "RINS",
    "mip_heuristic_run_rens": "RENS",
    "mip_heuristic_run_root_reduced_cost": "the root reduced-cost heuristic",
}
POLL_S = 0.2  # how often the race looks at the interrupter while it waits
WORK_LOG_INTERVAL_S = 0.5  # how often a racer decided by work reports its LP iterations (its log's display line)
_DISPLAY_WORK = re.compile(r"%.*\s(\d+)\s+\d+(?:\.\d+)?s$")  # a display line's LpIters column, before its Time
FINAL = ("TERMINATION_REASON_OPTIMAL", "TERMINATION_REASON_INFEASIBLE", "TERMINATION_REASON_INFEASIBLE_OR_UNBOUNDED")


@dataclass(frozen=True)
class Finish:
    """What one racer brought back: its SolveResultProto (serialized), or the error it raised."""

    racer: int
    seed: int
    result: bytes | None
    error: str | None = None


def variants(params: parameters_pb2.SolveParametersProto, racers: int,
             started_from_plan: bool) -> list[parameters_pb2.SolveParametersProto]:
    """Each racer's parameters: racer 0's are `params` unchanged."""
    out = []
    for k in range(racers):
        mine = parameters_pb2.SolveParametersProto()
        mine.CopyFrom(params)
        mine.random_seed = params.random_seed + k
        if k == 1 and started_from_plan:
            if _left_out(params):  # racer 0 searches for the bound alone: racer 1 with HiGHS's heuristics
                for name in HEURISTIC_WORDS:
                    mine.highs.bool_options.pop(name, None)
            else:
                for name in WITHOUT_START_HEURISTICS:
                    mine.highs.bool_options[name] = False
        out.append(mine)
    return out


def _left_out(params: parameters_pb2.SolveParametersProto) -> list[str]:
    return [name for name in HEURISTIC_WORDS if params.highs.bool_options.get(name, True) is False]


def describe(params: parameters_pb2.SolveParametersProto) -> str:
    """A racer's configuration in words."""
    words = [HEURISTIC_WORDS[name] for name in _left_out(params)]
    if not words:
        return "defaults"
    return "without " + (words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1])


def run(model_proto: bytes, solver_type: int, params: Sequence[parameters_pb2.SolveParametersProto],
        model_params: bytes, on_log: Callable[[Sequence[str]], None] | None = None,
        interrupted: Callable[[], bool] = lambda: False, by_work: bool = False) -> tuple[list[Finish], bool]:
    """Race one search per entry of `params` on the serialized model; returns the finishes, the winner last,
    and whether the race was decided (a racer's proof of the gap or infeasibility kept: the first to finish,
    or with `by_work` the one with the fewest LP iterations) before all finished.

    Racer 0's log lines reach `on_log` as they are (so a progress display follows one search); the others'
    come prefixed "racer K: ". `interrupted()` becoming true stops every racer (no finish for them). A racer
    that cannot be started is a finish with its error, and the others race on."""
    racers: dict[int, subprocess.Popen] = {}
    errors = {}
    finishes: list[Finish] = []
    for k, mine in enumerate(params):
        errors[k] = tempfile.TemporaryFile()
        try:
            racers[k] = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=errors[k], bufsize=0, env=_environment())
        except OSError as err:  # no process slots, memory or interpreter: the others race on without it
            finishes.append(Finish(k, mine.random_seed, None, f"the racer could not be started ({err})"))
            errors.pop(k).close()
    best: tuple[int, int, Finish] | None = None  # by work: (LP iterations, racer, finish) of the proof kept
    work = dict.fromkeys(racers, 0)  # by work: the LP iterations each racer has reported so far
    try:
        for k, mine in ((k, params[k]) for k in racers):  # each racer reads its task at once, after its imports
            if by_work:
                mine = _reporting_work(mine)
            task = pickle.dumps((model_proto, solver_type, mine.SerializeToString(), model_params,
                                 on_log is not None or by_work))
            try:
                racers[k].stdin.write(struct.pack("<Q", len(task)) + task)
                racers[k].stdin.close()
            except BrokenPipeError:  # the racer is gone already: its output's end says so
                pass
        pipes = {racers[k].stdout: k for k in racers}
        while pipes and not (best and not by_work) and not interrupted():
            for pipe in wait(list(pipes), timeout=POLL_S):
                k = pipes[pipe]
                kind, payload = _receive(pipe) or ("error", _died(racers[k], errors[k]))
                if kind == "log":
                    if on_log is not None:
                        on_log(payload if k == 0 else [f"racer {k}: {line}" for line in payload])
                    work[k] = max([work[k], *(_work(line) for line in payload)])
                    continue
                del pipes[pipe]
                seed = params[k].random_seed
                finish = Finish(k, seed, payload, None) if kind == "done" else Finish(k, seed, None, payload)
                finishes.append(finish)
                if finish.result is not None and _reason(finish.result) in FINAL:
                    mine = (_iterations(finish.result), k, finish)
                    best = mine if best is None or mine[:2] < best[:2] else best
            if best and by_work:  # stop those that have done more than the proof kept: they cannot beat it
                for pipe, k in list(pipes.items()):
                    if (work[k], k) > best[:2]:
                        racers[k].terminate()
                        del pipes[pipe]
    finally:
        for process in racers.values():
            if process.poll() is None:
                process.terminate()
        for k, process in racers.items():
            process.wait()
            process.stdout.close()
            errors[k].close()
    if best is not None:
        finishes.remove(best[2])
        finishes.append(best[2])
    return finishes, best is not None


def _reporting_work(params: parameters_pb2.SolveParametersProto) -> parameters_pb2.SolveParametersProto:
    """`params` with HiGHS asked for a display line (and so its LP iterations) every WORK_LOG_INTERVAL_S."""
    mine = parameters_pb2.SolveParametersProto()
    mine.CopyFrom(params)
    mine.highs.double_options["mip_min_logging_interval"] = WORK_LOG_INTERVAL_S
    return mine


def _work(line: str) -> int:
    """The LP iterations a HiGHS display line reports (0 for any other line)."""
    found = _DISPLAY_WORK.search(line.rstrip())
    return int(found.group(1)) if found else 0


def _iterations(result: bytes) -> int:
    from ortools.math_opt import result_pb2

    return result_pb2.SolveResultProto.FromString(result).solve_stats.simplex_iterations


def _environment() -> dict[str, str]:
    """The racer's environment: this process's, with the directory that holds `planner` on its path."""
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    return env


def _receive(pipe) -> tuple[str, object] | None:
    """One message from a racer (8 bytes of length, then a pickle), or None at the end of its output."""
    header = _read(pipe, 8)
    if header is None:
        return None
    return _read(pipe, struct.unpack("<Q", header)[0], pickled=True)


def _read(pipe, size: int, pickled: bool = False):
    chunks, left = [], size
    while left:
        chunk = pipe.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    data = b"".join(chunks)
    return pickle.loads(data) if pickled else data


def _died(process: subprocess.Popen, errors) -> str:
    process.wait()
    errors.seek(0)
    lines = errors.read().decode(errors="replace").strip().splitlines()
    said = f": {lines[-1]}" if lines else ""
    return f"the racer ended without a result (exit code {process.returncode}){said}"


def _reason(result: bytes) -> str:
    from ortools.math_opt import result_pb2

    proto = result_pb2.SolveResultProto.FromString(result)
    return result_pb2.TerminationReasonProto.Name(proto.termination.reason)


def _serve() -> None:
    """A racer: read the task from stdin, solve, write log lines as they come and the result at the end.

    Messages go to a private copy of stdout; fd 1 itself is pointed at stderr, so nothing the solver prints
    can break them. The racer ends itself if its parent is gone (no orphan runs to its time limit)."""
    from ortools.math_opt import callback_pb2, model_parameters_pb2, model_pb2
    from ortools.math_opt.core.python import solver

    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    lock = threading.Lock()

    def send(kind: str, payload) -> None:
        data = pickle.dumps((kind, payload))
        with lock:
            out.write(struct.pack("<Q", len(data)) + data)

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
    size = struct.unpack("<Q", sys.stdin.buffer.read(8))[0]
    model_proto, solver_type, params, model_params, logging = pickle.loads(sys.stdin.buffer.read(size))
    try:
        result = solver.solve(model_pb2.ModelProto.FromString(model_proto), solver_type,
                              parameters_pb2.SolverInitializerProto(),
                              parameters_pb2.SolveParametersProto.FromString(params),
                              model_parameters_pb2.ModelSolveParametersProto.FromString(model_params),
                              (lambda lines: send("log", list(lines))) if logging else None,
                              callback_pb2.CallbackRegistrationProto(), None, None)
        send("done", result.SerializeToString())
    except Exception as err:  # noqa: BLE001 - the parent reports a racer's failure in its own words
        send("error", str(err).strip() or type(err).__name__)


if __name__ == "__main__":
    _serve()
