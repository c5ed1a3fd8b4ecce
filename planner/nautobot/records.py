"""The Nautobot records a phase of a plan implies, as plain data (no network access here).

Planning-grade records, status Planned. Shared records (location types, manufacturers, roles, device types
and their interface templates, the phase tags) belong to no phase and are never deleted by gwplan. Every
other record belongs to the phase that first needs it and carries the tag `gwplan-phase-<id>`:
- locations: the site's region (shared), its campus (the phase that opens it) and a data hall per phase
  that adds racks there (`<site>-hall-<phase>`);
- racks, devices and cables of the site's fabrics: computed on the site's final fabric (the clusters of
  the plan's last phase), so a later phase never changes what an earlier one wrote; a device or cable
  belongs to the phase that first needs it (`topology.clos.annotate_phases`);
- an NVLink domain per rack-scale system, with its compute trays as members (NVIDIA's app).
Names follow the NetBox bundle: `<site>-[<cluster>-]<name>`, unique across sites and clusters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from planner.fabric.clusters import device_model, site_fabrics
from planner.plan.types import Plan

STATUS = "Planned"
ROLES = {"node": ("GPU compute", "4caf50"), "leaf": ("Leaf", "2196f3"), "spine": ("Spine", "3f51b5"),
         "core": ("Super-spine", "9c27b0")}
LOCATION_TYPES = (  # (name, parent, content types)
    ("Region", None, []),
    ("Campus", "Region", []),
    ("Data hall", "Campus", ["dcim.rack", "dcim.device", "dcim.powerpanel", "nautobot_nvdatamodels.nvlinkdomain"]),
)
FEED_VOLTAGE = 415  # [assumed] three-phase distribution voltage of a power block's feed
FEED_MAX_UTILIZATION = 80  # % of a feed's rating drawn at most (the usual continuous-load derating)


@dataclass(frozen=True)
class DeviceTypeRecord:
    manufacturer: str
    model: str
    u_height: int
    interfaces: tuple[tuple[str, str], ...]  # (name, NetBox / Nautobot interface type)


@dataclass
class PhaseRecords:
    """Everything one phase writes; `key` names are natural keys (names), resolved to ids when written."""

    phase: str
    device_types: dict[str, DeviceTypeRecord] = field(default_factory=dict)  # model -> type
    regions: set[str] = field(default_factory=set)
    campuses: dict[str, str] = field(default_factory=dict)  # campus -> region (opened by this phase)
    halls: dict[str, str] = field(default_factory=dict)  # hall -> campus
    racks: dict[str, str] = field(default_factory=dict)  # rack -> hall
    devices: dict[str, dict] = field(default_factory=dict)  # name -> {device_type, role, rack, location}
    # cables: (a device, a port) -> (b device, b port, cable type)
    cables: dict[tuple[str, str], tuple[str, str, str]] = field(default_factory=dict)
    domains: dict[str, dict] = field(default_factory=dict)  # NVLink domain -> {location, rack, members}
    power_panels: dict[str, str] = field(default_factory=dict)  # panel -> hall (one per power block added)
    power_feeds: dict[str, dict] = field(default_factory=dict)  # feed -> {panel, amperage}

    @property
    def tag(self) -> str:
        return f"gwplan-phase-{self.phase}"

    def counts(self) -> dict[str, int]:
        return {"locations": len(self.campuses) + len(self.halls), "power_panels": len(self.power_panels),
                "power_feeds": len(self.power_feeds), "racks": len(self.racks),
                "devices": len(self.devices), "cables": len(self.cables), "nvlink_domains": len(self.domains)}


def phase_records(plan: Plan, phase_id: str, site: str | None = None) -> PhaseRecords:
    """The records phase `phase_id` adds (optionally at one site). KeyError for an unknown phase or site."""
    from planner.fabric.graph import phased_graph
    from topology.export import PortNames, cables

    index = plan.phase_index(phase_id)
    out = PhaseRecords(phase=phase_id)
    phase = plan.phases[index]
    for s in phase.sites:
        if site is not None and s.site != site:
            continue
        out.regions.add(s.region)
        first = next(k for k, ph in enumerate(plan.phases) if any(x.site == s.site for x in ph.sites))
        if first == index:  # the campus belongs to the phase where the site first appears
            out.campuses[s.site] = s.region
        if s.racks_added or sum(s.blocks_added):
            out.halls[f"{s.site}-hall-{phase_id}"] = s.site
        _power(out, s, phase_id)
    last = plan.phases[-1].id
    for fab in site_fabrics(plan, last, site):
        if not any(pid == phase_id for pid, _ in fab.racks_by_phase):
            continue
        platform = plan.platform(fab.platform)
        switch = device_model(plan.switch(platform.switch))
        tray_model = f"{platform.name} compute tray"
        g = phased_graph(plan, fab)
        names = PortNames(g, switch)
        out.device_types.setdefault(switch.model, DeviceTypeRecord(
            switch.manufacturer, switch.model, switch.u_height,
            tuple((switch.port_name(n), switch.port_type) for n in range(1, switch.ports + 1))))
        out.device_types.setdefault(tray_model, DeviceTypeRecord(
            "Nvidia", tray_model, 1, tuple((n, _nic_type(switch)) for n in names.nic)))
        hall = f"{fab.site}-hall-{phase_id}"
        labels = [f"c{i}" for i in range(fab.clusters)] if fab.clusters > 1 else [""]
        for label in labels:
            prefix = f"{fab.site}-{label}-" if label else f"{fab.site}-"
            for v, d in g.nodes(data=True):
                if d.get("phase") != phase_id:
                    continue
                role = d["role"]
                if role == "nvlink_domain":
                    members = sorted(prefix + m for m in g.neighbors(v))
                    out.domains[prefix + v] = {"location": hall, "rack": prefix + v, "members": members}
                    out.racks[prefix + v] = hall
                elif role in ROLES:
                    rack = prefix + _rack(g, v, d)
                    out.racks.setdefault(rack, hall)
                    out.devices[prefix + v] = {"device_type": switch.model if role != "node" else tray_model,
                                               "role": ROLES[role][0], "rack": rack, "location": hall}
            for c in cables(g):
                if c.phase != phase_id:
                    continue
                media = "smf" if (switch.optics == "cpo" or c.kind != "node_leaf") else "mmf"
                out.cables[(prefix + c.a, names.of(c.a_role, c.a_port))] = (
                    prefix + c.b, names.of(c.b_role, c.b_port), media)
    return out


CABLES_FILE_FORMAT = 1  # the header's gwplan_cables value (nautobot_jobs/gwplan_cables.py reads it)


def cables_file_lines(records: PhaseRecords):
    """The phase's cables as the JSON lines the bulk-load Job reads (nautobot_jobs/gwplan_cables.py): a header,
    then one cable a line by device and port names, in a stable order."""
    import json

    yield json.dumps({"gwplan_cables": CABLES_FILE_FORMAT, "phase": records.phase, "tag": records.tag,
                      "status": STATUS, "count": len(records.cables)}) + "\n"
    for (a, a_port), (b, b_port, media) in sorted(records.cables.items()):
        yield json.dumps({"a": [a, a_port], "b": [b, b_port], "type": media}) + "\n"


def _nic_type(switch) -> str:
    from topology.ports import interface_type

    return interface_type(switch.protocol, switch.port_gbps)


def _rack(g, v: str, d: dict) -> str:
    """Compute trays in their NVLink domain's rack; switches in a network rack per SU (leaves) or per
    plane (spines, cores)."""
    if d["role"] == "node":
        domain = next((x for x in g.neighbors(v) if g.nodes[x]["role"] == "nvlink_domain"), None)
        return domain or f"su{d['su']}-compute"
    if d["role"] == "leaf":
        return f"su{d['su']}-net"
    return f"p{d['plane']}-{d['role']}s"


def _power(out: PhaseRecords, s, phase_id: str) -> None:
    """A power panel and its feed per power block the phase adds at a site. The feed's rating carries the
    block's share of facility power (the phase's block IT MW at the site x PUE, split evenly over its
    blocks: exact for a site with one kind of block) at FEED_VOLTAGE three-phase, FEED_MAX_UTILIZATION %."""
    import math

    blocks = sum(s.blocks_added)
    if not blocks:
        return
    hall = f"{s.site}-hall-{phase_id}"
    watts = s.block_it_mw_added * s.pue * 1e6 / blocks
    amperage = math.ceil(watts / (math.sqrt(3) * FEED_VOLTAGE) / (FEED_MAX_UTILIZATION / 100))
    number = 0
    for kind, count in enumerate(s.blocks_added):
        for _ in range(count):
            panel = f"{s.site}-power-{phase_id}-{kind}-{number}"
            out.power_panels[panel] = hall
            out.power_feeds[f"{panel}-feed"] = {"panel": panel, "amperage": amperage}
            number += 1
