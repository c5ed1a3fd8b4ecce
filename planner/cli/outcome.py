"""What a solve's status means for the user of gwplan optimize: a line on standard error and the exit code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from planner.cli import args as a
from planner.optimize.options import SolveOptions

EARLY = 0.9  # a search that ended before this share of its time limit did not stop at it


def why_not(result, scenario) -> list | None:
    """The explanation's reasons (planner.optimize.explain) when the solve ended without a plan and was not
    interrupted: the solver proved infeasibility, or its search found nothing; None otherwise."""
    from planner.optimize import exact
    from planner.optimize.explain import explain
    from planner.optimize.result import SolveStatus
    from planner.optimize.solve import INTERRUPTED_BEFORE_ANY_PLAN

    searched = (result.status == SolveStatus.NO_SOLUTION and result.detail != INTERRUPTED_BEFORE_ANY_PLAN
                and exact.NOT_PROVEN_INFEASIBLE not in result.detail)
    return explain(scenario) if result.status == SolveStatus.INFEASIBLE or searched else None


def exit_status(result, options: SolveOptions, args: argparse.Namespace, target: Path, plan_path: Path,
                reasons: list | None, build_s: float = 0.0) -> int:
    """Say on standard error what the status means for the user, and return the exit code; `reasons` from
    `why_not`; `build_s`, the model's build, which the time limit covers with the solve."""
    from planner.optimize import exact
    from planner.optimize.result import SolveStatus
    from planner.optimize.solve import INTERRUPTED_BEFORE_ANY_PLAN

    status, spent_s = result.status, build_s + result.wall_s
    gap = "no bound yet" if result.gap is None else f"gap {result.gap:.2e}"
    if status == SolveStatus.INTERRUPTED:
        print(f"interrupted: the best plan found so far ({gap}, status 'interrupted') was written to "
              f"{plan_path}; {target} is as it was", file=sys.stderr)
        return a.EXIT_INTERRUPTED
    if status == SolveStatus.FEASIBLE and exact.LP_BOUND in result.detail:
        print(f"note: CP-SAT solves the model with continuous variables rounded to whole units, so its plan is "
              f"proven only against the LP relaxation's bound ({gap}); --solver highs or scip can prove it closer",
              file=sys.stderr)
    elif status == SolveStatus.FEASIBLE and result.gap is not None and spent_s < EARLY * options.time_limit_s:
        print(f"note: the search ended after {spent_s:.0f} of the {options.time_limit_s:g} s allowed, with the "
              f"plan proven within a gap of {result.gap:.2e}, more than the {options.relative_gap:g} asked: its last "
              "step could do no better, so a longer --time-limit would not close it (the plan's provenance says how it "
              "was found and what bounds it)", file=sys.stderr)
    elif status == SolveStatus.FEASIBLE:
        proven = ("no bound was proven, so its distance from the optimum is unknown" if result.gap is None
                  else f"it is only proven within a gap of {result.gap:.2e}")
        print(f"note: the solver stopped at a limit; the plan is feasible but {proven} (raise --time-limit to "
              "close it)", file=sys.stderr)
    if status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        return a.EXIT_OK
    if status == SolveStatus.INFEASIBLE:
        print(f"{args.scenario}: infeasible: no rollout meets every constraint of this scenario. No plan was written.",
              file=sys.stderr)
        for reason in reasons or []:  # a caller without `why_not`'s reasons gets the general line below
            print(f"  - {reason.message}", file=sys.stderr)
        if not reasons:
            print("  - no single rule explains it: capacity, grid, lead times, funding, diversity and demand are "
                  "each satisfiable alone but not together", file=sys.stderr)
        return a.EXIT_INFEASIBLE
    if status == SolveStatus.NO_SOLUTION and result.detail == INTERRUPTED_BEFORE_ANY_PLAN:
        print(f"interrupted before any plan was found; {target} is as it was", file=sys.stderr)
        return a.EXIT_INTERRUPTED
    if status == SolveStatus.NO_SOLUTION and exact.NOT_PROVEN_INFEASIBLE in result.detail:
        print(f"{args.scenario}: CP-SAT found no plan with continuous variables in whole units, but the model's LP "
              "relaxation has a solution, so it is not proven infeasible; try --solver highs. No plan was written.",
              file=sys.stderr)
    elif status == SolveStatus.NO_SOLUTION and reasons:
        # No plan within the limit, and a necessary condition fails: none would be found with more time.
        print(f"{args.scenario}: infeasible: no plan was found within {options.time_limit_s:g} s, and none can "
              "exist. No plan was written.", file=sys.stderr)
        for reason in reasons:
            print(f"  - {reason.message}", file=sys.stderr)
        return a.EXIT_INFEASIBLE
    elif status == SolveStatus.NO_SOLUTION:
        print(f"{args.scenario}: no plan found within {options.time_limit_s:g} s; raise --time-limit. "
              "No plan was written.", file=sys.stderr)
    else:
        print(f"{args.scenario}: the solver {options.solver} failed ({result.detail}); try another --solver. "
              "No plan was written.", file=sys.stderr)
    return a.EXIT_NO_PLAN
