"""Write a phase's records into Nautobot: compute the difference with what is there, write only that, in
batches; report records changed by hand (drift) instead of overwriting them.

Every record gwplan manages carries the phase tag and a custom field `gwplan_fingerprint`: a hash of the
fields gwplan wrote. On the next run a record is
- unchanged when its fields still hash to the fingerprint and the plan wants the same (no request);
- updated when the plan wants something else and nobody touched it;
- drift when its fields no longer hash to its fingerprint (someone edited it): reported, left alone;
- deleted when it carries the phase's tag but the plan no longer has it (unless it drifted).
A second run with the same plan therefore writes nothing. Shared records (location types, manufacturers,
roles, device types, tags) are created when missing and never changed or deleted.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Callable

from planner.nautobot.client import Client
from planner.nautobot.records import (
    FEED_MAX_UTILIZATION,
    FEED_VOLTAGE,
    LOCATION_TYPES,
    ROLES,
    STATUS,
    PhaseRecords,
)

FINGERPRINT = "gwplan_fingerprint"
MANAGED_TYPES = ["dcim.location", "dcim.powerpanel", "dcim.powerfeed", "dcim.rack", "dcim.device", "dcim.cable",
                 "nautobot_nvdatamodels.nvlinkdomain"]
STATUS_TYPES = [t for t in MANAGED_TYPES if t != "dcim.powerpanel"]  # power panels have no status
ENDPOINT = {"locations": "dcim/locations", "power_panels": "dcim/power-panels", "power_feeds": "dcim/power-feeds",
            "racks": "dcim/racks", "devices": "dcim/devices", "cables": "dcim/cables",
            "nvlink_domains": "plugins/nvdatamodels/nvlink-domains"}


@dataclass
class SyncReport:
    """What a run did (or, with dry_run, would do): record names by kind and action."""

    phase: str
    dry_run: bool
    actions: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # kind -> action -> names
    writes: int = 0  # requests that changed something

    def add(self, kind: str, action: str, name: str) -> None:
        self.actions.setdefault(kind, {}).setdefault(action, []).append(name)

    def count(self, action: str) -> int:
        return sum(len(by.get(action, [])) for by in self.actions.values())

    @property
    def drift(self) -> list[tuple[str, str]]:
        return [(kind, name) for kind, by in self.actions.items() for name in by.get("drift", [])]

    def as_json(self) -> dict:
        return {"phase": self.phase, "dry_run": self.dry_run, "writes": self.writes,
                "counts": {kind: {a: len(n) for a, n in by.items()} for kind, by in self.actions.items()},
                "drift": [f"{kind}: {name}" for kind, name in self.drift]}


def fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _ref(value):
    """A value as gwplan writes it, from what Nautobot returns: a reference's id ({"id": ...} at depth 0),
    a choice's value ({"value": ..., "label": ...})."""
    if isinstance(value, dict):
        return value.get("id", value.get("value"))
    return value


class Session:
    """One run against one Nautobot: shared records ensured once, name -> id maps filled as it goes."""

    def __init__(self, client: Client, dry_run: bool, report: SyncReport,
                 progress: Callable[[str], None] | None = None):
        self.client, self.dry_run, self.report = client, dry_run, report
        self.progress = progress or (lambda _: None)
        self.ids: dict[str, dict[str, str]] = {}

    def write(self, method: str, path: str, items) -> list:
        if self.dry_run or not items:
            return []
        before = self.client.requests
        if method == "POST":
            result = self.client.create(path, items)
        elif method == "PATCH":
            self.client.update(path, items)
            result = []
        else:
            self.client.delete(path, items)
            result = []
        self.report.writes += self.client.requests - before
        return result

    def ensure(self, path: str, wanted: dict[str, dict], key: str = "name",
               existing: list[dict] | None = None) -> dict[str, str]:
        """Shared records by name: create the missing ones; returns name -> id. `existing`: the endpoint's
        records when the caller has just read them (saves a request)."""
        have = {r[key]: r["id"] for r in (self.client.all(path) if existing is None else existing)}
        missing = [body for name, body in wanted.items() if name not in have]
        for body, made in zip(missing, self.write("POST", path, missing)):
            have[body[key]] = made["id"]
        for body in missing:
            self.report.add(path.split("/")[-1], "create", body[key])
            have.setdefault(body[key], f"(new {body[key]})")  # a dry run's placeholder
        return have


def ensure_shared(s: Session, records: PhaseRecords) -> None:
    """Statuses, tags, the fingerprint field, location types, manufacturers, roles, device types."""
    s.progress("shared records")
    statuses = {r["name"]: r for r in s.client.all("extras/statuses")}
    planned = statuses.get(STATUS)
    if planned is None:
        raise_missing("status", STATUS)
    needed = set(STATUS_TYPES) - set(planned["content_types"])
    if needed:
        s.write("PATCH", "extras/statuses", [{"id": planned["id"], "content_types": sorted(
            set(planned["content_types"]) | needed)}])
    s.ids["status"] = {STATUS: planned["id"]}
    tags = s.client.all("extras/tags")
    s.ids["tags"] = s.ensure("extras/tags", {records.tag: {"name": records.tag, "content_types": MANAGED_TYPES}},
                             existing=tags)
    _cover(s, "extras/tags", {t["name"]: t for t in tags}.get(records.tag))
    fields = {r["key"]: r for r in s.client.all("extras/custom-fields")}
    if FINGERPRINT not in fields:
        s.write("POST", "extras/custom-fields", [{"label": "gwplan fingerprint", "key": FINGERPRINT, "type": "text",
                                                  "content_types": MANAGED_TYPES,
                                                  "description": "hash of the fields gwplan wrote (drift check)"}])
        s.report.add("custom-fields", "create", FINGERPRINT)
    else:
        _cover(s, "extras/custom-fields", fields[FINGERPRINT])
    types, location_types = {}, s.client.all("dcim/location-types")
    for name, parent, content_types in LOCATION_TYPES:  # parents first: each type is created after its parent
        made = s.ensure("dcim/location-types", {name: {"name": name, "content_types": content_types,
                                                       **({"parent": types[parent]} if parent else {})}},
                        existing=location_types)
        types[name] = made[name]
    for record in location_types:  # types set up by an older gwplan may lack one
        wanted = next((set(c) for n, _, c in LOCATION_TYPES if n == record["name"]), set())
        if wanted - set(record["content_types"]):
            s.write("PATCH", "dcim/location-types", [{"id": record["id"], "content_types": sorted(
                set(record["content_types"]) | wanted)}])
    s.ids["location_types"] = types
    s.ids["manufacturers"] = s.ensure("dcim/manufacturers", {m: {"name": m} for m in
                                                             {t.manufacturer for t in records.device_types.values()}})
    s.ids["roles"] = s.ensure("extras/roles", {name: {"name": name, "color": color, "content_types": ["dcim.device"]}
                                               for name, color in ROLES.values()})
    have = {r["model"]: r["id"] for r in s.client.all("dcim/device-types")}
    new = [t for model, t in records.device_types.items() if model not in have]
    made = s.write("POST", "dcim/device-types", [{"manufacturer": s.ids["manufacturers"][t.manufacturer],
                                                  "model": t.model, "u_height": t.u_height, "is_full_depth": True}
                                                 for t in new])
    for t, m in zip(new, made):
        have[t.model] = m["id"]
        s.write("POST", "dcim/interface-templates", [{"device_type": m["id"], "name": n, "type": kind}
                                                     for n, kind in t.interfaces])
    for t in new:
        s.report.add("device-types", "create", t.model)
        have.setdefault(t.model, f"(new {t.model})")
    s.ids["device_types"] = have


def _cover(s: Session, path: str, record: dict | None) -> None:
    """Add the managed content types a shared tag or field lacks (set up by an older gwplan)."""
    if record is None or "id" not in record:
        return
    missing = set(MANAGED_TYPES) - set(record.get("content_types", []))
    if missing:
        s.write("PATCH", path, [{"id": record["id"], "content_types": sorted(set(record["content_types"]) | missing)}])


def raise_missing(kind: str, name: str):
    from planner.nautobot.client import NautobotError

    raise NautobotError(f"Nautobot has no {kind} {name!r}; gwplan expects Nautobot's default statuses")


def reconcile(client: Client, records: PhaseRecords, dry_run: bool = False,
              progress: Callable[[str], None] | None = None, cables: bool = True) -> SyncReport:
    """Make Nautobot hold exactly `records` for this phase (see the module's rules); returns what changed.
    `cables=False` leaves the cables alone (they go in bulk: nautobot_jobs/gwplan_cables.py)."""
    client.check()
    _check_earlier_campuses(client, records)
    report = SyncReport(phase=records.phase, dry_run=dry_run)
    s = Session(client, dry_run, report, progress)
    ensure_shared(s, records)
    tag = s.ids["tags"][records.tag]
    status = s.ids["status"][STATUS]
    region_type = s.ids["location_types"]["Region"]
    regions = s.ensure("dcim/locations", {r: {"name": r, "location_type": region_type, "status": status}
                                          for r in sorted(records.regions)},
                       existing=[] if _placeholder(region_type) else client.all("dcim/locations",
                                                                                location_type=region_type))
    locations = dict(regions)
    campus_type = s.ids["location_types"]["Campus"]
    campus_ids = {} if _placeholder(campus_type) else {
        r["name"]: r["id"] for r in client.all("dcim/locations", location_type=campus_type)}
    locations.update(campus_ids)
    wanted_campuses = {c: {"name": c, "location_type": s.ids["location_types"]["Campus"], "parent": regions[region],
                           "status": status} for c, region in records.campuses.items()}
    locations.update(_sync(s, "locations", tag, wanted_campuses, key="name",
                           filters={"location_type": s.ids["location_types"]["Campus"]}))
    halls = {h: {"name": h, "location_type": s.ids["location_types"]["Data hall"],
                 "parent": locations.get(c, f"(new {c})"), "status": status} for h, c in records.halls.items()}
    locations.update(_sync(s, "locations", tag, halls, key="name",
                           filters={"location_type": s.ids["location_types"]["Data hall"]}))
    panels = {n: {"name": n, "location": locations.get(h, f"(new {h})")} for n, h in records.power_panels.items()}
    panel_ids = _sync(s, "power_panels", tag, panels, key="name")
    feeds = {n: {"name": n, "power_panel": panel_ids.get(f["panel"], "(new)"), "status": status, "type": "primary",
                 "supply": "ac", "phase": "three-phase", "voltage": FEED_VOLTAGE, "amperage": f["amperage"],
                 "max_utilization": FEED_MAX_UTILIZATION} for n, f in records.power_feeds.items()}
    _sync(s, "power_feeds", tag, feeds, key="name")
    racks = {r: {"name": r, "location": locations.get(h, f"(new {h})"), "status": status}
             for r, h in records.racks.items()}
    rack_ids = _sync(s, "racks", tag, racks, key="name")
    devices = {n: {"name": n, "device_type": s.ids["device_types"][d["device_type"]],
                   "role": s.ids["roles"][d["role"]], "location": locations.get(d["location"], "(new)"),
                   "rack": rack_ids.get(d["rack"], "(new)"), "status": status}
               for n, d in records.devices.items()}
    device_ids = _sync(s, "devices", tag, devices, key="name")
    if cables:
        _sync_cables(s, records, tag, status, device_ids)
    domains = {n: {"name": n, "location": locations.get(d["location"], "(new)"),
                   "rack": rack_ids.get(d["rack"], "(new)"), "status": status} for n, d in records.domains.items()}
    domain_ids = _sync(s, "nvlink_domains", tag, domains, key="name")
    _sync_memberships(s, records, domain_ids, device_ids)
    return report


def _check_earlier_campuses(client: Client, records: PhaseRecords) -> None:
    """A phase that builds in a campus an earlier phase opened needs that campus in Nautobot: say so before
    writing anything (Nautobot would refuse the data hall with a bare HTTP 400 half way)."""
    from planner.nautobot.client import NautobotError

    needed = set(records.halls.values()) - set(records.campuses)
    if not needed:
        return
    have = {r["name"] for r in client.all("dcim/locations", name=sorted(needed))}
    missing = sorted(needed - have)
    if missing:
        raise NautobotError(f"phase {records.phase} builds in campus {', '.join(missing)}, which an earlier phase "
                            "opens and Nautobot does not hold yet: sync the earlier phases first (in order)")


def _sync(s: Session, kind: str, tag: str, wanted: dict[str, dict], key: str,
          filters: dict | None = None) -> dict[str, str]:
    """Create, update, delete and report drift for one kind; returns name -> id of the kind's records."""
    s.progress(kind)
    path = ENDPOINT[kind]
    filters = filters or {}
    if any(_placeholder(v) for v in filters.values()):  # a dry run's type to be created: none of it yet
        existing = {}
    else:
        existing = {r[key]: r for r in s.client.all(path, **filters) if _has_tag(r, tag)}
    creates, updates, deletes = [], [], []
    for name, body in wanted.items():
        current = existing.get(name)
        if current is None:
            creates.append({**body, "tags": [tag], "custom_fields": {FINGERPRINT: fingerprint(body)}})
            s.report.add(kind, "create", name)
        elif _drifted(current, body):
            s.report.add(kind, "drift", name)
        elif fingerprint(body) != _stored(current):
            updates.append({**body, "id": current["id"], "custom_fields": {FINGERPRINT: fingerprint(body)}})
            s.report.add(kind, "update", name)
    for name, current in existing.items():
        if name not in wanted:
            deletes.append(current["id"])
            s.report.add(kind, "delete", name)
    made = s.write("POST", path, creates)
    s.write("PATCH", path, updates)
    s.write("DELETE", path, deletes)
    ids = {name: r["id"] for name, r in existing.items() if name in wanted}
    ids.update({r[key]: r["id"] for r in made})
    return ids


def _placeholder(value) -> bool:
    """A dry run's stand-in for the id of a record it would create (Nautobot refuses it as a filter)."""
    return isinstance(value, str) and value.startswith("(new")


def _stored(record: dict) -> str | None:
    return (record.get("custom_fields") or {}).get(FINGERPRINT)


def _drifted(record: dict, body: dict) -> bool:
    """The record's gwplan-owned fields no longer hash to what gwplan last wrote: someone edited it."""
    return fingerprint({k: _ref(record.get(k)) for k in body}) != _stored(record)


def _has_tag(record: dict, tag: str) -> bool:
    return any(_ref(t) == tag for t in record.get("tags") or [])


def _device_ids(s: Session, names: set[str], known: dict[str, str] | None = None) -> dict[str, str]:
    """name -> id of these devices: from `known` (the phase's own, just synced) where it has them, the rest
    looked up 50 names a request. A dry run's devices still to be created are missing."""
    known = known or {}
    out = {n: known[n] for n in names if n in known}
    rest = sorted(names - set(out))
    for start in range(0, len(rest), 50):
        out.update({d["name"]: d["id"] for d in s.client.all("dcim/devices", name=rest[start:start + 50])})
    return out


def _interfaces(s: Session, devices: set[str], known: dict[str, str] | None = None) -> dict[tuple[str, str], str]:
    """(device name, interface name) -> interface id, for the given devices (50 devices a request)."""
    out = {}
    device_ids = {i: name for name, i in _device_ids(s, devices, known).items()}
    ids = sorted(device_ids)
    for start in range(0, len(ids), 50):
        for i in s.client.all("dcim/interfaces", device_id=ids[start:start + 50]):
            out[(device_ids[_ref(i["device"])], i["name"])] = i["id"]
    return out


def _sync_cables(s: Session, records: PhaseRecords, tag: str, status: str, device_ids: dict[str, str]) -> None:
    """Cables by their A end (device, port): each port is cabled once. `device_ids`: the phase's devices, whose
    ports are looked up with the cables' ends (a cable the plan no longer has is named by its A end, on one of
    them, even when that device keeps no other cable)."""
    s.progress("cables")
    ends = {d for (d, _), (b, _, _) in records.cables.items() for d in (d, b)} | set(records.devices)
    interfaces = _interfaces(s, ends, device_ids)
    by_id = {i: key for key, i in interfaces.items()}
    existing = {}
    for c in [] if _placeholder(tag) else s.client.all("dcim/cables", tags=records.tag):
        a = by_id.get(c["termination_a_id"])
        existing[a if a else ("?", c["id"])] = c
    wanted = {}
    for (a, a_port), (b, b_port, media) in records.cables.items():
        ia, ib = interfaces.get((a, a_port), f"(new {a} {a_port})"), interfaces.get((b, b_port), f"(new {b} {b_port})")
        wanted[(a, a_port)] = {"termination_a_type": "dcim.interface", "termination_a_id": ia,
                               "termination_b_type": "dcim.interface", "termination_b_id": ib,
                               "status": status, "type": media}
    creates, updates, deletes = [], [], []
    for key, body in wanted.items():
        name = f"{key[0]} {key[1]}"
        current = existing.get(key)
        if current is None:
            creates.append({**body, "tags": [tag], "custom_fields": {FINGERPRINT: fingerprint(body)}})
            s.report.add("cables", "create", name)
        elif _drifted(current, body):
            s.report.add("cables", "drift", name)
        elif fingerprint(body) != _stored(current):
            updates.append({**body, "id": current["id"], "custom_fields": {FINGERPRINT: fingerprint(body)}})
            s.report.add("cables", "update", name)
    for key, current in existing.items():
        if key not in wanted:
            deletes.append(current["id"])
            s.report.add("cables", "delete", f"{key[0]} {key[1]}")
    s.write("POST", ENDPOINT["cables"], creates)
    s.write("PATCH", ENDPOINT["cables"], updates)
    s.write("DELETE", ENDPOINT["cables"], deletes)


def _sync_memberships(s: Session, records: PhaseRecords, domain_ids: dict[str, str],
                      phase_devices: dict[str, str]) -> None:
    """Each NVLink domain's member trays (memberships go with their domain; a tray is in one domain)."""
    s.progress("nvlink domain members")
    path = "plugins/nvdatamodels/nvlink-domain-memberships"
    members = {m for d in records.domains.values() for m in d["members"]}
    device_ids = _device_ids(s, members, phase_devices)
    ids, have = sorted(domain_ids.values()), set()
    for start in range(0, len(ids), 50):  # the memberships of this phase's domains, not of every domain there is
        have |= {(_ref(m["domain"]), _ref(m["member"])) for m in s.client.all(path, domain=ids[start:start + 50])}
    new = []
    for name, d in records.domains.items():
        for m in d["members"]:
            pair = (domain_ids.get(name, f"(new {name})"), device_ids.get(m, f"(new {m})"))
            if pair not in have:
                new.append({"domain": pair[0], "member": pair[1]})
                s.report.add("nvlink_domain_members", "create", f"{name}: {m}")
    s.write("POST", path, new)


def remove_phase(client: Client, phase: str, dry_run: bool = False,
                 progress: Callable[[str], None] | None = None, site: str | None = None) -> SyncReport:
    """Delete every record tagged with the phase (children first), optionally only at one site (records
    named `<site>` or `<site>-...`, and the cables of that site's devices); shared records stay."""
    client.check()
    report = SyncReport(phase=phase, dry_run=dry_run)
    s = Session(client, dry_run, report, progress)
    tag = f"gwplan-phase-{phase}"
    if tag not in {t["name"] for t in client.all("extras/tags")}:
        return report

    def at_site(name: str) -> bool:
        return site is None or name == site or name.startswith(f"{site}-")

    for kind in ("nvlink_domains", "cables", "devices", "racks", "power_feeds", "power_panels", "locations"):
        s.progress(kind)
        records = client.all(ENDPOINT[kind], tags=tag)
        if kind == "cables":
            if site is not None:
                devices = {d["name"] for d in client.all("dcim/devices") if at_site(d["name"])}
                ours = set(_interfaces(s, devices).values())
                records = [r for r in records if r["termination_a_id"] in ours]
            names = [r["id"] for r in records]
        else:
            records = [r for r in records if at_site(r["name"])]
            names = [r["name"] for r in records]
        for name in names:
            report.add(kind, "delete", name)
        halls = [r["id"] for r in records if "-hall-" in (r.get("name") or "")]
        rest = [r["id"] for r in records if "-hall-" not in (r.get("name") or "")]
        s.write("DELETE", ENDPOINT[kind], halls)  # data halls before their campus
        s.write("DELETE", ENDPOINT[kind], rest)
    return report
