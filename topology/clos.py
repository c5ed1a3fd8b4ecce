"""Generate the rail-optimized, multi-plane folded Clos of a `FabricSpec` as a networkx graph.

Vertices (attribute `role`): `gpu`, `node` (a compute tray that owns its GPUs and NIC ports), or in
compact mode `gpu_group` (the nodes and GPUs of one scalable unit, as counts),
`nvlink_domain` (a scale-up domain, e.g. one NVL72 rack, owning its nodes), `leaf`, `spine`, `core`.
Every vertex has `role` and `tier` (gpu 0, node 0, leaf 1, spine 2, core 3, nvlink_domain -1); switches
also `plane`, leaves `su`, `rail` and `index` (which of the rail's leaves in the SU), spines and cores
`pod` / `group`. A node's port on rail r lands on a leaf of rail r: a GPU reaches the fabric through
its own rail's NIC, and nodes are endpoints, never transit (see `topology.flow`).
Edges carry `kind` (`host`: GPU-node, `nvlink`: node-domain, `node_leaf`, `leaf_spine`, `spine_core`),
`links` (parallel cables between the two ends) and `bandwidth_gbps` (links x port speed).
"""

from __future__ import annotations

import math

import networkx as nx

from topology.names import core_name, leaf_name, spine_name
from topology.spec import FabricError, FabricSpec, leaf_of_node, leaves_in_su, size_fabric, su_nodes

TIER = {"gpu": 0, "node": 0, "leaf": 1, "spine": 2, "core": 3, "nvlink_domain": -1}


def rail_optimized_clos(spec: FabricSpec, compact: bool = False) -> nx.Graph:
    """The fabric: every GPU, node, NVLink domain, switch and link (parallel links as `links`).

    `compact=True` replaces the nodes and GPUs of each scalable unit by one `gpu_group` vertex (with
    `nodes` and `gpus` counts) linked to each of the SU's leaves by as many cables as the SU has nodes:
    the same switches, cables and bandwidths, in a graph small enough for any fabric.
    FabricError if the graph would not fit in memory (`check_graph_fits`).
    """
    check_graph_fits(spec, compact)
    size = size_fabric(spec)
    g = nx.Graph(tiers=size.tiers, gpus=spec.gpus, planes=spec.planes, rails=spec.rails,
                 leaves_per_rail=size.leaves_per_rail,
                 port_gbps=float(spec.port_gbps), switch_radix=spec.switch_radix, compact=compact)
    gbps = spec.port_gbps

    per_rail = size.leaves_per_rail

    def leaf(plane: int, su: int, rail: int, index: int) -> str:
        return leaf_name(plane, su, rail, index, per_rail)

    for su in range(size.sus if compact else 0):
        nodes = su_nodes(spec, su)
        group = f"su{su}-gpus"
        g.add_node(group, role="gpu_group", tier=0, su=su, nodes=nodes, gpus=nodes * spec.gpus_per_node)
        for index in range(leaves_in_su(spec, size, su)):
            on_leaf = min(size.leaf_downlinks, nodes - index * size.leaf_downlinks)
            for plane in range(spec.planes):
                for rail in range(spec.rails):
                    g.add_edge(group, leaf(plane, su, rail, index), kind="node_leaf", links=on_leaf,
                               bandwidth_gbps=on_leaf * gbps)

    for n in range(0 if compact else spec.nodes):
        su, index = leaf_of_node(size, spec, n)
        node = f"node-{n}"
        g.add_node(node, role="node", tier=0, su=su)
        if spec.nvlink_domain_gpus:
            domain = f"nvl-{n * spec.gpus_per_node // spec.nvlink_domain_gpus}"
            if domain not in g:
                g.add_node(domain, role="nvlink_domain", tier=-1)
            g.add_edge(node, domain, kind="nvlink", links=1, bandwidth_gbps=0.0)
        for k in range(spec.gpus_per_node):
            gpu = f"gpu-{n}-{k}"
            g.add_node(gpu, role="gpu", tier=0, su=su, rail=k % spec.rails)
            g.add_edge(gpu, node, kind="host", links=1, bandwidth_gbps=0.0)
        for plane in range(spec.planes):
            for rail in range(spec.rails):
                g.add_edge(node, leaf(plane, su, rail, index), kind="node_leaf", links=1, bandwidth_gbps=gbps)

    for plane in range(spec.planes):
        for su in range(size.sus):
            pod = su // size.sus_per_pod
            for rail in range(spec.rails):
                for index in range(leaves_in_su(spec, size, su)):
                    g.add_node(leaf(plane, su, rail, index), role="leaf", tier=1, plane=plane, su=su, rail=rail,
                               index=index, pod=pod)
        if size.tiers == 1:
            continue
        for pod in range(size.pods):
            for j in range(size.spines_per_group):
                spine = spine_name(plane, pod, j)
                g.add_node(spine, role="spine", tier=2, plane=plane, pod=pod, group=j)
                first_su = pod * size.sus_per_pod
                for su in range(first_su, min(first_su + size.sus_per_pod, size.sus)):
                    for rail in range(spec.rails):
                        for index in range(leaves_in_su(spec, size, su)):
                            g.add_edge(leaf(plane, su, rail, index), spine, kind="leaf_spine",
                                       links=size.links_leaf_spine, bandwidth_gbps=size.links_leaf_spine * gbps)
                for c in range(size.cores_per_group):
                    core = core_name(plane, j, c)
                    if core not in g:
                        g.add_node(core, role="core", tier=3, plane=plane, group=j)
                    g.add_edge(spine, core, kind="spine_core", links=size.links_spine_core,
                               bandwidth_gbps=size.links_spine_core * gbps)
    return g


BYTES_PER_ELEMENT = 420  # measured; see graph_elements
MAX_GRAPH_ELEMENTS = 25_000_000  # ~10 GiB: refuse bigger graphs rather than exhaust the machine


def check_graph_fits(spec: FabricSpec, compact: bool = False) -> None:
    """Raise FabricError (naming the size and the way out) when the graph would exceed MAX_GRAPH_ELEMENTS."""
    elements = graph_elements(spec, compact)
    if elements > MAX_GRAPH_ELEMENTS:
        hint = "" if compact else "; --compact draws each scalable unit's nodes as one vertex"
        raise FabricError(f"nodes: the {spec.gpus:,}-GPU fabric graph would hold {elements:,} vertices and edges "
                          f"(~{elements * BYTES_PER_ELEMENT / 2**30:,.0f} GiB); gwplan builds at most "
                          f"{MAX_GRAPH_ELEMENTS:,}{hint}")


def graph_elements(spec: FabricSpec, compact: bool = False) -> int:
    """Vertices plus edges `rail_optimized_clos(spec, compact)` will hold, without building it.

    networkx needs roughly 0.4 KiB per element (measured: 1 GW of Vera Rubin, ~3.4M elements, 1.05 GiB
    with its exports), so callers can refuse a graph that would not fit in memory before building it.
    """
    size = size_fabric(spec)
    leaves = size.leaves_per_plane
    spines = size.spines_per_plane
    cores = size.cores_per_plane
    switches = (leaves + spines + cores) * spec.planes
    if size.tiers == 1:
        leaf_spine = spine_core = 0
    elif size.tiers == 2:
        leaf_spine, spine_core = leaves * size.spines_per_group, 0
    else:
        leaf_spine, spine_core = leaves * size.spines_per_group, spines * size.cores_per_group
    fabric_edges = (leaf_spine + spine_core) * spec.planes
    if compact:
        return size.sus + switches + leaves * spec.planes + fabric_edges  # one group-leaf edge per leaf
    domains = math.ceil(spec.gpus / spec.nvlink_domain_gpus) if spec.nvlink_domain_gpus else 0
    hosts = spec.nodes + spec.gpus + domains
    host_edges = spec.gpus + (spec.nodes if spec.nvlink_domain_gpus else 0) + spec.nodes * spec.rails * spec.planes
    return hosts + switches + host_edges + fabric_edges


def counts(g: nx.Graph) -> dict:
    """Vertices by role, switches by role and plane, and cables (links) by edge kind."""
    roles: dict[str, int] = {}
    by_plane: dict[str, dict[int, int]] = {}
    for _, data in g.nodes(data=True):
        role = data["role"]
        roles[role] = roles.get(role, 0) + 1
        if "plane" in data:
            by_plane.setdefault(role, {})
            by_plane[role][data["plane"]] = by_plane[role].get(data["plane"], 0) + 1
    cables: dict[str, int] = {}
    for _, _, data in g.edges(data=True):
        cables[data["kind"]] = cables.get(data["kind"], 0) + data["links"]
    gpus = roles.get("gpu", 0) + sum(d["gpus"] for _, d in g.nodes(data=True) if d["role"] == "gpu_group")
    return {"gpus": gpus, "roles": roles, "switches_by_plane": by_plane, "cables": cables}


def ports_used(g: nx.Graph, switch: str) -> int:
    """Ports of a switch in use: one per parallel link."""
    return sum(data["links"] for _, _, data in g.edges(switch, data=True))


def annotate_phases(g: nx.Graph, spec: FabricSpec, cumulative_nodes: list[tuple[str, int]]) -> None:
    """Mark every vertex with the phase that first needs it (`phase`, and `phase_order` to compare).

    `cumulative_nodes`: (phase label, nodes installed by the end of that phase), in phase order; nodes
    are numbered in installation order. A leaf comes with its SU's first node, a spine with its pod's
    first SU, a core and the 2-tier spines with the first phase.
    """
    size = size_fabric(spec)

    def phase_of_node(n: int) -> int:
        return next((i for i, (_, nodes) in enumerate(cumulative_nodes) if n < nodes), len(cumulative_nodes) - 1)

    for v, d in g.nodes(data=True):
        role = d["role"]
        if role == "node" or role == "gpu":
            order = phase_of_node(int(v.split("-")[1]))
        elif role == "gpu_group":
            order = phase_of_node(d["su"] * spec.nodes_per_su)
        elif role == "leaf":
            order = phase_of_node(d["su"] * spec.nodes_per_su + d["index"] * size.leaf_downlinks)
        elif role == "spine" and size.tiers == 3:
            order = phase_of_node(d["pod"] * size.sus_per_pod * spec.nodes_per_su)
        elif role == "nvlink_domain":
            order = min(phase_of_node(int(x.split("-")[1])) for x in g.neighbors(v))
        else:
            order = 0
        d["phase"], d["phase_order"] = cumulative_nodes[order][0], order
