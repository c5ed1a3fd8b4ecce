"""What steers a solve, free of OR-Tools so that the command line can describe it without loading a solver.

The back end is a choice, not part of the formulation: HiGHS (the default, chosen by measurement:
see docs/PERFORMANCE.md), SCIP and CP-SAT all receive the same MathOpt model, so any two can
cross-check each other.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

SOLVER_NAMES = ("highs", "scip", "cp-sat")  # MathOpt back ends (planner.optimize.solve maps them)
DEFAULT_SOLVER = "highs"
CP_SAT_DEFAULT_WORKERS = 8  # CP-SAT needs a portfolio of workers, even on 2 cores (DESIGN.md)
# Back ends that stop early, with their best solution, when a SolveInterrupter fires. Measured with
# OR-Tools 9.15: MathOpt's HiGHS ignores both the interrupter and callbacks and runs to its limits.
INTERRUPTIBLE = ("cp-sat", "scip")
RACE_DEFAULT_MAX = 4  # HiGHS searches raced by default when results may vary (each holds its own copy of the model)
STARTS = ("auto", "reduced", "restricted", "lp-bound", "lagrangean", "none")  # how the solve starts (start.py)
AUTO_START_MIN_SITES = 150  # from this many candidate sites, "auto" reduces the model by Lagrangean fixing ...
AUTO_LP_BOUND_MIN_SITES = 5000  # ... and from this many takes the LP relaxation's bound instead of branching


@dataclass(frozen=True)
class SolveOptions:
    """Everything that steers a solve. Same options and scenario: same plan."""

    solver: str = DEFAULT_SOLVER
    time_limit_s: float = 60.0
    relative_gap: float = 1e-4
    threads: int | None = None  # None: the back end's default (CP-SAT: 8 workers; HiGHS racing: racers())
    seed: int = 0
    deterministic: bool = True  # identical results run to run: CP-SAT's interleaved search, HiGHS's one search
    #   or its racers decided by work; False lets searches race by time (CP-SAT's workers; HiGHS: racers()
    #   searches, planner.optimize.race)
    start: str = "auto"  # restricted: solve a screened subset of sites first, prove its plan against the LP
    #   relaxation (planner.optimize.pricing) and branch from it when that is not within relative_gap;
    #   lp-bound: that plan, proven against the full model's LP relaxation (no branch and bound); none;
    #   lagrangean: kernel search for single-phase facility location (planner.optimize.lagrange);
    #   reduced: branch and bound on the model less the sites and openings a Lagrangean bound rules out
    #   (planner.optimize.fixing), from an incumbent on the sites that bound ranks best;
    #   auto: with HiGHS, reduced from AUTO_START_MIN_SITES sites, lp-bound from AUTO_LP_BOUND_MIN_SITES,
    #   lagrangean where it applies (one phase, demand regions, too many serving pairs for serve_open rows)
    write_models: str | None = None  # a directory: every model handed to the back end is also written there (MPS,
    #   its starting plan as .mst), numbered in order, for trying another solver on it; steers nothing

    def racers(self) -> int:
        """How many HiGHS searches race on each MIP (planner.optimize.race): `threads`, decided by their work
        (the same plan every run) when deterministic, or by time; unset, 1 (no race) when deterministic, else
        this machine's cores up to RACE_DEFAULT_MAX."""
        if self.solver != "highs":
            return 1
        if self.deterministic:
            return self.threads or 1
        return self.threads or min(RACE_DEFAULT_MAX, os.cpu_count() or 1)

    @property
    def round_grid(self) -> bool:
        """Whether the models carry the grid_round rows (planner.optimize.grid): for the back ends that branch
        on an LP relaxation (HiGHS, SCIP), not for CP-SAT."""
        return self.solver != "cp-sat"
