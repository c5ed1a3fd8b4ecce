"""Starting from a plan already made (`gwplan optimize --warm-start PLAN`): each shape solved cold, then again
from the plan the cold run made, on the same scenario and on an edited one; each run in a fresh process, one
Markdown table with ratios against the cold run.

    python -m benchmarks.warm --shapes early-scarce seed5 --time-limit 120
    python -m benchmarks.warm --shapes early-scarce --orders 0 3

Arms: `cold` (gwplan's default search), `warm` (the same scenario from the cold run's plan: what the search takes
when its first plan is the plan it would end with), `edited, cold` and `edited, warm` (the last phase's IT
requirement raised by EDIT_SHARE, solved cold and from the unedited plan, which then no longer fits as built and is
re-solved on its own sites). Shapes and --orders as in benchmarks.scale.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.scale import gap_and_npv, in_fresh_process, reordered
from benchmarks.shapes import SHAPES, expand, shape_name, shaped_doc

EDIT_SHARE = 0.05  # the last phase's IT requirement raised by this share in the edited arms


def edited(doc: dict) -> dict:
    """The scenario with its last phase's IT requirement raised by EDIT_SHARE (a what-if a planner runs)."""
    phases = [dict(p) for p in doc["phases"]]
    phases[-1]["it_mw_required"] = round(phases[-1]["it_mw_required"] * (1 + EDIT_SHARE), 6)
    return {**doc, "phases": phases}


def case(sites: int, shape: str, order: int, edit: bool, gap: float, time_limit_s: float, plan_path: str,
         warm_from: str | None) -> dict:
    """One run: the scenario (edited or not) solved cold or from the plan at `warm_from`; the plan goes to
    `plan_path`."""
    from planner.files import dump_yaml, write_text_atomic
    from planner.optimize.options import SolveOptions
    from planner.optimize.rollout import plan_rollout
    from planner.optimize.warm import warm_start_from_plan
    from planner.plan import dump_plan, load_plan
    from planner.scenario import load_scenario

    doc = reordered(shaped_doc(sites, shape), order)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.yaml"
        write_text_atomic(path, dump_yaml(edited(doc) if edit else doc))
        scenario = load_scenario(path)
        warm = warm_start_from_plan(load_plan(warm_from), scenario, Path(warm_from).name) if warm_from else None
        started = time.perf_counter()
        out = plan_rollout(scenario, SolveOptions(time_limit_s=time_limit_s, relative_gap=gap), warm=warm)
        total = time.perf_counter() - started
    if out.plan is not None:
        dump_plan(out.plan, Path(plan_path))
    r = out.result
    return {"status": r.status.value, "gap": r.gap, "objective": r.objective, "seconds": total}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), type=shape_name,
                        help="shapes of benchmarks.shapes, or a group: measured, structural (space-separated)")
    parser.add_argument("--orders", nargs="+", type=int, default=[0], help="as benchmarks.scale --orders")
    parser.add_argument("--gap", type=float, default=1e-4)
    parser.add_argument("--time-limit", type=float, default=120.0)
    args = parser.parse_args()
    print(f"# {args.sites} sites, gap {args.gap:g}, limit {args.time_limit:g} s, edited: the last phase +"
          f"{EDIT_SHARE:.0%}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print("| shape | arm | status | gap | NPV $B | total s | ratio to cold |")
    print("|---|---|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for shape in expand(args.shapes):
            for order in args.orders:
                cold_plan = str(Path(tmp) / f"{shape}-{order}.plan.yaml")
                base = {}
                for arm, edit, warm_from in (("cold", False, None), ("warm", False, cold_plan),
                                             ("edited, cold", True, None), ("edited, warm", True, cold_plan)):
                    label = arm + (f", order {order}" if order else "")
                    if warm_from is not None and not Path(warm_from).exists():
                        print(f"| {shape} | {label} | no cold plan to start from | - | - | - | - |", flush=True)
                        continue
                    print(f"  running {shape}, {label} ...", file=sys.stderr, flush=True)
                    plan_path = str(Path(tmp) / f"{shape}-{order}-{arm.replace(', ', '-')}.plan.yaml")
                    r = in_fresh_process(case, args.sites, shape, order, edit, args.gap, args.time_limit,
                                         cold_plan if arm == "cold" else plan_path, warm_from)
                    base.setdefault(edit, r["seconds"])
                    gap, npv = gap_and_npv(r)
                    print(f"| {shape} | {label} | {r['status']} | {gap} | {npv} | {r['seconds']:.1f} | "
                          f"{r['seconds'] / base[edit]:.2f}x |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
