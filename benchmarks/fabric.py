"""Fabric speed: the largest site fabric of the bundled plan, and 1 GW of Vera Rubin racks, in full detail.

    python -m benchmarks.fabric
    python -m benchmarks.fabric --whole-plan    # every fabric of the bundled plan: built, analysed, exported

For each fabric: build the networkx graph, count it, compute bisection, and export GraphML and the
cabling CSV into a temporary directory; prints seconds per step and the peak memory of the process.
Peak memory (ru_maxrss) only grows, so the first row shows the largest fabric's own peak only if run first.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from planner.fabric.clusters import fabric_spec, site_fabrics
from planner.optimize.options import SolveOptions
from planner.optimize.rollout import plan_rollout
from planner.scenario import load_scenario
from topology.analysis import bisection_gbps
from topology.clos import counts, rail_optimized_clos
from topology.export import write_cabling_csv, write_graphml
from topology.ports import generic_switch
from topology.spec import size_fabric

BUNDLED = Path(__file__).resolve().parent.parent / "scenarios" / "10gw-rollout.yaml"
SWITCH = generic_switch(144, 800)  # port names only; the figures do not depend on the model


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20


def run(label: str, spec, workdir: Path, compact: bool = False) -> None:
    started = time.perf_counter()
    g = rail_optimized_clos(spec, compact=compact)
    built = time.perf_counter()
    c = counts(g)
    bisection_gbps(spec, size_fabric(spec))
    analysed = time.perf_counter()
    write_graphml(g, workdir / "fabric.graphml")
    graphml = time.perf_counter()
    cables = write_cabling_csv(g, workdir / "cabling.csv", SWITCH) if not compact else 0
    done = time.perf_counter()
    print(f"{label:<44} {c['gpus']:>9,} {g.number_of_nodes():>9,} {g.number_of_edges():>10,} {cables:>10,} "
          f"{built - started:7.1f} {analysed - built:7.1f} {graphml - analysed:7.1f} {done - graphml:7.1f} "
          f"{done - started:7.1f} {peak_gib():7.2f}", flush=True)
    del g, c


def whole_plan(workdir: Path) -> None:
    """Every site fabric standing at the end of the bundled plan (one graph per site and platform; its
    clusters are alike): full-detail graph, bisection and one failure of each kind, GraphML and cabling."""
    from planner.fabric.clusters import device_model
    from planner.fabric.graph import phased_graph
    from planner.plan import load_plan
    from topology.analysis import failures_and_paths

    plan = load_plan(BUNDLED.parent.parent / "plans" / "10gw-rollout.plan.yaml")
    last = plan.phases[-1].id
    started = time.perf_counter()
    gpus = elements = 0
    print(f"{'site fabric':<40} {'GPUs':>9} {'clusters':>8} {'elements':>10} {'seconds':>8} {'peakGiB':>7}")
    for fab in site_fabrics(plan, last):
        t = time.perf_counter()
        g = phased_graph(plan, fab)
        failures_and_paths(fab.spec)
        switch = device_model(plan.switch(plan.platform(fab.platform).switch))
        out = workdir / f"{fab.site}-{fab.platform}"
        out.mkdir()
        write_graphml(g, out / "fabric.graphml")
        write_cabling_csv(g, out / "cabling.csv", switch)
        gpus += fab.spec.gpus * fab.clusters
        elements += g.number_of_nodes() + g.number_of_edges()
        print(f"{fab.site + ' ' + fab.platform:<40} {fab.spec.gpus * fab.clusters:>9,} {fab.clusters:>8} "
              f"{g.number_of_nodes() + g.number_of_edges():>10,} {time.perf_counter() - t:8.1f} {peak_gib():7.2f}",
              flush=True)
        del g
        for f in out.iterdir():
            f.unlink()  # keep the disk small; the writing was measured
    print(f"whole plan: {gpus:,} GPU packages, {elements:,} graph elements built, analysed and exported in "
          f"{time.perf_counter() - started:.1f} s; peak {peak_gib():.2f} GiB")


def main() -> int:
    if "--whole-plan" in sys.argv:
        with tempfile.TemporaryDirectory() as tmp:
            whole_plan(Path(tmp))
        return 0
    plan = plan_rollout(load_scenario(BUNDLED), SolveOptions()).plan
    last = plan.phases[-1].id
    largest = max(site_fabrics(plan, last), key=lambda f: f.spec.gpus)
    print(f"{'fabric':<44} {'GPUs':>9} {'vertices':>9} {'edges':>10} {'cables':>10} {'build':>7} {'count':>7} "
          f"{'graphml':>7} {'csv':>7} {'total':>7} {'peakGiB':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        run("1 GW Vera Rubin NVL144 (5,000 racks)", fabric_spec(plan, "vr-nvl144", 5000), Path(tmp))
        run("  the same, compact", fabric_spec(plan, "vr-nvl144", 5000), Path(tmp), compact=True)
        run(f"largest in plan: {largest.site} {largest.platform} ({largest.racks:,} racks)", largest.spec, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
