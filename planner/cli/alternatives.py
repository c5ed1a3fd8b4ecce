"""gwplan optimize --alternatives K: the optimum and genuinely different plans within a cost slack."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from planner.cli.args import EXIT_INFEASIBLE, EXIT_NO_PLAN, EXIT_OK


def run_alternatives(scenario, options, args: argparse.Namespace, plan_path: Path) -> int:
    """Solve in a worker thread so that Ctrl-C is heard at once (it leaves without writing); write each plan
    found beside the requested one (<plan>.alt1.yaml, ...) and list them."""
    from planner.cli.runtime import Worker, leave_without_writing, native_stdout_to_stderr, sigterm_as_ctrl_c
    from planner.optimize.alternatives import USED_MW, alternatives
    from planner.plan import dump_plan

    with native_stdout_to_stderr(), sigterm_as_ctrl_c():
        log = (lambda lines: print(*lines, sep="\n", file=sys.stderr)) if args.log else None
        work = Worker(lambda: alternatives(scenario, options, args.alternatives, args.within, log))
        try:
            work.done.wait()
        except KeyboardInterrupt:
            leave_without_writing(plan_path, "alternatives are written only once all are found")
    found = work.result()
    if found[0].plan is None:
        status = found[0].result.status.value
        print(f"{args.scenario}: no plan ({status}); no alternatives", file=sys.stderr)
        return EXIT_INFEASIBLE if status == "infeasible" else EXIT_NO_PLAN
    rows = []
    best = found[0].plan.npv_usd
    for k, outcome in enumerate(found):
        path = plan_path if k == 0 else plan_path.with_name(plan_path.name.removesuffix(".yaml") + f".alt{k}.yaml")
        dump_plan(outcome.plan, path)
        rows.append({"plan_path": str(path), "npv_usd": outcome.plan.npv_usd,
                     "above_optimum": (outcome.plan.npv_usd - best) / best,
                     "sites": [s.site for s in outcome.plan.phases[-1].sites if s.it_mw_total >= USED_MW]})
    if args.json:
        print(json.dumps({"within": args.within, "plans": rows}))
        return EXIT_OK
    from planner.report.text import alternatives_table, console

    console(160).print(alternatives_table(args.within, rows))
    return EXIT_OK
