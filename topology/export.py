"""Fabric exports: the only place topology writes files (the NetBox bundle is in `topology.netbox`).

GraphML (yEd, Gephi; attribute types declared, each key id once), node-link JSON, DOT in NVIDIA Air's
conventions, UFM's P2P cabling sheet (InfiniBand), a port-level cabling schedule CSV, a bill-of-materials
CSV and a NetBox import bundle. Every export names ports the same way (`topology.ports`). Cable media and
reach follow the tier a cable sits in and the switch's optics (`topology.spec.cable_plan`): node-leaf
cables stay in a row, leaf-spine cross rows, spine-core cross the hall.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import NamedTuple

import networkx as nx

from topology.atomic import atomic_open, atomic_path
from topology.ports import DeviceModel, nic_name
from topology.spec import REACH, cable_plan

DETAIL_FORMATS = ("dot", "cabling", "netbox", "ufm")  # need every tray's ports: not from a compact graph

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

    # key ids are unique per domain (g_, n_, e_): an attribute of both nodes and edges is declared twice, once each
    prefix = {"graph": "g_", "node": "n_", "edge": "e_"}
    opening = {domain: {k: f"<data key={quoteattr(prefix[domain] + k)}>" for k in keys}
               for domain, keys in (("graph", graph_keys), ("node", node_keys), ("edge", edge_keys))}

    def text(value) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        return escape(value) if isinstance(value, str) else str(value)

    memo: dict[tuple, str] = {}  # (domain, key, type, value) -> its <data> element: values repeat a lot

    def data_xml(domain: str, data: dict) -> str:
        parts = []
        for k, v in data.items():
            item = (domain, k, type(v), v)
            piece = memo.get(item)
            if piece is None:
                if len(memo) > 1_000_000:  # bounded: ids and other unique values would only fill it
                    memo.clear()
                piece = memo[item] = f"{opening[domain][k]}{text(v)}</data>"
            parts.append(piece)
        return "".join(parts)

    with atomic_open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n'
                  '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
                  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                  'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
                  'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n')
        for domain, keys in (("graph", graph_keys), ("node", node_keys), ("edge", edge_keys)):
            for name, kind in keys.items():
                out.write(f'<key id={quoteattr(prefix[domain] + name)} for="{domain}" attr.name={quoteattr(name)} '
                          f'attr.type="{kind}"/>\n')
        out.write(f'<graph edgedefault="undirected">{data_xml("graph", g.graph)}\n')
        ids = {node: quoteattr(str(node)) for node in g}
        for node, data in g.nodes(data=True):
            out.write(f"<node id={ids[node]}>{data_xml('node', data)}</node>\n")
        for u, v, data in g.edges(data=True):
            out.write(f"<edge source={ids[u]} target={ids[v]}>{data_xml('edge', data)}</edge>\n")
        out.write("</graph>\n</graphml>\n")


def write_node_link_json(g: nx.Graph, path: str | os.PathLike) -> None:
    """networkx node-link JSON (`nx.node_link_graph(data, edges="edges")` reads it), streamed item by item."""
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    with atomic_open(path, "w", encoding="utf-8") as out:
        out.write(f'{{"directed":false,"multigraph":false,"graph":{dumps(g.graph)},"nodes":[')
        for i, (node, data) in enumerate(g.nodes(data=True)):
            out.write(("," if i else "") + dumps({**data, "id": node}))
        out.write('],"edges":[')
        for i, (u, v, data) in enumerate(g.edges(data=True)):
            out.write(("," if i else "") + dumps({**data, "source": u, "target": v}))
        out.write("]}")


class Cable(NamedTuple):
    """One cable: the lower-tier end first. A switch end carries its port number (from 1, in the order
    its links are listed: a leaf's node ports first); a node end carries its NIC index (plane x rails + rail)."""

    a: str
    a_port: int
    a_role: str
    b: str
    b_port: int
    b_role: str
    kind: str
    phase: str


def cables(g: nx.Graph, phase: str = ""):
    """Every cable of a full-detail graph. `phase` is each cable's phase_added, unless the graph carries
    phases (`annotate_phases`): then the later phase of its two ends. ValueError on a compact graph."""
    if g.graph.get("compact"):
        raise ValueError("a compact graph has no per-tray ports: " + ", ".join(DETAIL_FORMATS) + " need the full graph")
    next_port: dict[str, int] = {}
    rails = g.graph["rails"]
    attrs = dict(g.nodes(data=True))  # one dict lookup per end instead of a NodeView call
    for u, v, data in g.edges(data=True):
        kind = data["kind"]
        if kind not in REACH:
            continue
        du, dv = attrs[u], attrs[v]
        a, b, da, db = (u, v, du, dv) if du["tier"] <= dv["tier"] else (v, u, dv, du)
        if "phase_order" in da and "phase_order" in db:
            phase = (da if da["phase_order"] >= db["phase_order"] else db)["phase"]
        a_role, b_role = da["role"], db["role"]
        for _ in range(data["links"]):
            if a_role == "node":
                a_port = db["plane"] * rails + db["rail"]
            else:
                a_port = next_port[a] = next_port.get(a, 0) + 1
            b_port = next_port[b] = next_port.get(b, 0) + 1
            yield Cable(a, a_port, a_role, b, b_port, b_role, kind, phase)


def port_name(cable_end_role: str, port: int, switch: DeviceModel, rails: int) -> str:
    """The name of a cable end's port: the switch model's template, or the node's NIC name."""
    if cable_end_role == "node":
        return nic_name(switch.protocol, *divmod(port, rails), rails)
    return switch.port_name(port)


class PortNames:
    """`port_name` for every port of a fabric, computed once (a 1 GW site has millions of cable ends)."""

    def __init__(self, g: nx.Graph, switch: DeviceModel):
        rails, planes = g.graph["rails"], g.graph["planes"]
        self.switch = [""] + [switch.port_name(n) for n in range(1, switch.ports + 1)]
        self.nic = [nic_name(switch.protocol, *divmod(i, rails), rails) for i in range(rails * planes)]

    def of(self, role: str, port: int) -> str:
        return self.nic[port] if role == "node" else self.switch[port]


def media_of(kind: str, switch: DeviceModel) -> tuple[str, str]:
    """(media, reach class) of a cable of this tier (co-packaged switch ports take single-mode fibre)."""
    media, reach = REACH[kind]
    return ("optical-single-mode" if switch.optics == "cpo" else media), reach


def write_cabling_csv(g: nx.Graph, path: str | os.PathLike, switch: DeviceModel, phase: str = "") -> int:
    """Stream the cabling schedule to disk; returns the number of cables written."""
    count, names = 0, PortNames(g, switch)
    media = {kind: media_of(kind, switch) for kind in REACH}
    with atomic_open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["a_device", "a_port", "b_device", "b_port", "media", "reach_class", "phase_added"])
        for c in cables(g, phase):
            writer.writerow((c.a, names.of(c.a_role, c.a_port), c.b, names.of(c.b_role, c.b_port), *media[c.kind],
                             c.phase))
            count += 1
    return count


def write_bom_csv(bom: dict, path: str | os.PathLike, switch_model: str = "", switch_optics: str = "pluggable") -> None:
    """The bill of materials (from `topology.spec.bill_of_materials`) as item,kind,count,model rows; cables,
    transceivers and co-packaged ports per tier come from `topology.spec.cable_plan`, as in the summary."""
    with atomic_open(path, "w", encoding="utf-8", newline="") as handle:
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


DOT_FUNCTION = {"node": "server", "leaf": "leaf", "spine": "spine", "core": "super_spine"}
DOT_OS = {"ethernet": "cumulus-vx", "infiniband": "nvos"}
HOST_OS = "generic/ubuntu2204"


def write_dot(g: nx.Graph, path: str | os.PathLike, switch: DeviceModel) -> None:
    """DOT in NVIDIA Air's conventions: every device with `function` (server, leaf, spine, super_spine) and
    `os` (cumulus-vx for Spectrum switches, generic/ubuntu2204 for hosts), every cable port to port with
    the real interface names (swpN on Spectrum switches, ethN on hosts). An Ethernet fabric loads into Air
    as a simulation and into UFM's cable validation; for InfiniBand, UFM takes the P2P sheet (`ufm`)."""
    rails = g.graph["rails"]
    with atomic_open(path, "w", encoding="utf-8") as out:
        out.write('graph "fabric" {\n')
        for node, data in g.nodes(data=True):
            if data["role"] in DOT_FUNCTION:
                os_name = HOST_OS if data["role"] == "node" else DOT_OS[switch.protocol]
                out.write(f'  "{node}" [function="{DOT_FUNCTION[data["role"]]}" os="{os_name}"]\n')
        for c in cables(g):
            out.write(f'  "{c.a}":"{port_name(c.a_role, c.a_port, switch, rails)}" -- '
                      f'"{c.b}":"{port_name(c.b_role, c.b_port, switch, rails)}"\n')
        out.write("}\n")


P2P_COLUMNS = ("A-Node Name", "A-Type", "A-Port", "Z-Node Name", "Z-Type", "Z-Port")


def write_ufm_p2p(g: nx.Graph, directory: str | os.PathLike, switch: DeviceModel) -> list[str]:
    """UFM Cable Validation's P2P file for an InfiniBand fabric: `ufm-p2p.xlsx`, one row per cable (A-Node
    Name, A-Type, A-Port, Z-Node Name, Z-Type, Z-Port; hosts by HCA port number, switches by their UFM port
    names), and `hca_mapping.csv` (port,hca-name: HCA port i is mlx5_<i-1>, UFM's default). ValueError for
    an Ethernet fabric (UFM validates those against the DOT file)."""
    from openpyxl import Workbook

    if switch.protocol != "infiniband":
        raise ValueError("ufm: the P2P sheet is for InfiniBand fabrics; "
                         "an Ethernet fabric validates against --format dot")
    out = Path(directory)
    rails = g.graph["rails"]
    book = Workbook(write_only=True)
    sheet = book.create_sheet("P2P")
    sheet.append(list(P2P_COLUMNS))
    used: set[int] = set()
    for c in cables(g):
        if c.a_role == "node":
            used.add(c.a_port)
            a = [c.a, "Host", c.a_port + 1]
        else:
            a = [c.a, "Switch", switch.ufm_port(c.a_port)]
        sheet.append(a + [c.b, "Switch", switch.ufm_port(c.b_port)])
    with atomic_path(out / "ufm-p2p.xlsx") as tmp:
        book.save(tmp)
    with atomic_open(out / "hca_mapping.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["port", "hca-name"])
        for i in sorted(used):
            writer.writerow([i + 1, nic_name("infiniband", *divmod(i, rails), rails)])
    return [str(out / "ufm-p2p.xlsx"), str(out / "hca_mapping.csv")]


def export(g: nx.Graph, bom: dict, directory: str | os.PathLike, formats: list[str], switch: DeviceModel,
           netbox: dict | None = None, clusters: int = 1) -> dict[str, str]:
    """Write the requested formats into a directory; returns {format: path}. `netbox` holds the bundle's
    site, cluster and compute-tray names (`topology.netbox.write_netbox`'s keyword arguments); the bundle
    holds `clusters` copies of the graph (a site's identical clusters, c0, c1, ...), the other formats one."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    if g.graph.get("compact") and set(formats) & set(DETAIL_FORMATS):
        raise ValueError(f"{', '.join(f for f in formats if f in DETAIL_FORMATS)}: a compact graph draws each "
                         "scalable unit's nodes as one vertex and has no per-tray ports; drop --compact")
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
            write_cabling_csv(g, path, switch)
        elif fmt == "bom-csv":
            path = out / "bom.csv"
            write_bom_csv(bom, path, switch.model, switch.optics)
        elif fmt == "dot":
            path = out / "fabric.dot"
            write_dot(g, path, switch)
        elif fmt == "ufm":
            path = out / "ufm-p2p.xlsx"
            write_ufm_p2p(g, out, switch)
        elif fmt == "netbox":
            from topology.netbox import write_netbox

            path = out / "netbox"
            labels = [f"c{i}" for i in range(clusters)] if clusters > 1 else [""]
            write_netbox([(label, g) for label in labels], path, switch=switch, **(netbox or {}))
        else:
            raise ValueError(f"unknown export format {fmt!r}")
        written[fmt] = str(path)
    return written
