"""The full model's LP relaxation two ways: pricing sites in (planner.optimize.pricing) against solving the
whole LP at once with HiGHS (interior point, as `--start lp-bound` did before pricing), each in a fresh
process, on generated scenarios. One Markdown table with the ratio of the two and whether they agree.

    python -m benchmarks.lp_bound                          # 1,000 and 3,000 sites, seed 1
    python -m benchmarks.lp_bound --sites 10000 --seeds 1 2 --methods pricing
    python -m benchmarks.lp_bound --sites 10000 --time-limit 1200   # with the whole-LP baseline (~13 min)

Pricing starts from the restricted start's screened sites (scale 2, as a restricted plan of these
scenarios ends up with); its time includes splitting the model by site. Neither includes the build.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path


def case(sites: int, seed: int, method: str, time_limit_s: float) -> dict:
    from benchmarks.synthetic import scenario_doc
    from planner.files import dump_yaml, write_text_atomic
    from planner.optimize.model import build_model
    from planner.optimize.options import SolveOptions
    from planner.optimize.solve import solve
    from planner.optimize.start import screen
    from planner.scenario import load_scenario

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.yaml"
        write_text_atomic(path, dump_yaml(scenario_doc(sites, seed)))
        scenario = load_scenario(path)
    rm = build_model(scenario)
    started = time.perf_counter()
    if method == "pricing":
        from planner.optimize.pricing import lp_bound

        kept = screen(scenario, 2.0)
        working = {i for i, s in enumerate(scenario.sites) if s.id in kept}
        priced = lp_bound(rm, working, time_limit_s)
        bound, detail = priced.bound, f"{priced.status}, {priced.sites_in:,} sites in, {priced.rounds} rounds"
    else:
        result = solve(rm.builder.model(relax=True), SolveOptions(time_limit_s=time_limit_s), interior_point=True)
        bound = result.objective if result.status.value == "optimal" else None
        detail = result.status.value
    return {"bound": bound, "seconds": time.perf_counter() - started, "detail": detail,
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, nargs="+", default=[1000, 3000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--methods", nargs="+", default=["whole-lp", "pricing"], choices=["whole-lp", "pricing"])
    parser.add_argument("--time-limit", type=float, default=900.0)
    args = parser.parse_args()
    print(f"# LP relaxation, limit {args.time_limit:g} s; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print("| sites | seed | method | bound (model units) | detail | seconds | ratio to whole LP | peak MiB |")
    print("|---:|---:|---|---:|---|---:|---:|---:|")
    ctx = multiprocessing.get_context("spawn")
    for sites in args.sites:
        for seed in args.seeds:
            base = None
            for method in args.methods:
                with concurrent.futures.ProcessPoolExecutor(1, mp_context=ctx) as pool:
                    r = pool.submit(case, sites, seed, method, args.time_limit).result()
                if method == "whole-lp":
                    base = r
                ratio = f"{r['seconds'] / base['seconds']:.3f}x" if base else "-"
                agree = ""
                if base and method != "whole-lp" and base["bound"] is not None and r["bound"] is not None:
                    agree = f"; {abs(r['bound'] - base['bound']) / abs(base['bound']):.1e} from the whole LP"
                bound = "-" if r["bound"] is None else f"{r['bound']:,.3f}"
                print(f"| {sites:,} | {seed} | {method} | {bound} | {r['detail']}{agree} | {r['seconds']:.1f} | "
                      f"{ratio} | {r['peak_mib']:,.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
