"""The optimizer at scale: generated scenarios of several seeds and shapes, solved with and without the
restricted start, each in a fresh process; one Markdown table with ratios against the plain solve.

    python -m benchmarks.scale                         # 1,000 sites, seeds 1-3 and a tight-funding variant
    python -m benchmarks.scale --sites 10000 --gap 0.01 --time-limit 600 --shapes seed1
    python -m benchmarks.scale --sites 1000 --starts auto   # only the default method
    python -m benchmarks.scale --starts auto --threads 1 default  # one HiGHS search against gwplan's default
    python -m benchmarks.scale --starts auto --threads 2 --non-deterministic  # two searches raced by time
    python -m benchmarks.scale --starts auto --orders 0 1 2 --shapes early-scarce  # the same instance, reordered
    python -m benchmarks.scale --starts auto --time-limit 120 --shapes structural  # shapes nobody tuned for

Shapes (benchmarks.shapes): seedN (the generator's seed N); the shapes the search was measured on while it
was built (tight-funding, early-scarce, early-plentiful, many-demand), and structural variants it was not
built around (supply, six-phases, odd-blocks, split-demand, rates, shortfall, region-share, retire,
latency), each optionally @SEED for another seed of the generator (1 otherwise); `--shapes structural` runs
those nine. --orders K lists the same instance's sites and each demand region's serving sites in the
order of a seeded shuffle (0: as generated): nothing in it changes but the order of the model's columns and
rows, which is enough to move HiGHS's search. The build time is the model's formulation, and its loading into
MathOpt where the search hands the full model to a solver from the start (not the reduced and lp-bound starts,
which load it only if their own start fails); the solve includes the start. The first start listed is the
baseline of the ratio column.
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

from benchmarks.shapes import SHAPES, expand, shape_name, shaped_doc


def reordered(doc: dict, order: int) -> dict:
    """The same scenario with its sites, and each demand region's serving sites, in a shuffled order (`order`
    seeds the shuffle; 0 leaves the document as it is)."""
    if order == 0:
        return doc
    import random

    rng = random.Random(order)
    doc = dict(doc, sites=rng.sample(doc["sites"], len(doc["sites"])))
    regions = []
    for region in doc["demand_regions"]:
        serving = list(region["serve_cost_usd_per_year"].items())
        regions.append(dict(region, serve_cost_usd_per_year=dict(rng.sample(serving, len(serving)))))
    return dict(doc, demand_regions=regions)


def case(sites: int, shape: str, start: str, gap: float, time_limit_s: float, threads: int | None = None,
         deterministic: bool = True, order: int = 0) -> dict:
    from planner.files import dump_yaml, write_text_atomic
    from planner.optimize.options import SolveOptions
    from planner.optimize.rollout import plan_rollout
    from planner.scenario import load_scenario

    doc = reordered(shaped_doc(sites, shape), order)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.yaml"
        write_text_atomic(path, dump_yaml(doc))
        scenario = load_scenario(path)
        started = time.perf_counter()
        out = plan_rollout(scenario, SolveOptions(time_limit_s=time_limit_s, relative_gap=gap, start=start,
                                                         threads=threads, deterministic=deterministic))
        total = time.perf_counter() - started
    r = out.result
    return {"status": r.status.value, "gap": r.gap, "objective": r.objective, "build_s": out.build_s,
            "seconds": total, "peak_mib": peak_mib(_racers(out)),
            "method": out.plan.provenance.method if out.plan else ""}


def _racers(out) -> int:
    """How many HiGHS searches raced on each branch and bound of the run (its provenance's threads; 0: none)."""
    raced = out.plan is not None and "raced" in out.plan.provenance.method
    return out.plan.provenance.threads if raced else 0


def positive(text: str) -> int:
    """A whole number of 1 or more (an argparse type: a bad one is a usage error, not a traceback in a worker)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return value


def threads_arg(text: str) -> int | None:
    """--threads: a count of 1 or more, or 'default' (None: gwplan's own choice)."""
    if text == "default":
        return None
    try:
        return positive(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"{text!r} is neither a thread count (1 or more) nor 'default'") from None


def peak_mib(racers: int) -> float:
    """This process's peak memory, plus the largest of its racers' (planner.optimize.race) once per racer:
    an upper bound on what the run held at once."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return own + racers * resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def in_fresh_process(fn, *args) -> dict:
    """fn(*args) run in a fresh process (spawned: its peak memory is its own, nothing is inherited)."""
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def gap_and_npv(r: dict) -> tuple[str, str]:
    """A run's proven gap and NPV in $B as the tables print them ("-" where there is none)."""
    return (f"{r['gap']:.1e}" if r["gap"] is not None else "-",
            f"{r['objective'] / 1e3:,.2f}" if r["objective"] is not None else "-")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), type=shape_name,
                        help="shapes of benchmarks.shapes (seedN, NAME or NAME@SEED), or a group: measured, "
                             f"structural (space-separated; default {' '.join(SHAPES)})")
    parser.add_argument("--starts", nargs="+", default=["restricted", "auto"],
                        choices=["none", "auto", "reduced", "restricted", "lp-bound"])
    parser.add_argument("--threads", nargs="+", type=threads_arg, default=[None],
                        help="solver threads, one run per count, or 'default' for gwplan's own (default); "
                             "HiGHS races that many searches, decided by work (planner.optimize.race)")
    parser.add_argument("--non-deterministic", action="store_true",
                        help="races decided by time, as `gwplan optimize --non-deterministic`")
    parser.add_argument("--orders", nargs="+", type=int, default=[0],
                        help="one run per order: the instance's sites and serving sites shuffled by this seed "
                             "(0: as generated); the same instance, its model's columns in another order")
    parser.add_argument("--gap", type=float, default=1e-4)
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--methods", action="store_true",
                        help="after the table, each run's provenance: its bound, the sites ruled out, each pass")
    args = parser.parse_args()
    print(f"# {args.sites} sites, gap {args.gap:g}, limit {args.time_limit:g} s; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"| shape | start | status | gap | NPV $B | build s | total s | ratio to {args.starts[0]} | peak MiB |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    methods = []
    for shape in expand(args.shapes):
        base = None
        for start, threads, order in [(start, threads, order) for start in args.starts for threads in args.threads
                                      for order in args.orders]:
            arm = start + ("" if threads is None else f", {threads} threads") + (
                ", by time" if args.non_deterministic else "") + (f", order {order}" if order else "")
            print(f"  running {shape}, start {arm} ...", file=sys.stderr, flush=True)
            r = in_fresh_process(case, args.sites, shape, start, args.gap, args.time_limit, threads,
                                 not args.non_deterministic, order)
            base = r["seconds"] if base is None else base
            ratio = f"{r['seconds'] / base:.2f}x" if base else "-"
            gap, npv = gap_and_npv(r)
            print(f"| {shape} | {arm} | {r['status']} | {gap} | {npv} | {r['build_s']:.2f} | {r['seconds']:.1f} | "
                  f"{ratio} | {r['peak_mib']:,.0f} |", flush=True)
            methods.append(f"- {shape}, {arm}: {r['method'] or 'no plan'}")
    if args.methods:
        print("\n" + "\n".join(methods))
    return 0


if __name__ == "__main__":
    sys.exit(main())
