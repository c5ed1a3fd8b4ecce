"""gwplan sync: write a phase of a plan into Nautobot (the network source of truth) without Pulumi."""

from __future__ import annotations

import argparse
import json
import os
import sys

from planner.cli import args as a

EXIT_DRIFT = 5  # the sync ran, but records changed by hand were left alone


def add_parser(commands) -> argparse.ArgumentParser:
    p = commands.add_parser(
        "sync", help="write a phase's records into Nautobot (diff first; --dry-run only shows it)",
        formatter_class=a.RAW,
        description="Reconcile the Nautobot records a phase of a plan implies (locations, racks, devices, cables, "
                    "NVLink domains; status Planned, tagged gwplan-phase-<id>) with a Nautobot 2.4 server that has "
                    "NVIDIA's nautobot-nvdatamodels app: prints creates, updates, deletes and drift (records "
                    "changed by hand, reported and left alone) by kind, then writes only the difference. A second "
                    "run writes nothing. The token comes from NAUTOBOT_TOKEN (never from the command line, where "
                    "shells and process lists would keep it).",
        epilog="examples:\n  NAUTOBOT_TOKEN=... gwplan sync plans/10gw-rollout.plan.yaml --phase 1 --nautobot "
               "https://nautobot.example.com --dry-run\n  gwplan sync PLAN --phase 3 --nautobot URL --remove   "
               "# delete exactly what phase 3 wrote\n  gwplan sync PLAN --phase 1 --nautobot URL "
               "--cables-file cables.jsonl   # a whole site: cables in bulk\n  nautobot-server runjob --local "
               "--username USER gwplan_cables.LoadCables "
               "--data '{\"path\": \"cables.jsonl\"}'\n\nexit codes: 0 in sync, 2 bad input or Nautobot refused, "
               f"{EXIT_DRIFT} written but drift found\n")
    p.add_argument("plan", metavar="PLAN", help="plan YAML written by gwplan optimize")
    p.add_argument("--phase", required=True, help="phase id")
    p.add_argument("--site", help="only this site's records")
    p.add_argument("--nautobot", metavar="URL", required=True, help="Nautobot's base URL, e.g. http://127.0.0.1:8080")
    p.add_argument("--dry-run", action="store_true", help="print the difference, write nothing")
    p.add_argument("--remove", action="store_true", help="delete every record the phase wrote (not the shared ones)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--cables-file", metavar="FILE",
                   help="leave the cables out of the API writes and write them to FILE (JSON lines) for the bulk-load "
                        "Job nautobot_jobs/gwplan_cables.py, which loads a 1 GW site's ~2M cables in minutes (through "
                        "the API they would take days: Nautobot traces every cable)")
    return p


def run(args: argparse.Namespace) -> int:
    from planner.fields import InputError, Problem
    from planner.nautobot.client import Client, NautobotError
    from planner.nautobot.reconcile import reconcile, remove_phase
    from planner.nautobot.records import phase_records
    from planner.plan import load_plan

    token = os.environ.get("NAUTOBOT_TOKEN", "")
    if not token:
        raise InputError([Problem("gwplan sync", "NAUTOBOT_TOKEN", "set it to a Nautobot API token")])
    if args.cables_file and args.remove:
        raise a.UsageError("--cables-file writes a phase's cables for loading; it does not go with --remove")
    if args.cables_file:
        from planner.cli.outputs import check_writable, refuse_outputs_that_are_inputs

        refuse_outputs_that_are_inputs([args.plan], [args.cables_file])
        check_writable(args.cables_file)
    plan = load_plan(args.plan)
    try:
        records = phase_records(plan, args.phase, args.site) if not args.remove else None
    except KeyError as err:
        raise InputError([Problem(args.plan, "", err.args[0])]) from None
    client = Client(args.nautobot, token)

    def progress(step: str) -> None:
        if not args.json and not getattr(args, "quiet", False):
            print(f"  {step} ...", file=sys.stderr, flush=True)

    try:
        report = (remove_phase(client, args.phase, args.dry_run, progress) if args.remove
                  else reconcile(client, records, args.dry_run, progress, cables=not args.cables_file))
    except NautobotError as err:
        print(f"gwplan sync: {err}", file=sys.stderr)
        return a.EXIT_INPUT
    if args.cables_file:
        from planner.nautobot.records import cables_file_lines
        from topology.atomic import atomic_open

        with atomic_open(args.cables_file) as out:
            out.writelines(cables_file_lines(records))
    if args.json:
        print(json.dumps({**report.as_json(), **({"cables_file": args.cables_file,
                                                  "cables": len(records.cables)} if args.cables_file else {})}))
    else:
        verb = "would" if args.dry_run else "did"
        print(f"phase {args.phase}: {verb} create {report.count('create')}, update {report.count('update')}, "
              f"delete {report.count('delete')}; drift {report.count('drift')}; {report.writes} write requests")
        for kind, by in report.actions.items():
            print(f"  {kind}: " + ", ".join(f"{action} {len(names)}" for action, names in by.items()))
        for kind, name in report.drift[:20]:
            print(f"  drift: {kind} {name} (changed in Nautobot since gwplan wrote it; left alone)")
        if args.cables_file:
            print(f"  cables: {len(records.cables)} written to {args.cables_file} for the bulk-load Job "
                  "(nautobot_jobs/gwplan_cables.py): nautobot-server runjob --local --username USER "
                  f"gwplan_cables.LoadCables --data '{{\"path\": \"{args.cables_file}\"}}'")
    return EXIT_DRIFT if report.drift else a.EXIT_OK
