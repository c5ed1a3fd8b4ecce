"""NetBox 4.x's import rules, field by field, for the files gwplan's bundle writes.

Taken from NetBox's import forms (netbox/dcim/forms/bulk_import.py, virtualization/forms/bulk_import.py):
the columns each form accepts, the ones it requires, the choice values it takes (dcim/choices.py), and the
objects a value must name (by name, or a device type by model within its manufacturer). `check_bundle`
returns every problem found; an empty list means the bundle imports in order into an empty NetBox.
"""

from __future__ import annotations

import csv
from pathlib import Path

import yaml

SITE_STATUS = {"planned", "staging", "active", "decommissioning", "retired"}
RACK_STATUS = {"reserved", "available", "planned", "active", "deprecated"}
RACK_WIDTH = {"10", "19", "21", "23"}
DEVICE_STATUS = {"offline", "active", "planned", "staged", "failed", "inventory", "decommissioning"}
CLUSTER_STATUS = {"planned", "staging", "active", "decommissioning", "offline"}
CABLE_STATUS = {"connected", "planned", "decommissioning"}
CABLE_TYPES = {"mmf", "mmf-om1", "mmf-om2", "mmf-om3", "mmf-om4", "mmf-om5", "smf", "smf-os1", "smf-os2", "aoc",
               "dac-active", "dac-passive", "cat6", "power"}
TERMINATION_TYPES = {"dcim.interface", "dcim.frontport", "dcim.rearport", "dcim.consoleport", "dcim.powerport"}
INTERFACE_TYPES = {"1000base-t", "400gbase-x-osfp", "800gbase-x-osfp", "infiniband-ndr", "infiniband-xdr", "other"}

# file -> (accepted columns, required columns)
FORMS = {
    "manufacturers.csv": ({"name", "slug", "description", "tags"}, {"name", "slug"}),
    "device-roles.csv": ({"name", "slug", "color", "vm_role", "config_template", "description", "tags"},
                         {"name", "slug", "color"}),
    "platforms.csv": ({"name", "slug", "manufacturer", "config_template", "description", "tags"}, {"name", "slug"}),
    "sites.csv": ({"name", "slug", "status", "region", "group", "tenant", "facility", "time_zone", "description",
                   "physical_address", "shipping_address", "latitude", "longitude", "comments", "tags"},
                  {"name", "slug", "status"}),
    "racks.csv": ({"site", "location", "name", "facility_id", "tenant", "status", "role", "form_factor", "serial",
                   "asset_tag", "width", "u_height", "desc_units", "outer_width", "outer_depth", "outer_unit",
                   "mounting_depth", "airflow", "weight", "max_weight", "weight_unit", "description", "comments",
                   "tags"}, {"site", "name", "status", "width", "u_height"}),  # width, u_height: no rack type given
    "cluster-types.csv": ({"name", "slug", "description", "owner", "tags"}, {"name", "slug"}),
    "clusters.csv": ({"name", "type", "group", "status", "scope_type", "scope_id", "tenant", "description", "owner",
                      "comments", "tags"}, {"name", "type", "status"}),
    "devices.csv": ({"name", "role", "tenant", "manufacturer", "device_type", "platform", "serial", "asset_tag",
                     "status", "site", "location", "rack", "position", "face", "latitude", "longitude", "parent",
                     "device_bay", "airflow", "virtual_chassis", "vc_position", "vc_priority", "cluster",
                     "description", "config_template", "comments", "tags"},
                    {"role", "manufacturer", "device_type", "status", "site"}),
    "cables.csv": ({"side_a_device", "side_a_type", "side_a_name", "side_b_device", "side_b_type", "side_b_name",
                    "type", "status", "tenant", "label", "color", "length", "length_unit", "description",
                    "comments", "tags"},
                   {"side_a_device", "side_a_type", "side_a_name", "side_b_device", "side_b_type", "side_b_name"}),
}


def read_csv(path: Path) -> tuple[list[str], list[dict]]:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def check_bundle(directory: Path) -> list[str]:
    """Every way the bundle breaks NetBox's import rules (empty when it imports)."""
    problems: list[str] = []
    rows: dict[str, list[dict]] = {}
    for name, (accepted, required) in FORMS.items():
        header, records = read_csv(directory / name)
        rows[name] = records
        for column in set(header) - accepted:
            problems.append(f"{name}: NetBox has no column {column!r}")
        for column in required - set(header):
            problems.append(f"{name}: required column {column!r} missing")
        for i, record in enumerate(records):
            for column in required:
                if not (record.get(column) or "").strip():
                    problems.append(f"{name} row {i + 2}: {column} is empty")

    def names(file: str, key: str = "name") -> set[str]:
        return {r[key] for r in rows[file]}

    manufacturers = names("manufacturers.csv")
    types: dict[tuple[str, str], set[str]] = {}
    for path in sorted((directory / "device-types").rglob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        for key in ("manufacturer", "model", "slug", "u_height"):
            if key not in doc:
                problems.append(f"{path.name}: {key} missing")
        if doc.get("manufacturer") not in manufacturers:
            problems.append(f"{path.name}: manufacturer {doc.get('manufacturer')!r} is not in manufacturers.csv")
        interfaces = [i["name"] for i in doc.get("interfaces", [])]
        if len(interfaces) != len(set(interfaces)):
            problems.append(f"{path.name}: interface names repeat")
        problems += [f"{path.name}: interface type {i['type']!r} is not a NetBox choice"
                     for i in doc.get("interfaces", []) if i["type"] not in INTERFACE_TYPES]
        types[(doc.get("manufacturer"), doc.get("model"))] = set(interfaces)
    for r in rows["platforms.csv"]:
        if r.get("manufacturer") and r["manufacturer"] not in manufacturers:
            problems.append(f"platforms.csv: manufacturer {r['manufacturer']!r} unknown")
    for file, column, allowed in (("sites.csv", "status", SITE_STATUS), ("racks.csv", "status", RACK_STATUS),
                                  ("racks.csv", "width", RACK_WIDTH), ("clusters.csv", "status", CLUSTER_STATUS),
                                  ("devices.csv", "status", DEVICE_STATUS), ("cables.csv", "status", CABLE_STATUS),
                                  ("cables.csv", "type", CABLE_TYPES),
                                  ("cables.csv", "side_a_type", TERMINATION_TYPES),
                                  ("cables.csv", "side_b_type", TERMINATION_TYPES)):
        problems += [f"{file}: {column} {r[column]!r} is not a NetBox choice" for r in rows[file]
                     if r.get(column) and r[column] not in allowed]
    sites = names("sites.csv")
    racks = {(r["site"], r["name"]) for r in rows["racks.csv"]}
    problems += [f"racks.csv: site {r['site']!r} unknown" for r in rows["racks.csv"] if r["site"] not in sites]
    problems += [f"clusters.csv: type {r['type']!r} unknown" for r in rows["clusters.csv"]
                 if r["type"] not in names("cluster-types.csv")]
    roles, platforms, clusters = names("device-roles.csv"), names("platforms.csv"), names("clusters.csv")
    device_type: dict[str, tuple[str, str]] = {}
    for r in rows["devices.csv"]:
        where = f"devices.csv {r['name']}"
        if r["name"] in device_type:
            problems.append(f"{where}: the name repeats")
        device_type[r["name"]] = (r["manufacturer"], r["device_type"])
        if r["role"] not in roles:
            problems.append(f"{where}: role {r['role']!r} unknown")
        if (r["manufacturer"], r["device_type"]) not in types:
            problems.append(f"{where}: no device type {r['device_type']!r} of {r['manufacturer']!r}")
        if r["site"] not in sites:
            problems.append(f"{where}: site {r['site']!r} unknown")
        if r.get("rack") and (r["site"], r["rack"]) not in racks:
            problems.append(f"{where}: no rack {r['rack']!r} at {r['site']!r}")
        if r.get("platform") and r["platform"] not in platforms:
            problems.append(f"{where}: platform {r['platform']!r} unknown")
        if r.get("cluster") and r["cluster"] not in clusters:
            problems.append(f"{where}: cluster {r['cluster']!r} unknown")
    connected: set[tuple[str, str]] = set()
    for i, r in enumerate(rows["cables.csv"]):
        for side in ("a", "b"):
            device, port = r[f"side_{side}_device"], r[f"side_{side}_name"]
            if device not in device_type:
                problems.append(f"cables.csv row {i + 2}: side {side} device {device!r} unknown")
            elif port not in types.get(device_type[device], set()):
                problems.append(f"cables.csv row {i + 2}: {device!r} has no interface {port!r}")
            if (device, port) in connected:
                problems.append(f"cables.csv row {i + 2}: {device} {port} is already connected")
            connected.add((device, port))
    return problems
