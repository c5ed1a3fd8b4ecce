"""Fabric exports: the only place topology writes files.

GraphML (yEd, Gephi; attribute types declared), node-link JSON, DOT (NVIDIA Air / UFM roles), a
port-level cabling schedule CSV, a bill-of-materials CSV and a NetBox bulk-import bundle. Cable media and reach follow the tier a cable sits in (documented assumptions,
see REACH): node-leaf cables stay in a row, leaf-spine cross rows, spine-core cross the hall.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import networkx as nx

from topology.spec import REACH, cable_plan

_GRAPHML_TYPES = {bool: "boolean", int: "int", float: "double", str: "string"}


def _graphml_keys(items, domain: str) -> dict[str, str]:
    """Attribute name -> GraphML type, from the first value seen of each attribute."""
    keys: dict[str, str] = {}
    for data in items:
        for name, value in data.items():
            if name not in keys:
                keys[name] = _GRAPHML_TYPES.get(type(value), "string")
    return keys


def write_graphml(g: nx.Graph, path: str | os.PathLike) -> None:
    """GraphML with declared attribute types, streamed to disk (networkx's writer holds the whole XML tree
    in memory: 118 s and several GiB for a 1 GW site)."""
    from xml.sax.saxutils import escape, quoteattr

    node_keys = _graphml_keys((d for _, d in g.nodes(data=True)), "node")
    edge_keys = _graphml_keys((d for _, _, d in g.edges(data=True)), "edge")
    graph_keys = {k: _GRAPHML_TYPES.get(type(v), "string") for k, v in g.graph.items()}

    opening = {k: f"<data key={quoteattr(k)}>" for k in {**graph_keys, **node_keys, **edge_keys}}

    def text(value) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        return escape(value) if isinstance(value, str) else str(value)

    def data_xml(data: dict) -> str:
        return "".join([f"{opening[k]}{text(v)}</data>" for k, v in data.items()])

    with open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n'
                  '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
                  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                  'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
                  'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n')
        for domain, keys in (("graph", graph_keys), ("node", node_keys), ("edge", edge_keys)):
            for name, kind in keys.items():
                out.write(f'<key id={quoteattr(name)} for="{domain}" attr.name={quoteattr(name)} '
                          f'attr.type="{kind}"/>\n')
        out.write(f'<graph edgedefault="undirected">{data_xml(g.graph)}\n')
        ids = {node: quoteattr(str(node)) for node in g}
        for node, data in g.nodes(data=True):
            out.write(f"<node id={ids[node]}>{data_xml(data)}</node>\n")
        for u, v, data in g.edges(data=True):
            out.write(f"<edge source={ids[u]} target={ids[v]}>{data_xml(data)}</edge>\n")
        out.write("</graph>\n</graphml>\n")


def write_node_link_json(g: nx.Graph, path: str | os.PathLike) -> None:
    """networkx node-link JSON (`nx.node_link_graph(data, edges="edges")` reads it), streamed item by item."""
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    with open(path, "w", encoding="utf-8") as out:
        out.write(f'{{"directed":false,"multigraph":false,"graph":{dumps(g.graph)},"nodes":[')
        for i, (node, data) in enumerate(g.nodes(data=True)):
            out.write(("," if i else "") + dumps({**data, "id": node}))
        out.write('],"edges":[')
        for i, (u, v, data) in enumerate(g.edges(data=True)):
            out.write(("," if i else "") + dumps({**data, "source": u, "target": v}))
        out.write("]}")


def cabling_rows(g: nx.Graph, phase: str = ""):
    """One row per cable: a_device, a_port, b_device, b_port, media, reach_class, phase_added.

    Ports are numbered per device from 1 in the order its links are listed; the lower tier is the A end.
    `phase_added` is the later phase of the two ends when the graph carries phases (`annotate_phases`),
    else `phase`.
    """
    next_port: dict[str, int] = {}
    cpo = g.graph.get("switch_optics") == "cpo"  # co-packaged switch ports take single-mode fibre
    for u, v, data in g.edges(data=True):
        kind = data["kind"]
        if kind not in REACH:
            continue
        a, b = (u, v) if g.nodes[u]["tier"] <= g.nodes[v]["tier"] else (v, u)
        media, reach = REACH[kind]
        media = "optical-single-mode" if cpo else media
        ends = (g.nodes[a], g.nodes[b])
        if "phase_order" in ends[0] and "phase_order" in ends[1]:
            phase = max(ends, key=lambda e: e["phase_order"])["phase"]
        for _ in range(data["links"]):
            a_port = next_port[a] = next_port.get(a, 0) + 1
            b_port = next_port[b] = next_port.get(b, 0) + 1
            yield (a, f"p{a_port}", b, f"p{b_port}", media, reach, phase)


def write_cabling_csv(g: nx.Graph, path: str | os.PathLike, phase: str = "") -> int:
    """Stream the cabling schedule to disk; returns the number of cables written."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["a_device", "a_port", "b_device", "b_port", "media", "reach_class", "phase_added"])
        for row in cabling_rows(g, phase):
            writer.writerow(row)
            count += 1
    return count


def write_bom_csv(bom: dict, path: str | os.PathLike, switch_model: str = "", switch_optics: str = "pluggable") -> None:
    """The bill of materials (from `topology.spec.bill_of_materials`) as item,kind,count,model rows; cables,
    transceivers and co-packaged ports per tier come from `topology.spec.cable_plan`, as in the summary."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item", "kind", "count", "model"])
        writer.writerow(["gpu", "gpu", bom["gpus"], ""])
        for role, count in bom["switches"].items():
            writer.writerow(["switch", role, count, switch_model])
        for kind, tier in cable_plan(bom, switch_optics).items():
            writer.writerow(["cable", kind, tier["cables"], tier["media"]])
            writer.writerow(["transceiver", kind, tier["pluggable_transceivers"], tier["media"]])
            if tier["cpo_ports"]:
                writer.writerow(["cpo-port", kind, tier["cpo_ports"], switch_model])


DOT_FUNCTION = {"node": "host", "leaf": "leaf", "spine": "spine", "core": "super_spine"}


def write_dot(g: nx.Graph, path: str | os.PathLike) -> None:
    """DOT with switch roles leaf / spine / super_spine and port-to-port edges (NVIDIA Air, UFM cable
    validation); hosts are the compute nodes. Streamed to disk."""
    with open(path, "w", encoding="utf-8") as out:
        out.write('graph "fabric" {\n')
        for node, data in g.nodes(data=True):
            if data["role"] in DOT_FUNCTION:
                out.write(f'  "{node}" [function="{DOT_FUNCTION[data["role"]]}"]\n')
        for a, a_port, b, b_port, *_ in cabling_rows(g):
            out.write(f'  "{a}":"{a_port}" -- "{b}":"{b_port}"\n')
        out.write("}\n")


NETBOX_ROLE = {"node": "gpu-compute", "leaf": "leaf", "spine": "spine", "core": "super-spine"}


def write_netbox(g: nx.Graph, directory: str | os.PathLike, site: str, node_model: str,
                 switch_model: str) -> list[str]:
    """A NetBox bulk-import bundle: sites.csv, racks.csv, devices.csv, cables.csv (lower_snake columns,
    slug values). Compute nodes sit in the rack of their NVLink domain (or of their SU), switches in a
    network rack per SU (leaves) or per plane (spines and cores). `switch_model` is the NetBox
    devicetype-library name (e.g. `Nvidia/QM9700`) when one exists."""
    out = Path(directory)
    manufacturer, _, model = switch_model.partition("/") if "/" in switch_model else ("Nvidia", "", switch_model)
    paths = [out / name for name in ("sites.csv", "racks.csv", "devices.csv", "cables.csv")]
    with open(paths[0], "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "slug", "status"])
        writer.writerow([site, site.lower().replace(" ", "-"), "planned"])

    def rack_of(node: str, data: dict) -> str:
        if data["role"] == "node":
            domain = next((x for x in g.neighbors(node) if g.nodes[x]["role"] == "nvlink_domain"), None)
            return domain or f"su{data['su']}-compute"
        if data["role"] == "leaf":
            return f"su{data['su']}-network"
        return f"plane{data['plane']}-{data['role']}s"

    racks: dict[str, None] = {}
    with open(paths[2], "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "role", "manufacturer", "device_type", "site", "rack", "status"])
        for node, data in g.nodes(data=True):
            if data["role"] not in NETBOX_ROLE:
                continue
            rack = rack_of(node, data)
            racks[rack] = None
            switch = data["role"] != "node"
            writer.writerow([node, NETBOX_ROLE[data["role"]], manufacturer if switch else "Nvidia",
                             (model or switch_model) if switch else node_model, site, rack, "planned"])
    with open(paths[1], "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["site", "name", "status"])
        for rack in racks:
            writer.writerow([site, rack, "planned"])
    with open(paths[3], "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["side_a_device", "side_a_type", "side_a_name", "side_b_device", "side_b_type",
                         "side_b_name", "type", "status"])
        for a, a_port, b, b_port, media, *_ in cabling_rows(g):
            cable_type = "smf" if "single-mode" in media else "mmf"
            writer.writerow([a, "dcim.interface", a_port, b, "dcim.interface", b_port, cable_type, "planned"])
    return [str(p) for p in paths]


def export(g: nx.Graph, bom: dict, directory: str | os.PathLike, formats: list[str],
           site: str = "fabric", node_model: str = "compute-node", switch_model: str = "",
           switch_optics: str = "pluggable") -> dict[str, str]:
    """Write the requested formats into a directory; returns {format: path}."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    g.graph["switch_optics"] = switch_optics  # the cabling's media follow the switch ports (topology.spec.cable_plan)
    written = {}
    for fmt in formats:
        if fmt == "graphml":
            path = out / "fabric.graphml"
            write_graphml(g, path)
        elif fmt == "json":
            path = out / "fabric.json"
            write_node_link_json(g, path)
        elif fmt == "cabling":
            path = out / "cabling.csv"
            write_cabling_csv(g, path)
        elif fmt == "bom-csv":
            path = out / "bom.csv"
            write_bom_csv(bom, path, switch_model, switch_optics)
        elif fmt == "dot":
            path = out / "fabric.dot"
            write_dot(g, path)
        elif fmt == "netbox":
            path = out / "netbox"
            path.mkdir(exist_ok=True)
            write_netbox(g, path, site, node_model, switch_model)
        else:
            raise ValueError(f"unknown export format {fmt!r}")
        written[fmt] = str(path)
    return written
