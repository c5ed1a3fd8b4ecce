"""A Nautobot Job that loads the cables `gwplan sync --cables-file` writes, in bulk, inside Nautobot.

Why: every cable saved through Nautobot's REST API, or through its ORM one object at a time, is traced:
its save looks up every CablePath that passes through its ends, a scan of the whole path table. That is
~9 cables/s through the API and ~40 hours of ORM for a 1 GW site's ~2 million cables. gwplan's fabric
cables join two interfaces directly (no front or rear ports, no circuits), so the path each end gets is
known without a trace: origin one end, destination the other, the cable its only hop, active only when
the cable's status is Connected (gwplan writes Planned). This Job writes exactly those rows in bulk and
in one transaction:
- the cables, with the phase's tag and gwplan's fingerprint computed as `gwplan sync` computes it, so a
  later `gwplan sync` (with or without --cables-file) sees them as its own and writes nothing;
- each interface's cable and cable peer;
- the two cable paths per cable, and each interface's path.
A cable already there between the same two ports is left as it is (a rerun creates nothing); a file
cut short or naming a port twice is refused before Nautobot is read, and a port cabled to anything else
or a port or device Nautobot does not hold undoes everything the Job wrote (one transaction). The file is
read twice, line by line (a check, then the load in chunks), so memory stays flat at any size. Bulk writes
record no per-cable change log entries: the Job's result logs what it did.

Install (once): copy this file into Nautobot's JOBS_ROOT, run `nautobot-server post_upgrade` (it registers
the Job), and enable it (Jobs > gwplan: load cables > Edit > Enabled). Then, for a file readable by the
Nautobot process:

    nautobot-server runjob --local --username USER gwplan_cables.LoadCables --data '{"path": "/data/cables.jsonl"}'

It runs inside Nautobot (Django and Nautobot's models) and imports nothing of gwplan.
File: JSON lines; the first is a header {"gwplan_cables": 1, "phase", "tag", "status", "count"}, each
other line one cable {"a": [device, port], "b": [device, port], "type": cable type}.
"""

import hashlib
import json
import resource
import time
import uuid

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from nautobot.apps.jobs import BooleanVar, Job, StringVar, register_jobs
from nautobot.dcim.models import Cable, CablePath, Interface
from nautobot.extras.models import Status, Tag, TaggedItem

FORMAT = 1  # the header's gwplan_cables value this Job reads
FINGERPRINT = "gwplan_fingerprint"  # the custom field gwplan keeps its hash in (planner/nautobot/reconcile.py)
CHUNK = 5000  # rows per statement
CABLES_PER_CHUNK = 20_000  # cables read, checked and written at a time (memory stays flat whatever the site)


class CableFileError(Exception):
    """The file or what it names is not loadable; nothing was written."""


def fingerprint(payload: dict) -> str:
    """gwplan's record fingerprint (planner.nautobot.reconcile.fingerprint): the same bytes, the same hash."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:32]


def read_header(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            header = json.loads(handle.readline() or "null")
    except OSError as err:
        raise CableFileError(f"{path}: cannot read it ({err.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        header = None
    if not isinstance(header, dict) or header.get("gwplan_cables") != FORMAT:
        raise CableFileError(f"{path}: line 1: expected a gwplan cables header "
                             f'{{"gwplan_cables": {FORMAT}, ...}} (written by gwplan sync --cables-file)')
    return header


def rows_of(path: str):
    """The (a end, b end, type) rows of a gwplan cables file, one at a time (a site's file is ~2M lines)."""
    with open(path, encoding="utf-8") as handle:
        handle.readline()
        for number, line in enumerate(handle, start=2):
            try:
                item = json.loads(line)
                a, b, kind = item["a"], item["b"], item["type"]
                yield (str(a[0]), str(a[1])), (str(b[0]), str(b[1])), str(kind)
            except (ValueError, KeyError, IndexError, TypeError):
                raise CableFileError(f'{path}: line {number}: expected {{"a": [device, port], "b": [device, port], '
                                     '"type": ...}') from None


def check_file(path: str, header: dict) -> int:
    """A first pass over the whole file before anything is read from Nautobot or written: every line well
    formed, as many as the header announces, no port named twice. Returns the count."""
    seen, count = set(), 0
    for a, b, _ in rows_of(path):
        count += 1
        for end in (a, b):
            key = f"{end[0]}\t{end[1]}"
            if key in seen:
                raise CableFileError(f"port {end[0]} {end[1]} is named by two cables in the file")
            seen.add(key)
    if header.get("count") != count:
        raise CableFileError(f"{path}: the header announces {header.get('count')} cables, the file holds {count} "
                             "(cut short?)")
    return count


def chunks(rows, size: int):
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def interfaces_of(ends: set[tuple[str, str]]) -> dict[tuple[str, str], tuple]:
    """(device name, port) -> (interface id, device id, cable id, cable peer id), for these ends (queried by
    device and port name, so a switch's other ports are not read)."""
    out = {}
    devices = sorted({d for d, _ in ends})
    ports = sorted({p for _, p in ends})
    for start in range(0, len(devices), CHUNK):
        rows = Interface.objects.filter(device__name__in=devices[start:start + CHUNK], name__in=ports).values_list(
            "device__name", "name", "pk", "device_id", "cable_id", "_cable_peer_id")
        for device, port, pk, device_id, cable_id, peer_id in rows:
            if (device, port) in ends:
                out[(device, port)] = (pk, device_id, cable_id, peer_id)
    return out


def plan_load(rows, interfaces) -> tuple[list, int]:
    """The cables to create as (a interface, b interface, type), and how many are already there; raises
    CableFileError for ends Nautobot lacks or ports cabled elsewhere."""
    missing = sorted({end for a, b, _ in rows for end in (a, b) if end not in interfaces})
    if missing:
        shown = ", ".join(f"{d} {p}" for d, p in missing[:5])
        raise CableFileError(f"{len(missing)} cable ends are not in Nautobot (e.g. {shown}): run gwplan sync for the "
                             "phase first, so its devices exist; nothing written")
    new, present, busy = [], 0, []
    for a, b, kind in rows:
        ia, ib = interfaces[a], interfaces[b]
        if ia[2] is None and ib[2] is None:
            new.append((ia, ib, kind))
        elif ia[3] == ib[0] and ib[3] == ia[0]:
            present += 1
        else:
            busy.append(f"{a[0]} {a[1]} - {b[0]} {b[1]}")
    if busy:
        raise CableFileError(f"{len(busy)} cables would take ports already cabled to something else "
                             f"(e.g. {'; '.join(busy[:3])}): nothing written")
    return new, present


def write_cables(new, tag: Tag, status: Status) -> int:
    """Cables, their tag, each end's cable and peer, and the two paths per cable, in bulk."""
    interface_ct = ContentType.objects.get_for_model(Interface)
    cable_ct = ContentType.objects.get_for_model(Cable)
    active = status.name == "Connected"
    cables, tagged, paths, ends = [], [], [], []
    for ia, ib, kind in new:
        body = {"termination_a_type": "dcim.interface", "termination_a_id": str(ia[0]),
                "termination_b_type": "dcim.interface", "termination_b_id": str(ib[0]),
                "status": str(status.pk), "type": kind}
        cable = uuid.uuid4()
        cables.append({"id": cable, "termination_a_id": ia[0], "termination_b_id": ib[0], "type": kind,
                       "_termination_a_device_id": ia[1], "_termination_b_device_id": ib[1],
                       "_custom_field_data": {FINGERPRINT: fingerprint(body)}})
        tagged.append({"id": uuid.uuid4(), "object_id": cable})
        node = [f"{cable_ct.pk}:{cable}"]
        for origin, destination in ((ia, ib), (ib, ia)):
            path = uuid.uuid4()
            paths.append({"id": path, "origin_id": origin[0], "destination_id": destination[0], "path": node})
            ends.append((origin[0], cable, destination[0], path))
    with connection.cursor() as cursor:
        _insert(cursor, Cable(termination_a_type=interface_ct, termination_b_type=interface_ct, status=status), cables)
        _insert(cursor, TaggedItem(content_type=cable_ct, tag=tag), tagged)
        _insert(cursor, CablePath(origin_type=interface_ct, destination_type=interface_ct, is_active=active,
                                  is_split=False, path=[]), paths)
    _set_ends(ends, interface_ct.pk)
    return len(cables)


def _insert(cursor, prototype, rows: list[dict]) -> None:
    """INSERT rows of `prototype`'s model, one statement per CHUNK rows: every column as the ORM would write
    the prototype (defaults, timestamps), except the columns each row gives (by attribute name). Django's
    bulk_create prepares every field of every row and measured ~3x slower than this at site scale."""
    from psycopg2.extras import execute_values

    fields = list(type(prototype)._meta.concrete_fields)
    base = {f.attname: f.get_db_prep_save(f.pre_save(prototype, add=True), connection) for f in fields}
    varying = [f for f in fields if f.attname in rows[0]] if rows else []
    unknown = set(rows[0]) - {f.attname for f in varying} if rows else set()
    if unknown:
        raise TypeError(f"{type(prototype).__name__} has no column for {sorted(unknown)}")
    columns = ", ".join(f'"{f.column}"' for f in fields)
    sql = f'INSERT INTO "{type(prototype)._meta.db_table}" ({columns}) VALUES %s'
    for start in range(0, len(rows), CHUNK):
        values = []
        for row in rows[start:start + CHUNK]:
            item = dict(base)
            for f in varying:
                item[f.attname] = f.get_db_prep_save(row[f.attname], connection)
            values.append(tuple(item[f.attname] for f in fields))
        execute_values(cursor.cursor, sql, values, page_size=CHUNK)


def _set_ends(ends, interface_ct_id: int) -> None:
    """UPDATE ... FROM (VALUES ...): one statement per CHUNK interfaces (Django's bulk_update builds a CASE
    per field and row, measured several times slower at this size)."""
    from psycopg2.extras import execute_values

    meta = Interface._meta
    column = {name: meta.get_field(name).column for name in ("cable", "_cable_peer_type", "_cable_peer_id", "_path")}
    sql = (f'UPDATE {meta.db_table} AS i SET "{column["cable"]}" = v.cable::uuid, '
           f'"{column["_cable_peer_type"]}" = {int(interface_ct_id)}, "{column["_cable_peer_id"]}" = v.peer::uuid, '
           f'"{column["_path"]}" = v.path::uuid FROM (VALUES %s) AS v(id, cable, peer, path) WHERE i.id = v.id::uuid')
    with connection.cursor() as cursor:
        for start in range(0, len(ends), CHUNK):
            execute_values(cursor.cursor, sql, [tuple(str(x) for x in row) for row in ends[start:start + CHUNK]],
                           page_size=CHUNK)


class LoadCables(Job):
    """Load a gwplan cables file (gwplan sync --cables-file) in bulk: cables, cable peers and paths."""

    path = StringVar(description="path of the cables file on the Nautobot server (JSON lines from gwplan sync "
                                 "--cables-file)")
    dry_run = BooleanVar(default=False, description="check the file against Nautobot and report, write nothing")

    class Meta:
        name = "gwplan: load cables"
        description = "Bulk-load the cables of a gwplan phase (a 1 GW site's ~2M cables in minutes, not days)"
        has_sensitive_variables = False

    def run(self, path, dry_run=False):  # noqa: D401 - Nautobot's Job entry point
        started = time.perf_counter()
        created = would_create = present = 0
        try:
            header = read_header(path)
            tag = Tag.objects.filter(name=header.get("tag")).first()
            status = Status.objects.get_for_model(Cable).filter(name=header.get("status")).first()
            if tag is None or status is None:
                raise CableFileError(f"Nautobot has no tag {header.get('tag')!r} or cable status "
                                     f"{header.get('status')!r}: run gwplan sync for phase {header.get('phase')} first")
            count = check_file(path, header)
            self.logger.info("%s: %d cables of phase %s", path, count, header.get("phase"))
            with transaction.atomic():  # all or nothing: a refusal in a later chunk undoes the earlier ones
                for chunk in chunks(rows_of(path), CABLES_PER_CHUNK):
                    new, there = plan_load(chunk, interfaces_of({end for a, b, _ in chunk for end in (a, b)}))
                    present += there
                    if dry_run:
                        would_create += len(new)
                    else:
                        created += write_cables(new, tag, status)
        except CableFileError as err:
            self.fail(str(err))  # the Job ends FAILURE, with this line and no traceback
            return {"created": 0, "error": str(err)}
        if dry_run:
            self.logger.info("dry run: would create %d cables; %d already there", would_create, present)
            return {"created": 0, "would_create": would_create, "present": present}
        self.logger.info("created %d cables (with their paths); %d already there (%.1f s, peak memory %.0f MiB)",
                         created, present, time.perf_counter() - started,
                         resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        return {"created": created, "present": present}


register_jobs(LoadCables)
