"""gwplan's Python API for notebooks and scripts: the same steps as the command line, as functions.

    import planner
    scenario = planner.load_scenario("scenarios/10gw-rollout.yaml", set=["economics.discount_rate=0.1"])
    plan = planner.solve(scenario, time_limit_s=120)         # a Plan (shows as a table in a notebook)
    plan = planner.solve(scenario, warm_start=plan)            # from a plan already made (--warm-start)
    tables = planner.plan_frames(plan)                        # {"phase_sites", "phases", "sites"}: DataFrames
    plan = planner.load_plan("plans/10gw-rollout.plan.yaml")
    samples = planner.sweep(scenario, samples=20)             # a DataFrame, one row per sample

Bad input raises `planner.InputError`, whose message names the file, the field and what was expected, as
on the command line; a scenario with no plan raises `planner.NoPlan`, with the solver's status and the
explanation of what could not be met.
"""

from __future__ import annotations

import os

from planner.fields import InputError


class NoPlan(Exception):
    """The optimizer found no plan (infeasible, or nothing within the limits); the message says why."""


def load_scenario(path: str | os.PathLike, set: list[str] | tuple[str, ...] = ()):  # noqa: A002 - as --set
    """A checked scenario: the file, its `extends:` chain and `--set PATH=VALUE` overrides."""
    from planner.scenario import load_scenario as load

    return load(path, tuple(set))


def solve(scenario, warm_start=None, **options):
    """The optimal plan of a scenario. `options` are `planner.optimize.options.SolveOptions` fields
    (solver, time_limit_s, relative_gap, seed, threads, start, ...); `warm_start`, a Plan or a plan file's path
    to start the search from, as `gwplan optimize --warm-start`. NoPlan when there is none."""
    from planner.optimize.options import SolveOptions
    from planner.optimize.rollout import plan_rollout
    from planner.optimize.warm import warm_start_from_plan

    warm = None
    if warm_start is not None:
        given_path = isinstance(warm_start, (str, os.PathLike))
        warm = warm_start_from_plan(load_plan(warm_start) if given_path else warm_start, scenario,
                                    str(warm_start) if given_path else "the plan given")
    outcome = plan_rollout(scenario, SolveOptions(**options), warm=warm)
    if outcome.plan is None:
        detail = outcome.result.detail
        if outcome.result.status.value == "infeasible":
            from planner.optimize.explain import explain

            detail = "; ".join(reason.message for reason in explain(scenario)) or detail
        raise NoPlan(f"no plan ({outcome.result.status.value}): {detail}")
    return outcome.plan


def load_plan(path: str | os.PathLike):
    """A plan file written by gwplan optimize (checked against the rules when read)."""
    from planner.plan import load_plan as load

    return load(path)


def plan_frames(plan) -> dict:
    """The plan as pandas DataFrames: phase_sites, phases, sites (units in the column names)."""
    from planner.plan.frames import frames

    return frames(plan)


def sweep(scenario, samples: int = 20, seed: int = 0, **solve_options):
    """Monte Carlo what-ifs (grid delays, energy and capex spreads; `planner.optimize.sweep`), solved in
    this process: a DataFrame with one row per sample (status, NPV, shortfall, sites built per phase)."""
    import pandas as pd

    from planner.optimize.options import SolveOptions
    from planner.optimize.sweep import SweepOptions, run_sweep

    results = run_sweep(scenario, SweepOptions(samples=samples, seed=seed), SolveOptions(**solve_options),
                        executor="serial")
    return pd.DataFrame([{"sample": r.sample, "status": r.status, "npv_usd": r.npv_usd,
                          "shortfall_mw": r.shortfall_mw,
                          **{f"phase_{pid}_sites": ",".join(sites) for pid, sites in r.building}} for r in results])


__all__ = ["InputError", "NoPlan", "load_plan", "load_scenario", "plan_frames", "solve", "sweep"]
