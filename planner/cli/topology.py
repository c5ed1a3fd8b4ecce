"""gwplan topology: the GPU fabrics a plan implies, per site and platform, up to a phase (or --dci)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from planner.cli import args as a
from planner.cli import outputs
from planner.fields import InputError, Problem


def add_parser(commands) -> argparse.ArgumentParser:
    p = commands.add_parser(
        "topology", help="the GPU fabrics a plan implies, per site and platform, up to a phase", formatter_class=a.RAW,
        description="For the racks a plan puts on each site up to a phase, size the scale-out fabric of each "
                    "platform (one fabric per site and GPU generation, from the platform's catalog entry recorded in "
                    "the plan), and say what each phase adds.",
        epilog="example:\n  gwplan topology out/plan.yaml --phase 3 --site tx-abilene --format summary graphml\n")
    p.add_argument("plan", metavar="PLAN", help="plan YAML written by gwplan optimize")
    p.add_argument("--phase", help="phase id: fabrics as they stand at the end of it (required without --dci)")
    p.add_argument("--dci", action="store_true",
                   help="the inter-campus network instead: fiber routes (great circle x 1.5, 5 us/km), the "
                        "lowest-latency route and edge-disjoint alternatives between every pair of campuses")
    p.add_argument("--paths", metavar="K", type=a.positive_int, default=2,
                   help="with --dci: edge-disjoint routes per pair of campuses (default 2)")
    p.add_argument("--site", help="one site only (default: every site with racks)")
    p.add_argument("--racks-per-su", type=a.positive_int,
                   help="racks per scalable unit (default: as many as fill half a leaf's ports)")
    a.add_formats(p, a.FABRIC_FORMATS,
                  "as for gwplan fabric; files go into -o DIR/<site>-<platform>/ (one cluster's graph; the NetBox "
                  "bundle holds every cluster of the site)")
    p.add_argument("-o", "--output", metavar="DIR", type=Path, default=Path("out") / "topology",
                   help="directory for file formats (default out/topology)")
    p.add_argument("--compact", action="store_true",
                   help="file exports aggregate each scalable unit's nodes and GPUs into one vertex")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    return p


def run(args: argparse.Namespace) -> int:
    from planner.fabric.bom import fabric_report
    from planner.fabric.clusters import site_fabrics
    from planner.plan import load_plan
    from topology.spec import FabricError

    plan = load_plan(args.plan)
    if args.dci:
        return campus_network(plan, args)
    if args.phase is None:
        raise InputError([Problem("gwplan topology", "",
                                  "--phase is required (or --dci for the inter-campus network)")])
    try:
        fabrics = site_fabrics(plan, args.phase, args.site, args.racks_per_su)
    except KeyError as err:
        raise InputError([Problem(args.plan, "", err.args[0])]) from None
    except FabricError as err:
        raise InputError([Problem(args.plan, "", str(err))]) from None
    wanted = [f for f in a.formats_of(args) if f in a.FABRIC_FILE_FORMATS]
    a.refuse_compact_detail(args.compact, wanted)
    if wanted:
        outputs.check_output_dir(args.output)  # before any fabric is built
    reports, files = [], []
    for fab in fabrics:
        reports.append(fabric_report(plan, fab, args.racks_per_su))
        files.append(export_cluster(plan, fab, reports[-1].bom, args, wanted) if wanted else {})
    if args.json:
        fabrics = [{**r.as_json(), "files": f} for r, f in zip(reports, files)]
        print(json.dumps({"phase": args.phase, "fabrics": fabrics}))
        return a.EXIT_OK
    from planner.report.text import console, site_fabrics_table

    out = console(140)
    out.print(site_fabrics_table(args.phase, reports))
    for r, written in zip(reports, files):
        for fmt, path in written.items():
            out.print(f"{r.site} {r.platform} {fmt}: {path}", highlight=False)
    return a.EXIT_OK


def export_cluster(plan, fab, bom, args: argparse.Namespace, formats: list[str]) -> dict[str, str]:
    """One cluster's fabric (all clusters of a site are alike) into -o DIR/<site>-<platform>/."""
    from planner.cli.runtime import busy
    from planner.fabric.clusters import device_model
    from planner.fabric.graph import phased_graph
    from topology.export import export
    from topology.spec import FabricError, bill_of_materials, size_fabric

    platform = plan.platform(fab.platform)
    switch = plan.switch(platform.switch)
    with busy(args, f"building and exporting {fab.site} {fab.platform} ({fab.spec.gpus:,} GPUs per cluster)"):
        try:
            graph = phased_graph(plan, fab, compact=args.compact)
            return export(graph, bill_of_materials(fab.spec, size_fabric(fab.spec)),
                          args.output / f"{fab.site}-{fab.platform}", formats, device_model(switch),
                          netbox={"site": fab.site, "node_model": f"{platform.name} compute tray",
                                  "cluster": fab.platform}, clusters=fab.clusters)
        except (FabricError, ValueError) as err:
            raise InputError([Problem(args.plan, "", f"{fab.site} {fab.platform}: {err}")]) from None


def campus_network(plan, args: argparse.Namespace) -> int:
    """gwplan topology PLAN --dci: the campuses of the plan (open by --phase, if given) and their fiber mesh."""
    from topology.campus import campus_graph, pair_routes

    campuses = list(plan.campuses)
    if args.phase is not None:
        try:
            index = plan.phase_index(args.phase)
        except KeyError:
            raise InputError([Problem(args.plan, "", f"phase {args.phase!r} is not in the plan")]) from None
        open_by = {s.site for s in plan.phases[index].sites}
        campuses = [c for c in campuses if c.id in open_by]
    if len(campuses) < 2:
        raise InputError([Problem(args.plan, "", "fewer than two campuses: no inter-campus network")])
    g = campus_graph(campuses)
    pairs = pair_routes(g, k=args.paths)
    files = {}
    if any(f in ("graphml", "json") for f in a.formats_of(args)):
        from topology.export import write_graphml, write_node_link_json

        args.output.mkdir(parents=True, exist_ok=True)
        for fmt, write in (("graphml", write_graphml), ("json", write_node_link_json)):
            if fmt in a.formats_of(args):
                files[fmt] = str(args.output / f"campuses.{fmt}")
                write(g, files[fmt])
    if args.json:
        links = [{"a": u, "b": v, **d} for u, v, d in g.edges(data=True)]
        print(json.dumps({"campuses": [c.__dict__ for c in campuses], "links": links, "pairs": pairs, "files": files}))
        return a.EXIT_OK
    from planner.report.text import campus_network_table, console

    out = console(160)
    out.print(campus_network_table(len(campuses), g.number_of_edges(), pairs))
    for fmt, path in files.items():
        out.print(f"{fmt}: {path}", highlight=False)
    return a.EXIT_OK
