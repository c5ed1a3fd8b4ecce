"""gwplan export: a plan as tables for spreadsheets and data frames (CSV, XLSX, Parquet)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from planner.cli import args as a

FORMATS = ("csv", "xlsx", "parquet")


def add_parser(commands) -> argparse.ArgumentParser:
    p = commands.add_parser(
        "export", help="a plan as tables: CSV, XLSX, Parquet (per phase and site, per phase, per site)",
        formatter_class=a.RAW,
        description="Write a plan as three tables with units in the column names: phase_sites (one row per phase "
                    "and site: IT and facility MW, power blocks, power by source, racks, GPUs, capex, opex, "
                    "emissions), phases (totals against the requirement and the funding) and sites (over the "
                    "plan). csv: three files; xlsx: one workbook with three sheets; parquet: three files.",
        epilog="example:\n  gwplan export out/plan.yaml --format csv,xlsx -o out/tables\n")
    p.add_argument("plan", metavar="PLAN", help="plan YAML written by gwplan optimize")
    p.add_argument("--format", nargs="+", action=type("Formats", (a.FormatList,), {"formats": FORMATS}),
                   default=None, metavar="FORMAT", help="one or more of csv (default), xlsx, parquet")
    p.add_argument("-o", "--output", metavar="DIR", type=Path, default=Path("out") / "tables",
                   help="directory (default out/tables)")
    p.add_argument("--json", action="store_true", help="print the files written as JSON")
    return p


def run(args: argparse.Namespace) -> int:
    from planner.files import write_text_atomic
    from planner.plan import load_plan
    from planner.plan.frames import frames

    tables = frames(load_plan(args.plan))
    args.output.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in args.format or ["csv"]:
        if fmt == "xlsx":
            path = args.output / "plan.xlsx"
            tmp = path.with_suffix(".xlsx.tmp")
            with __import__("pandas").ExcelWriter(tmp, engine="openpyxl") as book:
                for name, frame in tables.items():
                    frame.to_excel(book, sheet_name=name, index=False)
            tmp.replace(path)
            written.append(str(path))
            continue
        for name, frame in tables.items():
            path = args.output / f"{name}.{fmt}"
            if fmt == "csv":
                write_text_atomic(path, frame.to_csv(index=False))
            else:
                tmp = path.with_suffix(".parquet.tmp")
                frame.to_parquet(tmp, index=False, engine="pyarrow")
                tmp.replace(path)
            written.append(str(path))
    if args.json:
        print(json.dumps({"files": written}))
    else:
        for path in written:
            print(path)
    return a.EXIT_OK
