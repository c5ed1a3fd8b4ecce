"""How far the LP with one site forced open rises: could probing rule out more of a written model's sites?

Reads a model as `gwplan optimize --write-models DIR` writes it (free-format MPS; each site's openings are
the columns `opened[SITE,PHASE]`). Solves its LP relaxation, then, for each site not already open in that LP,
the LP again with the site open by the last phase it may open in (its `opened` column of the latest phase
fixed to 1): a lower bound on every plan that uses the site. A site whose forced bound is above `--threshold`
(the cost a plan has to beat) could be ruled out before branch and bound. Prints one row per site probed and
a summary: how many such sites, and the seconds the LPs took.

    python -m benchmarks.probing DIR/02-NAME.mps --threshold 449657.9 --sites 40
"""

from __future__ import annotations

import argparse
import math
import random
import time

from ortools.math_opt.python import mathopt

from benchmarks.row_families import read_model


def last_openings(model: mathopt.Model) -> dict[str, mathopt.Variable]:
    """Each site's `opened` column of its latest phase (open by then: open in the plan at all). The model
    writes a site's columns in phase order, so the last one read is the latest."""
    latest: dict[str, mathopt.Variable] = {}
    for var in model.variables():
        if var.name.startswith("opened[") and var.name.endswith("]"):
            latest[var.name[len("opened["):-1].rsplit(",", 1)[0]] = var
    return latest


def probe(path: str, threshold: float, sites: int | None = None, seed: int = 1) -> dict:
    """The LP, and each probed site's LP with it forced open: rows, and how many exceed `threshold`."""
    model = read_model(path)
    for var in model.variables():
        var.integer = False
    started = time.perf_counter()
    base = mathopt.solve(model, mathopt.SolverType.HIGHS)
    if base.termination.reason != mathopt.TerminationReason.OPTIMAL:
        raise ValueError(f"{path}: its LP relaxation ended {base.termination.reason.name.lower()}, not optimal; "
                         "nothing to probe")
    values = base.variable_values()
    openings = last_openings(model)
    names = sorted(openings)
    random.Random(seed).shuffle(names)  # a sample spread over the model, the same for the same seed
    rows = []
    for site in names[:sites] if sites else names:
        var = openings[site]
        if values[var] > 1 - 1e-6:
            continue  # open in the LP already: forcing it changes nothing
        var.lower_bound = 1.0
        tick = time.perf_counter()
        forced = mathopt.solve(model, mathopt.SolverType.HIGHS)
        var.lower_bound = 0.0
        reason = forced.termination.reason  # no plan with the site open: ruled out; any other end: unknown
        bound = (forced.objective_value() if reason == mathopt.TerminationReason.OPTIMAL
                 else math.inf if reason == mathopt.TerminationReason.INFEASIBLE else math.nan)
        rows.append({"site": site, "LP opening": values[var], "forced": bound, "ruled out": bound > threshold,
                     "s": time.perf_counter() - tick})
    return {"LP": base.objective_value(), "sites": len(openings), "rows": rows,
            "ruled out": sum(r["ruled out"] for r in rows), "s": time.perf_counter() - started}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mps", help="a model written by gwplan optimize --write-models")
    parser.add_argument("--threshold", type=float, required=True,
                        help="the cost to beat (e.g. the 'ruled out above' figure of the proof's fixing line)")
    parser.add_argument("--sites", type=int, default=None, help="probe this many sites, a seeded sample (default all)")
    parser.add_argument("--seed", type=int, default=1, help="the sample's seed (default 1)")
    args = parser.parse_args(argv)
    try:
        out = probe(args.mps, args.threshold, args.sites, args.seed)
    except (OSError, ValueError) as err:
        raise SystemExit(f"benchmarks.probing: {err}") from None
    print(f"LP {out['LP']:,.1f}; {out['sites']} sites in the model; threshold {args.threshold:,.1f}")
    print("| site | LP opening | LP forced open | ruled out | s |")
    print("|---|---:|---:|---|---:|")
    for r in out["rows"]:
        print(f"| {r['site']} | {r['LP opening']:.2f} | {r['forced']:,.1f} | {'yes' if r['ruled out'] else ''} | "
              f"{r['s']:.2f} |")
    print(f"{out['ruled out']} of {len(out['rows'])} probed sites ruled out, {out['s']:.1f} s in all")


if __name__ == "__main__":
    main()
