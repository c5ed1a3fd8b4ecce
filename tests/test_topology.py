"""Fabric sizing and generation against closed-form fabric formulas and graph invariants."""

from __future__ import annotations

import networkx as nx
import pytest

from topology.clos import counts, ports_used, rail_optimized_clos
from topology.spec import FabricError, FabricSpec, size_fabric


def fat_tree(k: int) -> FabricSpec:
    """Al-Fares' k-ary fat tree: k-port switches, k/2 hosts per edge switch."""
    return FabricSpec(nodes=k ** 3 // 4, gpus_per_node=1, rails=1, planes=1, port_gbps=400, switch_radix=k,
                      nodes_per_su=k // 2)


@pytest.mark.parametrize("k", [4, 8, 48])
def test_k_ary_fat_tree(k):
    size = size_fabric(fat_tree(k))
    assert size.tiers == 3
    assert size.leaves_per_plane + size.spines_per_plane + size.cores_per_plane == 5 * k * k // 4
    assert size.cores_per_plane == (k // 2) ** 2
    assert size.pods == k
    g = rail_optimized_clos(fat_tree(k))
    c = counts(g)
    assert c["roles"]["gpu"] == k ** 3 // 4
    assert c["roles"]["leaf"] + c["roles"]["spine"] + c["roles"]["core"] == 5 * k * k // 4
    assert c["roles"]["core"] == (k // 2) ** 2
    # every switch of a full fat tree uses exactly k ports
    assert all(ports_used(g, v) == k for v, d in g.nodes(data=True) if d["role"] in ("leaf", "spine", "core"))


@pytest.mark.parametrize("radix", [64, 144])
def test_clos_limits_at_the_boundaries(radix):
    """Non-blocking folded Clos of radix R reaches 2(R/2)^L endpoints in L tiers; one more adds a tier."""
    def spec(nodes):
        return FabricSpec(nodes=nodes, gpus_per_node=1, rails=1, planes=1, port_gbps=800, switch_radix=radix,
                          nodes_per_su=radix // 2)
    two, three = {64: (2_048, 65_536), 144: (10_368, 746_496)}[radix]  # REFERENCES.md
    assert size_fabric(spec(two)).tiers == 2
    assert size_fabric(spec(two + 1)).tiers == 3
    assert size_fabric(spec(three)).tiers == 3
    with pytest.raises(FabricError, match="more than three tiers"):
        size_fabric(spec(three + 1))
    full_two = size_fabric(spec(two))
    assert full_two.leaves_per_plane + full_two.spines_per_plane == 3 * (radix // 2)  # (2L-1)(R/2)^(L-1)


def rail_spec(**overrides):
    base = dict(nodes=300, gpus_per_node=4, rails=4, planes=2, port_gbps=800, switch_radix=64, nodes_per_su=32)
    base.update(overrides)
    return FabricSpec(**base)


def test_rail_optimized_multi_plane_invariants():
    spec = rail_spec()
    g = rail_optimized_clos(spec)
    size = size_fabric(spec)
    c = counts(g)
    assert size.sus == 10 and size.tiers == 2  # 10 SUs x 4 rails = 40 leaves <= 64
    assert c["roles"]["leaf"] == 10 * 4 * 2
    assert c["switches_by_plane"]["leaf"] == {0: 40, 1: 40}
    assert c["cables"]["node_leaf"] == 300 * 4 * 2
    # each leaf stripes its uplinks over every spine of its plane with the same whole number of links
    for leaf, d in g.nodes(data=True):
        if d["role"] != "leaf":
            continue
        ups = [(s, e["links"]) for _, s, e in g.edges(leaf, data=True) if e["kind"] == "leaf_spine"]
        assert len({links for _, links in ups}) == 1
        assert sum(links for _, links in ups) == size.leaf_uplinks
        assert {g.nodes[s]["plane"] for s, _ in ups} == {d["plane"]}
    # one leaf per rail per plane per SU: a node's ports land on distinct leaves, each of its own rail
    leaves = [n for n in g.neighbors("node-0") if g.nodes[n]["role"] == "leaf"]
    planes_and_rails = sorted((g.nodes[x]["plane"], g.nodes[x]["rail"]) for x in leaves)
    assert planes_and_rails == [(p, r) for p in range(2) for r in range(4)]


@pytest.mark.parametrize("spec", [rail_spec(), rail_spec(nodes=5000, switch_radix=64, planes=1),
                                  rail_spec(nodes=20, nodes_per_su=32), fat_tree(8)])
def test_no_switch_exceeds_its_radix_and_every_gpu_reaches_every_other(spec):
    g = rail_optimized_clos(spec)
    assert all(ports_used(g, v) <= spec.switch_radix for v, d in g.nodes(data=True)
               if d["role"] in ("leaf", "spine", "core"))
    scale_out = g.edge_subgraph((u, v) for u, v, e in g.edges(data=True) if e["kind"] != "nvlink")
    gpus = [v for v, d in g.nodes(data=True) if d["role"] == "gpu"]
    assert len(gpus) == spec.gpus
    assert nx.is_connected(scale_out.subgraph(set(scale_out) | set(gpus)))


def test_partial_scalable_unit():
    spec = rail_spec(nodes=70)  # SUs of 32, 32 and 6 nodes
    g = rail_optimized_clos(spec)
    assert size_fabric(spec).sus == 3
    assert ports_used(g, "p0-leaf-su2-r0") == 6 + size_fabric(spec).leaf_uplinks


def test_nvlink_domains_own_their_nodes():
    spec = rail_spec(nodes=36, nvlink_domain_gpus=72)  # NVL72: 18 nodes of 4 GPUs per domain
    c = counts(rail_optimized_clos(spec))
    assert c["roles"]["nvlink_domain"] == 2 and c["cables"]["nvlink"] == 36


@pytest.mark.parametrize("field, value, message", [
    ("nodes", 0, "nodes: expected a whole number >= 1"),
    ("oversubscription", 0.5, "oversubscription: expected a number >= 1"),
    ("leaves_per_rail", 0, "leaves_per_rail: expected a whole number from 1 to nodes_per_su"),
    ("nvlink_domain_gpus", 6, "nvlink_domain_gpus: expected a whole multiple of gpus_per_node"),
])
def test_impossible_specs_are_named(field, value, message):
    with pytest.raises(FabricError, match=message):
        size_fabric(rail_spec(**{field: value}))


def test_oversubscription_reduces_uplinks_and_spines():
    full = size_fabric(rail_spec(nodes=2000, planes=1))
    half = size_fabric(rail_spec(nodes=2000, planes=1, oversubscription=2))
    assert full.leaf_uplinks == 32 and half.leaf_uplinks == 16
    from topology.spec import oversubscription_by_tier
    assert oversubscription_by_tier(half) == {"leaf": 2.0, "spine": 1.0}
    assert half.spines_per_plane * half.links_leaf_spine <= full.spines_per_plane * full.links_leaf_spine


@pytest.mark.parametrize("spec", [rail_spec(), rail_spec(nodes=5000, planes=1), rail_spec(nodes=20), fat_tree(8),
                                  rail_spec(nodes=3000, oversubscription=3, switch_radix=144, nodes_per_su=64)])
def test_closed_form_bill_of_materials_matches_the_graph(spec):
    from topology.spec import bill_of_materials

    bom = bill_of_materials(spec, size_fabric(spec))
    c = counts(rail_optimized_clos(spec))
    assert bom["gpus"] == c["roles"]["gpu"]
    assert bom["switches"] == {role: c["roles"].get(role, 0) for role in ("leaf", "spine", "core")}
    assert bom["cables"] == {kind: c["cables"].get(kind, 0) for kind in ("node_leaf", "leaf_spine", "spine_core")}


@pytest.mark.parametrize("spec", [rail_spec(), rail_spec(nodes=5000, planes=1), rail_spec(nodes=20), fat_tree(8),
                                  rail_spec(nodes=3000, oversubscription=3, switch_radix=144, nodes_per_su=64)])
@pytest.mark.parametrize("compact", [False, True])
def test_graph_size_is_known_before_the_graph_is_built(spec, compact):
    """The memory guard's estimate is exact: vertices plus edges of the graph the generator builds."""
    from topology.clos import graph_elements

    g = rail_optimized_clos(spec, compact=compact)
    assert graph_elements(spec, compact) == g.number_of_nodes() + g.number_of_edges()


def test_a_graph_over_the_memory_limit_is_refused(monkeypatch):
    import topology.clos

    spec = rail_spec(nodes=5000, planes=1)
    monkeypatch.setattr(topology.clos, "MAX_GRAPH_ELEMENTS", topology.clos.graph_elements(spec) - 1)
    with pytest.raises(FabricError, match="--compact"):
        rail_optimized_clos(spec)
    assert rail_optimized_clos(spec, compact=True).number_of_nodes() > 0  # the compact graph still fits


def test_exports_read_back_with_networkx_give_the_same_counts(tmp_path):
    import csv
    import json

    from topology.export import export
    from topology.spec import bill_of_materials

    spec = rail_spec(nodes=100, nvlink_domain_gpus=8)
    g = rail_optimized_clos(spec)
    bom = bill_of_materials(spec, size_fabric(spec))
    from topology.ports import generic_switch

    paths = export(g, bom, tmp_path, ["graphml", "json", "cabling", "bom-csv"], generic_switch(64, 800))
    again = nx.read_graphml(paths["graphml"])
    assert counts(again) == counts(g)
    assert again.nodes["p1-leaf-su0-r3"]["rail"] == 3  # types declared: ints come back as ints
    with open(paths["json"]) as handle:
        linked = nx.node_link_graph(json.load(handle), edges="edges")
    assert counts(linked) == counts(g)
    with open(paths["cabling"]) as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == sum(bom["cables"].values())
    ends = [(r["a_device"], r["a_port"]) for r in rows] + [(r["b_device"], r["b_port"]) for r in rows]
    assert len(ends) == len(set(ends))  # no port used twice
    with open(paths["bom-csv"]) as handle:
        items = {(r["item"], r["kind"]): int(r["count"]) for r in csv.DictReader(handle)}
    assert items[("switch", "leaf")] == bom["switches"]["leaf"] and items[("gpu", "gpu")] == spec.gpus


@pytest.mark.parametrize("spec", [rail_spec(), rail_spec(nodes=256), rail_spec(nodes=5000, planes=1), fat_tree(8),
                                  rail_spec(nodes=70)])
def test_compact_mode_gives_the_same_counts_and_bisection(spec):
    from topology.analysis import maxflow_bisection_gbps

    full, compact = rail_optimized_clos(spec), rail_optimized_clos(spec, compact=True)
    c_full, c_compact = counts(full), counts(compact)
    assert c_compact["gpus"] == c_full["gpus"] == spec.gpus
    assert c_compact["cables"]["node_leaf"] == c_full["cables"]["node_leaf"]
    for role in ("leaf", "spine", "core"):
        assert c_compact["roles"].get(role) == c_full["roles"].get(role)
    assert c_compact["switches_by_plane"] == c_full["switches_by_plane"]
    if spec.nodes <= 300 and (spec.nodes // 2) % spec.nodes_per_su == 0:  # a gpu_group cannot straddle the halves
        assert maxflow_bisection_gbps(compact) == pytest.approx(maxflow_bisection_gbps(full))
    assert compact.number_of_nodes() < full.number_of_nodes()


def test_fabric_power_counts_switches_and_optics_at_both_cable_ends():
    from topology.spec import bill_of_materials, fabric_power_w

    spec = rail_spec(nodes=64, planes=1)  # 2 SUs x 4 rails = 8 leaves, 32 uplinks each over 4 spines
    bom = bill_of_materials(spec, size_fabric(spec))
    assert bom["switches"] == {"leaf": 8, "spine": 4, "core": 0}
    assert bom["cables"] == {"node_leaf": 256, "leaf_spine": 256, "spine_core": 0}
    pluggable = fabric_power_w(spec, bom, switch_w=1000.0, switch_optics="pluggable")
    assert pluggable == {"switches_w": 12_000.0, "optics_w": (256 + 2 * 256) * 30 + 256 * 30,
                         "total_w": 12_000.0 + 30_720.0}
    cpo = fabric_power_w(spec, bom, switch_w=1000.0, switch_optics="cpo")
    assert cpo["optics_w"] == (256 + 2 * 256) * 9 + 256 * 30  # NIC ends stay pluggable


def test_cables_by_media_and_transceivers():
    from topology.spec import bill_of_materials, cables_by_media

    spec = rail_spec(nodes=64, planes=1)
    bom = bill_of_materials(spec, size_fabric(spec))  # 256 node-leaf, 256 leaf-spine cables
    pluggable = cables_by_media(bom)
    assert pluggable["by_media"] == {"copper": 0, "optical-multimode": 256, "optical-single-mode": 256}
    assert pluggable["pluggable_transceivers"] == 2 * 512
    assert cables_by_media(bom, "cpo")["pluggable_transceivers"] == 256  # only the NIC ends


def test_partially_filled_top_tiers():
    """Spines of a fabric smaller than the 2-tier maximum have free ports; cores likewise in 3 tiers."""
    spec = rail_spec(planes=1)  # 40 leaves of 32 uplinks on radix-64 spines: 1 link to each of 32 spines
    g = rail_optimized_clos(spec)
    spine_ports = {ports_used(g, v) for v, d in g.nodes(data=True) if d["role"] == "spine"}
    assert spine_ports == {40} and size_fabric(spec).links_leaf_spine == 1
    three = rail_spec(nodes=5000, planes=1)  # 20 pods; each core meets 20 pods with 2 links: 40 of 64 ports
    g3 = rail_optimized_clos(three)
    assert {ports_used(g3, v) for v, d in g3.nodes(data=True) if d["role"] == "core"} == {40}
