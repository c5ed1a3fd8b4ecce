"""Fabric analysis beside ngraph (the peer library): the same fabric, the same figures, seconds and memory.

    python -m benchmarks.fabric_peer                 # k=48 fat tree, one plane of 1 GW Vera Rubin, a 1 GW site
    python -m benchmarks.fabric_peer --only k48

ngraph 0.24.1 comes with the test extra (tests/test_fabric_peer.py checks the same figures on small fabrics).
Each case runs in its own process (peak memory is that process's). For each fabric, full detail (every
compute node and switch; a node's port on a rail lands on its rail's leaf):
- gwplan: `topology.analysis.failures_and_paths` (switch-level network built from the sizing arithmetic,
  bisection and one failure of each kind by scipy's max-flow, GPUs cut off by connected components);
- ngraph: a `Network` of every node and switch with one link per cable bundle (capacity = links x port
  speed), bisection as max-flow from the first half of the nodes to the rest, then the same failures as
  `excluded_nodes` on a context bound to those halves.
The figures must agree (the script says so, or stops); the ratio is ngraph's seconds over gwplan's.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import resource
import sys
import time


def fabrics() -> dict:
    """name -> (label, FabricSpec)."""
    from planner.fabric.clusters import fabric_spec
    from planner.plan import load_plan
    from topology.spec import FabricSpec

    plan = load_plan("plans/10gw-rollout.plan.yaml")
    gw = fabric_spec(plan, "vr-nvl144", 5000)  # 5,000 racks of 200 kW: 1 GW of IT
    k = 48
    return {
        "k48": (f"k={k} fat tree ({k ** 3 // 4:,} hosts, {k}-port switches)",
                FabricSpec(nodes=k ** 3 // 4, gpus_per_node=1, rails=1, planes=1, port_gbps=400, switch_radix=k,
                           nodes_per_su=k // 2)),
        "gw-plane": (f"1 GW Vera Rubin, one plane ({gw.gpus:,} GPUs)", _replace(gw, planes=1)),
        "gw-site": (f"1 GW Vera Rubin, both planes ({gw.gpus:,} GPUs)", gw),
    }


def _replace(spec, **changes):
    import dataclasses

    return dataclasses.replace(spec, **changes)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_gwplan(spec) -> dict:
    from topology.analysis import failures_and_paths

    started = time.perf_counter()
    report = failures_and_paths(spec)
    seconds = time.perf_counter() - started
    figures = {"bisection": report["bisection_gbps_maxflow"],
               **{f["element"]: f["bisection_gbps_after"] for f in report["failures"]}}
    return {"seconds": seconds, "peak_mib": peak_mib(), "figures": figures}


def run_ngraph(spec, elements: list[str]) -> dict:
    from ngraph import Link, Network, Node, analyze

    from topology.flow import halves, switch_fabric
    from topology.spec import leaf_of_node

    # The names and the node -> leaf-group map are gwplan's, prepared before the clock starts: only ngraph's
    # own work (its Network, its analysis) is timed.
    fabric = switch_fabric(spec)  # the same switches and cable bundles, as names
    names = [fabric.name(v) for v in range(fabric.vertices)]
    first, _ = halves(spec)
    hosts = [("a-" if n < first.stop else "b-") + f"node-{n}" for n in range(spec.nodes)]
    group_of = {(int(su), int(index)): g for g, (su, index) in enumerate(zip(fabric.group_su, fabric.group_index))}
    host_groups = [group_of[leaf_of_node(fabric.size, spec, n)] for n in range(spec.nodes)]
    edges = list(zip(fabric.edge_u.tolist(), fabric.edge_v.tolist(), fabric.edge_links.tolist()))
    started = time.perf_counter()
    net = Network()
    for n in names:
        net.add_node(Node(name=n))
    for h in hosts:
        net.add_node(Node(name=h))
    for u, v, links in edges:
        net.add_link(Link(source=names[u], target=names[v], capacity=links * spec.port_gbps))
    for host, group in zip(hosts, host_groups):
        for plane in range(spec.planes):
            for rail in range(spec.rails):
                net.add_link(Link(source=host, target=names[fabric.leaf_id(plane, group, rail)],
                                  capacity=spec.port_gbps))
    built = time.perf_counter()
    ctx = analyze(net, source="^a-", sink="^b-")
    figures = {"bisection": next(iter(ctx.max_flow().values()))}
    per_domain = (spec.nvlink_domain_gpus or 0) // spec.gpus_per_node
    for element in elements:
        kind, _, target = element.partition(":")
        if kind == "plane":
            excluded = set(names[fabric.plane_vertices(int(target)).start:fabric.plane_vertices(int(target)).stop])
        elif kind == "domain":
            d = int(target.removeprefix("nvl-"))
            excluded = {hosts[n] for n in range(d * per_domain, min((d + 1) * per_domain, spec.nodes))}
        else:
            excluded = {target}
        figures[element] = next(iter(ctx.max_flow(excluded_nodes=excluded).values()))
    return {"seconds": time.perf_counter() - started, "build_s": built - started, "peak_mib": peak_mib(),
            "figures": figures}


def in_process(fn, *args) -> dict:
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=["k48", "gw-plane", "gw-site"],
                        default=["k48", "gw-plane", "gw-site"])
    args = parser.parse_args()
    import ngraph

    print(f"# gwplan vs ngraph {ngraph.__version__}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print("| fabric | gwplan s | gwplan MiB | ngraph s (build) | ngraph MiB | ngraph / gwplan | figures |")
    print("|---|---:|---:|---:|---:|---:|---|")
    labels = fabrics()
    for name in args.only:
        mine = in_process(run_gwplan, labels[name][1])
        elements = [e for e in mine["figures"] if e != "bisection"]
        peer = in_process(run_ngraph, labels[name][1], elements)
        same = all(abs(mine["figures"][k] - peer["figures"][k]) <= 1e-6 * max(1.0, abs(peer["figures"][k]))
                   for k in mine["figures"])
        if not same:
            print(f"{name}: figures differ: gwplan {mine['figures']} ngraph {peer['figures']}", file=sys.stderr)
            return 1
        print(f"| {labels[name][0]} | {mine['seconds']:.2f} | {mine['peak_mib']:,.0f} | {peer['seconds']:.2f} "
              f"({peer['build_s']:.2f}) | {peer['peak_mib']:,.0f} | {peer['seconds'] / mine['seconds']:.1f}x | "
              f"equal: bisection {mine['figures']['bisection'] / 1e3:,.0f} Tb/s and {len(elements)} failures |",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
