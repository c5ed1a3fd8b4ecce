"""Pulumi resources that are real records in Nautobot: one dynamic resource per data hall a phase builds.

`NautobotDataHall` (a `pulumi.dynamic` resource: pure Python, no provider plugin to download) stands for
everything one phase writes at one campus: the campus location when the phase opens it, the data hall,
its racks, devices, cables and NVLink domains (`planner.nautobot.records`). Its input `content_hash` is
a hash of those records, so `pulumi preview` shows an update exactly when the plan changes what the hall
holds, and a 1 GW phase stays at a few resources per campus instead of ~100k. The provider calls the same
reconcile as `gwplan sync`: create and update write only the difference (drift is reported in the
resource's outputs, never overwritten); delete removes exactly that phase's records at that campus. A
campus lives across phases because each phase stack owns only its own records (tag
`gwplan-phase-<id>`): deploying phase 3 never recreates phase 1's, destroying phase 3 removes only
phase 3's; destroy phases newest first (Nautobot protects a campus that still holds later halls).
The token is a Pulumi secret input (config `gwplan:nautobotToken --secret`, or NAUTOBOT_TOKEN) and is
never returned in outputs.
"""

from __future__ import annotations

import hashlib
import json

import pulumi
import pulumi.dynamic as dynamic


def content_hash(records) -> str:
    """A hash of what a data hall holds (planner.nautobot.records.PhaseRecords), stable across runs."""
    body = {"campuses": records.campuses, "halls": records.halls, "racks": records.racks,
            "devices": records.devices, "cables": {f"{a} {p}": list(v) for (a, p), v in records.cables.items()},
            "domains": records.domains}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32]


class NautobotProvider(dynamic.ResourceProvider):
    """create / diff / update / delete as the engine calls them, over planner.nautobot.reconcile."""

    def _apply(self, props: dict) -> dict:
        from planner.nautobot.client import Client
        from planner.nautobot.reconcile import reconcile
        from planner.nautobot.records import phase_records
        from planner.plan import load_plan

        plan = load_plan(props["plan"])
        records = phase_records(plan, props["phase"], props["site"])
        report = reconcile(Client(props["url"], props["token"]), records)
        return {"counts": records.counts(), "drift": [f"{k}: {n}" for k, n in report.drift],
                "writes": report.writes}

    def create(self, props: dict) -> dynamic.CreateResult:
        outs = self._apply(props)
        return dynamic.CreateResult(id_=f"{props['site']}-hall-{props['phase']}", outs={**_public(props), **outs})

    def diff(self, _id: str, olds: dict, news: dict) -> dynamic.DiffResult:
        changed = [k for k in ("content_hash", "url", "plan") if olds.get(k) != news.get(k)]
        replaces = [k for k in ("site", "phase") if olds.get(k) != news.get(k)]
        return dynamic.DiffResult(changes=bool(changed or replaces), replaces=replaces,
                                  delete_before_replace=True)

    def update(self, _id: str, _olds: dict, news: dict) -> dynamic.UpdateResult:
        return dynamic.UpdateResult(outs={**_public(news), **self._apply(news)})

    def delete(self, _id: str, props: dict) -> None:
        from planner.nautobot.client import Client
        from planner.nautobot.reconcile import remove_phase

        remove_phase(Client(props["url"], props["token"]), props["phase"], site=props["site"])


def _public(props: dict) -> dict:
    return {k: v for k, v in props.items() if k != "token"}


class NautobotDataHall(dynamic.Resource):
    """One phase's records at one campus, in Nautobot."""

    counts: pulumi.Output[dict]
    drift: pulumi.Output[list]

    def __init__(self, name: str, *, url: str, token, plan: str, phase: str, site: str, content_hash: str,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__(NautobotProvider(), name, {
            "url": url, "token": pulumi.Output.secret(token), "plan": plan, "phase": phase, "site": site,
            "content_hash": content_hash, "counts": None, "drift": None, "writes": None}, opts)
