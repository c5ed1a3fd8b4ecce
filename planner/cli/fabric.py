"""gwplan fabric: size and build a GPU fabric from a spec (file and/or flags): tiers, switches, cables."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from planner.cli import args as a
from planner.cli import outputs


def add_parser(commands) -> argparse.ArgumentParser:
    p = commands.add_parser(
        "fabric", help="size and build a GPU fabric from a spec: tiers, switches, cables", formatter_class=a.RAW,
        description="Size a rail-optimized, multi-plane folded Clos from a fabric spec (YAML) and/or flags "
                    "(flags override the file). Prints tiers, switches by role and cables by tier.",
        epilog="example:\n  gwplan fabric --nodes 2048 --gpus-per-node 4 --rails 4 --planes 2 --switch q3400 "
               "--nodes-per-su 32 --format bom --json\n")
    p.add_argument("spec", metavar="SPEC", nargs="?", help="fabric spec YAML (optional if flags say it all)")
    p.add_argument("--nodes", type=a.positive_int, help="compute nodes (trays / servers)")
    p.add_argument("--gpus-per-node", type=a.positive_int, help="GPUs per node")
    p.add_argument("--rails", type=a.positive_int, help="scale-out NIC ports per node in one plane")
    p.add_argument("--planes", type=a.positive_int, help="independent scale-out planes (default 1)")
    p.add_argument("--port-gbps", type=a.positive_float, help="port speed in Gb/s")
    p.add_argument("--switch-radix", type=a.positive_int, help="ports per switch")
    p.add_argument("--switch", help="switch model from the catalog (sets radix and port speed), e.g. q3400")
    p.add_argument("--nodes-per-su", type=a.positive_int, help="nodes in one scalable unit")
    p.add_argument("--oversubscription", type=a.positive_float, help="leaf downlink:uplink (default 1)")
    p.add_argument("--nvlink-domain-gpus", type=a.positive_int, help="GPUs per NVLink (scale-up) domain")
    p.add_argument("--leaves-per-rail", type=a.positive_int,
                   help="leaves per rail per plane in one SU (default: as few as the leaf's node ports allow)")
    p.add_argument("--rail-only", action="store_true", default=None,
                   help="one tier of rail leaves and no spines (one SU only): each rail is its own network, "
                        "cross-rail traffic only through NVLink relays")
    a.add_formats(p, a.FABRIC_FORMATS,
                  "one or more (repeatable, or comma-separated) of: summary (a table, default), bom (switch and cable "
                  "counts; with --json, one JSON object), graphml, json (node-link), dot (NVIDIA Air conventions; UFM "
                  "cable validation for Ethernet), cabling (port-level CSV), bom-csv, netbox (an import bundle for an "
                  "empty NetBox 4.x), ufm (UFM cable validation P2P sheet, InfiniBand); files go into -o DIR")
    p.add_argument("-o", "--output", metavar="DIR", type=Path, default=Path("out") / "fabric",
                   help="directory for file formats (default out/fabric)")
    p.add_argument("--failures", action="store_true",
                   help="report what losing one leaf, one spine, one core, one plane and one NVLink domain costs "
                        "(GPUs cut off, bandwidth lost, bisection left by max-flow), and hops / ECMP paths between "
                        "sample GPU pairs")
    p.add_argument("--compact", action="store_true",
                   help="file exports aggregate each scalable unit's nodes and GPUs into one vertex (same switches "
                        "and cables; for very large fabrics)")
    p.add_argument("--site", default="fabric", help="site name for the NetBox bundle (default fabric)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    return p


def run(args: argparse.Namespace) -> int:
    from planner.cli.runtime import busy
    from planner.fabric.bom import spec_figures
    from planner.fabric.spec_file import FABRIC_FIELDS, load_fabric_spec
    from topology.spec import FabricError

    spec, _, switch = load_fabric_spec(args.spec, {k: getattr(args, k, None) for k in FABRIC_FIELDS})
    source = args.spec or "command line"
    formats = a.formats_of(args)
    files = [f for f in formats if f in a.FABRIC_FILE_FORMATS]
    a.refuse_compact_detail(args.compact, files)
    if files:
        outputs.check_output_dir(args.output)  # before the graph is built: a bad -o costs nothing
    written, failures = {}, {}
    try:
        figures = spec_figures(spec, switch)
        if files:
            from planner.fabric.clusters import device_model
            from topology.clos import rail_optimized_clos
            from topology.export import export
            from topology.ports import generic_switch

            with busy(args, f"building and exporting a {spec.gpus:,}-GPU fabric ({', '.join(files)})"):
                written = export(rail_optimized_clos(spec, compact=args.compact), figures.bom, args.output, files,
                                 device_model(switch) if switch is not None else generic_switch(spec.switch_radix,
                                                                                                spec.port_gbps),
                                 netbox={"site": args.site})
        if args.failures:
            from topology.analysis import failures_and_paths

            with busy(args, f"failing the elements of a {spec.gpus:,}-GPU fabric one at a time"):
                failures = failures_and_paths(spec)
    except (FabricError, ValueError) as err:  # ValueError: a format this fabric cannot give (ufm on Ethernet)
        print(f"{source}: {err}", file=sys.stderr)
        return a.EXIT_INPUT
    if args.json:
        print(json.dumps({**figures.as_json(), **failures, "size": figures.size.__dict__, "files": written}))
        return a.EXIT_OK
    for fmt, path in written.items():
        print(f"{fmt}: {path}")
    if {"summary", "bom"} & set(formats):
        from planner.report.text import console, print_spec_figures

        print_spec_figures(console(120), figures, failures)
    return a.EXIT_OK
