"""Analyses of a fabric: bisection bandwidth (closed form, and by max-flow), hop counts, ECMP paths, and
what a failure costs (GPUs cut off, bandwidth lost, the bisection left).

GPUs are tied to their rail: a node's port on rail r carries its rail-r GPU's traffic and a node forwards
nothing between its ports (scale-out paths never transit a node). The closed forms here are proven against
max-flow on the full networkx graph (`maxflow_bisection_gbps`) and on the switch-level network of
`topology.flow` in the tests; the failure analysis runs on the latter (exact, compiled, seconds at 1 GW).
"""

from __future__ import annotations

from topology.spec import FabricSize, FabricSpec, leaves_in_su, su_nodes

SCALE_OUT = ("node_leaf", "leaf_spine", "spine_core")


def bisection_gbps(spec: FabricSpec, size: FabricSize) -> float:
    """Bisection bandwidth between the first floor(nodes / 2) nodes and the rest, in closed form.

    Per leaf: a leaf with a ports to one half and b to the other switches min(a, b) of them to each other
    and sends the rest of the larger side up (at most its uplinks); spines and cores are non-blocking, so
    the cut is what the leaves switch locally plus the smaller of the two halves' uplink traffic. Each
    rail and each plane carries the same, so the total is that times rails x planes x port speed. For an
    even number of full SUs this is min(node ports, leaf uplinks) / 2.
    """
    split, up = spec.nodes // 2, size.leaf_uplinks
    local = a_side = b_side = 0
    for su in range(size.sus):
        su_first, su_count = su * spec.nodes_per_su, su_nodes(spec, su)
        for index in range(leaves_in_su(spec, size, su)):
            first = su_first + index * size.leaf_downlinks
            count = min(size.leaf_downlinks, su_first + su_count - first)
            a = min(max(split - first, 0), count)
            b = count - a
            m = min(a, b)
            local += m
            a_side += min(a - m, up)
            b_side += min(b - m, up)
    return (local + min(a_side, b_side)) * spec.rails * spec.planes * spec.port_gbps


def maxflow_bisection_gbps(g) -> float:
    """Max-flow on the networkx graph from the first half of the nodes (in installation order) to the rest,
    with nodes as endpoints only (no flow through a node). Compact graphs: each SU's `gpu_group` is on
    the side of its first node (exact when the halves split no SU)."""
    import networkx as nx

    nodes = [v for v, d in g.nodes(data=True) if d["role"] in ("node", "gpu_group")]
    total = sum(g.nodes[v].get("nodes", 1) for v in nodes)
    first_node = {}
    for v in nodes:
        d = g.nodes[v]
        first_node[v] = int(v.split("-")[1]) if d["role"] == "node" else sum(
            g.nodes[w]["nodes"] for w in nodes if g.nodes[w]["su"] < d["su"])
    flow = nx.DiGraph()
    for u, v, e in g.edges(data=True):
        if e["kind"] in ("leaf_spine", "spine_core"):
            flow.add_edge(u, v, capacity=e["bandwidth_gbps"])
            flow.add_edge(v, u, capacity=e["bandwidth_gbps"])
    for v in nodes:
        side_a = first_node[v] < total // 2
        for _, leaf, e in g.edges(v, data=True):
            if e["kind"] == "node_leaf":
                if side_a:
                    flow.add_edge(v, leaf, capacity=e["bandwidth_gbps"])
                else:
                    flow.add_edge(leaf, v, capacity=e["bandwidth_gbps"])
        if side_a:
            flow.add_edge("source", v)  # no capacity attribute: unbounded
        else:
            flow.add_edge(v, "sink")
    return nx.maximum_flow_value(flow, "source", "sink")


def gpu_pair_paths(spec: FabricSpec, size: FabricSize, a: tuple[int, int], b: tuple[int, int]) -> dict:
    """Switch hops and ECMP paths between GPU a = (node, gpu) and GPU b over the scale-out fabric of one
    plane (each plane is a copy). Paths count links: k parallel cables are k next hops. A GPU leaves
    through its own rail's leaf; two GPUs on one leaf are one hop apart; a rail-only fabric has no path
    between leaves (None: only an NVLink relay joins them)."""
    from topology.spec import leaf_of_node

    (na, ga), (nb, gb) = a, b
    leaf_a = (*leaf_of_node(size, spec, na), ga % spec.rails)
    leaf_b = (*leaf_of_node(size, spec, nb), gb % spec.rails)
    if leaf_a == leaf_b:
        hops, paths = 1, 1
    elif size.tiers == 1:
        hops, paths = None, 0
    elif size.tiers == 2:
        hops, paths = 3, size.spines_per_group * size.links_leaf_spine ** 2
    elif leaf_a[0] // size.sus_per_pod == leaf_b[0] // size.sus_per_pod:
        hops, paths = 3, size.spines_per_group
    else:
        hops, paths = 5, size.spines_per_group * size.cores_per_group * size.links_spine_core ** 2
    return {"a": f"gpu-{na}-{ga}", "b": f"gpu-{nb}-{gb}", "same_rail": leaf_a[2] == leaf_b[2],
            "switch_hops": hops, "ecmp_paths": paths}


def sample_pairs(spec: FabricSpec) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """GPU pairs worth showing: same rail on the next node, same rail on the last node, another rail on the
    last node (distinct pairs only; GPUs of one node talk over NVLink, not the scale-out fabric)."""
    last, other = spec.nodes - 1, min(1, spec.gpus_per_node - 1)
    pairs = [((0, 0), (min(1, last), 0)), ((0, 0), (last, 0)), ((0, 0), (last, other))]
    return [p for p in dict.fromkeys(pairs) if p[0][0] != p[1][0]]


def failure_impact(fabric, element: str, before_links: int | None = None) -> dict:
    """What losing one element costs: `leaf:<name>`, `spine:<name>`, `core:<name>`, `plane:<n>` or
    `domain:nvl-<n>` (a scale-up domain, e.g. one rack, with its nodes and GPUs).

    `fabric` is a `topology.flow.SwitchFabric`. Returns the GPUs cut off (no scale-out path left in any
    plane, or lost with their domain), node injection and fabric uplink bandwidth lost (Gb/s), and the
    bisection left (max-flow between the halves of the surviving nodes). ValueError for an element the
    fabric does not have.
    """
    import numpy as np

    from topology.flow import bisection_links, gpus_cut_off

    spec = fabric.spec
    kind, _, name = element.partition(":")
    removed = np.zeros(fabric.vertices, dtype=bool)
    lost_nodes = range(0)
    if kind == "plane":
        if not name.isdigit() or int(name) >= spec.planes:
            raise ValueError(f"unknown element {element!r}: the fabric has planes 0-{spec.planes - 1}")
        removed[fabric.plane_vertices(int(name)).start:fabric.plane_vertices(int(name)).stop] = True
    elif kind == "domain":
        per_domain = (spec.nvlink_domain_gpus or 0) // spec.gpus_per_node
        number = name.removeprefix("nvl-")
        if not per_domain or not number.isdigit() or int(number) * per_domain >= spec.nodes:
            raise ValueError(f"unknown element {element!r}: expected domain:nvl-<n> of a fabric with NVLink domains")
        lost_nodes = range(int(number) * per_domain, min((int(number) + 1) * per_domain, spec.nodes))
    elif kind in ("leaf", "spine", "core"):
        vertex = fabric.vertex(kind, name)
        if vertex is None:
            raise ValueError(f"unknown element {element!r}: this fabric has no such {kind}")
        removed[vertex] = True
    else:
        raise ValueError(f"unknown element {element!r}: expected leaf:, spine:, core:, plane: or domain:")
    gbps = spec.port_gbps
    # every node has one port per rail per plane, each on a leaf of that plane
    leaf_mask = np.zeros(fabric.vertices, dtype=bool)
    for plane in range(spec.planes):
        leaf_mask[plane * fabric.per_plane: plane * fabric.per_plane + fabric.leaves] = True
    ports_by_leaf = np.tile(np.repeat(fabric.group_nodes, spec.rails), spec.planes)
    injection = (ports_by_leaf * (removed & leaf_mask)[leaf_mask]).sum() + len(lost_nodes) * spec.rails * spec.planes
    incident = removed[fabric.edge_u] | removed[fabric.edge_v]
    lost_gpus = len(lost_nodes) * spec.gpus_per_node
    return {"element": element, "gpus_cut_off": gpus_cut_off(fabric, removed, lost_nodes) + lost_gpus,
            "injection_gbps_lost": float(injection * gbps),
            "uplink_gbps_lost": float(fabric.edge_links[incident].sum() * gbps),
            "bisection_gbps_after": float(bisection_links(fabric, removed, lost_nodes) * gbps)}


def failures_and_paths(spec: FabricSpec) -> dict:
    """Failure impact of the first element of each kind, and hops / ECMP paths between sample GPU pairs."""
    from topology.flow import bisection_links, switch_fabric
    from topology.names import core_name, leaf_name, spine_name

    fabric = switch_fabric(spec)
    size = fabric.size
    elements = [f"leaf:{leaf_name(0, 0, 0, 0, size.leaves_per_rail)}"]
    if size.tiers >= 2:
        elements.append(f"spine:{spine_name(0, 0, 0)}")
    if size.tiers == 3:
        elements.append(f"core:{core_name(0, 0, 0)}")
    elements.append("plane:0")
    if spec.nvlink_domain_gpus:
        elements.append("domain:nvl-0")
    return {"bisection_gbps_maxflow": float(bisection_links(fabric) * spec.port_gbps),
            "failures": [failure_impact(fabric, e) for e in elements],
            "paths": [gpu_pair_paths(spec, size, a, b) for a, b in sample_pairs(spec)]}
