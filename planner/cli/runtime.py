"""How long work runs under the command line: worker threads, Ctrl-C and SIGTERM, spinners, fd 1.

Solver back ends are native code that holds the main thread; running them in a daemon thread lets
gwplan hear Ctrl-C at once, stop an interruptible back end with its best plan so far, or leave without
writing anything.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from planner.cli.args import EXIT_INTERRUPTED


def busy(args: argparse.Namespace, message: str):
    """A spinner on standard error for long work, when it is a terminal and not --quiet / --json."""
    if getattr(args, "quiet", False) or getattr(args, "json", False) or not sys.stderr.isatty():
        return contextlib.nullcontext()
    from rich.console import Console

    return Console(stderr=True).status(message)


@contextlib.contextmanager
def native_stdout_to_stderr():
    """Send what native solver code prints on file descriptor 1 to stderr while it runs.

    HiGHS occasionally prints debugging lines straight to stdout; --json output must stay one object.
    """
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no usable stdout (closed): nothing to protect
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def leave_without_writing(target: Path, why: str) -> None:
    """Exit at once (130) while a solver thread still runs: it cannot be joined, so do not wait for it."""
    print(f"interrupted: nothing was written ({target} is as it was); {why}", file=sys.stderr)
    sys.stderr.flush()
    sys.stdout.flush()
    os._exit(EXIT_INTERRUPTED)


class Worker:
    """Run `work()` in a daemon thread so that the main thread hears Ctrl-C while native solver code runs.

    Wait on `done` (an Event), not on Thread.join: a join interrupted by KeyboardInterrupt can leave the
    thread marked finished while it still runs (CPython); an Event wait cannot.
    """

    def __init__(self, work):
        import threading

        self.done = threading.Event()
        self._box: list = []
        threading.Thread(target=self._run, args=(work,), daemon=True).start()

    def _run(self, work) -> None:
        try:
            self._box.append(work())
        except Exception as err:  # noqa: BLE001 - re-raised in the main thread by result()
            self._box.append(err)
        finally:
            self.done.set()

    def result(self):
        """What work() returned (raising what it raised); call once `done` is set."""
        if isinstance(self._box[0], Exception):
            raise self._box[0]
        return self._box[0]


class SolveAbandoned(Exception):
    """Ctrl-C during a solve the back end cannot stop early (or a second Ctrl-C): quit, writing nothing."""


@contextlib.contextmanager
def sigterm_as_ctrl_c():
    """Treat SIGTERM (a batch system stopping gwplan) like Ctrl-C while the block runs."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):  # noqa: ARG001 - signature fixed by the signal module
        raise KeyboardInterrupt
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def solve_with_progress(scenario, options, args: argparse.Namespace, commitments=(), stability=None, warm=None):
    """Solve in a worker thread, so that Ctrl-C reaches gwplan while native solver code runs.

    A terminal shows what is running, for how long, and (HiGHS) the incumbent and gap from the log.
    On Ctrl-C an interruptible back end (CP-SAT, SCIP) is asked to stop and return its best plan so far
    (the outcome is INTERRUPTED); with HiGHS, which OR-Tools cannot stop early, or on a second Ctrl-C,
    SolveAbandoned is raised and nothing is written.
    """
    import time

    from planner.optimize.options import INTERRUPTIBLE
    from planner.optimize.result import USD_SCALE
    from planner.optimize.rollout import plan_rollout
    from planner.optimize.solve import SolveInterrupter, parse_progress

    best: list = []  # the latest (bound, incumbent, gap) the solver logged

    def on_log(lines) -> None:
        for line in lines:
            if args.log:
                print(line, file=sys.stderr)
            progress = parse_progress(line)
            if progress is not None:
                best[:] = [progress]

    interrupter = SolveInterrupter()

    def message() -> str:
        found = ""
        if best and best[0][1] != float("inf"):
            _, incumbent, gap = best[0]
            found = (f"; incumbent ${incumbent * USD_SCALE / 1e9:,.2f}B"
                     + (f", gap {gap:.2%}" if gap is not None else ""))
        return (f"optimizing {scenario.name!r} with {options.solver}: {time.monotonic() - started:,.0f} s "
                f"(limit {options.time_limit_s:g} s, gap target {options.relative_gap:g}){found}")

    started = time.monotonic()
    work = Worker(lambda: plan_rollout(scenario, options, on_log=on_log, commitments=commitments,
                                        stability=stability, interrupter=interrupter, warm=warm))
    spinner = contextlib.nullcontext() if args.log else busy(args, "")  # the solver's log replaces the spinner
    with spinner as status, sigterm_as_ctrl_c():
        try:
            while not work.done.wait(0.25):
                if status is not None:
                    status.update(message())
        except KeyboardInterrupt:
            if options.solver not in INTERRUPTIBLE:
                raise SolveAbandoned(f"{options.solver} cannot be stopped part-way, so there is no best-so-far plan. "
                                     "Bound a run with --time-limit, or use --solver cp-sat or scip to stop one "
                                     "early with its best plan.") from None
            interrupter.interrupt()
            print("interrupted: asking the solver for its best plan so far (Ctrl-C again to quit without it)",
                  file=sys.stderr)
            try:
                work.done.wait()
            except KeyboardInterrupt:
                raise SolveAbandoned("a second Ctrl-C: left without the best plan so far") from None
    return work.result()
