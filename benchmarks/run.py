"""gwplan's performance record in one run: one table, ready to paste into docs/PERFORMANCE.md.

    python -m benchmarks.run                       # everything: ~25 min on 2 cores
    python -m benchmarks.run --quick               # shorter limits, no 1,000-site scenario: ~6 min
    python -m benchmarks.run --only fabric pulumi  # some areas: optimizer, orlib, fabric, pulumi, startup
    python -m benchmarks.run --only optimizer --match "50 sites"   # some cases

Areas and the baseline each row is compared with (ratios carry across machines, seconds do not):
- optimizer: the bundled scenario and generated 10-phase scenarios of 50, 200 and 1,000 sites, the
  default back end (HiGHS) and CP-SAT side by side; ratio = seconds / HiGHS's seconds on that scenario;
- orlib: the 37 small OR-Library facility-location instances (all must reach the published optimum)
  and capa/capb/capc (first capacity of each) at a time limit; ratio = seconds / the small suite's;
- fabric: rail-optimized Clos of ~8k, 64k and 512k Vera Rubin GPUs, full and compact graphs, built and
  exported to GraphML and the cabling CSV; ratio = seconds / the 8k full fabric's (growth with size);
- pulumi: the Pulumi program under the SDK's mocks (stacks/mocks.py) for every phase of the committed
  plan; the largest phase (most resources) against the smallest;
- startup: light commands (`gwplan --help`, `gwplan validate`) in fresh interpreters, the median of 10
  runs; ratio = seconds / a bare `python -c pass`.
Every case runs in a fresh child process, so its peak memory (max RSS) is its own.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import os
import platform
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUNDLED = REPO / "scenarios" / "10gw-rollout.yaml"
PLAN = REPO / "plans" / "10gw-rollout.plan.yaml"
AREAS = ("optimizer", "orlib", "fabric", "pulumi", "startup")
STARTUP_RUNS = 10
FABRIC_RACKS = {"8k": 112, "64k": 889, "512k": 7112}  # Vera Rubin NVL144 racks: 72 GPUs each


@dataclass
class Row:
    area: str
    case: str
    variant: str
    result: str
    seconds: float
    peak_mib: float
    baseline: tuple[str, str] | None = None  # (case, variant) of the row this one is compared with


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the cases (each runs in its own child process) ----------------------------------------------------

def optimizer_case(scenario_sites: int | None, solver: str, time_limit_s: float) -> dict:
    from benchmarks.synthetic import scenario_doc
    from planner.files import dump_yaml, write_text_atomic
    from planner.optimize.options import SolveOptions
    from planner.optimize.rollout import plan_rollout
    from planner.scenario import load_scenario

    with tempfile.TemporaryDirectory() as tmp:
        path = BUNDLED
        if scenario_sites is not None:
            path = Path(tmp) / "synthetic.yaml"
            write_text_atomic(path, dump_yaml(scenario_doc(scenario_sites)))
        scenario = load_scenario(path)
        started = time.perf_counter()
        out = plan_rollout(scenario, SolveOptions(solver=solver, time_limit_s=time_limit_s))
        seconds = time.perf_counter() - started
    r = out.result
    gap = f", gap {r.gap:.1e}" if r.gap is not None else ""
    size = out.model_size
    if r.objective is None:
        result = f"{r.status.value}: {r.detail}"
    else:
        result = (f"{r.status.value}{gap}; {size['variables']:,} vars ({size['integer_variables']:,} int), "
                  f"{size['constraints']:,} rows; NPV ${r.objective / 1e3:,.1f}B")
    return {"seconds": seconds, "peak_mib": _peak_mib(), "result": result}


def orlib_case(large: bool, name: str | None, time_limit_s: float) -> dict:
    from benchmarks.orlib import instances, optima, orlib_dir, solve_instance
    from planner.optimize.options import SolveOptions

    directory = orlib_dir()
    known = optima(directory)
    chosen = [i for i in instances(directory, large) if name is None or i[0] == name]
    worst, reached, started = 0.0, 0, time.perf_counter()
    gaps = []
    with tempfile.TemporaryDirectory() as tmp:
        for instance, path, capacity in chosen:
            out = solve_instance(path, capacity, Path(tmp), SolveOptions(time_limit_s=time_limit_s,
                                                                         relative_gap=1e-9 if not large else 1e-6))
            objective = out.plan.npv_usd if out.plan else float("inf")
            error = abs(objective - known[instance]) / known[instance]
            worst = max(worst, error)
            reached += error <= 1e-6
            gaps.append(out.result.gap or 0.0)
    seconds = time.perf_counter() - started
    if large:
        result = f"{worst:.1%} above the published optimum, gap {gaps[0]:.2f} at the limit"
    else:
        result = f"{reached}/{len(chosen)} published optima (worst relative error {worst:.1e})"
    return {"seconds": seconds, "peak_mib": _peak_mib(), "result": result}


def fabric_case(racks: int, compact: bool) -> dict:
    from planner.fabric.clusters import device_model, fabric_spec
    from planner.plan import load_plan
    from topology.clos import rail_optimized_clos
    from topology.export import write_cabling_csv, write_graphml

    plan = load_plan(PLAN)
    spec = fabric_spec(plan, "vr-nvl144", racks)
    switch = device_model(plan.switch(plan.platform("vr-nvl144").switch))
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        g = rail_optimized_clos(spec, compact=compact)
        built = time.perf_counter()
        write_graphml(g, Path(tmp) / "fabric.graphml")
        graphml = time.perf_counter()
        if not compact:  # a compact graph has no per-tray ports to cable
            write_cabling_csv(g, Path(tmp) / "cabling.csv", switch)
        done = time.perf_counter()
    return {"seconds": done - started, "peak_mib": _peak_mib(),
            "result": f"{spec.gpus:,} GPUs, {g.graph['tiers']} tiers: {g.number_of_nodes():,} vertices, "
                      f"{g.number_of_edges():,} edges; build {built - started:.1f} s, GraphML "
                      f"{graphml - built:.1f} s, CSV {done - graphml:.1f} s"}


def pulumi_case(phase: str) -> dict:
    from stacks.mocks import run_under_mocks, stack_config

    started = time.perf_counter()
    (registrations, outputs), _ = run_under_mocks(f"phase-{phase}", stack_config(f"phase-{phase}"))
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_mib": _peak_mib(), "resources": len(registrations),
            "result": f"{len(registrations)} resources, {len(outputs['sites'])} campuses building, "
                      f"{outputs['gpus_added']:,} GPUs added"}


def startup_case(argv: list[str]) -> dict:
    import statistics
    import subprocess

    times = []
    for _ in range(STARTUP_RUNS):
        started = time.perf_counter()
        subprocess.run([sys.executable, *argv], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True)
        times.append(time.perf_counter() - started)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": statistics.median(times), "peak_mib": peak,
            "result": f"median of {STARTUP_RUNS} runs (min {min(times):.3f} s, max {max(times):.3f} s)"}


# -- running and printing ----------------------------------------------------------------------------------

def _in_child(function, *args) -> dict:
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def plan_rows(areas: list[str], quick: bool) -> list[tuple[str, str, str, tuple, tuple | None]]:
    """(area, case, variant, (function, *args), baseline) in the order they run."""
    limit = 60.0 if quick else 300.0
    todo = []
    if "optimizer" in areas:
        for label, sites in [("bundled 10gw-rollout (32 sites)", None), ("generated, 50 sites", 50),
                             ("generated, 200 sites", 200)] + ([] if quick else [("generated, 1,000 sites", 1000)]):
            for solver in ("highs", "cp-sat"):
                todo.append(("optimizer", label, solver, (optimizer_case, sites, solver, limit), (label, "highs")))
    if "orlib" in areas:
        small = ("37 small instances (cap41-cap134)", "highs")
        todo.append(("orlib", *small, (orlib_case, False, None, 600.0), None))
        for name in ("capa_8000", "capb_5000", "capc_5000"):
            large_limit = 30.0 if quick else 120.0
            todo.append(("orlib", name, f"highs, {large_limit:g} s", (orlib_case, True, name, large_limit), small))
    if "fabric" in areas:
        for label, racks in FABRIC_RACKS.items():
            for variant, compact in (("full", False), ("compact", True)):
                todo.append(("fabric", f"{label} GPUs ({racks:,} racks)", variant, (fabric_case, racks, compact),
                             (f"8k GPUs ({FABRIC_RACKS['8k']:,} racks)", "full")))
    if "startup" in areas:
        base = ("python -c pass", "fresh interpreter")
        todo.append(("startup", *base, (startup_case, ["-c", "pass"]), None))
        for label, argv in (("gwplan --help", ["-m", "planner", "--help"]),
                            ("gwplan validate (bundled scenario)", ["-m", "planner", "validate", str(BUNDLED)]),
                            ("gwplan optimize --help", ["-m", "planner", "optimize", "--help"])):
            todo.append(("startup", label, "fresh interpreter", (startup_case, argv), base))
    return todo


def pulumi_rows() -> list[Row]:
    from planner.plan import load_plan

    rows = []
    for phase in load_plan(PLAN).phases:
        found = _in_child(pulumi_case, phase.id)
        rows.append((found["resources"], phase.id, found))
    smallest, largest = min(rows), max(rows)
    base = Row("pulumi", f"phase {smallest[1]} (fewest resources)", "mocks", smallest[2]["result"],
               smallest[2]["seconds"], smallest[2]["peak_mib"])
    top = Row("pulumi", f"phase {largest[1]} (most resources)", "mocks", largest[2]["result"],
              largest[2]["seconds"], largest[2]["peak_mib"], baseline=(base.case, base.variant))
    return [base, top]


def print_table(rows: list[Row]) -> None:
    index = {(r.case, r.variant): r for r in rows}
    print("| area | case | variant | result | seconds | ratio | peak MiB |")
    print("|---|---|---|---|---:|---:|---:|")
    for r in rows:
        base = index.get(r.baseline) if r.baseline else None
        compared = base is not None and base is not r and base.seconds
        ratio = f"{r.seconds / base.seconds:.2f}x" if compared else "1 (base)"
        seconds = f"{r.seconds:,.3f}" if r.seconds < 1 else f"{r.seconds:,.2f}"
        print(f"| {r.area} | {r.case} | {r.variant} | {r.result} | {seconds} | {ratio} | {r.peak_mib:,.0f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 s optimizer / 30 s capa-c limits; no 1,000 sites")
    parser.add_argument("--only", nargs="+", choices=AREAS, default=list(AREAS), help="areas to run")
    parser.add_argument("--match", default="", help="only the cases whose name contains this text, e.g. '50 sites'")
    args = parser.parse_args()
    from planner.optimize.extract import version

    print(f"# {_cpu()}, "
          f"{multiprocessing.cpu_count()} cores, {_memory_gib():.0f} GiB, Python {platform.python_version()}, "
          f"OR-Tools {version('ortools')}, "
          f"networkx {version('networkx')}, pulumi {version('pulumi')}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", flush=True)
    rows: list[Row] = []
    started = time.perf_counter()
    for area, case, variant, (function, *fargs), baseline in plan_rows(args.only, args.quick):
        if args.match not in case:
            continue
        print(f"  running {area}: {case}, {variant} ...", file=sys.stderr, flush=True)
        found = _in_child(function, *fargs)
        rows.append(Row(area, case, variant, found["result"], found["seconds"], found["peak_mib"], baseline))
    if "pulumi" in args.only:
        print("  running pulumi: every phase under mocks ...", file=sys.stderr, flush=True)
        rows.extend(pulumi_rows())
    print_table(rows)
    print(f"\n(total {time.perf_counter() - started:,.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
