"""Starting from a plan already made (`gwplan optimize --warm-start PLAN`): an earlier run's plan, of the same
scenario or an edited one, is the search's first plan in place of the one the search would find for itself.

The first plan is what a search's time depends on most: handed its optimum, the reduced search proves one
order of early-scarce's 1,000 sites in 21.7 s, against 51.3 s finding its own first plan (`python -m
benchmarks.warm`, docs/PERFORMANCE.md). A plan is made fit for the scenario in two steps, each on the model
restricted to the plan's sites:
1. what the plan built in every phase, fixed (its openings, power blocks and IT, as `--commit` fixes them):
   every other variable (the serving shares, the flags) then follows, and the plan comes back as it was;
2. when it no longer fits (a site the scenario no longer has, a phase's requirement raised, a block kind
   changed), the same sites with nothing fixed, in the time and to the gap the caller gives (the reduced
   search: its re-solve's, `rollout.polished`, so that a plan proven here is not re-solved again).
When neither gives a plan, the search finds its own first plan as usual, and the provenance says so.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from planner.optimize.options import SolveOptions
from planner.optimize.replan import Commitment, commitments_from_plan
from planner.plan.types import Plan
from planner.scenario.types import Scenario

FIXED_TIME_SHARE = 0.1  # of the time limit, the most step 1 may take (its integers are fixed: 0.06-0.4 s on
#   early-scarce's 15-site optimum, 1,000 sites)


@dataclass(frozen=True)
class WarmStart:
    """A plan to start from: its sites (those the scenario has) and what it built in every phase."""

    source: str  # where the plan came from (its file), for the provenance
    sites: tuple[str, ...]
    built: tuple[Commitment, ...]  # empty when the plan's sites or phases are not all the scenario's
    misfit: str = ""  # why `built` is empty

    def describe(self) -> str:
        return f"the warm start {self.source} ({len(self.sites)} site{'' if len(self.sites) == 1 else 's'})"


def warm_start_from_plan(plan: Plan, scenario: Scenario, source: str) -> WarmStart:
    """The warm start a plan gives for `scenario`; sites the scenario does not have are left out."""
    known = {s.id for s in scenario.sites}
    sites = tuple(sorted({s.site for phase in plan.phases for s in phase.sites if s.site in known}))
    try:
        built = commitments_from_plan(plan, scenario, [phase.id for phase in plan.phases])
        misfit = ""
    except KeyError as err:  # its words are --commit's
        built, misfit = (), err.args[0].replace("the committed plan", "the plan")
    return WarmStart(source=source, sites=sites, built=built, misfit=misfit)


def first_plan(scenario: Scenario, warm: WarmStart, options: SolveOptions, free_options: SolveOptions,
               always: set[str], commitments=(), stability=None, on_log=None, interrupter=None
               ) -> tuple[dict[str, float], str, bool]:
    """(variable values by name, words for the provenance, whether the plan is proven the best its sites give
    within free_options' gap): the warm start as a plan of `scenario`, or no values when it gives none (the words
    then say why). `free_options`: the time and gap of step 2; `always`: sites every plan keeps (required,
    committed), added to the plan's own."""
    from planner.optimize.start import solve_restricted

    kept = set(warm.sites) | always
    if not warm.sites:
        return {}, f"{warm.describe()} gave no plan: it builds at none of this scenario's sites", False
    why = warm.misfit
    if warm.built:
        fixed = dataclasses.replace(options, time_limit_s=max(1.0, options.time_limit_s * FIXED_TIME_SHARE))
        values, result = solve_restricted(scenario, kept, fixed, tuple(commitments) + warm.built, stability,
                                          on_log, interrupter)
        if values:
            return values, f"{warm.describe()}, as it was built", False
        why = f"as built, {result.status.value} here"
    values, result = solve_restricted(scenario, kept, free_options, commitments, stability, on_log, interrupter)
    if values:
        return (values, f"{warm.describe()}, re-solved on its sites ({why}; {result.status.value})",
                result.status.value == "optimal")
    return {}, f"{warm.describe()} gave no plan ({why}; on its sites, {result.status.value})", False
