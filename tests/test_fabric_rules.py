"""Topology rules an architect signs off: spines for one SU, several leaves per rail, GPUs tied to their
rail, and failure / path figures checked against max-flow and path counts on the full graph."""

from __future__ import annotations

import networkx as nx
import pytest

from topology.analysis import bisection_gbps, failure_impact, failures_and_paths, gpu_pair_paths, maxflow_bisection_gbps
from topology.clos import counts, ports_used, rail_optimized_clos
from topology.flow import bisection_links, switch_fabric
from topology.spec import FabricError, FabricSpec, bill_of_materials, size_fabric


def spec_of(**overrides) -> FabricSpec:
    base = dict(nodes=128, gpus_per_node=4, rails=4, planes=1, port_gbps=800, switch_radix=64, nodes_per_su=32)
    base.update(overrides)
    return FabricSpec(**base)


def b300_su(**overrides) -> FabricSpec:
    """NVIDIA's B300 busbar SU: 64 nodes of 8 GPUs on 64-port switches, 16 leaves (REFERENCES.md)."""
    return spec_of(**{"nodes": 64, "gpus_per_node": 8, "rails": 8, "nodes_per_su": 64, **overrides})


def test_one_scalable_unit_gets_a_spine_layer():
    spec = spec_of(nodes=32)
    size = size_fabric(spec)
    # 4 rail leaves of 32 uplinks; 16 parallel links per leaf-spine pair fill a 64-port spine: 2 spines
    assert (size.tiers, size.leaves_per_plane, size.spines_per_plane, size.links_leaf_spine) == (2, 4, 2, 16)
    cross = gpu_pair_paths(spec, size, (0, 0), (31, 1))
    assert cross["switch_hops"] == 3 and cross["ecmp_paths"] == 2 * 16 * 16  # every rail reaches every other


def test_rail_only_is_an_explicit_single_su_option_whose_rails_are_disjoint():
    spec = spec_of(nodes=32, rail_only=True)
    size = size_fabric(spec)
    assert size.tiers == 1 and size.spines_per_plane == 0 and size.leaves_per_plane == 4
    g = rail_optimized_clos(spec)
    switches = g.subgraph(v for v, d in g.nodes(data=True) if d["role"] == "leaf")
    assert nx.number_connected_components(switches) == 4  # one network per rail
    cross = gpu_pair_paths(spec, size, (0, 0), (31, 1))
    assert cross["switch_hops"] is None and cross["ecmp_paths"] == 0  # only an NVLink relay joins rails
    assert gpu_pair_paths(spec, size, (0, 0), (31, 0))["switch_hops"] == 1
    with pytest.raises(FabricError, match="rail_only: a rail-only network is one tier"):
        size_fabric(spec_of(nodes=33, rail_only=True))


def test_b300_scalable_unit_has_two_leaves_per_rail():
    spec = b300_su()
    size = size_fabric(spec)
    assert size.leaves_per_rail == 2 and size.leaves_per_plane == 16 and size.leaf_downlinks == 32
    g = rail_optimized_clos(spec)
    assert counts(g)["roles"]["leaf"] == 16
    # nodes fill the leaves of their rail in order: 0-31 on the first, 32-63 on the second
    assert "p0-leaf-su0-r3-0" in g["node-31"] and "p0-leaf-su0-r3-1" in g["node-32"]
    assert all(ports_used(g, v) <= 64 for v, d in g.nodes(data=True) if d["role"] in ("leaf", "spine"))


def test_leaves_per_rail_can_be_given_and_spreads_nodes_evenly():
    spec = spec_of(nodes=144, nodes_per_su=144, leaves_per_rail=6)
    size = size_fabric(spec)
    assert size.leaf_downlinks == 24 and size.leaves_per_plane == 24
    bom = bill_of_materials(spec, size)
    c = counts(rail_optimized_clos(spec))
    assert bom["switches"] == {role: c["roles"].get(role, 0) for role in ("leaf", "spine", "core")}
    with pytest.raises(FabricError, match="more than the switch radix"):
        size_fabric(spec_of(nodes=144, nodes_per_su=144, leaves_per_rail=2))  # 72 node ports per leaf


SPECS = [
    spec_of(),                                       # 4 SUs, 2 tiers
    spec_of(nodes=100),                              # a partial last SU
    spec_of(nodes=96),                               # 3 SUs: the halves split an SU
    spec_of(nodes=128, planes=2, oversubscription=2),  # leaf uplinks are the cut
    spec_of(nodes=40, nodes_per_su=40),              # one SU, 2 leaves per rail
    b300_su(), b300_su(nodes=150),                   # several leaves per rail, partial SU
    spec_of(nodes=32, rail_only=True),               # rail-only
    spec_of(nodes=700, gpus_per_node=1, rails=1, switch_radix=16, nodes_per_su=8),  # 3 tiers, pods
    spec_of(nodes=8 ** 3 // 4, gpus_per_node=1, rails=1, switch_radix=8, nodes_per_su=4),  # fat tree k=8
]


@pytest.mark.parametrize("spec", SPECS)
def test_bisection_closed_form_equals_both_max_flows(spec):
    """The closed form, networkx's max-flow on the full graph and scipy's on the switch network agree."""
    closed = bisection_gbps(spec, size_fabric(spec))
    assert maxflow_bisection_gbps(rail_optimized_clos(spec)) == pytest.approx(closed)
    assert bisection_links(switch_fabric(spec)) * spec.port_gbps == pytest.approx(closed)


def test_full_bisection_is_half_the_endpoint_bandwidth_and_oversubscription_cuts_it():
    full = spec_of()
    assert bisection_gbps(full, size_fabric(full)) == 128 * 4 / 2 * 800
    over = spec_of(oversubscription=4)
    assert bisection_gbps(over, size_fabric(over)) == 128 * 4 / 2 * 800 / 4


def _graph_without(spec: FabricSpec, element: str) -> nx.Graph:
    g = rail_optimized_clos(spec)
    kind, _, name = element.partition(":")
    if kind == "plane":
        g.remove_nodes_from([v for v, d in g.nodes(data=True) if d.get("plane") == int(name)])
    else:
        g.remove_node(name)
    return g


@pytest.mark.parametrize("spec, element", [
    (spec_of(), "leaf:p0-leaf-su0-r0"), (spec_of(), "spine:p0-spine-pod0-0"),
    (spec_of(planes=2), "plane:1"), (b300_su(), "leaf:p0-leaf-su0-r7-1"),
    (SPECS[8], "core:p0-core-g1-2"), (SPECS[8], "spine:p0-spine-pod3-1"),
])
def test_bisection_after_a_failure_equals_max_flow_on_the_graph_without_it(spec, element):
    after = failure_impact(switch_fabric(spec), element)["bisection_gbps_after"]
    assert after == pytest.approx(maxflow_bisection_gbps(_graph_without(spec, element)))
    assert after < bisection_gbps(spec, size_fabric(spec))


def test_losing_the_only_plane_cuts_off_every_gpu():
    spec = b300_su()
    plane = failure_impact(switch_fabric(spec), "plane:0")
    assert plane["gpus_cut_off"] == 512 and plane["bisection_gbps_after"] == 0


def test_twin_planes_survive_one_plane_at_half_bisection():
    spec = spec_of(planes=2, nvlink_domain_gpus=16)
    fabric = switch_fabric(spec)
    plane = failure_impact(fabric, "plane:1")
    assert plane["gpus_cut_off"] == 0 and plane["injection_gbps_lost"] == 128 * 4 * 800
    assert plane["bisection_gbps_after"] == bisection_gbps(spec, size_fabric(spec)) / 2


def test_a_leaf_cuts_off_exactly_its_rail_gpus_when_there_is_one_plane():
    spec = b300_su()
    fabric = switch_fabric(spec)
    leaf = failure_impact(fabric, "leaf:p0-leaf-su0-r3-1")
    assert leaf["gpus_cut_off"] == 32  # rail 3's GPU on each of the 32 nodes of that leaf
    assert leaf["injection_gbps_lost"] == 32 * 800
    spine = failure_impact(fabric, "spine:p0-spine-pod0-0")
    assert spine["gpus_cut_off"] == 0 and spine["injection_gbps_lost"] == 0 and spine["uplink_gbps_lost"] > 0
    rack = failure_impact(switch_fabric(spec_of(nvlink_domain_gpus=16)), "domain:nvl-0")
    assert rack["gpus_cut_off"] == 16 and rack["injection_gbps_lost"] == 4 * 4 * 800  # 4 nodes x 4 rails


def test_unknown_elements_are_named():
    fabric = switch_fabric(spec_of())
    for element in ("leaf:p0-leaf-su9-r0", "spine:p0-spine-pod0-99", "plane:3", "domain:nvl-0", "rack:1"):
        with pytest.raises(ValueError, match="unknown element"):
            failure_impact(fabric, element)


def _link_paths(g: nx.Graph, a: str, b: str) -> int:
    """Shortest switch paths between two leaves on the full graph, counting parallel links."""
    switches = g.subgraph(v for v, d in g.nodes(data=True) if d["role"] in ("leaf", "spine", "core"))
    total = 0
    for path in nx.all_shortest_paths(switches, a, b):
        links = 1
        for u, v in zip(path, path[1:]):
            links *= switches[u][v]["links"]
        total += links
    return total


@pytest.mark.parametrize("spec", [spec_of(), b300_su(), SPECS[8], spec_of(nodes=256, switch_radix=32, nodes_per_su=16)])
def test_ecmp_paths_follow_the_rail_and_match_the_graph(spec):
    from topology.names import leaf_name
    from topology.spec import leaf_of_node

    size = size_fabric(spec)
    g = rail_optimized_clos(spec)
    for a, b in [((0, 0), (1, 0)), ((0, 0), (spec.nodes - 1, 0)), ((0, 0), (spec.nodes - 1, spec.rails - 1)),
                 ((0, 0), (spec.nodes // 2, 0))]:
        figures = gpu_pair_paths(spec, size, a, b)
        leaves = [leaf_name(0, *leaf_of_node(size, spec, n)[:1], k % spec.rails, leaf_of_node(size, spec, n)[1],
                            size.leaves_per_rail) for n, k in (a, b)]
        if leaves[0] == leaves[1]:
            assert (figures["switch_hops"], figures["ecmp_paths"]) == (1, 1)
            continue
        assert figures["switch_hops"] == nx.shortest_path_length(g, leaves[0], leaves[1]) + 1
        assert figures["ecmp_paths"] == _link_paths(g, *leaves)


def test_failures_and_paths_report_names_every_kind():
    report = failures_and_paths(spec_of(planes=2, nvlink_domain_gpus=16))
    kinds = [f["element"].split(":")[0] for f in report["failures"]]
    assert kinds == ["leaf", "spine", "plane", "domain"]
    assert report["bisection_gbps_maxflow"] == bisection_gbps(spec_of(planes=2), size_fabric(spec_of(planes=2)))
    same_rail = next(p for p in report["paths"] if p["same_rail"] and p["switch_hops"] == 3)
    size = size_fabric(spec_of(planes=2))
    assert same_rail["ecmp_paths"] == size.spines_per_group * size.links_leaf_spine ** 2


def test_summary_bom_csv_and_cabling_agree_on_optics_for_co_packaged_switches(tmp_path, capsys):
    """One source of media and optics: the summary's transceivers are the BOM CSV's, and CPO ports take
    single-mode fibre everywhere (the NIC end keeps its pluggable transceiver)."""
    import csv
    import json

    from planner.cli import main

    args = ["fabric", "--nodes", "256", "--gpus-per-node", "4", "--rails", "4", "--switch", "q3450",
            "--nodes-per-su", "72", "--format", "bom", "bom-csv", "cabling", "-o", str(tmp_path), "--json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    with open(tmp_path / "bom.csv") as handle:
        rows = list(csv.DictReader(handle))
    transceivers = sum(int(r["count"]) for r in rows if r["item"] == "transceiver")
    assert transceivers == report["media"]["pluggable_transceivers"] == report["cables"]["node_leaf"]
    cpo_ports = sum(int(r["count"]) for r in rows if r["item"] == "cpo-port")
    cables = report["cables"]
    assert cpo_ports == report["media"]["cpo_ports"] == cables["node_leaf"] + 2 * cables["leaf_spine"]
    assert {r["model"] for r in rows if r["item"] == "cable"} == {"optical-single-mode"}
    with open(tmp_path / "cabling.csv") as handle:
        assert {r["media"] for r in csv.DictReader(handle)} == {"optical-single-mode"}
    assert report["media"]["by_media"] == {"copper": 0, "optical-single-mode": sum(report["cables"].values())}


def _catalog():
    from planner.scenario.catalog import bundled_catalog

    cat = bundled_catalog()
    return {p["id"]: p for p in cat["platforms"]}, {s["id"]: s for s in cat["switches"]}


def test_catalog_scale_out_reproduces_nvidias_rack_figures():
    """Per-package scale-out times packages, both directions, is the published TB/s per rack
    (REFERENCES.md: 28.8 TB/s for Vera Rubin NVL144, 115.2 TB/s for Rubin Ultra NVL576)."""
    platforms, _ = _catalog()
    for pid, tb_per_s in (("vr-nvl144", 28.8), ("rubin-ultra-nvl576", 115.2)):
        p = platforms[pid]
        assert p["gpus_per_rack"] * p["scale_out_gbps_per_gpu"] * 2 / 8 / 1000 == pytest.approx(tb_per_s)
    kyber = platforms["rubin-ultra-nvl576"]
    assert kyber["gpus_per_rack"] // kyber["gpus_per_node"] == 4 * 18  # 4 pods x 18 compute blades
    assert kyber["gpu_dies_per_rack"] // (kyber["gpus_per_rack"] // kyber["gpus_per_node"]) == 8  # dies per blade
    assert "Vera Rubin NVL72" in platforms["vr-nvl144"]["name"]  # both names shown


def test_catalog_switch_power_follows_the_measured_figures():
    """System power without optics = measured all-in power minus the optics counted apart; other switches
    scale the measured Quantum-X800 watts per Tb/s of switching (REFERENCES.md)."""
    from topology.spec import OPTICS_W_PER_800G

    _, switches = _catalog()
    q3400, q3450 = switches["q3400"], switches["q3450"]
    assert q3400["power_w"]["default"] + 144 * OPTICS_W_PER_800G["pluggable"] == pytest.approx(7000, rel=0.01)
    assert q3450["power_w"]["default"] + 144 * OPTICS_W_PER_800G["cpo"] == pytest.approx(3950, rel=0.01)
    w_per_tbps = q3400["power_w"]["default"] / 115.2
    for sid in ("qm9700", "sn5600", "sn6810"):
        s = switches[sid]
        assert s["power_w"]["default"] == pytest.approx(w_per_tbps * s["ports"] * s["port_gbps"] / 1000, rel=0.05)
        low, high = s["power_w"]["range"]
        assert low <= s["power_w"]["default"] <= high


# NVIDIA DGX SuperPOD reference architectures, compute fabric component counts (SU count: leaf, spine,
# core switches; node-leaf, leaf-spine, spine-core cables), docs.nvidia.com/dgx-superpod:
# B200 (QM9700, 32 nodes of 8 GPUs per SU), B300 XDR (Q3400, 72 nodes per SU), B300 busbar (QM9700, 64 nodes
# per SU; its 8- and 16-SU rows are two-tier designs whose spines serve a subset of the leaves, which
# gwplan does not build: it adds a core tier there).
PUBLISHED = {
    ("b200", 64, 32): {2: (16, 8, 0, 512, 512, 0), 4: (32, 16, 0, 1024, 1024, 0), 8: (64, 32, 0, 2048, 2048, 0),
                       16: (128, 128, 64, 4096, 4096, 4096), 32: (256, 256, 128, 8192, 8192, 8192),
                       64: (512, 512, 256, 16384, 16384, 16384)},
    ("b300-xdr", 144, 72): {1: (8, 4, 0, 576, 576, 0), 2: (16, 8, 0, 1152, 1152, 0), 4: (32, 18, 0, 2304, 2304, 0),
                            8: (64, 36, 0, 4608, 4608, 0), 18: (144, 72, 0, 10368, 10368, 0)},
    ("b300-busbar", 64, 64): {1: (16, 8, 0, 512, 512, 0), 2: (32, 16, 0, 1024, 1024, 0), 4: (64, 32, 0, 2048, 2048, 0)},
}


@pytest.mark.parametrize("design", sorted(PUBLISHED))
def test_the_rules_reproduce_nvidias_published_superpod_tables(design):
    _, radix, per_su = design
    for sus, expected in PUBLISHED[design].items():
        spec = spec_of(nodes=sus * per_su, gpus_per_node=8, rails=8, switch_radix=radix, nodes_per_su=per_su)
        bom = bill_of_materials(spec, size_fabric(spec))
        got = (*bom["switches"].values(), *bom["cables"].values())
        assert got == expected, (design, sus)
