"""Fabric spec files (`gwplan fabric SPEC`): read here so that topology stays free of file formats.

A spec is a YAML mapping of `FabricSpec` fields; flags override the file; `switch: <catalog id>` takes
the radix, port speed and model name from the bundled catalog.
"""

from __future__ import annotations

import os

from planner.fields import Fields, InputError, Problem, describe
from planner.files import read_yaml
from planner.scenario.catalog import bundled_catalog
from planner.scenario.read import read_switch
from topology.spec import FabricError, FabricSpec

FABRIC_FIELDS = ("nodes", "gpus_per_node", "rails", "planes", "port_gbps", "switch_radix", "switch",
                 "nodes_per_su", "oversubscription", "nvlink_domain_gpus", "leaves_per_rail", "rail_only")


def load_fabric_spec(path: str | os.PathLike | None, overrides: dict | None = None):
    """(FabricSpec, switch model name, catalog Switch or None) from a YAML file (or none) and overrides.

    `switch: <catalog id>` sets `switch_radix` and `port_gbps` from the bundled switch catalog, and the
    model name (the NetBox devicetype-library name where there is one). InputError lists every problem.
    """
    name = str(path) if path is not None else "command line"
    switch_entry = None
    doc = read_yaml(path) if path is not None else {}
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise InputError([Problem(name, "", f"expected a mapping of fabric fields, got {describe(doc)}")])
    doc = {**doc, **{k: v for k, v in (overrides or {}).items() if v is not None}}
    problems: list[Problem] = []
    f = Fields(problems, name, "", doc)
    switch_id = f.string("switch", "")
    model = ""
    radix, port_gbps = (f.integer("switch_radix", ge=2) if f.has("switch_radix") or not switch_id else 0,
                        f.number("port_gbps", gt=0) if f.has("port_gbps") or not switch_id else 0.0)
    if switch_id:
        switches = {sw["id"]: sw for sw in bundled_catalog()["switches"]}
        if switch_id not in switches:
            f.problem("switch", f"unknown switch {switch_id!r}; known: {', '.join(sorted(switches))}")
        else:
            radix = radix or switches[switch_id]["ports"]
            model = switches[switch_id]["netbox_device_type"] or switches[switch_id]["name"]
            switch_entry = read_switch(Fields(problems, "catalog", "switch", switches[switch_id]))
            port_gbps = port_gbps or float(switches[switch_id]["port_gbps"])
    spec = FabricSpec(
        nodes=f.integer("nodes", ge=1), gpus_per_node=f.integer("gpus_per_node", ge=1), rails=f.integer("rails", ge=1),
        planes=f.integer("planes", 1, ge=1), port_gbps=port_gbps, switch_radix=radix,
        nodes_per_su=f.integer("nodes_per_su", ge=1), oversubscription=f.number("oversubscription", 1.0, ge=1),
        nvlink_domain_gpus=f.integer("nvlink_domain_gpus", ge=1) if f.has("nvlink_domain_gpus") else None,
        leaves_per_rail=f.integer("leaves_per_rail", ge=1) if f.has("leaves_per_rail") else None,
        rail_only=f.boolean("rail_only", False))
    f.done()
    if problems:
        raise InputError(problems)
    try:
        spec.check()
    except FabricError as err:
        field, _, message = str(err).partition(": ")
        raise InputError([Problem(name, field, message)]) from None
    return spec, model, switch_entry
