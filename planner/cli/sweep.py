"""gwplan sweep: Monte Carlo over uncertain inputs (how often each site is chosen, cost P10/P50/P90)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from planner.cli import args as a


def add_parser(commands) -> argparse.ArgumentParser:
    p = commands.add_parser(
        "sweep", help="Monte Carlo over uncertain inputs: how often each site is chosen, cost P10/P50/P90",
        description="Solve the scenario once per sample of its uncertain inputs (grid ramps slipping a phase, energy "
                    "prices, power-block capex, rack power within the catalog range), in parallel on this machine or "
                    "on a Dask cluster; same seed, same results whichever executor runs them.",
        epilog="example:\n  gwplan sweep scenarios/10gw-rollout.yaml --samples 200 --time-limit 30 -o out/sweep.json\n",
        formatter_class=a.RAW)
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML")
    p.add_argument("--samples", metavar="N", type=a.positive_int, default=100, help="samples (default 100)")
    p.add_argument("--seed", metavar="N", type=a.seed, default=0, help="sweep seed (default 0)")
    p.add_argument("--executor", choices=["process", "dask", "serial"], default="process",
                   help="process: all cores of this machine (default); dask: --scheduler, or an in-process cluster; "
                        "serial: one at a time")
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--workers", metavar="N", type=a.positive_int, help="parallel solves (default: cores)")
    p.add_argument("--time-limit", metavar="S", type=a.positive_float, default=30.0,
                   help="solver limit per sample (default 30)")
    p.add_argument("--gap", metavar="REL", type=a.gap, default=1e-4, help="relative gap per sample (default 1e-4)")
    p.add_argument("--grid-delay", metavar="P", type=a.percent, default=0.2,
                   help="chance that a site's grid ramp slips one phase, e.g. 20%% (default 20%%)")
    p.add_argument("--price-spread", metavar="REL", type=a.percent, default=0.15,
                   help="energy price varies within +- this share (default 15%%)")
    p.add_argument("--capex-spread", metavar="REL", type=a.percent, default=0.10,
                   help="power-block capex per MW varies within +- this share (default 10%%)")
    p.add_argument("-o", "--output", metavar="FILE", type=Path, help="also write the JSON summary here")
    p.add_argument("--samples-out", metavar="FILE", type=Path,
                   help="one row per sample (its drawn inputs and its outcome) as .csv or .parquet, for plotting")
    p.add_argument("--json", action="store_true", help="print the JSON summary instead of tables")
    return p


def run(args: argparse.Namespace) -> int:
    from planner.cli.runtime import sigterm_as_ctrl_c
    from planner.fields import InputError, Problem
    from planner.files import write_text_atomic
    from planner.optimize.options import SolveOptions
    from planner.optimize.sweep import ClusterUnavailable, SweepOptions, run_sweep, sample_rows, summarize
    from planner.scenario import load_scenario

    if args.samples_out and args.samples_out.suffix not in (".csv", ".parquet"):
        raise InputError([Problem(str(args.samples_out), "--samples-out", "expected a .csv or .parquet file")])
    if args.scheduler and not re.fullmatch(r"(tcp|tls|ucx|ws|wss)://[^\s:/]+:\d{1,5}", args.scheduler):
        raise InputError([Problem("gwplan sweep", "--scheduler", f"expected an address such as tcp://10.0.0.5:8786, "
                                                                 f"got {args.scheduler!r}")])
    scenario = load_scenario(args.scenario)
    sweep = SweepOptions(samples=args.samples, seed=args.seed, grid_delay_probability=args.grid_delay,
                         price_spread=args.price_spread, capex_spread=args.capex_spread)
    solve_options = SolveOptions(time_limit_s=args.time_limit, relative_gap=args.gap)
    executor = "dask" if args.executor == "process" and args.scheduler else args.executor
    try:
        with sigterm_as_ctrl_c():  # a batch system's SIGTERM stops the samples as Ctrl-C does, workers too
            if sys.stderr.isatty() and not args.json and not args.quiet:
                from rich.progress import Progress

                with Progress(transient=True) as progress:
                    task = progress.add_task(f"{args.samples} samples ({executor})", total=args.samples)
                    results = run_sweep(scenario, sweep, solve_options, executor, args.scheduler, args.workers,
                                        on_done=lambda n: progress.update(task, completed=n))
            else:
                results = run_sweep(scenario, sweep, solve_options, executor, args.scheduler, args.workers)
    except ClusterUnavailable as err:
        print(f"gwplan sweep: {err}; nothing was written", file=sys.stderr)
        return a.EXIT_NO_PLAN
    summary = summarize(results)
    if args.samples_out:
        write_samples(args.samples_out, sample_rows(scenario, sweep, results))
    document = {"scenario": scenario.name, "scenario_sha256": scenario.sha256, "seed": args.seed, **summary.as_json()}
    if args.output:
        write_text_atomic(args.output, json.dumps(document, indent=1))
    if args.json:
        print(json.dumps(document))
        return a.EXIT_OK
    from planner.report.text import console, print_sweep

    print_sweep(console(160), summary)
    return a.EXIT_OK


def write_samples(path: Path, rows: list[dict]) -> None:
    """The per-sample table, CSV or Parquet by the file's suffix (pandas; written atomically)."""
    import pandas as pd

    frame = pd.DataFrame(rows)
    tmp = path.with_name(path.name + ".tmp")
    if path.suffix == ".csv":
        frame.to_csv(tmp, index=False)
    else:
        frame.to_parquet(tmp, index=False)
    tmp.replace(path)
