"""The model's build alone: `build_model` on generated scenarios, each shape in a fresh process, timed against a
pure-Python reference of the same kind of work run in that process (so the ratio carries across machines and
hours that differ in speed).

    python -m benchmarks.build                            # 1,000 sites, every shape, 5 builds each
    python -m benchmarks.build --shapes seed1 latency --repeat 9
    python -m benchmarks.build --sites 10000 --shapes seed1 --repeat 2

The build is the formulation only (variables, rows, objective collected by `planner.optimize.linear.Builder`),
not its loading into MathOpt, which the reduced and kernel searches never do for the full model. The reference
makes and adds up 200,000 two-term dictionaries, as the build's differences of totals do. "first" is the process's
first build, as a run sees it (its heap grows to hold the model); "min" and "median" are over all the repeats; the
ratio is the first build over the least reference. Each process first imports what `gwplan optimize` has loaded
before it builds (`planner.optimize.rollout`, and with it scipy, whose convex hulls the grid rounding reads for
three or more block kinds), so that no first build pays an import a run pays elsewhere.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.scale import in_fresh_process, positive
from benchmarks.shapes import MEASURED, SHAPES, STRUCTURAL, expand, shape_name, shaped_doc

REFERENCE_TERMS = 200_000


def reference_s() -> float:
    """Seconds for the interpreter to make and add up REFERENCE_TERMS two-term dictionaries."""
    started = time.perf_counter()
    out = []
    for j in range(REFERENCE_TERMS):
        terms = {j: 1.0}
        other = {j + 1: 1.0}
        for k, c in other.items():
            terms[k] = terms.get(k, 0.0) - c
        out.append(terms)
    return time.perf_counter() - started


def case(sites: int, shape: str, repeat: int) -> dict:
    """Build the shape's model `repeat` times (the collector run between builds, as a fresh run would have it),
    with the reference before each build."""
    import planner.optimize.rollout  # noqa: F401 (a run has it and scipy loaded before it builds; see the docstring)
    from planner.files import dump_yaml, write_text_atomic
    from planner.optimize.model import build_model
    from planner.scenario import load_scenario

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.yaml"
        write_text_atomic(path, dump_yaml(shaped_doc(sites, shape)))
        scenario = load_scenario(path)
    builds, references = [], []
    for _ in range(repeat):
        gc.collect()
        references.append(reference_s())
        gc.collect()
        started = time.perf_counter()
        rm = build_model(scenario)
        builds.append(time.perf_counter() - started)
        size = rm.size
        del rm
    return {"builds": builds, "references": references, **size}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=positive, default=1000)
    every = list(SHAPES[:1]) + list(MEASURED) + list(STRUCTURAL)
    parser.add_argument("--shapes", nargs="+", default=every, type=shape_name,
                        help="shapes of benchmarks.shapes, or a group: measured, structural (default: seed1, the "
                             "measured and the structural shapes)")
    parser.add_argument("--repeat", type=positive, default=5, help="builds per shape (default 5)")
    args = parser.parse_args(argv)
    print("| shape | variables | rows | first build s | min s | median s | reference s | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for shape in expand(args.shapes):
        r = in_fresh_process(case, args.sites, shape, args.repeat)
        build, reference = min(r["builds"]), min(r["references"])
        print(f"| {shape} | {r['variables']:,} | {r['constraints']:,} | {r['builds'][0]:.3f} | {build:.3f} | "
              f"{statistics.median(r['builds']):.3f} | {reference:.3f} | {r['builds'][0] / reference:.1f} |",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
