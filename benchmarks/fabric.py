"""Fabric speed: the largest site fabric of the bundled plan, and 1 GW of Vera Rubin racks, in full detail.

    python -m benchmarks.fabric

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


def main() -> int:
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
