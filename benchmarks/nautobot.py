"""Records per second into Nautobot through its REST API: batch sizes, parallel requests, and Nautobot's
production server (uWSGI, `nautobot-server start`) against its development server, on a throwaway
Nautobot 2.4 + nvdatamodels (tests/nautobot_server.py).

    python -m benchmarks.nautobot              # ~10 minutes on 2 cores
    python -m benchmarks.nautobot --bulk 200000   # cables/s of the bulk-load Job against the API, same run

Devices are compute trays with 8 interfaces (created from their device type's templates, as Nautobot
does for every device); cables join two interfaces. The gwplan reconcile writes in batches of
planner.nautobot.client.BATCH.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import sys
import time


def setup(client, tag: str):
    from planner.nautobot.reconcile import Session, SyncReport, ensure_shared  # noqa: F401
    from planner.nautobot.records import DeviceTypeRecord, PhaseRecords

    records = PhaseRecords(phase="bench")
    records.device_types["bench tray"] = DeviceTypeRecord("Nvidia", "bench tray", 1,
                                                          tuple((f"p{n}", "infiniband-ndr") for n in range(1, 9)))
    report = SyncReport(phase="bench", dry_run=False)
    s = Session(client, False, report)
    ensure_shared(s, records)
    loc_types = s.ids["location_types"]
    status = s.ids["status"]["Planned"]
    region = client.create("dcim/locations", [{"name": f"bench-region-{tag}", "location_type": loc_types["Region"],
                                               "status": status}])[0]["id"]
    campus = client.create("dcim/locations", [{"name": f"bench-campus-{tag}", "location_type": loc_types["Campus"],
                                               "parent": region, "status": status}])[0]["id"]
    hall = client.create("dcim/locations", [{"name": f"bench-hall-{tag}", "location_type": loc_types["Data hall"],
                                             "parent": campus, "status": status}])[0]["id"]
    return {"status": status, "hall": hall, "type": s.ids["device_types"]["bench tray"],
            "role": s.ids["roles"]["GPU compute"]}


def devices(client, ctx, prefix: str, count: int, batch: int, workers: int) -> tuple[float, list[str]]:
    bodies = [{"name": f"{prefix}-{i}", "device_type": ctx["type"], "role": ctx["role"], "location": ctx["hall"],
               "status": ctx["status"]} for i in range(count)]
    chunks = [bodies[i:i + batch] for i in range(0, count, batch)]
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        made = [d for chunk in pool.map(lambda c: client.call("POST", "dcim/devices", c), chunks) for d in chunk]
    return time.perf_counter() - started, [d["id"] for d in made]


def cables(client, ctx, device_ids: list[str], batch: int, workers: int) -> tuple[float, int]:
    interfaces = []
    for start in range(0, len(device_ids), 50):
        interfaces += client.all("dcim/interfaces", device_id=device_ids[start:start + 50])
    ids = [i["id"] for i in interfaces]
    pairs = [{"termination_a_type": "dcim.interface", "termination_a_id": ids[i],
              "termination_b_type": "dcim.interface", "termination_b_id": ids[i + 1],
              "status": ctx["status"], "type": "mmf"} for i in range(0, len(ids) - 1, 2)]
    chunks = [pairs[i:i + batch] for i in range(0, len(pairs), batch)]
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda c: client.call("POST", "dcim/cables", c), chunks))
    return time.perf_counter() - started, len(pairs)


BULK_DEVICES = """
import json, sys
from nautobot.dcim.models import Device, Interface
from nautobot.extras.models import Status
ctx = json.load(open({ctx!r}))
status = Status.objects.get(pk=ctx["status"])
iface_status = Status.objects.get_for_model(Interface).get(name="Planned")
devices = [Device(name=f"{{ctx['prefix']}}-{{i}}", device_type_id=ctx["type"], role_id=ctx["role"],
                  location_id=ctx["hall"], status=status) for i in range(ctx["count"])]
Device.objects.bulk_create(devices, batch_size=5000)
Interface.objects.bulk_create([Interface(device=d, name=f"p{{n}}", type="infiniband-ndr", status=iface_status)
                               for d in devices for n in range(1, 9)], batch_size=5000)
"""


def bulk(server, client, ctx, cables_wanted: int, workdir) -> None:
    """The bulk-load Job (nautobot_jobs/gwplan_cables.py) on `cables_wanted` cables, against the API's cables/s
    measured in the same run on the same server. The devices (8 ports each) are made by bulk ORM inserts, which
    the benchmark needs only to have enough free ports (through the API they would take hours)."""
    from pathlib import Path

    count = (cables_wanted + 3) // 4  # 8 ports a device, a cable takes two
    spec = Path(workdir) / "bench-devices.json"
    spec.write_text(json.dumps({**ctx, "prefix": "bulk", "count": count}))
    started = time.perf_counter()
    made = server.manage("shell", "--command", BULK_DEVICES.format(ctx=str(spec)))
    if made.returncode:
        raise RuntimeError(made.stderr[-2000:])
    print(f"- {count:,} devices with {8 * count:,} interfaces by bulk ORM inserts: "
          f"{time.perf_counter() - started:.1f} s")
    tag = "gwplan-phase-bench"
    lines = [json.dumps({"gwplan_cables": 1, "phase": "bench", "tag": tag, "status": "Planned",
                         "count": 4 * count})]
    for d in range(0, count, 2):
        for n in range(1, 9):
            lines.append(json.dumps({"a": [f"bulk-{d}", f"p{n}"], "b": [f"bulk-{d + 1}", f"p{n}"], "type": "mmf"}))
    path = Path(workdir) / "bench-cables.jsonl"
    path.write_text("\n".join(lines[:1] + lines[1:4 * count + 1]) + "\n")
    server.enable_jobs()
    started = time.perf_counter()
    run = server.run_job("gwplan_cables.LoadCables", {"path": str(path)})
    job_s = time.perf_counter() - started
    if "LoadCables: SUCCESS" not in run.stdout:
        raise RuntimeError(run.stdout[-3000:] + run.stderr[-2000:])
    cables_n = len(lines) - 1
    inside = next((line.strip() for line in run.stdout.splitlines() if "info: created" in line), "")
    seconds, ids = devices(client, ctx, "api", 40, 20, 2)
    api_s, api_n = cables(client, ctx, ids, 20, 2)
    print(f"- bulk-load Job: {cables_n:,} cables in {job_s:.1f} s (whole `nautobot-server runjob`, start-up "
          f"included): {cables_n / job_s:,.0f} cables/s; the Job's own log: {inside}")
    print(f"- REST API, same server (development server, batches of 20, 2 in flight): {api_n / api_s:,.1f} cables/s")
    print(f"- ratio: the Job is {(cables_n / job_s) / (api_n / api_s):,.0f}x the API; a 1 GW site's ~2M cables "
          f"take {2e6 / (cables_n / job_s) / 60:,.1f} min by the Job, {2e6 / (api_n / api_s) / 3600:,.0f} h by the API")


def main() -> int:
    from planner.nautobot.client import Client
    from tests.nautobot_server import start, stop

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bulk", type=int, metavar="CABLES",
                        help="measure the bulk-load Job on this many cables (and the API in the same run) instead")
    args = parser.parse_args()
    server = start()
    if args.bulk:
        import tempfile

        try:
            with tempfile.TemporaryDirectory() as workdir:
                os.chmod(workdir, 0o755)
                client = Client(server.development_server(), server.token)
                print("# gwplan bulk-load Job against the REST API, "
                      f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
                bulk(server, client, setup(client, "bulk"), args.bulk, workdir)
        finally:
            stop(server)
        return 0
    try:
        prod = Client(server.url, server.token)  # the test server: uWSGI, 2 processes x 2 threads
        dev = Client(server.development_server(), server.token)
        ctx = setup(dev, "a")
        print(f"# Nautobot 2.4 REST writes, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
        print("| server | batch | parallel requests | devices/s (8 interfaces each) | cables/s |")
        print("|---|---:|---:|---:|---:|")
        run = 0
        for label, client, cases in (("development (runserver)", dev, ((20, 1), (100, 1), (50, 2))),
                                     ("uWSGI, 2 processes x 2 threads", prod, ((100, 1), (50, 2), (25, 4)))):
            for batch, workers in cases:
                run += 1
                seconds, ids = devices(client, ctx, f"bench{run}", 100, batch, workers)
                cable_s, n = cables(client, ctx, ids[:20], batch, workers)
                print(f"| {label} | {batch} | {workers} | {len(ids) / seconds:,.1f} | {n / cable_s:,.1f} |", flush=True)
    finally:
        stop(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
