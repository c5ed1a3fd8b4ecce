"""A NetBox import bundle for a site's fabric: files that load, in order, into an empty NetBox 4.x.

    manufacturers.csv, device-roles.csv, platforms.csv      (Organization / Devices > import)
    device-types/<Manufacturer>/<slug>.yaml                 (Device Types > import: devicetype-library YAML,
                                                             with interface templates)
    sites.csv, racks.csv, cluster-types.csv, clusters.csv
    devices.csv                                             (interfaces come from the device types)
    cables.csv                                              (device names + interface names)

Columns are NetBox's import-form field names, values its choice slugs; every reference (role, manufacturer,
device type, platform, site, rack, cluster, interface) resolves inside the bundle. Device names are
unique across sites and clusters (`<site>-[<cluster>-]<name>`), so bundles of several sites import into
one NetBox, and cables name each device unambiguously. Switches use the devicetype-library's model and
port names where the model is there (topology.ports); compute trays get a device type with one NIC port
per rail and plane. Placement (documented assumptions): 19-inch racks of 48 U; compute nodes in the rack
of their NVLink domain; switches in network racks of 42 usable U (6 U for patch panels), leaves by SU,
spines and cores by plane. `IMPORT.txt` in the bundle lists the order.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import networkx as nx
import yaml

from topology.atomic import atomic_open
from topology.export import cables, media_of, port_name
from topology.ports import DeviceModel, interface_type, nic_name, slugify

RACK_UNITS = 48
NETWORK_RACK_USABLE_U = 42
ROLES = {  # graph role -> (NetBox device role name, slug, colour)
    "node": ("GPU compute", "gpu-compute", "4caf50"),
    "leaf": ("Leaf", "leaf", "2196f3"),
    "spine": ("Spine", "spine", "3f51b5"),
    "core": ("Super-spine", "super-spine", "9c27b0"),
}
PLATFORM_OS = {"infiniband": "NVOS", "ethernet": "Cumulus Linux"}
CLUSTER_TYPE = "GPU fabric"
ORDER = ("manufacturers.csv", "device-roles.csv", "platforms.csv", "device-types/", "sites.csv", "racks.csv",
         "cluster-types.csv", "clusters.csv", "devices.csv", "cables.csv")


def write_netbox(clusters: list[tuple[str, nx.Graph]], directory: str | os.PathLike, switch: DeviceModel,
                 site: str = "fabric", node_model: str = "GPU compute tray", cluster: str = "gpu-fabric") -> list[str]:
    """Write the bundle for one site: `clusters` is [(label, full-detail graph)], one per cluster of the
    site ("" for a site with one). Returns the paths written."""
    out = Path(directory)
    (out / "device-types").mkdir(parents=True, exist_ok=True)
    first = clusters[0][1]
    rails, planes = first.graph["rails"], first.graph["planes"]
    tray = DeviceModel(manufacturer="Nvidia", model=node_model, ports=rails * planes,
                       port_gbps=first.graph["port_gbps"], protocol=switch.protocol)
    written = [
        _csv(out / "manufacturers.csv", ["name", "slug"],
             [[m, slugify(m)] for m in dict.fromkeys([switch.manufacturer, tray.manufacturer])]),
        _csv(out / "device-roles.csv", ["name", "slug", "color"], [list(r) for r in ROLES.values()]),
        _csv(out / "platforms.csv", ["name", "slug", "manufacturer"],
             [[PLATFORM_OS[switch.protocol], slugify(PLATFORM_OS[switch.protocol]), switch.manufacturer]]),
        _device_type(out, switch, [switch.port_name(n) for n in range(1, switch.ports + 1)], switch.port_type),
        _device_type(out, tray, [nic_name(switch.protocol, p, r, rails) for p in range(planes) for r in range(rails)],
                     interface_type(switch.protocol, tray.port_gbps)),
        _csv(out / "sites.csv", ["name", "slug", "status"], [[site, slugify(site), "planned"]]),
    ]
    racks: dict[str, None] = {}
    devices, cable_rows = [], []
    names = []
    for label, g in clusters:
        prefix = f"{site}-{label}-" if label else f"{site}-"
        cluster_name = f"{site}-{cluster}" + (f"-{label}" if label else "")
        names.append(cluster_name)
        for node, data in g.nodes(data=True):
            role = data["role"]
            if role not in ROLES:
                continue
            rack = prefix + _rack_of(g, node, data, switch)
            racks[rack] = None
            model = tray if role == "node" else switch
            devices.append([prefix + node, ROLES[role][0], model.manufacturer, model.model,
                            "" if role == "node" else PLATFORM_OS[switch.protocol], site, rack, "planned",
                            cluster_name])
        for c in cables(g):
            cable_type = "smf" if "single-mode" in media_of(c.kind, switch)[0] else "mmf"
            cable_rows.append([prefix + c.a, "dcim.interface", port_name(c.a_role, c.a_port, switch, rails),
                               prefix + c.b, "dcim.interface", port_name(c.b_role, c.b_port, switch, rails),
                               cable_type, "planned"])
    written += [
        _csv(out / "racks.csv", ["site", "name", "status", "width", "u_height"],
             [[site, rack, "planned", 19, RACK_UNITS] for rack in racks]),
        _csv(out / "cluster-types.csv", ["name", "slug"], [[CLUSTER_TYPE, slugify(CLUSTER_TYPE)]]),
        _csv(out / "clusters.csv", ["name", "type", "status"], [[n, CLUSTER_TYPE, "planned"] for n in names]),
        _csv(out / "devices.csv", ["name", "role", "manufacturer", "device_type", "platform", "site", "rack", "status",
                                   "cluster"], devices),
        _csv(out / "cables.csv", ["side_a_device", "side_a_type", "side_a_name", "side_b_device", "side_b_type",
                                  "side_b_name", "type", "status"], cable_rows),
    ]
    with atomic_open(out / "IMPORT.txt", "w", encoding="utf-8") as handle:
        handle.write("Import into an empty NetBox 4.x in this order:\n"
                     + "".join(f"  {i + 1}. {name}\n" for i, name in enumerate(ORDER)))
    return written + [str(out / "IMPORT.txt")]


def _rack_of(g: nx.Graph, node: str, data: dict, switch: DeviceModel) -> str:
    """The rack a device sits in (documented placement rules above)."""
    if data["role"] == "node":
        domain = next((x for x in g.neighbors(node) if g.nodes[x]["role"] == "nvlink_domain"), None)
        return domain or f"su{data['su']}-compute"
    per_rack = max(1, NETWORK_RACK_USABLE_U // switch.u_height)
    index = data.get("index", 0) if data["role"] == "leaf" else int(node.rsplit("-", 1)[1])
    if data["role"] == "leaf":  # the SU's leaves, rail by rail
        position = data["rail"] * g.graph["leaves_per_rail"] + index
        return f"su{data['su']}-net{position // per_rack}"
    if data["role"] == "spine":
        return f"p{data['plane']}-pod{data['pod']}-spines{index // per_rack}"
    return f"p{data['plane']}-g{data['group']}-cores{index // per_rack}"


def _device_type(out: Path, model: DeviceModel, interfaces: list[str], kind: str) -> str:
    folder = out / "device-types" / model.manufacturer
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{model.slug}.yaml"
    doc = {"manufacturer": model.manufacturer, "model": model.model, "slug": model.slug, "u_height": model.u_height,
           "is_full_depth": True, "interfaces": [{"name": name, "type": kind} for name in interfaces]}
    with atomic_open(path, "w", encoding="utf-8") as handle:
        handle.write("---\n" + yaml.safe_dump(doc, sort_keys=False))
    return str(path)


def _csv(path: Path, header: list[str], rows: list[list]) -> str:
    with atomic_open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)
