"""Which family of rows makes a written model hard: the model solved with each family left out in turn
(and with the integrality of some variables relaxed, `--relax`).

Reads a model as `gwplan optimize --write-models DIR` writes it (free-format MPS, rows named
`family[index]` as in planner/optimize/model.py), and for each variant (comma-separated row-name prefixes
to leave out; "-" for none) prints the LP relaxation, the best plan and bound HiGHS reaches within the time
limit, the integrality gap (plan against LP) and the gap left. Leaving rows out gives a relaxation, so each
variant's optimum is at most the model's; what the table shows is which rows the search spends its time on.

    python -m benchmarks.row_families DIR/01-NAME.mps - min_ funding region_share,site_share demand,serve
    python -m benchmarks.row_families DIR/02-NAME.mps - --relax '^blocks_total' '^blocks_total.*,1]$'

Each `--relax REGEX` adds a variant with every row kept and the integer variables whose names match the
regular expression made continuous (the variables are named `family[site,phase,...]`; block kinds count from
0 in the order the site lists them): which integer decisions the search spends its time on.
"""

from __future__ import annotations

import argparse
import datetime
import re
import time

from ortools.math_opt.io.python import mps_converter
from ortools.math_opt.python import mathopt

from planner.optimize.result import relative_gap


def read_model(path: str) -> mathopt.Model:
    """A model as `gwplan optimize --write-models` writes it (free-format MPS)."""
    with open(path, encoding="utf-8") as handle:
        return mathopt.Model.from_model_proto(mps_converter.mps_to_model_proto(handle.read()))


def variant(path: str, prefixes: list[str], time_limit_s: float, relax: str | None = None) -> dict:
    """One variant: the model without the rows whose names start with any of `prefixes`, and with the integer
    variables whose names match the regular expression `relax` continuous."""
    model = read_model(path)
    left_out = [row for row in model.linear_constraints() if row.name.startswith(tuple(prefixes))] if prefixes else []
    for row in left_out:
        model.delete_linear_constraint(row)
    relaxed_vars = [v for v in model.variables() if v.integer and re.search(relax, v.name)] if relax else []
    for var in relaxed_vars:
        var.integer = False
    relaxed = mathopt.Model.from_model_proto(model.export_model())
    for var in relaxed.variables():
        var.integer = False
    lp = mathopt.solve(relaxed, mathopt.SolverType.HIGHS).objective_value()
    started = time.perf_counter()
    params = mathopt.SolveParameters(time_limit=datetime.timedelta(seconds=time_limit_s), relative_gap_tolerance=1e-6)
    result = mathopt.solve(model, mathopt.SolverType.HIGHS, params=params)
    plan = result.objective_value() if result.has_primal_feasible_solution() else float("nan")
    bound = result.best_objective_bound()
    name = ",".join(prefixes) or "-"
    if relax:
        name = f"{name}; {len(relaxed_vars)} integers matching {relax} relaxed"
    return {"left out": name, "rows left out": len(left_out), "relaxed": len(relaxed_vars), "LP": lp, "plan": plan,
            "bound": bound, "integrality gap": relative_gap(plan, lp), "gap left": relative_gap(plan, bound),
            "s": time.perf_counter() - started, "status": result.termination.reason.name.lower(),
            "nodes": result.solve_stats.node_count}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mps", help="a model written by gwplan optimize --write-models")
    parser.add_argument("variants", nargs="+", help='comma-separated row-name prefixes to leave out; "-" for none')
    parser.add_argument("--relax", nargs="+", default=[], metavar="REGEX",
                        help="variants with every row kept and the integer variables whose names match made continuous")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per variant (default 60)")
    args = parser.parse_args(argv)
    print("| left out | rows | LP | plan | bound | integrality gap | gap left | s | nodes | status |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    runs = [([p for p in spec.split(",") if p and p != "-"], None) for spec in args.variants]
    for prefixes, relax in runs + [([], pattern) for pattern in args.relax]:
        row = variant(args.mps, prefixes, args.time_limit, relax)
        print(f"| {row['left out']} | {row['rows left out']} | {row['LP']:,.1f} | {row['plan']:,.1f} | "
              f"{row['bound']:,.1f} | {row['integrality gap']:.2e} | {row['gap left']:.2e} | {row['s']:.1f} | "
              f"{row['nodes']} | {row['status']} |", flush=True)


if __name__ == "__main__":
    main()
