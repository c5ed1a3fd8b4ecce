"""The optimizer at scale: generated scenarios of several seeds and shapes, solved with and without the
restricted start, each in a fresh process; one Markdown table with ratios against the plain solve.

    python -m benchmarks.scale                         # 1,000 sites, seeds 1-3 and a tight-funding variant
    python -m benchmarks.scale --sites 10000 --gap 0.01 --time-limit 600 --shapes seed1
    python -m benchmarks.scale --sites 1000 --starts auto   # only the default method

Shapes: seedN (the generator's seed N), tight-funding (seed 1, every phase funded at 90 %: the funding
rows bind). The build time is the model's formulation and loading; the solve includes the start.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

SHAPES = ("seed1", "seed2", "seed3", "tight-funding")


def case(sites: int, shape: str, start: str, gap: float, time_limit_s: float) -> dict:
    from benchmarks.synthetic import scenario_doc
    from planner.files import dump_yaml, write_text_atomic
    from planner.optimize.options import SolveOptions
    from planner.optimize.rollout import plan_rollout
    from planner.scenario import load_scenario

    seed = int(shape.removeprefix("seed")) if shape.startswith("seed") else 1
    doc = scenario_doc(sites, seed)
    if shape == "tight-funding":
        for phase in doc["phases"]:
            phase["funding_usd"] *= 0.9
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.yaml"
        write_text_atomic(path, dump_yaml(doc))
        scenario = load_scenario(path)
        started = time.perf_counter()
        out = plan_rollout(scenario, SolveOptions(time_limit_s=time_limit_s, relative_gap=gap, start=start))
        total = time.perf_counter() - started
    r = out.result
    return {"status": r.status.value, "gap": r.gap, "objective": r.objective, "build_s": out.build_s,
            "seconds": total, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "method": out.plan.provenance.method if out.plan else ""}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES))
    parser.add_argument("--starts", nargs="+", default=["none", "auto"],
                        choices=["none", "auto", "restricted", "lp-bound"])
    parser.add_argument("--gap", type=float, default=1e-4)
    parser.add_argument("--time-limit", type=float, default=300.0)
    args = parser.parse_args()
    print(f"# {args.sites} sites, gap {args.gap:g}, limit {args.time_limit:g} s; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print("| shape | start | status | gap | NPV $B | build s | total s | ratio to none | peak MiB |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    context = multiprocessing.get_context("spawn")
    for shape in args.shapes:
        base = None
        for start in args.starts:
            print(f"  running {shape}, start {start} ...", file=sys.stderr, flush=True)
            with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
                r = pool.submit(case, args.sites, shape, start, args.gap, args.time_limit).result()
            base = r["seconds"] if start == "none" else base
            ratio = f"{r['seconds'] / base:.2f}x" if base else "-"
            npv = f"{r['objective'] / 1e3:,.2f}" if r["objective"] is not None else "-"
            gap = f"{r['gap']:.1e}" if r["gap"] is not None else "-"
            print(f"| {shape} | {start} | {r['status']} | {gap} | {npv} | {r['build_s']:.2f} | {r['seconds']:.1f} | "
                  f"{ratio} | {r['peak_mib']:,.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
