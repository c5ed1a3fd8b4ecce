"""The scale-out fabric as a switch-level network, for exact analysis at compiled speed: bisection by
max-flow, what a failure costs (GPUs cut off, bandwidth lost, bisection left) and ECMP paths.

Built straight from the sizing arithmetic (`topology.spec`), not from the networkx graph, in numpy arrays:
vertices are the switches of every plane. Nodes are endpoints, never transit (a node's port on rail r
carries only its rail-r GPU's traffic, and a node forwards nothing between its ports), so the nodes of
each half of a cut fold exactly into a source and a sink joined to each leaf by as many links as those
nodes have ports there. Every scale-out port of a fabric has one speed, so capacities are whole links
and scipy's integer max-flow (Dinic's algorithm, compiled; scipy.sparse.csgraph) is exact. This is what
makes `--failures` on a 1 GW site take seconds: networkx's pure-Python max-flow is 100-400x slower on the
same graphs (`benchmarks/fabric.py` measures both beside ngraph).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from topology.names import core_name, leaf_name, parse_switch, spine_name
from topology.spec import FabricSize, FabricSpec, size_fabric


@dataclass(frozen=True)
class SwitchFabric:
    """Every switch and switch-to-switch link of a fabric, and which nodes sit on which leaves.

    Vertex ids, per plane p (offset p * per_plane): leaves ordered by leaf group then rail
    (group * rails + rail), then spines (pod * spines_per_group + j), then cores (group j *
    cores_per_group + c). A leaf group is (SU, leaf index): the nodes one leaf of each rail serves.
    """

    spec: FabricSpec
    size: FabricSize
    group_su: np.ndarray  # per leaf group
    group_index: np.ndarray
    group_first_node: np.ndarray
    group_nodes: np.ndarray
    edge_u: np.ndarray  # switch-switch links (undirected), all planes
    edge_v: np.ndarray
    edge_links: np.ndarray

    @property
    def leaves(self) -> int:
        return len(self.group_su) * self.spec.rails

    @property
    def spines(self) -> int:
        return self.size.spines_per_plane

    @property
    def per_plane(self) -> int:
        return self.leaves + self.spines + self.size.cores_per_plane

    @property
    def vertices(self) -> int:
        return self.per_plane * self.spec.planes

    def leaf_id(self, plane: int, group: int, rail: int) -> int:
        return plane * self.per_plane + group * self.spec.rails + rail

    def group_of(self, su: int, index: int) -> int | None:
        """The leaf group of (SU, leaf index), or None if the fabric has none."""
        hits = np.flatnonzero((self.group_su == su) & (self.group_index == index))
        return int(hits[0]) if len(hits) else None

    def vertex(self, role: str, name: str) -> int | None:
        """The vertex id of a switch by its name, or None when the fabric has no such switch."""
        parts = parse_switch(role, name)
        if parts is None or not 0 <= parts["plane"] < self.spec.planes:
            return None
        base = parts["plane"] * self.per_plane
        if role == "leaf":
            index = parts.get("index", 0)
            if ("index" in parts) != (self.size.leaves_per_rail > 1) or parts["rail"] >= self.spec.rails:
                return None
            group = self.group_of(parts["su"], index)
            return None if group is None else base + group * self.spec.rails + parts["rail"]
        spg = self.size.spines_per_group
        if role == "spine":
            if self.size.tiers < 2 or parts["pod"] >= self.size.pods or parts["index"] >= spg:
                return None
            return base + self.leaves + parts["pod"] * spg + parts["index"]
        if self.size.tiers < 3 or parts["group"] >= spg or parts["index"] >= self.size.cores_per_group:
            return None
        return base + self.leaves + self.spines + parts["group"] * self.size.cores_per_group + parts["index"]

    def name(self, vertex: int) -> str:
        plane, v = divmod(vertex, self.per_plane)
        per_rail = self.size.leaves_per_rail
        if v < self.leaves:
            group, rail = divmod(v, self.spec.rails)
            return leaf_name(plane, int(self.group_su[group]), rail, int(self.group_index[group]), per_rail)
        v -= self.leaves
        spg = self.size.spines_per_group
        if v < self.spines:
            return spine_name(plane, v // spg, v % spg)
        v -= self.spines
        return core_name(plane, v // self.size.cores_per_group, v % self.size.cores_per_group)

    def plane_vertices(self, plane: int) -> range:
        return range(plane * self.per_plane, (plane + 1) * self.per_plane)

    def nodes_on_groups(self, nodes: range) -> np.ndarray:
        """How many nodes of a contiguous range sit on each leaf group."""
        first, count = self.group_first_node, self.group_nodes
        lo = np.maximum(first, nodes.start)
        hi = np.minimum(first + count, nodes.stop)
        return np.maximum(hi - lo, 0)


def switch_fabric(spec: FabricSpec) -> SwitchFabric:
    """The switch-level network of a spec (FabricError when it cannot be built)."""
    size = size_fabric(spec)
    down, per_su = size.leaf_downlinks, spec.nodes_per_su
    groups_su, groups_index = [], []
    for su in range(size.sus):
        in_su = min(per_su, spec.nodes - su * per_su)
        n = math.ceil(in_su / down)
        groups_su.append(np.full(n, su))
        groups_index.append(np.arange(n))
    group_su = np.concatenate(groups_su)
    group_index = np.concatenate(groups_index)
    first = group_su * per_su + group_index * down
    su_end = np.minimum((group_su + 1) * per_su, spec.nodes)
    nodes = np.minimum(first + down, su_end) - first
    rails, planes = spec.rails, spec.planes
    leaves = len(group_su) * rails
    spg, cpg = size.spines_per_group, size.cores_per_group
    us, vs, ls = [], [], []
    leaf_ids = np.arange(leaves)
    if size.tiers == 2:
        us.append(np.repeat(leaf_ids, spg))
        vs.append(leaves + np.tile(np.arange(spg), leaves))
        ls.append(np.full(leaves * spg, size.links_leaf_spine))
    elif size.tiers == 3:
        pod_of_leaf = np.repeat(group_su // size.sus_per_pod, rails)
        us.append(np.repeat(leaf_ids, spg))
        vs.append(leaves + np.repeat(pod_of_leaf * spg, spg) + np.tile(np.arange(spg), leaves))
        ls.append(np.ones(leaves * spg, dtype=np.int64))
        spines = size.pods * spg
        spine_ids = np.arange(spines)
        us.append(leaves + np.repeat(spine_ids, cpg))
        vs.append(leaves + spines + np.repeat(spine_ids % spg, cpg) * cpg + np.tile(np.arange(cpg), spines))
        ls.append(np.full(spines * cpg, size.links_spine_core))
    u = np.concatenate(us) if us else np.zeros(0, dtype=np.int64)
    v = np.concatenate(vs) if vs else np.zeros(0, dtype=np.int64)
    links = np.concatenate(ls) if ls else np.zeros(0, dtype=np.int64)
    per_plane = leaves + size.spines_per_plane + size.cores_per_plane
    offsets = np.repeat(np.arange(planes) * per_plane, len(u))
    return SwitchFabric(spec=spec, size=size, group_su=group_su, group_index=group_index, group_first_node=first,
                        group_nodes=nodes, edge_u=np.tile(u, planes) + offsets, edge_v=np.tile(v, planes) + offsets,
                        edge_links=np.tile(links, planes))


def max_flow_links(fabric: SwitchFabric, a_nodes: np.ndarray, b_nodes: np.ndarray,
                   removed: np.ndarray | None = None) -> int:
    """Max-flow in links from the nodes counted in `a_nodes` (per leaf group) to those in `b_nodes`,
    over every plane, with the switch vertices flagged in `removed` gone."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import maximum_flow

    n = fabric.vertices
    source, sink = n, n + 1
    alive = np.ones(n, dtype=bool) if removed is None else ~removed
    keep = alive[fabric.edge_u] & alive[fabric.edge_v]
    u, v, c = fabric.edge_u[keep], fabric.edge_v[keep], fabric.edge_links[keep]
    rails = fabric.spec.rails
    leaf_ids = np.concatenate([np.arange(fabric.leaves) + p * fabric.per_plane for p in range(fabric.spec.planes)])
    a = np.tile(np.repeat(a_nodes, rails), fabric.spec.planes)
    b = np.tile(np.repeat(b_nodes, rails), fabric.spec.planes)
    live_leaf = alive[leaf_ids]
    sa = live_leaf & (a > 0)
    tb = live_leaf & (b > 0)
    rows = np.concatenate([u, v, np.full(sa.sum(), source), leaf_ids[tb]])
    cols = np.concatenate([v, u, leaf_ids[sa], np.full(tb.sum(), sink)])
    caps = np.concatenate([c, c, a[sa], b[tb]]).astype(np.int32)
    if not len(caps):
        return 0
    graph = coo_matrix((caps, (rows, cols)), shape=(n + 2, n + 2)).tocsr()
    graph.sum_duplicates()
    return int(maximum_flow(graph, source, sink, method="dinic").flow_value)


def halves(spec: FabricSpec) -> tuple[range, range]:
    """The two halves of a bisection: the first floor(nodes / 2) nodes in installation order, and the rest."""
    split = spec.nodes // 2
    return range(0, split), range(split, spec.nodes)


def overlap(a: range, b: range) -> range:
    """The nodes two contiguous ranges share."""
    return range(max(a.start, b.start), max(min(a.stop, b.stop), max(a.start, b.start)))


def bisection_links(fabric: SwitchFabric, removed: np.ndarray | None = None, lost_nodes: range = range(0)) -> int:
    """Bisection (links) by max-flow between the halves, without the `removed` switches and `lost_nodes`."""
    first, second = halves(fabric.spec)
    a = fabric.nodes_on_groups(first) - fabric.nodes_on_groups(overlap(first, lost_nodes))
    b = fabric.nodes_on_groups(second) - fabric.nodes_on_groups(overlap(second, lost_nodes))
    return max_flow_links(fabric, a, b, removed)


def gpus_cut_off(fabric: SwitchFabric, removed: np.ndarray, lost_nodes: range = range(0)) -> int:
    """GPUs that no longer reach the rest of the fabric: for every plane, their rail's leaf is gone or no
    longer in the part of that plane (and rail) that holds most of its GPUs. Lost nodes are not counted
    here (their GPUs are lost, not cut off)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    spec = fabric.spec
    n = fabric.vertices
    keep = ~removed[fabric.edge_u] & ~removed[fabric.edge_v]
    graph = coo_matrix((np.ones(keep.sum(), dtype=np.int8), (fabric.edge_u[keep], fabric.edge_v[keep])),
                       shape=(n, n))
    _, label = connected_components(graph, directed=False)
    live = fabric.group_nodes - fabric.nodes_on_groups(lost_nodes)
    reachable = np.zeros((len(live), spec.rails), dtype=bool)
    for plane in range(spec.planes):
        for rail in range(spec.rails):
            ids = plane * fabric.per_plane + np.arange(len(live)) * spec.rails + rail
            up = ~removed[ids] & (live > 0)
            if not up.any():
                continue
            weight = np.bincount(label[ids[up]], weights=live[up])
            main = int(np.argmax(weight))
            reachable[:, rail] |= up & (label[ids] == main)
    gpus_per_rail = np.bincount(np.arange(spec.gpus_per_node) % spec.rails, minlength=spec.rails)
    return int(((~reachable) * live[:, None] * gpus_per_rail[None, :]).sum())
