"""Sweep speed: a 200-sample sweep of the bundled scenario, and the per-solve overhead.

    python -m benchmarks.sweep [--samples 200] [--breakdown 20]

First times `--breakdown` samples one by one, split into build, solve and extract (the overhead is
build + extract); then runs the whole sweep on all cores and prints its wall time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from planner.optimize.options import SolveOptions
from planner.optimize.rollout import plan_rollout
from planner.optimize.sweep import SweepOptions, perturb, run_sweep, summarize
from planner.scenario import load_scenario

BUNDLED = Path(__file__).resolve().parent.parent / "scenarios" / "10gw-rollout.yaml"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--breakdown", type=int, default=20)
    args = parser.parse_args()
    scenario = load_scenario(BUNDLED)
    sweep = SweepOptions(samples=args.samples)
    options = SolveOptions(time_limit_s=30)
    build = solve = extract = 0.0
    for i in range(args.breakdown):
        out = plan_rollout(perturb(scenario, sweep, i), options)
        build, solve, extract = build + out.build_s, solve + out.result.wall_s, extract + out.extract_s
    n = args.breakdown
    print(f"per sample, mean of {n}: build {build / n:.3f} s, solve {solve / n:.3f} s, extract {extract / n:.3f} s; "
          f"overhead (build + extract) = {(build + extract) / (build + solve + extract):.1%} of the total")
    started = time.perf_counter()
    results = run_sweep(scenario, sweep, options, "process")
    wall = time.perf_counter() - started
    summary = summarize(results)
    print(f"{args.samples} samples on {os.cpu_count()} cores (process executor): {wall:.1f} s "
          f"({wall / args.samples:.2f} s per sample); solved {summary.solved}, infeasible {summary.infeasible}; "
          f"NPV P10/P50/P90 ${summary.npv_usd_p10 / 1e9:,.1f}B / ${summary.npv_usd_p50 / 1e9:,.1f}B / "
          f"${summary.npv_usd_p90 / 1e9:,.1f}B")
    return 0


if __name__ == "__main__":
    sys.exit(main())
