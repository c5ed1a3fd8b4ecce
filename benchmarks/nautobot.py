"""Records per second into Nautobot through its REST API: batch sizes, parallel requests, and Nautobot's
production server (uWSGI, `nautobot-server start`) against its development server, on a throwaway
Nautobot 2.4 + nvdatamodels (tests/nautobot_server.py).

    python -m benchmarks.nautobot              # ~10 minutes on 2 cores

Devices are compute trays with 8 interfaces (created from their device type's templates, as Nautobot
does for every device); cables join two interfaces. The gwplan reconcile writes in batches of
planner.nautobot.client.BATCH.
"""

from __future__ import annotations

import concurrent.futures
import os
import subprocess
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
    pairs = [{"termination_a_type": "dcim.interface", "termination_a_id": ids[i], "termination_b_type": "dcim.interface",
              "termination_b_id": ids[i + 1], "status": ctx["status"], "type": "mmf"} for i in range(0, len(ids) - 1, 2)]
    chunks = [pairs[i:i + batch] for i in range(0, len(pairs), batch)]
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda c: client.call("POST", "dcim/cables", c), chunks))
    return time.perf_counter() - started, len(pairs)


def uwsgi(server, processes: int = 2) -> tuple[str, subprocess.Popen]:
    """Nautobot's production server (uWSGI via `nautobot-server start`) on the same database."""
    from tests.nautobot_server import free_port, wait_until_up

    port = free_port()
    env = {**os.environ, "NAUTOBOT_CONFIG": str(server.root / "nautobot_config.py"), "NAUTOBOT_ROOT": str(server.root)}
    web = subprocess.Popen([str(server.python), "-m", "nautobot.core.cli", "start", f"--http=127.0.0.1:{port}",
                            f"--processes={processes}", "--threads=2", "--master", "--enable-threads",
                            "--die-on-term"], env=env, stdout=open(server.root / "uwsgi.log", "w"),
                           stderr=subprocess.STDOUT)
    server.processes.append(web)
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url, server.token, web, 300)
    return url, web


def main() -> int:
    from planner.nautobot.client import Client
    from tests.nautobot_server import start, stop

    server = start()
    try:
        dev = Client(server.url, server.token)
        ctx = setup(dev, "a")
        prod_url, _ = uwsgi(server)
        prod = Client(prod_url, server.token)
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
