"""The optimizer as one call: scenario and options in, solve outcome (and plan, when there is one) out."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Sequence

from ortools.math_opt.python import mathopt
from ortools.util.python.solve_interrupter import SolveInterrupter

from planner.extract import extract_plan
from planner.model import Commitment, Stability, build_model, max_it_mw
from planner.plan import Plan
from planner.scenario import Scenario
from planner.solve import SolveOptions, SolveResult, solve

USED_MW = 1.0  # IT MW from which a campus counts as used when telling alternative plans apart


@dataclass(frozen=True)
class Outcome:
    result: SolveResult
    plan: Plan | None  # None unless result.status.has_plan
    build_s: float
    extract_s: float
    model_size: dict[str, int]


def plan_rollout(scenario: Scenario, options: SolveOptions,
                 on_log: Callable[[Sequence[str]], None] | None = None,
                 commitments: tuple[Commitment, ...] = (), stability: Stability | None = None,
                 interrupter: SolveInterrupter | None = None) -> Outcome:
    """Build the model, solve it, and extract the plan: three separate, timed steps.

    `on_log` receives the solver's log lines and `interrupter` can stop the search early (see
    `planner.solve.solve`); `commitments` fix what earlier phases already built (see
    `commitments_from_plan`); `stability` keeps the plan close to a previous one.
    """
    started = time.perf_counter()
    rm = build_model(scenario, commitments, stability)
    build_s = time.perf_counter() - started
    result = solve(rm.model, options, on_log, interrupter)
    started = time.perf_counter()
    plan = extract_plan(rm, result, options) if result.status.has_plan else None
    extract_s = time.perf_counter() - started
    return Outcome(result=result, plan=plan, build_s=build_s, extract_s=extract_s, model_size=rm.size)


def commitments_from_plan(plan: Plan, scenario: Scenario, phase_ids: list[str]) -> tuple[Commitment, ...]:
    """What a plan built in the given phases, as commitments for re-planning `scenario`.

    Raises KeyError naming a phase or site the scenario does not have.
    """
    sites = {s.id: s for s in scenario.sites}
    known_phases = {p.id for p in scenario.phases}
    out = []
    totals: dict[str, list[int]] = {}
    for phase in plan.phases:
        for s in phase.sites:
            if s.site not in sites:
                raise KeyError(f"site {s.site!r} of the committed plan is not in the scenario")
            running = totals.setdefault(s.site, [0] * len(sites[s.site].power_blocks))
            if len(s.blocks_added) != len(running):
                raise KeyError(f"site {s.site!r}: the plan has {len(s.blocks_added)} block kinds, the scenario "
                               f"{len(running)}")
            for k, n in enumerate(s.blocks_added):
                running[k] += n
            if phase.id in phase_ids:
                out.append(Commitment(site=s.site, phase=phase.id, opened=True, blocks_total=tuple(running),
                                      it_mw_total=s.it_mw_total))
        if phase.id in phase_ids and phase.id not in known_phases:
            raise KeyError(f"phase {phase.id!r} of the committed plan is not in the scenario")
    missing = [p for p in phase_ids if p not in {ph.id for ph in plan.phases}]
    if missing:
        raise KeyError(f"phase {missing[0]!r} is not in the committed plan")
    return tuple(out)


def stability_from_plan(plan: Plan, usd_per_mw: float) -> Stability:
    """Installed IT per site and phase of a previous plan, to stay close to it at `usd_per_mw` per MW moved."""
    return Stability(previous=tuple(Commitment(site=s.site, phase=phase.id, opened=True, blocks_total=(),
                                               it_mw_total=s.it_mw_total)
                                    for phase in plan.phases for s in phase.sites),
                     usd_per_mw=usd_per_mw)


def alternatives(scenario: Scenario, options: SolveOptions, count: int, within: float,
                 on_log: Callable[[Sequence[str]], None] | None = None) -> list[Outcome]:
    """The optimum and up to `count` genuinely different plans within `within` (relative) of its cost.

    "Genuinely different" means each further plan gives up at least one campus of every plan found so
    far (a campus counts when it holds at least USED_MW of IT by the last phase): options to take to site
    negotiations, not the same plan with a sliver moved elsewhere. `on_log` receives every solve's log.
    """
    first = plan_rollout(scenario, options, on_log=on_log)
    if first.plan is None:
        return [first]
    found = [first]
    budget = first.result.objective * (1.0 + within)
    while len(found) <= count:
        rm = build_model(scenario)
        last = len(scenario.phases) - 1
        rm.model.add_linear_constraint(rm.model.objective.as_linear_expression() <= budget, name="within_slack")
        # uses_s = 1 exactly when site s holds at least USED_MW of IT at the end (IT_s >= USED_MW uses_s,
        # IT_s <= M_s uses_s), so that opening an idle site does not count as a different plan.
        uses = {}
        for i, site in enumerate(scenario.sites):
            if (i, last) in rm.it_total:
                flag = rm.model.add_binary_variable(name=f"uses[{site.id}]")
                rm.model.add_linear_constraint(rm.it_total[i, last] - USED_MW * flag >= 0)
                rm.model.add_linear_constraint(rm.it_total[i, last] - max_it_mw(site) * flag <= 0)
                uses[site.id] = flag
        for k, outcome in enumerate(found):
            used = {s.site for s in outcome.plan.phases[-1].sites if s.it_mw_total >= USED_MW}
            inside = [flag for sid, flag in uses.items() if sid in used]
            rm.model.add_linear_constraint(mathopt.fast_sum(inside) <= len(inside) - 1, name=f"different[{k}]")
        started = time.perf_counter()
        result = solve(rm.model, options, on_log)
        if not result.status.has_plan:
            break
        plan = extract_plan(rm, result, options)
        found.append(Outcome(result=result, plan=plan, build_s=0.0, extract_s=time.perf_counter() - started,
                             model_size=rm.size))
    return found
