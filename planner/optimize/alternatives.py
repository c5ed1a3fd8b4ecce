"""Near-optimal alternatives: genuinely different plans within a cost slack of the optimum."""

from __future__ import annotations

import time
from typing import Callable, Sequence

from planner.optimize.extract import extract_plan
from planner.optimize.linear import lin_sum
from planner.optimize.model import build_model
from planner.optimize.options import SolveOptions
from planner.optimize.parameters import max_it_mw
from planner.optimize.result import Outcome
from planner.optimize.rollout import plan_rollout
from planner.optimize.solve import solve
from planner.scenario.types import Scenario

USED_MW = 1.0  # IT MW from which a campus counts as used when telling alternative plans apart


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
        started = time.perf_counter()
        rm = build_model(scenario, round_grid=options.round_grid)
        b = rm.builder
        last = len(scenario.phases) - 1
        b.le(b.objective, budget, name="within_slack")
        # uses_s = 1 exactly when site s holds at least USED_MW of IT at the end (IT_s >= USED_MW uses_s,
        # IT_s <= M_s uses_s), so that opening an idle site does not count as a different plan.
        uses = {}
        for i, site in enumerate(scenario.sites):
            if (i, last) in rm.it_total:
                flag = b.binary(name=f"uses[{site.id}]", site=i)
                b.ge(rm.it_total[i, last] - USED_MW * flag, 0.0)
                b.le(rm.it_total[i, last] - max_it_mw(site) * flag, 0.0)
                uses[site.id] = flag
        for k, outcome in enumerate(found):
            used = {s.site for s in outcome.plan.phases[-1].sites if s.it_mw_total >= USED_MW}
            inside = [flag for sid, flag in uses.items() if sid in used]
            b.le(lin_sum(inside), len(inside) - 1, name=f"different[{k}]")
        model = rm.model
        build_s = time.perf_counter() - started
        result = solve(model, options, on_log)
        if not result.status.has_plan:
            break
        started = time.perf_counter()
        plan = extract_plan(rm, result, options)
        found.append(Outcome(result=result, plan=plan, build_s=build_s, extract_s=time.perf_counter() - started,
                             model_size=rm.size))
    return found
