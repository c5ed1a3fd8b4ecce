"""The bulk path for a site's cables: `gwplan sync --cables-file` writes everything but the cables through the
API and the cables to a file, and the Nautobot Job nautobot_jobs/gwplan_cables.py loads that file inside a
real Nautobot (run with `nautobot-server runjob`, as the README says). What it writes must be what Nautobot's
own cable save writes: the same peers and paths as cables traced through the API, the same tag and fingerprint
(so a later `gwplan sync` writes nothing), and a cable removal through the API that works as for any cable."""

from __future__ import annotations

import json

import pytest

from planner.cli import main
from planner.nautobot.client import Client
from planner.nautobot.records import phase_records
from tests.test_nautobot import mini_rollout

JOB = "gwplan_cables.LoadCables"


@pytest.fixture(scope="module")
def bulk_plan(tmp_path_factory):
    """Two phases of 1 MW at site K, with phase ids of their own (b1, b2), so their tags are apart from
    the other Nautobot tests' phases (b1 is the one loaded)."""
    return mini_rollout(tmp_path_factory.mktemp("bulk"), "K", ["b1", "b2"])


@pytest.fixture
def jobs(nautobot, monkeypatch):
    """The server with gwplan's Jobs registered and enabled, and its token where gwplan sync reads it."""
    nautobot.enable_jobs()
    monkeypatch.setenv("NAUTOBOT_TOKEN", nautobot.token)
    return nautobot


def ends(client: Client, devices: set[str]) -> dict[tuple[str, str], dict]:
    """(device, port) -> the interface as the API shows it, for cabled ports of these devices."""
    ids = {d["id"]: d["name"] for d in client.all("dcim/devices", name=sorted(devices))}
    out = {}
    for i in client.all("dcim/interfaces", device_id=sorted(ids)):
        if i.get("cable"):
            out[(ids[i["device"]["id"]], i["name"])] = i
    return out


def outcome(run) -> tuple[str, str]:
    """SUCCESS or FAILURE, and the output, of a `nautobot-server runjob` (which exits 0 either way)."""
    text = run.stdout + run.stderr
    assert run.returncode == 0, text[-2000:]
    return ("FAILURE" if f"{JOB}: FAILURE" in text else "SUCCESS" if f"{JOB}: SUCCESS" in text else "?"), text


def shape(interface: dict) -> tuple:
    """What Nautobot derives from a cable and its path, without ids."""
    return (interface["cable_peer_type"], interface["connected_endpoint_type"],
            interface["connected_endpoint_reachable"])


def sync_json(capsys, *argv) -> dict:
    capsys.readouterr()
    code = main(["-q", "sync", *argv, "--json"])
    out = capsys.readouterr()
    assert out.out, f"exit {code}: {out.err}"
    return {"code": code, **json.loads(out.out)}


def header(lines: list[str], count: int) -> str:
    return json.dumps({**json.loads(lines[0]), "count": count})


def test_cables_loaded_by_the_job_are_what_nautobot_traces_and_what_sync_expects(jobs, bulk_plan, tmp_path, capsys):
    plan, path = bulk_plan
    client = Client(jobs.url, jobs.token)
    records = phase_records(plan, "b1")
    assert len(records.cables) >= 3, "the test phase must have a few cables"
    cables_file = tmp_path / "b1.jsonl"
    done = sync_json(capsys, str(path), "--phase", "b1", "--nautobot", jobs.url, "--cables-file", str(cables_file))
    assert done["code"] == 0 and done["cables"] == len(records.cables)
    assert "cables" not in done["counts"]  # left to the Job
    assert client.all("dcim/cables", tags="gwplan-phase-b1") == []
    lines = cables_file.read_text().splitlines()
    assert json.loads(lines[0])["count"] == len(records.cables) == len(lines) - 1

    # refused before any write: a file cut short, a port named twice
    first, other = json.loads(lines[1]), json.loads(lines[2])
    cut = tmp_path / "cut.jsonl"
    cut.write_text("\n".join(lines[:-1]) + "\n")
    twice = tmp_path / "twice.jsonl"
    twice.write_text("\n".join([header(lines, 2), lines[2], json.dumps({**first, "b": other["b"]})]) + "\n")
    for bad, why in ((cut, "cut short"), (twice, "named by two cables")):
        status, text = outcome(jobs.run_job(JOB, {"path": str(bad)}))
        assert status == "FAILURE" and why in text and "Traceback" not in text, text
    assert client.all("dcim/cables", tags="gwplan-phase-b1") == []

    # the Job loads all but the last cable; gwplan sync then cables that one through the API (traced by Nautobot)
    most = tmp_path / "most.jsonl"
    most.write_text("\n".join([header(lines, len(lines) - 2), *lines[1:-1]]) + "\n")
    status, text = outcome(jobs.run_job(JOB, {"path": str(most), "dry_run": True}))
    assert status == "SUCCESS" and f"would create {len(lines) - 2} cables" in text
    assert client.all("dcim/cables", tags="gwplan-phase-b1") == []
    status, text = outcome(jobs.run_job(JOB, {"path": str(most)}))
    assert status == "SUCCESS" and f"created {len(lines) - 2} cables" in text
    last = json.loads(lines[-1])
    after = sync_json(capsys, str(path), "--phase", "b1", "--nautobot", jobs.url)
    assert after["code"] == 0 and after["drift"] == []  # the Job's cables are gwplan's own: only the last is new
    assert after["counts"] == {"cables": {"create": 1}}
    assert len(client.all("dcim/cables", tags="gwplan-phase-b1")) == len(records.cables)

    # what Nautobot derives from a cable (peers, connected endpoints, paths) is the same for both
    cabled = ends(client, {d for (a, _), (b, _, _) in records.cables.items() for d in (a, b)})
    for (a, a_port), (b, b_port, _) in records.cables.items():
        ia, ib = cabled[(a, a_port)], cabled[(b, b_port)]
        assert ia["cable"]["id"] == ib["cable"]["id"]
        assert ia["cable_peer"]["id"] == ib["id"] and ib["cable_peer"]["id"] == ia["id"]
        assert ia["connected_endpoint"]["id"] == ib["id"] and ib["connected_endpoint"]["id"] == ia["id"]
    traced = [cabled[tuple(last["a"])], cabled[tuple(last["b"])]]
    bulk = [i for key, i in cabled.items() if key not in (tuple(last["a"]), tuple(last["b"]))]
    assert {shape(i) for i in bulk} == {shape(i) for i in traced}
    trace = client.call("GET", f"dcim/interfaces/{bulk[0]['id']}/trace")
    reference = client.call("GET", f"dcim/interfaces/{traced[0]['id']}/trace")
    assert len(trace) == len(reference) == 1 and len(trace[0]) == len(reference[0]) == 3

    # a cable onto ports cabled elsewhere is refused whole; the whole file creates nothing now
    taken = tmp_path / "taken.jsonl"
    taken.write_text(header(lines, 1) + "\n" + json.dumps({**first, "b": other["b"]}) + "\n")
    status, text = outcome(jobs.run_job(JOB, {"path": str(taken)}))
    assert status == "FAILURE" and "already cabled to something else" in text
    status, text = outcome(jobs.run_job(JOB, {"path": str(cables_file)}))
    assert status == "SUCCESS" and f"created 0 cables (with their paths); {len(records.cables)} already there" in text
    assert len(client.all("dcim/cables", tags="gwplan-phase-b1")) == len(records.cables)

    # removal through the API treats them as any cable
    removed = sync_json(capsys, str(path), "--phase", "b1", "--nautobot", jobs.url, "--remove")
    assert removed["code"] == 0 and removed["counts"]["cables"]["delete"] == len(records.cables)
    assert client.all("dcim/cables", tags="gwplan-phase-b1") == []


def test_cables_file_is_refused_with_remove_and_where_it_cannot_be_written(bulk_plan, tmp_path, monkeypatch, capsys):
    """Checked before Nautobot is contacted (the URL here answers nothing)."""
    _, path = bulk_plan
    monkeypatch.setenv("NAUTOBOT_TOKEN", "x" * 40)
    url = "http://127.0.0.1:9"
    assert main(["-q", "sync", str(path), "--phase", "b1", "--nautobot", url, "--remove",
                 "--cables-file", str(tmp_path / "c.jsonl")]) == 2
    assert "does not go with --remove" in capsys.readouterr().err
    assert main(["-q", "sync", str(path), "--phase", "b1", "--nautobot", url, "--cables-file", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
    assert main(["-q", "sync", str(path), "--phase", "b1", "--nautobot", url, "--cables-file", str(path)]) == 2
    assert "both the input and an output" in capsys.readouterr().err
