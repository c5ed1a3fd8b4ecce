"""The last branch and bound of a 1,000-site solve (the proof on the sites Lagrangean fixing keeps), handed to
other solvers: does a better-suited solver change the picture?

    python -m benchmarks.proof_peers                          # seed5, HiGHS through OR-Tools with seeds 0-2
    pip install highspy pyscipopt                             # optional peers, not gwplan dependencies
    python -m benchmarks.proof_peers --shapes seed5 seed2 --seeds 0 1
    python -m benchmarks.proof_peers --shapes early-scarce --model 2 --highs mip_pscost_minreliable=0

The scenario of each shape (benchmarks.scale) is solved once by `plan_rollout` with `write_models`; its last
model (or the one `--model` names, counting from 1 in the order written) and starting plan (NN-NAME.mps and
.mst, what `gwplan optimize --write-models` writes) then go, each
in a fresh process and from the same start, to: HiGHS as gwplan calls it (OR-Tools MathOpt, the baseline,
with each seed asked for), and, when their Python packages are installed, the newest HiGHS (highspy) on one
thread and on two (its parallel branch and bound), and SCIP (pyscipopt). Every solve asks for the same
relative gap; the table gives status, objective, bound, seconds and the ratio to the baseline's seed 0.
`--highs` adds variants of the baseline with HiGHS options set (NAME=VALUE, comma-separated; `true`/`false`
for a bool option, a number with a point for a double), each run with every seed.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PEERS = ("ortools-highs", "highspy-1-thread", "highspy-2-threads", "pyscipopt")


def _start(mst: Path) -> dict[str, float]:
    if not mst.exists():
        return {}
    return {name: float(value) for name, value in (line.split() for line in mst.read_text().splitlines()[1:])}


def highs_options(variant: str):
    """HiGHS options for MathOpt from "NAME=VALUE,...": the value's form gives its type (true/false a bool, a
    whole number an int, a number with a point or an exponent a double, anything else a string)."""
    from ortools.math_opt.solvers import highs_pb2

    options = highs_pb2.HighsOptionsProto()
    for item in filter(None, variant.split(",")):
        name, _, value = item.partition("=")
        if value in ("true", "false"):
            options.bool_options[name] = value == "true"
        elif re.fullmatch(r"-?\d+", value):
            options.int_options[name] = int(value)
        elif re.fullmatch(r"-?[\d.]+(e-?\d+)?", value):
            options.double_options[name] = float(value)
        else:
            options.string_options[name] = value
    return options


def solve_one(peer: str, mps: Path, mst: Path, gap: float, limit_s: float, seed: int, highs: str = "") -> dict:
    """One solve of the written model by one peer (run in its own process); `highs`: options for ortools-highs."""
    start = _start(mst)
    if peer == "ortools-highs":
        import datetime

        from ortools.math_opt.io.python import mps_converter
        from ortools.math_opt.python import mathopt

        model = mathopt.Model.from_model_proto(mps_converter.mps_to_model_proto(mps.read_text()))
        hint = mathopt.ModelSolveParameters(solution_hints=[mathopt.SolutionHint(
            variable_values={v: start.get(v.name, 0.0) for v in model.variables()})]) if start else None
        params = mathopt.SolveParameters(time_limit=datetime.timedelta(seconds=limit_s), relative_gap_tolerance=gap,
                                         absolute_gap_tolerance=0.0, random_seed=seed, highs=highs_options(highs))
        began = time.perf_counter()
        try:
            r = mathopt.solve(model, mathopt.SolverType.HIGHS, params=params, model_params=hint)
        except Exception as error:  # OR-Tools 9.x raises an AttributeError whose context is HiGHS's own reason
            raise SystemExit(f"HiGHS refused the solve: {error.__context__ or error}") from None
        return {"status": r.termination.reason.name.lower(), "objective": r.objective_value(),
                "bound": r.best_objective_bound(), "seconds": time.perf_counter() - began}
    if peer.startswith("highspy"):
        import highspy

        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.readModel(str(mps))
        for name, value in (("mip_rel_gap", gap), ("mip_abs_gap", 0.0), ("time_limit", limit_s),
                            ("random_seed", seed), ("threads", 1 if peer == "highspy-1-thread" else 2)):
            h.setOptionValue(name, value)
        if start:
            solution = highspy.HighsSolution()
            solution.col_value = [start.get(name, 0.0) for name in h.getLp().col_names_]
            solution.value_valid = True
            h.setSolution(solution)
        began = time.perf_counter()
        h.run()
        info = h.getInfo()
        return {"status": h.modelStatusToString(h.getModelStatus()).lower(), "objective": info.objective_function_value,
                "bound": info.mip_dual_bound, "seconds": time.perf_counter() - began,
                "version": h.version()}
    if peer == "pyscipopt":
        from pyscipopt import Model

        m = Model()
        m.hideOutput()
        m.readProblem(str(mps))
        for name, value in (("limits/gap", gap), ("limits/absgap", 0.0), ("limits/time", limit_s),
                            ("randomization/randomseedshift", seed)):
            m.setParam(name, value)
        if start:
            solution = m.createSol()
            for var in m.getVars():
                m.setSolVal(solution, var, start.get(var.name, 0.0))
            m.addSol(solution, free=True)
        began = time.perf_counter()
        m.optimize()
        return {"status": m.getStatus(), "objective": m.getObjVal(), "bound": m.getDualbound(),
                "seconds": time.perf_counter() - began, "version": f"SCIP {m.version()}"}
    raise ValueError(f"unknown peer {peer!r}")


def write_proof(shape: str, sites: int, gap: float, limit_s: float, folder: Path,
                model: int | None = None) -> tuple[Path, Path, dict]:
    """Solve the shape once with write_models; the last model written is the proof (`model`: the one written
    in that place instead, from 1)."""
    from benchmarks.shapes import shaped_doc
    from planner.files import dump_yaml, write_text_atomic
    from planner.optimize.options import SolveOptions
    from planner.optimize.rollout import plan_rollout
    from planner.scenario import load_scenario

    path = folder / "scenario.yaml"
    write_text_atomic(path, dump_yaml(shaped_doc(sites, shape)))
    began = time.perf_counter()
    out = plan_rollout(load_scenario(path), SolveOptions(time_limit_s=limit_s, relative_gap=gap,
                                                         write_models=str(folder / "models")))
    written = sorted((folder / "models").glob("*.mps"))
    if model is not None and not 1 <= model <= len(written):
        raise SystemExit(f"--model {model}: {shape} wrote {len(written)} model(s); give 1 to {len(written)}")
    mps = written[-1] if model is None else written[model - 1]
    return mps, mps.with_suffix(".mst"), {"seconds": time.perf_counter() - began, "status": out.result.status.value,
                                          "method": out.plan.provenance.method if out.plan else ""}


def _installed(peer: str) -> bool:
    module = {"ortools-highs": "ortools", "pyscipopt": "pyscipopt"}.get(peer, "highspy")
    return subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode == 0


def _variant(text: str) -> str:
    """A --highs variant (an argparse type): NAME=VALUE pairs, comma-separated, each with a name and a value."""
    if not all(name and value for name, _, value in (item.partition("=") for item in text.split(","))):
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME=VALUE[,NAME=VALUE...], e.g. mip_lp_age_limit=20")
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--shapes", nargs="+", default=["seed5"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="HiGHS seeds through OR-Tools")
    parser.add_argument("--gap", type=float, default=1e-4)
    parser.add_argument("--time-limit", type=float, default=200.0, help="per peer solve (s)")
    parser.add_argument("--model", type=int, help="the written model to hand over, from 1 (default: the last)")
    parser.add_argument("--highs", nargs="+", default=[], metavar="NAME=VALUE[,...]", type=_variant,
                        help="variants of the baseline with HiGHS options set, each run with every seed")
    parser.add_argument("--solve", nargs=6, metavar=("PEER", "MPS", "MST", "SEED", "LIMIT", "HIGHS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.solve:  # the child process of one peer solve
        peer, mps, mst, seed, limit, highs = args.solve
        print(json.dumps(solve_one(peer, Path(mps), Path(mst), args.gap, float(limit), int(seed), highs)))
        return 0
    peers = [p for p in PEERS if _installed(p)]
    missing = [p for p in PEERS if p not in peers]
    print(f"# proof models of {args.sites} sites, gap {args.gap:g}, limit {args.time_limit:g} s per solve; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
          + (f"; not installed: {', '.join(missing)}" if missing else ""))
    print("| shape | solver | seed | status | objective | bound | seconds | ratio |")
    print("|---|---|---:|---|---:|---:|---:|---:|")
    for shape in args.shapes:
        with tempfile.TemporaryDirectory() as tmp:
            print(f"  solving {shape} to write its proof model ...", file=sys.stderr, flush=True)
            mps, mst, whole = write_proof(shape, args.sites, args.gap, args.time_limit, Path(tmp), args.model)
            print(f"  {shape}: {whole['status']} in {whole['seconds']:.1f} s; {whole['method']}; "
                  f"handing over {mps.name}", file=sys.stderr)
            base = None
            runs = [(peer, "") for peer in peers] + [("ortools-highs", variant) for variant in args.highs]
            for peer, variant in runs:
                for seed in args.seeds if peer == "ortools-highs" else args.seeds[:1]:
                    print(f"  {shape}: {peer} {variant}, seed {seed} ...", file=sys.stderr, flush=True)
                    run = subprocess.run([sys.executable, "-m", "benchmarks.proof_peers", "--gap", str(args.gap),
                                          "--solve", peer, str(mps), str(mst), str(seed), str(args.time_limit),
                                          variant], capture_output=True, text=True)
                    if run.returncode:
                        why = (run.stderr.strip().splitlines() or [f"exit {run.returncode}"])[-1]
                        print(f"| {shape} | {peer} {variant} | {seed} | failed: {why} | - | - | - | - |", flush=True)
                        continue
                    r = json.loads(run.stdout.strip().splitlines()[-1])
                    base = r["seconds"] if base is None else base
                    label = r.get("version") or variant
                    name = f"{peer} ({label})" if label else peer
                    print(f"| {shape} | {name} | {seed} | {r['status']} | {r['objective']:,.3f} | {r['bound']:,.3f} | "
                          f"{r['seconds']:.1f} | {r['seconds'] / base:.2f}x |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
