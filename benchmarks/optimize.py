"""Optimizer speed: the bundled scenario, and generated 10-phase scenarios, default back end vs CP-SAT.

    python benchmarks/optimize.py                       # bundled + 200 + 1000 sites, highs and cp-sat
    python benchmarks/optimize.py --sites 50 200 --solvers highs scip cp-sat --time-limit 120

Each row: scenario, back end, status, gap, solve seconds, build + extract seconds, model size. Run it by
hand on the machine you want figures for; the ratios between back ends are what carry across machines.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.synthetic import scenario_doc
from planner.files import dump_yaml, write_text_atomic
from planner.optimize.extract import version
from planner.optimize.options import SolveOptions
from planner.optimize.rollout import plan_rollout
from planner.optimize.solve import SOLVERS
from planner.scenario import load_scenario

BUNDLED = Path(__file__).resolve().parent.parent / "scenarios" / "10gw-rollout.yaml"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, nargs="*", default=[200, 1000], help="generated scenario sizes")
    parser.add_argument("--solvers", nargs="+", choices=sorted(SOLVERS), default=["highs", "cp-sat"])
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--gap", type=float, default=1e-4)
    parser.add_argument("--no-bundled", action="store_true")
    args = parser.parse_args()
    print(f"# {platform.node()} {platform.machine()} python {platform.python_version()} "
          f"ortools {version('ortools')}; gap {args.gap:g}, limit {args.time_limit:g} s")
    print(f"{'scenario':<34} {'solver':<7} {'status':<9} {'gap':>8} {'solve_s':>8} {'build_s':>8} "
          f"{'extract_s':>9} {'vars':>7} {'ints':>6} {'rows':>7}  objective_usd")
    with tempfile.TemporaryDirectory() as tmp:
        paths = [] if args.no_bundled else [BUNDLED]
        for n in args.sites:
            path = Path(tmp) / f"synthetic-{n}.yaml"
            write_text_atomic(path, dump_yaml(scenario_doc(n)))
            paths.append(path)
        for path in paths:
            scenario = load_scenario(path)
            for solver in args.solvers:
                started = time.perf_counter()
                out = plan_rollout(scenario, SolveOptions(solver=solver, time_limit_s=args.time_limit,
                                                          relative_gap=args.gap))
                r, size = out.result, out.model_size
                gap = f"{r.gap:.1e}" if r.gap is not None else "-"
                objective = f"{r.objective * 1e6:,.0f}" if r.objective is not None else "-"
                print(f"{scenario.name:<34} {solver:<7} {r.status.value:<9} {gap:>8} {r.wall_s:8.2f} "
                      f"{out.build_s:8.2f} {out.extract_s:9.3f} {size['variables']:7d} {size['integer_variables']:6d} "
                      f"{size['constraints']:7d}  {objective}   (total {time.perf_counter() - started:.1f} s)",
                      flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
