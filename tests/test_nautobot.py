"""A plan's phases in a real Nautobot 2.4 with NVIDIA's nvdatamodels app (started by the `nautobot` fixture):
deploy phases in order, remove one, rerun without writes, update only what changed, report hand edits as
drift, and fail with one clear line on an unreachable server, a refused token or a missing app."""

from __future__ import annotations

import copy
import json

import pytest

from planner.cli import main
from planner.nautobot.client import Client, NautobotError
from planner.nautobot.reconcile import reconcile, remove_phase
from planner.nautobot.records import phase_records
from planner.plan import dump_plan
from tests.helpers import site, tiny_doc

# A small platform so that each phase is a handful of records (every write costs the server ~0.1-0.5 s): a
# rack of 2 trays of 1 GPU (one NVLink domain), one 400G NIC per GPU (one rail), 8-port switches, an SU of one
# rack. A 1 MW phase is one rack: 2 trays, a leaf (and the site's spine in the first phase), 4 cables.
MINI = {"platforms": [{"id": "mini", "name": "Mini", "available_from": "2020-01-01", "gpus_per_rack": 2,
                       "gpu_dies_per_rack": 2, "gpus_per_node": 1, "nvlink_domain_gpus": 2, "rack_it_kw": 1000,
                       "system_capex_usd_per_rack": 0, "scale_out_gbps_per_gpu": 400, "scale_out_nics_per_gpu": 1,
                       "switch": "mini8", "su_racks": 1}],
        "switches": [{"id": "mini8", "name": "Mini 8-port", "ports": 8, "port_gbps": 400, "netbox_device_type": None,
                      "protocol": "infiniband", "port_names": "p{n}"}]}


def mini_rollout(folder, site_id: str, phase_ids: list[str], region: str = "r1"):
    """(plan, plan file) of 1 MW phases (one rack each) of the MINI platform at one site, written in `folder`."""
    from planner.files import dump_yaml, write_text_atomic
    from planner.optimize.options import SolveOptions
    from planner.optimize.rollout import plan_rollout
    from planner.scenario import load_scenario

    doc = tiny_doc([site(site_id, block_mw=1.0, region=region)], phases=[
        {"id": pid, "online_date": f"{2027 + i}-01-01", "it_mw_required": 1.0, "platform": "mini",
         "funding_usd": 1e12} for i, pid in enumerate(phase_ids)], **copy.deepcopy(MINI))
    write_text_atomic(folder / "s.yaml", dump_yaml(doc))
    plan = plan_rollout(load_scenario(folder / "s.yaml"), SolveOptions()).plan
    dump_plan(plan, folder / "plan.yaml")
    return plan, folder / "plan.yaml"


@pytest.fixture(scope="module")
def mini_plan(tmp_path_factory):
    """Three phases of 1 MW (one rack each) at one site."""
    return mini_rollout(tmp_path_factory.mktemp("mini"), "A", ["1", "2", "3"])


def tagged(client: Client, phase: str) -> dict[str, int]:
    tag = f"gwplan-phase-{phase}"
    return {kind: len(client.all(path, tags=tag)) for kind, path in (
        ("devices", "dcim/devices"), ("cables", "dcim/cables"), ("racks", "dcim/racks"),
        ("power_panels", "dcim/power-panels"), ("power_feeds", "dcim/power-feeds"),
        ("nvlink_domains", "plugins/nvdatamodels/nvlink-domains"))}


@pytest.fixture
def untouched_nautobot(nautobot):
    """A server gwplan has not written to: the session's own when this module runs first on it (as the suite
    schedules it: tests/conftest.py), else one of its own from the migrated database (~30 s)."""
    from planner.nautobot.records import LOCATION_TYPES
    from tests.nautobot_server import start, stop

    ours = {name for name, _, _ in LOCATION_TYPES}
    if not ours & {t["name"] for t in Client(nautobot.url, nautobot.token).all("dcim/location-types")}:
        yield nautobot
        return
    server = start()
    yield server
    stop(server)


def test_a_dry_run_against_a_nautobot_gwplan_never_wrote_to_counts_every_record_and_writes_nothing(
        untouched_nautobot, mini_plan, monkeypatch, capsys):
    """The first thing a user runs, on a server with no gwplan tag, location types, roles or device types yet:
    the reads a sync filters by them (campuses and halls by type, cables by tag) have nothing to find and are
    not made (Nautobot refuses a filter on a record that does not exist, HTTP 400). Every record of the phase
    is counted as a create, and nothing is written."""
    plan, path = mini_plan
    server = untouched_nautobot
    monkeypatch.setenv("NAUTOBOT_TOKEN", server.token)
    assert main(["-q", "sync", str(path), "--phase", "1", "--nautobot", server.url, "--dry-run", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    records = phase_records(plan, "1")
    assert report["dry_run"] and report["writes"] == 0
    assert {kind: counts.get("create") for kind, counts in report["counts"].items() if kind in tagged_expected(
        records)} == {kind: n for kind, n in tagged_expected(records).items() if n}
    assert report["counts"]["locations"] == {"create": len(records.regions) + len(records.campuses)
                                             + len(records.halls)}
    assert report["counts"]["location-types"] == {"create": 3}  # none of gwplan's was there
    assert report["counts"]["custom-fields"] == {"create": 1}  # the fingerprint field, made on first contact
    assert report["counts"]["tags"] == {"create": 1}
    client = Client(server.url, server.token)
    assert "gwplan-phase-1" not in {t["name"] for t in client.all("extras/tags")}
    assert client.all("dcim/devices") == [] and client.all("dcim/locations") == []


def test_phases_deploy_in_order_rerun_writes_nothing_and_removal_is_exact(nautobot, mini_plan):
    plan, _ = mini_plan
    client = Client(nautobot.url, nautobot.token)
    expected = {}
    for phase in ("1", "2", "3"):
        records = phase_records(plan, phase)
        report = reconcile(client, records)
        assert report.count("create") >= len(records.devices) + len(records.cables) and not report.drift
        expected[phase] = {"devices": len(records.devices), "cables": len(records.cables),
                           "racks": len(records.racks), "power_panels": len(records.power_panels),
                           "power_feeds": len(records.power_feeds), "nvlink_domains": len(records.domains)}
        assert records.power_panels and len(records.power_feeds) == len(records.power_panels)
        assert tagged(client, phase) == expected[phase]
    again = reconcile(client, phase_records(plan, "2"))
    assert again.writes == 0 and again.actions == {}  # idempotent: nothing to write, nothing written
    members = client.all("plugins/nvdatamodels/nvlink-domain-memberships")
    assert len(members) == sum(2 * n["nvlink_domains"] for n in expected.values())  # 2 trays per rack
    one = client.all("plugins/nvdatamodels/nvlink-domains", tags="gwplan-phase-1")[0]  # a sync reads them by domain
    assert len(client.all("plugins/nvdatamodels/nvlink-domain-memberships", domain=[one["id"]])) == 2
    removed = remove_phase(client, "3")
    assert removed.count("delete") == sum(expected["3"].values()) + 1  # + its data hall
    assert tagged(client, "3") == dict.fromkeys(expected["3"], 0)
    assert tagged(client, "1") == expected["1"] and tagged(client, "2") == expected["2"]
    redeployed = reconcile(client, phase_records(plan, "3"))  # and back: phase 3 again, cleanly
    assert tagged(client, "3") == expected["3"] and not redeployed.drift


def test_a_plan_change_updates_only_what_changed(nautobot, mini_plan):
    plan, _ = mini_plan
    client = Client(nautobot.url, nautobot.token)
    reconcile(client, phase_records(plan, "1"))
    changed = phase_records(plan, "1")
    device = sorted(d for d in changed.devices if "-node-" in d)[0]
    changed.devices[device] = {**changed.devices[device], "role": "Leaf"}  # the plan now says otherwise
    gone = sorted(changed.cables)[0]
    del changed.cables[gone]
    report = reconcile(client, changed)
    assert report.actions == {"devices": {"update": [device]}, "cables": {"delete": [f"{gone[0]} {gone[1]}"]}}
    back = reconcile(client, phase_records(plan, "1"))
    assert back.count("update") == 1 and back.count("create") == 1 and back.count("delete") == 0


def test_a_hand_edit_is_reported_as_drift_and_left_alone(nautobot, mini_plan):
    plan, _ = mini_plan
    client = Client(nautobot.url, nautobot.token)
    records = phase_records(plan, "2")
    reconcile(client, records)
    name = sorted(records.devices)[0]
    (device,) = client.all("dcim/devices", name=name)
    roles = {r["name"]: r["id"] for r in client.all("extras/roles")}
    client.update("dcim/devices", [{"id": device["id"], "role": roles["Spine"]}])  # someone edits it by hand
    report = reconcile(client, records)
    assert report.drift == [("devices", name)] and report.writes == 0
    (after,) = client.all("dcim/devices", name=name)
    assert after["role"]["id"] == roles["Spine"]  # not overwritten


def test_dry_run_through_the_command_line_writes_nothing(nautobot, mini_plan, monkeypatch, capsys):
    plan, path = mini_plan
    client = Client(nautobot.url, nautobot.token)
    remove_phase(client, "3")
    monkeypatch.setenv("NAUTOBOT_TOKEN", nautobot.token)
    assert main(["-q", "sync", str(path), "--phase", "3", "--nautobot", nautobot.url, "--dry-run", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    records = phase_records(plan, "3")
    assert report["dry_run"] and report["writes"] == 0
    assert report["counts"]["devices"] == {"create": len(records.devices)}
    assert tagged(client, "3")["devices"] == 0
    assert main(["-q", "sync", str(path), "--phase", "3", "--nautobot", nautobot.url]) == 0
    assert "create" in capsys.readouterr().out and tagged(client, "3")["devices"] == len(records.devices)
    assert nautobot.token not in capsys.readouterr().out


@pytest.mark.parametrize("case", ["unreachable", "bad token", "no app"])
def test_failures_give_one_clear_line_and_write_nothing(nautobot, mini_plan, monkeypatch, capsys, case):
    from tests.nautobot_server import free_port

    _, path = mini_plan
    url, token = nautobot.url, nautobot.token
    if case == "unreachable":
        url = f"http://127.0.0.1:{free_port()}"
    elif case == "bad token":
        token = "0" * 40
    else:
        url = nautobot.without_app()
    monkeypatch.setenv("NAUTOBOT_TOKEN", token)
    before = tagged(Client(nautobot.url, nautobot.token), "1")
    assert main(["-q", "sync", str(path), "--phase", "1", "--nautobot", url]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0]
    assert {"unreachable": "cannot reach Nautobot", "bad token": "refused the token",
            "no app": "nautobot-nvdatamodels"}[case] in err[0]
    assert token not in err[0]
    assert tagged(Client(nautobot.url, nautobot.token), "1") == before
    with pytest.raises(NautobotError):
        Client(url, token).check()


def test_the_pulumi_provider_creates_diffs_updates_and_deletes_as_the_engine_calls_it(nautobot, mini_plan):
    """NautobotProvider's four methods with the props the engine passes (stacks/nautobot.py), against the
    real server: create writes the hall's records, diff sees a changed content hash only, update is a
    reconcile that writes nothing when nothing changed, delete removes exactly that phase at that site."""
    from stacks.nautobot import NautobotProvider, content_hash

    plan, path = mini_plan
    client = Client(nautobot.url, nautobot.token)
    remove_phase(client, "3")
    provider = NautobotProvider()
    records = phase_records(plan, "3", "A")
    props = {"url": nautobot.url, "token": nautobot.token, "plan": str(path), "phase": "3", "site": "A",
             "content_hash": content_hash(records)}
    created = provider.create(props)
    assert created.id == "A-hall-3" and "token" not in created.outs
    assert created.outs["counts"]["devices"] == len(records.devices) == tagged(client, "3")["devices"]
    same = provider.diff(created.id, created.outs, props)
    assert not same.changes
    moved = provider.diff(created.id, created.outs, {**props, "content_hash": "0" * 32})
    assert moved.changes and not moved.replaces
    assert provider.diff(created.id, created.outs, {**props, "site": "B"}).replaces == ["site"]
    updated = provider.update(created.id, created.outs, props)
    assert updated.outs["writes"] == 0 and updated.outs["drift"] == []
    provider.delete(created.id, {**created.outs, "token": nautobot.token})
    assert set(tagged(client, "3").values()) == {0}
    assert tagged(client, "1")["devices"] > 0  # the other phases stay


def test_power_feeds_carry_each_blocks_share_of_facility_power(mini_plan):
    """One panel and feed per power block; the feed's rating (three-phase, derated) covers the block."""
    import math

    from planner.nautobot.records import FEED_MAX_UTILIZATION, FEED_VOLTAGE

    plan, _ = mini_plan
    for phase in plan.phases:
        records = phase_records(plan, phase.id)
        s = phase.sites[0]
        assert len(records.power_panels) == sum(s.blocks_added)
        for feed in records.power_feeds.values():
            watts = math.sqrt(3) * FEED_VOLTAGE * feed["amperage"] * FEED_MAX_UTILIZATION / 100
            share = s.block_it_mw_added * s.pue * 1e6 / sum(s.blocks_added)
            assert share <= watts < share + math.sqrt(3) * FEED_VOLTAGE  # the smallest whole amperage


def test_a_sync_that_fails_half_way_resumes_without_duplicates(nautobot, mini_plan, monkeypatch, capsys):
    """The network goes after the first bulk create (racks written, devices not): one clear line, exit 2, and
    the next run creates only what is missing; the phase ends exactly as a clean run leaves it, no record
    twice, and the token appears nowhere."""
    plan, path = mini_plan
    client = Client(nautobot.url, nautobot.token)
    remove_phase(client, "3")
    for earlier in ("1", "2"):  # phase 3 builds in the campus phase 1 opens
        reconcile(client, phase_records(plan, earlier))
    records = phase_records(plan, "3")
    real = Client.call
    posts = {"n": 0}

    def flaky(self, method, api_path, body=None, params=None):
        if method == "POST":
            posts["n"] += 1
            if posts["n"] > 3:  # a few kinds written, then the connection drops
                raise NautobotError(f"cannot reach Nautobot at {self.url} (connection reset)")
        return real(self, method, api_path, body, params)

    monkeypatch.setenv("NAUTOBOT_TOKEN", nautobot.token)
    monkeypatch.setattr(Client, "call", flaky)
    assert main(["-q", "sync", str(path), "--phase", "3", "--nautobot", nautobot.url]) == 2
    err = capsys.readouterr().err
    assert "connection reset" in err and nautobot.token not in err and len(err.strip().splitlines()) == 1
    half = tagged(client, "3")
    assert sum(half.values()) < sum(tagged_expected(records).values())  # stopped part way
    monkeypatch.setattr(Client, "call", real)
    assert main(["-q", "sync", str(path), "--phase", "3", "--nautobot", nautobot.url]) == 0
    assert tagged(client, "3") == tagged_expected(records)
    names = [d["name"] for d in client.all("dcim/devices", tags="gwplan-phase-3")]
    assert len(names) == len(set(names))  # no device twice
    again = reconcile(client, records)
    assert again.writes == 0  # and the resumed phase is complete: nothing left to write
    assert nautobot.token not in capsys.readouterr().out


def tagged_expected(records) -> dict[str, int]:
    return {"devices": len(records.devices), "cables": len(records.cables), "racks": len(records.racks),
            "power_panels": len(records.power_panels), "power_feeds": len(records.power_feeds),
            "nvlink_domains": len(records.domains)}


def test_a_phase_synced_before_the_phase_that_opens_its_campus_is_refused_before_any_write(nautobot, mini_plan):
    """Phase 2 builds a data hall in a campus phase 1 opens: with that campus not in Nautobot (here, phase 2's
    records pointed at a campus nobody opened), the sync stops before any write and says what to do."""
    import dataclasses

    plan, _ = mini_plan
    client = Client(nautobot.url, nautobot.token)
    records = phase_records(plan, "2")
    orphan = dataclasses.replace(records, halls={hall: "Z" for hall in records.halls}, campuses={})
    before = {phase: tagged(client, phase) for phase in ("1", "2", "3")}
    with pytest.raises(NautobotError, match="builds in campus Z, which an earlier phase opens .* sync the earlier"):
        reconcile(client, orphan)
    assert {phase: tagged(client, phase) for phase in ("1", "2", "3")} == before  # nothing written


def test_a_region_is_found_by_its_type_not_by_a_name_another_location_shares(nautobot, tmp_path):
    """A location of the user's own types that has a region's name (a metro inside a country, called like the grid
    region) is neither taken for the region nor changed: the region is its own Region location, the campus's
    parent. (Nautobot itself refuses a second root-level location of one name.)"""
    from planner.nautobot.records import STATUS

    plan, _ = mini_rollout(tmp_path, "L", ["9"], region="lookalike")
    client = Client(nautobot.url, nautobot.token)
    status = {r["name"]: r["id"] for r in client.all("extras/statuses")}[STATUS]
    (country_type,) = client.create("dcim/location-types", [{"name": "Country (user's own)", "content_types": []}])
    (metro_type,) = client.create("dcim/location-types", [{"name": "Metro (user's own)", "content_types": [],
                                                           "parent": country_type["id"]}])
    (country,) = client.create("dcim/locations", [{"name": "Elsewhere", "location_type": country_type["id"],
                                                    "status": status}])
    (metro,) = client.create("dcim/locations", [{"name": "lookalike", "location_type": metro_type["id"],
                                                  "parent": country["id"], "status": status}])
    try:
        report = reconcile(client, phase_records(plan, "9"))
        assert report.actions["locations"]["create"][:2] == ["lookalike", "L"]  # the region, then the campus
        (campus,) = client.all("dcim/locations", name="L")
        (region,) = client.all("dcim/locations", id=campus["parent"]["id"])
        assert region["name"] == "lookalike" and region["id"] != metro["id"]
        (untouched,) = client.all("dcim/locations", id=metro["id"])
        assert untouched["location_type"]["id"] == metro_type["id"] and untouched["parent"]["id"] == country["id"]
    finally:
        remove_phase(client, "9")
        client.delete("dcim/locations", [metro["id"]])
        client.delete("dcim/locations", [country["id"]])
