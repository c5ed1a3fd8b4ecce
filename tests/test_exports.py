"""Fabric exports that real tools accept: a NetBox bundle checked against NetBox's import rules, DOT in
NVIDIA Air's conventions, UFM's P2P sheet, GraphML with each key declared once, and the --format option."""

from __future__ import annotations

import csv
import re

import pytest

from planner.cli import main
from tests.netbox_rules import check_bundle, read_csv

QM9700 = ["fabric", "--nodes", "72", "--gpus-per-node", "4", "--rails", "4", "--switch", "qm9700",
          "--nodes-per-su", "36", "--nvlink-domain-gpus", "72"]
SN5600 = ["fabric", "--nodes", "64", "--gpus-per-node", "8", "--rails", "8", "--switch", "sn5600",
          "--nodes-per-su", "32"]


def bom_of(capsys, args) -> dict:
    import json

    assert main([*args, "--format", "bom", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_netbox_bundle_imports_into_an_empty_netbox(tmp_path, capsys):
    bom = bom_of(capsys, QM9700)
    assert main([*QM9700, "--format", "netbox", "--site", "dc-1", "-o", str(tmp_path)]) == 0
    bundle = tmp_path / "netbox"
    assert check_bundle(bundle) == []
    _, devices = read_csv(bundle / "devices.csv")
    switches = [d for d in devices if d["role"] != "GPU compute"]
    assert len(switches) == sum(bom["switches"].values()) and len(devices) - len(switches) == 72
    assert {d["device_type"] for d in switches} == {"QM9700"} and all(d["name"].startswith("dc-1-") for d in devices)
    _, cables = read_csv(bundle / "cables.csv")
    assert len(cables) == sum(bom["cables"].values())
    # the devicetype-library's model and port names, all 64 ports
    qm9700 = (bundle / "device-types" / "Nvidia" / "nvidia-qm9700.yaml").read_text()
    assert "model: QM9700" in qm9700 and "name: P0.0" in qm9700 and "name: P31.1" in qm9700
    assert qm9700.count("- name:") == 64
    assert {c["side_a_name"] for c in cables if c["side_a_device"].startswith("dc-1-node-")} == {
        "mlx5_0", "mlx5_1", "mlx5_2", "mlx5_3"}  # one NIC port per rail
    assert "1. manufacturers.csv" in (bundle / "IMPORT.txt").read_text()


def test_a_radix_without_a_catalog_switch_gets_its_own_device_type(tmp_path):
    args = ["fabric", "--nodes", "40", "--gpus-per-node", "4", "--rails", "4", "--switch-radix", "32",
            "--port-gbps", "400", "--nodes-per-su", "16", "--format", "netbox", "-o", str(tmp_path)]
    assert main(args) == 0
    assert check_bundle(tmp_path / "netbox") == []
    _, devices = read_csv(tmp_path / "netbox" / "devices.csv")
    assert {d["device_type"] for d in devices if d["role"] == "Leaf"} == {"32-port 400G switch"}


def test_every_cluster_of_a_site_goes_into_its_bundle_with_names_unique_across_clusters(tmp_path):
    from topology.clos import rail_optimized_clos
    from topology.export import export
    from topology.ports import generic_switch
    from topology.spec import FabricSpec, bill_of_materials, size_fabric

    spec = FabricSpec(nodes=64, gpus_per_node=4, rails=4, planes=1, port_gbps=800, switch_radix=64, nodes_per_su=32)
    g = rail_optimized_clos(spec)
    export(g, bill_of_materials(spec, size_fabric(spec)), tmp_path, ["netbox"], generic_switch(64, 800),
           netbox={"site": "s1"}, clusters=2)
    assert check_bundle(tmp_path / "netbox") == []
    _, devices = read_csv(tmp_path / "netbox" / "devices.csv")
    per_cluster = sum(1 for _, d in g.nodes(data=True) if d["role"] in ("node", "leaf", "spine", "core"))
    assert len(devices) == 2 * per_cluster
    assert {d["cluster"] for d in devices} == {"s1-gpu-fabric-c0", "s1-gpu-fabric-c1"}


def test_plan_bundles_of_two_sites_share_no_device_name(gb200_plan, tmp_path):
    path, plan = gb200_plan
    assert main(["-q", "topology", str(path), "--phase", "2", "--format", "netbox", "-o", str(tmp_path)]) == 0
    bundles = sorted(tmp_path.glob("*/netbox"))
    assert len(bundles) == 2
    names = []
    for bundle in bundles:
        assert check_bundle(bundle) == []
        names += [d["name"] for d in read_csv(bundle / "devices.csv")[1]]
    assert len(names) == len(set(names))


def test_dot_follows_nvidia_air_conventions(tmp_path, capsys):
    bom = bom_of(capsys, SN5600)
    assert main([*SN5600, "--format", "dot", "-o", str(tmp_path)]) == 0
    dot = (tmp_path / "fabric.dot").read_text()
    devices = re.findall(r'^  "([^"]+)" \[function="(\w+)" os="([^"]+)"\]$', dot, flags=re.MULTILINE)
    functions = [f for _, f, _ in devices]
    assert functions.count("server") == 64 and functions.count("leaf") == bom["switches"]["leaf"]
    assert {os for _, f, os in devices if f != "server"} == {"cumulus-vx"}
    assert {os for _, f, os in devices if f == "server"} == {"generic/ubuntu2204"}
    edges = re.findall(r'^  "([^"]+)":"([^"]+)" -- "([^"]+)":"([^"]+)"$', dot, flags=re.MULTILINE)
    assert len(edges) == sum(bom["cables"].values())
    ends = [(a, pa) for a, pa, _, _ in edges] + [(b, pb) for _, _, b, pb in edges]
    assert len(ends) == len(set(ends))  # every port cabled once
    assert all(re.fullmatch(r"swp([1-9]|[1-5]\d|6[0-4])", p) for d, p in ends if "-leaf-" in d or "-spine-" in d)
    assert all(re.fullmatch(r"eth[1-8]", p) for d, p in ends if d.startswith("node-"))


def test_ufm_p2p_sheet_for_infiniband_and_a_clear_refusal_for_ethernet(tmp_path, capsys):
    from openpyxl import load_workbook

    args = ["fabric", "--nodes", "144", "--gpus-per-node", "4", "--rails", "4", "--switch", "q3400",
            "--nodes-per-su", "72"]
    bom = bom_of(capsys, args)
    assert main([*args, "--format", "ufm", "-o", str(tmp_path)]) == 0
    rows = list(load_workbook(tmp_path / "ufm-p2p.xlsx").active.values)
    assert rows[0] == ("A-Node Name", "A-Type", "A-Port", "Z-Node Name", "Z-Type", "Z-Port")
    assert len(rows) - 1 == sum(bom["cables"].values())
    hosts = [r for r in rows[1:] if r[1] == "Host"]
    assert len(hosts) == 144 * 4 and {r[2] for r in hosts} == {1, 2, 3, 4}
    assert all(re.fullmatch(r"sw([1-9]|[1-6]\d|7[0-2])p[12]", r[5]) for r in rows[1:])  # Q3400 port names
    with open(tmp_path / "hca_mapping.csv") as handle:
        assert list(csv.reader(handle)) == [["port", "hca-name"], ["1", "mlx5_0"], ["2", "mlx5_1"], ["3", "mlx5_2"],
                                            ["4", "mlx5_3"]]
    assert main([*SN5600, "--format", "ufm", "-o", str(tmp_path)]) == 2
    assert "InfiniBand" in capsys.readouterr().err


@pytest.mark.parametrize("formats", [["--format", "bom-csv", "--format", "dot"], ["--format", "bom-csv,dot"],
                                     ["--format", "bom-csv", "dot"]])
def test_formats_accumulate(formats, tmp_path):
    assert main([*SN5600, *formats, "-o", str(tmp_path)]) == 0
    assert (tmp_path / "bom.csv").exists() and (tmp_path / "fabric.dot").exists()


def test_unknown_format_and_compact_detail_are_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main([*SN5600, "--format", "bom-csv,pdf"])
    assert stop.value.code == 2 and "invalid choice 'pdf'" in capsys.readouterr().err
    assert main([*SN5600, "--compact", "--format", "netbox", "cabling", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--compact" in err and "netbox, cabling" in err and not (tmp_path / "netbox").exists()
    assert main([*SN5600, "--compact", "--format", "graphml", "-o", str(tmp_path)]) == 0


def test_graphml_declares_each_key_id_once_and_reads_back(tmp_path):
    import networkx as nx

    assert main([*QM9700, "--format", "graphml", "-o", str(tmp_path)]) == 0
    text = (tmp_path / "fabric.graphml").read_text()
    ids = re.findall(r'<key id="([^"]+)"', text)
    assert len(ids) == len(set(ids))
    g = nx.read_graphml(tmp_path / "fabric.graphml")
    assert g.graph["rails"] == 4 and g.nodes["p0-leaf-su0-r0-0"]["rail"] == 0  # 36 nodes per SU: 2 leaves per rail


def test_exports_replace_files_whole_and_never_write_through_a_symlink(tmp_path, monkeypatch):
    """An export interrupted half way leaves the old file as it was (and no temporary file); a symlink
    planted at an output path is replaced, its target untouched."""
    import topology.export
    from topology.clos import rail_optimized_clos
    from topology.export import export
    from topology.ports import generic_switch
    from topology.spec import FabricSpec, bill_of_materials, size_fabric

    spec = FabricSpec(nodes=64, gpus_per_node=4, rails=4, planes=1, port_gbps=800, switch_radix=64, nodes_per_su=32)
    g, bom = rail_optimized_clos(spec), bill_of_materials(spec, size_fabric(spec))
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_text("precious\n")
    (out / "cabling.csv").symlink_to(elsewhere)
    (out / "fabric.dot").write_text("OLD\n")
    export(g, bom, out, ["cabling"], generic_switch(64, 800))
    assert elsewhere.read_text() == "precious\n" and not (out / "cabling.csv").is_symlink()
    assert (out / "cabling.csv").read_text().startswith("a_device,")

    real = topology.export.cables

    def interrupted(*args, **kwargs):
        for i, cable in enumerate(real(*args, **kwargs)):
            if i == 100:
                raise KeyboardInterrupt
            yield cable

    monkeypatch.setattr(topology.export, "cables", interrupted)
    with pytest.raises(KeyboardInterrupt):
        export(g, bom, out, ["dot"], generic_switch(64, 800))
    assert (out / "fabric.dot").read_text() == "OLD\n"
    assert sorted(p.name for p in out.iterdir()) == ["cabling.csv", "fabric.dot"]  # no temporary left


def test_an_interrupted_export_leaves_the_whole_old_set(tmp_path, monkeypatch, capsys):
    """Ctrl-C after the first files of a set were written (GraphML, cabling) but while the last (DOT) is:
    every old file stays as it was, and no temporary file is left."""
    import topology.export
    from planner.cli import main

    out = tmp_path / "out"
    base = ["fabric", "--nodes", "64", "--gpus-per-node", "4", "--rails", "4", "--planes", "1", "--switch-radix", "64",
            "--port-gbps", "800", "--nodes-per-su", "32", "--format", "graphml", "cabling", "dot", "-o", str(out)]
    assert main(base) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(before) >= {"fabric.graphml", "cabling.csv", "fabric.dot"}

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(topology.export, "write_dot", interrupted)
    bigger = [a if a != "64" or i != 2 else "128" for i, a in enumerate(base)]  # --nodes 128: every file changes
    assert main(bigger) == 130
    assert "nothing was written" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # old set whole, no temporary
