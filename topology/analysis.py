"""Analyses of a fabric: bisection bandwidth (closed form, and by max-flow on the graph), hop counts,
ECMP path counts, and what a failure costs. Each takes a graph from `topology.clos` and returns data.
"""

from __future__ import annotations

import networkx as nx

from topology.spec import FabricSize, FabricSpec

SCALE_OUT = ("node_leaf", "leaf_spine", "spine_core")


def bisection_gbps(spec: FabricSpec, size: FabricSize) -> float:
    """Bisection bandwidth of a fabric of whole SUs split into two halves of SUs.

    Traffic between the halves leaves each node through its NIC ports, and (with 2 or 3 tiers) each
    leaf through its uplinks; spines and cores are non-blocking, so the smaller of the two is the cut.
    """
    endpoint = spec.nodes * spec.rails * spec.port_gbps
    if size.tiers == 1:
        return spec.planes * endpoint / 2
    uplink = size.leaves_per_plane * size.leaf_uplinks * spec.port_gbps
    return spec.planes * min(endpoint, uplink) / 2


def scale_out_graph(g: nx.Graph) -> nx.Graph:
    """The fabric without NVLink edges (scale-out paths only)."""
    return g.edge_subgraph((u, v) for u, v, e in g.edges(data=True) if e["kind"] != "nvlink").copy()


def maxflow_bisection_gbps(g: nx.Graph) -> float:
    """Max-flow from the nodes of the first half of the SUs to the nodes of the second half."""
    nodes = [v for v, d in g.nodes(data=True) if d["role"] in ("node", "gpu_group")]
    sus = sorted({g.nodes[v]["su"] for v in nodes})
    first = set(sus[: len(sus) // 2])
    flow = nx.DiGraph()
    for u, v, e in g.edges(data=True):
        if e["kind"] in SCALE_OUT:
            flow.add_edge(u, v, capacity=e["bandwidth_gbps"])
            flow.add_edge(v, u, capacity=e["bandwidth_gbps"])
    for v in nodes:
        if g.nodes[v]["su"] in first:
            flow.add_edge("source", v)  # no capacity attribute: unbounded
        else:
            flow.add_edge(v, "sink")
    return nx.maximum_flow_value(flow, "source", "sink")


def hops_and_paths(g: nx.Graph, a: str, b: str) -> tuple[int, int]:
    """(switch hops, number of equal-cost shortest paths) between two nodes over the scale-out fabric."""
    fabric = g.edge_subgraph((u, v) for u, v, e in g.edges(data=True) if e["kind"] in SCALE_OUT)
    paths = list(nx.all_shortest_paths(fabric, a, b))
    return len(paths[0]) - 2, len(paths)


def failure_impact(g: nx.Graph, spec: FabricSpec, element: str) -> dict:
    """What losing one element costs: `leaf:<name>`, `spine:<name>`, `core:<name>`, `plane:<n>` or
    `domain:<name>` (a scale-up domain, e.g. one rack, with its nodes and GPUs).

    Returns GPUs cut off (no scale-out path left, or lost with their domain) and the scale-out
    bandwidth lost: node injection (node-leaf) and fabric uplinks (leaf-spine, spine-core), in Gb/s.
    """
    kind, _, name = element.partition(":")
    if kind == "plane":
        removed = {v for v, d in g.nodes(data=True) if d.get("plane") == int(name)}
    elif kind == "domain":
        members = set(g.neighbors(name))
        removed = {name} | members | {x for m in members for x in g.neighbors(m) if g.nodes[x]["role"] == "gpu"}
    elif kind in ("leaf", "spine", "core"):
        removed = {name}
    else:
        raise ValueError(f"unknown element {element!r}: expected leaf:, spine:, core:, plane: or domain:")
    lost = {"node_leaf": 0.0, "uplinks": 0.0}
    for u, v, e in g.edges(data=True):
        if (u in removed or v in removed) and e["kind"] in SCALE_OUT:
            lost["node_leaf" if e["kind"] == "node_leaf" else "uplinks"] += e["bandwidth_gbps"]
    remaining = scale_out_graph(g)
    remaining.remove_nodes_from(removed & set(remaining))
    gpus = [v for v, d in g.nodes(data=True) if d["role"] == "gpu"]
    lost_with_domain = sum(1 for v in gpus if v in removed)
    alive = [v for v in gpus if v not in removed]
    largest = max(nx.connected_components(remaining.subgraph(set(remaining))), key=len, default=set())
    cut_off = sum(1 for v in alive if v not in largest) + lost_with_domain
    return {"element": element, "gpus_cut_off": cut_off, "injection_gbps_lost": lost["node_leaf"],
            "uplink_gbps_lost": lost["uplinks"]}


def failures_and_paths(spec: FabricSpec) -> dict:
    """Failure impact of one element of each kind, and hops / ECMP between sample node pairs."""
    from topology.clos import rail_optimized_clos

    g = rail_optimized_clos(spec)
    first = {}
    for v, d in g.nodes(data=True):
        first.setdefault(d["role"], v)
    elements = [f"{role}:{first[role]}" for role in ("leaf", "spine", "core") if role in first]
    elements += ["plane:0"] + ([f"domain:{first['nvlink_domain']}"] if "nvlink_domain" in first else [])
    last_node = f"node-{spec.nodes - 1}"
    pairs = [("node-0", f"node-{min(1, spec.nodes - 1)}"), ("node-0", last_node)]
    paths = []
    for a, b in dict.fromkeys(pairs):
        if a != b:
            hops, count = hops_and_paths(g, a, b)
            paths.append({"a": a, "b": b, "switch_hops": hops, "ecmp_paths": count})
    return {"failures": [failure_impact(g, spec, e) for e in elements], "paths": paths}
