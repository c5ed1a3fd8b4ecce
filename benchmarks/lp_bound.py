"""The full model's LP relaxation two ways: pricing sites in (planner.optimize.pricing) against solving the
whole LP at once with HiGHS (interior point, as `--start lp-bound` did before pricing), each in a fresh
process, on generated scenarios. One Markdown table with the ratio of the two and whether they agree.

    python -m benchmarks.lp_bound                          # 1,000 and 3,000 sites, seed 1
    python -m benchmarks.lp_bound --sites 10000 --seeds 1 2 --methods pricing
    python -m benchmarks.lp_bound --sites 10000 --time-limit 1200   # with the whole-LP baseline (~13 min)
    python -m benchmarks.lp_bound --sites 1000 --shapes many-demand@41 early-scarce --methods pricing
    python -m benchmarks.lp_bound --sites 1000 --shapes many-demand --methods pricing --group-nodes 20

Pricing starts from the screened sites as the reduced search does (scale 2, widened to 4 and 8 while the
LP over them has no solution); its time includes splitting the model by site. Neither includes the build.
A pricing row also gives the site Lagrangean at the duals pricing ends with (planner.optimize.fixing, outside
the time): the LP's optimal duals need not be unique, and the reduced search's bound and fixing depend on which.
With --group-nodes N, it also gives what keeping the demand rows adds to that bound, each group's MIP searching N
nodes without primal heuristics (the reduced search searches the root alone, GROUP_MIP_NODES; more nodes show what
a longer search would add).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path

from benchmarks.shapes import expand, shape_name
from planner.cli.args import positive_int


def case(sites: int, seed: int | str, method: str, time_limit_s: float, group_nodes: int | None = None) -> dict:
    """`seed`: the generator's seed, or a shape's name (benchmarks.shapes). `group_nodes`: also keep the demand
    rows (planner.optimize.fixing.with_demand_kept), each group's MIP searching this many nodes."""
    from benchmarks.shapes import shaped_doc
    from benchmarks.synthetic import scenario_doc
    from planner.files import dump_yaml, write_text_atomic
    from planner.optimize.model import build_model
    from planner.optimize.options import SolveOptions
    from planner.optimize.solve import solve
    from planner.optimize.start import screen
    from planner.scenario import load_scenario

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.yaml"
        doc = shaped_doc(sites, seed) if isinstance(seed, str) else scenario_doc(sites, seed)
        write_text_atomic(path, dump_yaml(doc))
        scenario = load_scenario(path)
    rm = build_model(scenario)
    started = time.perf_counter()
    if method == "pricing":
        from planner.optimize.pricing import lp_bound
        from planner.optimize.rollout import SCREEN_SCALES

        scales = iter(SCREEN_SCALES)  # as the reduced search widens the screen while its LP has no solution

        def screened() -> set[int]:
            scale = next(scales, None)
            kept = set() if scale is None else screen(scenario, scale)
            return {i for i, s in enumerate(scenario.sites) if s.id in kept}

        priced = lp_bound(rm, screened(), time_limit_s, widen=screened)
        seconds = time.perf_counter() - started  # what follows is outside the time
        bound, detail = priced.bound, f"{priced.status}, {priced.sites_in:,} sites in, {priced.rounds} rounds"
        if priced.duals is not None and priced.lp_objective is not None:  # what the reduced search makes of them
            from planner.optimize import fixing
            from planner.optimize.pricing import split_by_site

            arrays = rm.builder.arrays()
            split = split_by_site(arrays, len(scenario.sites))
            lag = fixing.site_lagrangean(rm, arrays, split, priced.duals,
                                         max(1.0, abs(priced.lp_objective)), minima=priced.site_minima)
            if lag is not None:
                detail += f"; site Lagrangean at its duals {lag.bound:,.3f}"
                if group_nodes is not None:  # the demand rows kept, as the reduced search does next
                    began = time.perf_counter()
                    kept = fixing.with_demand_kept(rm, arrays, split, lag, float("inf"),  # one group at a time
                                                   nodes=group_nodes)
                    detail += (f"; demand rows kept (each group's MIP {group_nodes:,} node{'s' * (group_nodes != 1)}): "
                               f"+{kept.demand_gain:,.3f} over {kept.demand_groups} groups in "
                               f"{time.perf_counter() - began:.1f} s")
    else:
        result = solve(rm.builder.model(relax=True), SolveOptions(time_limit_s=time_limit_s), interior_point=True)
        bound = result.objective if result.status.value == "optimal" else None
        detail = result.status.value
        seconds = time.perf_counter() - started
    return {"bound": bound, "seconds": seconds, "detail": detail,
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, nargs="+", default=[1000, 3000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--shapes", nargs="+", type=shape_name, default=[],
                        help="shapes of benchmarks.shapes (e.g. many-demand@41) in place of --seeds")
    parser.add_argument("--methods", nargs="+", default=["whole-lp", "pricing"], choices=["whole-lp", "pricing"])
    parser.add_argument("--time-limit", type=float, default=900.0)
    parser.add_argument("--group-nodes", type=positive_int, metavar="N",
                        help="also keep the demand rows at pricing's duals, each group's MIP searching N nodes "
                             "(the reduced search searches planner.optimize.fixing.GROUP_MIP_NODES)")
    args = parser.parse_args()
    print(f"# LP relaxation, limit {args.time_limit:g} s; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print("| sites | seed or shape | method | bound (model units) | detail | seconds | ratio to whole LP | peak MiB |")
    print("|---:|---:|---|---:|---|---:|---:|---:|")
    ctx = multiprocessing.get_context("spawn")
    for sites in args.sites:
        for seed in expand(args.shapes) or args.seeds:
            base = None
            for method in args.methods:
                with concurrent.futures.ProcessPoolExecutor(1, mp_context=ctx) as pool:
                    r = pool.submit(case, sites, seed, method, args.time_limit, args.group_nodes).result()
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
