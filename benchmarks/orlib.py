"""OR-Library capacitated facility location: gwplan against the published optima.

    python benchmarks/orlib.py                 # the 37 small instances (cap41-cap134)
    python benchmarks/orlib.py --large         # capa/capb/capc at their four capacities each
    python benchmarks/orlib.py --solver scip   # another back end

Prints one row per instance (time, objective, relative error, gap) and the total time. Instances come
from ../shared/benchmarks/orlib-cflp, or the directory in GWPLAN_ORLIB_DIR.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from planner.optimize.options import SolveOptions
from planner.optimize.rollout import plan_rollout
from planner.optimize.solve import SOLVERS
from planner.scenario import load_scenario
from planner.scenario.orlib import cflp_scenario, read_orlib_cflp

HERE = Path(__file__).resolve().parent
DEFAULT_DIR = HERE.parent.parent / "shared" / "benchmarks" / "orlib-cflp"


def orlib_dir() -> Path:
    return Path(os.environ.get("GWPLAN_ORLIB_DIR", DEFAULT_DIR))


def optima(directory: Path) -> dict[str, float]:
    rows = (line.split("\t") for line in (directory / "optima.tsv").read_text().splitlines() if line.strip())
    return {name: float(upper) for name, _lower, upper in rows}


def instances(directory: Path, large: bool) -> list[tuple[str, Path, float | None]]:
    """(name, file, capacity) in the order of optima.tsv."""
    out = []
    for name in optima(directory):
        if name.startswith("cap") and "_" in name:
            if large:
                base, capacity = name.split("_")
                out.append((name, directory / f"{base}.txt", float(capacity)))
        elif not large:
            out.append((name, directory / f"{name}.txt", None))
    return out


def solve_instance(path: Path, capacity: float | None, workdir: Path, options: SolveOptions):
    """Import, load through the ordinary scenario loader, and optimize."""
    from planner.files import dump_yaml, write_text_atomic

    scenario_path = workdir / f"{path.stem}-{capacity or 0:g}.yaml"
    write_text_atomic(scenario_path, dump_yaml(cflp_scenario(read_orlib_cflp(path, capacity))))
    return plan_rollout(load_scenario(scenario_path), options)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="capa/capb/capc instead of the 37 small ones")
    parser.add_argument("--solver", choices=sorted(SOLVERS), default="highs")
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--gap", type=float, default=1e-9)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    import tempfile

    directory = orlib_dir()
    known = optima(directory)
    options = SolveOptions(solver=args.solver, time_limit_s=args.time_limit, relative_gap=args.gap,
                           threads=args.threads)
    print(f"{'instance':<12} {'time_s':>8} {'objective':>16} {'published':>16} {'rel_error':>10} {'gap':>9} status")
    total = 0.0
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for name, path, capacity in instances(directory, args.large):
            started = time.perf_counter()
            outcome = solve_instance(path, capacity, Path(tmp), options)
            elapsed = time.perf_counter() - started
            total += elapsed
            objective = outcome.plan.npv_usd if outcome.plan else float("nan")
            error = abs(objective - known[name]) / known[name]
            worst = max(worst, error)
            print(f"{name:<12} {elapsed:8.2f} {objective:16.3f} {known[name]:16.3f} {error:10.1e} "
                  f"{outcome.result.gap or 0:9.1e} {outcome.result.status.value}", flush=True)
    print(f"total {total:.2f} s (import + load + build + solve + extract), worst relative error {worst:.1e}")
    return 0 if worst <= 1e-6 else 1


if __name__ == "__main__":
    sys.exit(main())
