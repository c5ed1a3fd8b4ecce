"""Solving a built model with one of OR-Tools' MathOpt back ends, and classifying what came of it.

The options (`planner.optimize.options`) name the back end; every back end receives the same model.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import re
import time
from pathlib import Path
from typing import Callable, Sequence

from ortools.math_opt.python import mathopt
from ortools.math_opt.solvers import highs_pb2
from ortools.math_opt.solvers.gscip import gscip_pb2
from ortools.sat import sat_parameters_pb2
from ortools.util.python.solve_interrupter import SolveInterrupter

from planner.optimize import exact, race
from planner.optimize.options import CP_SAT_DEFAULT_WORKERS, SOLVER_NAMES, SolveOptions
from planner.optimize.result import SolveResult, SolveStatus, relative_gap

_SOLVER_TYPES = {"highs": mathopt.SolverType.HIGHS, "scip": mathopt.SolverType.GSCIP,
                 "cp-sat": mathopt.SolverType.CP_SAT}
SOLVERS = {name: _SOLVER_TYPES[name] for name in SOLVER_NAMES}  # every name the options offer has a back end

INTERRUPTED_BEFORE_ANY_PLAN = "interrupted before any plan was found"  # the detail of such a NO_SOLUTION


def parameters(options: SolveOptions, interior_point: bool = False,
               bound_search: bool = False, target: float | None = None,
               restarts: bool = True) -> mathopt.SolveParameters:
    """Translate SolveOptions into MathOpt parameters for the chosen back end (`interior_point`, `bound_search`,
    `target`, `restarts`: see `solve`)."""
    params = mathopt.SolveParameters(
        time_limit=datetime.timedelta(seconds=options.time_limit_s),
        relative_gap_tolerance=options.relative_gap,
        absolute_gap_tolerance=0.0,
        random_seed=options.seed,
    )
    if options.solver == "highs":
        # HiGHS takes no thread count through MathOpt; its MIP search is single-threaded anyway.
        highs = highs_pb2.HighsOptionsProto()
        if interior_point:
            highs.string_options["solver"] = "ipm"
        if bound_search:
            for name in race.HEURISTIC_WORDS:
                highs.bool_options[name] = False
        if target is not None:  # MathOpt's objective_limit is not passed to HiGHS (it refuses the solve)
            highs.double_options["objective_target"] = target
        if not restarts:
            highs.bool_options["mip_allow_restart"] = False
        if interior_point or bound_search or target is not None or not restarts:
            params.highs = highs
        return params
    if options.solver == "cp-sat":
        workers = options.threads or CP_SAT_DEFAULT_WORKERS
        params.threads = workers
        # Ctrl-C belongs to gwplan (which stops the search through the interrupter and marks the plan).
        params.cp_sat = sat_parameters_pb2.SatParameters(interleave_search=options.deterministic,
                                                         catch_sigint_signal=False)
        return params
    params.threads = options.threads or 1
    params.gscip = gscip_pb2.GScipParameters(bool_params={"misc/catchctrlc": False})
    return params


def solve(model: mathopt.Model, options: SolveOptions,
          on_log: Callable[[Sequence[str]], None] | None = None,
          interrupter: SolveInterrupter | None = None, hint: Sequence[float] | None = None,
          interior_point: bool = False, bound_search: bool = False, target: float | None = None,
          restarts: bool = True) -> SolveResult:
    """Solve and classify the outcome; a limit with an incumbent is FEASIBLE, never an empty plan.

    `on_log` receives the back end's log lines as they come (nothing is printed otherwise).
    `interrupter.interrupt()` (from another thread) stops an INTERRUPTIBLE back end early: the result is
    INTERRUPTED with the best solution so far, or NO_SOLUTION if there was none yet. `hint` (a value per
    variable id) is a starting solution the back end may use to find good plans sooner. `interior_point`
    asks HiGHS for its interior-point method (for large LPs: 13 s against 17 s for simplex on the LP
    relaxation of the 1,000-site model). `bound_search`: the hint is a plan already near the best and the
    search is for the bound that proves it; HiGHS then leaves out RINS, RENS and the root reduced-cost
    heuristic, sub-MIPs that look for plans (measured on the reduced search's proofs: docs/PERFORMANCE.md).
    `target` (HiGHS; the other back ends ignore it): stop at the first plan whose objective is below it, FEASIBLE
    (planner.optimize.bounded asks for a plan within the gap of a bound proven elsewhere). `restarts=False`
    (HiGHS): no restart of the search after its root fixes integers (the reduced search's proof: measured on
    its proof models, docs/PERFORMANCE.md).
    """
    if options.solver not in SOLVERS:
        raise ValueError(f"unknown solver {options.solver!r}; choose one of {', '.join(SOLVERS)}")
    started = time.perf_counter()
    hint = _within_bounds(model, hint)
    if options.write_models:
        write_model(model, hint, options.write_models)
    params = parameters(options, interior_point, bound_search and hint is not None, target, restarts)
    racers = options.racers()
    if racers > 1 and not interior_point and _has_integers(model):
        outcome = _raced(model, options, params, hint, racers, on_log, interrupter, started)
    else:
        retried = ""
        while True:
            try:
                result = mathopt.solve(model, SOLVERS[options.solver], params=params, msg_cb=on_log,
                                       interrupter=interrupter, model_params=_hinted(model, hint))
                break
            except Exception as err:  # noqa: BLE001 - a back end refusing the model is an outcome, not a crash
                # OR-Tools 9.15 fails while converting a refusal's status (AttributeError): the refusal is its
                # context.
                original = err.__context__ if isinstance(err, AttributeError) and err.__context__ else err
                words = str(original).strip() or type(original).__name__
                if options.solver == "cp-sat" and "MODEL_INVALID" in words and not retried:
                    # CP-SAT's MIP presolve (glop, while scaling continuous variables to integers) can leave a row
                    # with an empty domain and then call the model invalid (seen on the 50-site benchmark, which
                    # HiGHS and SCIP solve). Without that presolve the same model solves: retry once so.
                    params.cp_sat.mip_presolve_level = 0
                    retried = " (CP-SAT rejected its presolved model; solved without its MIP presolve)"
                    continue
                return _failed(options, words, started)
        outcome = _classified(result, model, options, interrupter, started, retried)
    if options.solver == "cp-sat" and exact.has_continuous(model):  # its answers are of a narrower model
        outcome = exact.restated(model, outcome, options.relative_gap, options.time_limit_s)
        outcome = dataclasses.replace(outcome, wall_s=time.perf_counter() - started)
    return outcome


def _failed(options: SolveOptions, words: str, started: float) -> SolveResult:
    return SolveResult(status=SolveStatus.ERROR, objective=None, best_bound=None, gap=None,
                       wall_s=time.perf_counter() - started, solver=options.solver, detail=words, values=[])


def _classified(result: mathopt.SolveResult, model: mathopt.Model, options: SolveOptions,
                interrupter: SolveInterrupter | None, started: float, retried: str = "") -> SolveResult:
    """A back end's result in gwplan's terms: a limit with an incumbent is FEASIBLE, never an empty plan."""
    wall_s = time.perf_counter() - started
    reason = result.termination.reason
    has_solution = result.has_primal_feasible_solution()
    objective = result.objective_value() if has_solution else None
    bound = result.best_objective_bound()
    bound = bound if math.isfinite(bound) else None
    reasons = mathopt.TerminationReason
    if reason == reasons.OPTIMAL:
        status = SolveStatus.OPTIMAL
    elif reason in (reasons.INFEASIBLE, reasons.INFEASIBLE_OR_UNBOUNDED):
        status = SolveStatus.INFEASIBLE
    elif has_solution and reason in (reasons.FEASIBLE, reasons.IMPRECISE):
        status = SolveStatus.FEASIBLE
    elif reason == reasons.NO_SOLUTION_FOUND:
        status = SolveStatus.NO_SOLUTION
    else:
        status = SolveStatus.ERROR
    if interrupter is not None and interrupter.interrupted and status in (SolveStatus.FEASIBLE,
                                                                           SolveStatus.NO_SOLUTION):
        status = SolveStatus.INTERRUPTED if has_solution else SolveStatus.NO_SOLUTION
    gap = relative_gap(objective, bound) if objective is not None and bound is not None else None
    if status == SolveStatus.OPTIMAL and bound is None:
        bound, gap = objective, 0.0
    values = _by_id(result.variable_values(), model) if has_solution else []
    detail = (result.termination.detail or reason.name.lower()) + retried
    if interrupter is not None and interrupter.interrupted and not has_solution:
        detail = INTERRUPTED_BEFORE_ANY_PLAN
    return SolveResult(status=status, objective=objective, best_bound=bound, gap=gap, wall_s=wall_s,
                       solver=options.solver, detail=detail, values=values)


def _has_integers(model: mathopt.Model) -> bool:
    return any(var.integer for var in model.variables())


def _raced(model: mathopt.Model, options: SolveOptions, params: mathopt.SolveParameters,
           hint: Sequence[float] | None, racers: int, on_log, interrupter: SolveInterrupter | None,
           started: float) -> SolveResult:
    """HiGHS searches raced in processes (planner.optimize.race): the proof kept (the first, or with
    `options.deterministic` the one with the fewest LP iterations), or the racers merged."""
    from ortools.math_opt import result_pb2
    from ortools.math_opt.python import result as result_module

    from_plan = hint is not None
    model_params = _hinted(model, hint) or mathopt.ModelSolveParameters()
    configurations = race.variants(params.to_proto(), racers, from_plan)
    finishes, decided = race.run(
        model.export_model().SerializeToString(), SOLVERS[options.solver].value,
        configurations, model_params.to_proto().SerializeToString(),
        on_log, lambda: interrupter is not None and interrupter.interrupted, by_work=options.deterministic)
    outcomes = []
    for finish in finishes:
        if finish.result is None:
            outcomes.append(_failed(options, f"racer {finish.racer}: {finish.error}", started))
            continue
        parsed = result_module.parse_solve_result(result_pb2.SolveResultProto.FromString(finish.result), model,
                                                  validate=False)
        outcomes.append(_classified(parsed, model, options, interrupter, started))
    words = f"{racers} HiGHS searches raced (seeds {options.seed}-{options.seed + racers - 1})"
    if not outcomes:
        return SolveResult(status=SolveStatus.NO_SOLUTION, objective=None, best_bound=None, gap=None,
                           wall_s=time.perf_counter() - started, solver=options.solver,
                           detail=f"{INTERRUPTED_BEFORE_ANY_PLAN}; {words}", values=[])
    if decided:
        winner = finishes[-1]
        how = race.describe(configurations[winner.racer])
        rule = "the proof with the fewest LP iterations" if options.deterministic else "the first to finish"
        return dataclasses.replace(outcomes[-1], detail=f"{outcomes[-1].detail}; {words}, {rule}: "
                                   f"racer {winner.racer} (seed {winner.seed}, {how})")
    ended = ("each stopped at a limit" if any(o.status != SolveStatus.ERROR for o in outcomes)
             else "none of them finished")
    return race_merged(outcomes, model.objective.is_maximize, options, f"{words}, {ended}")


def race_merged(outcomes: Sequence[SolveResult], maximize: bool, options: SolveOptions, words: str) -> SolveResult:
    """Racers that each stopped at a limit, as one result: the best plan any found, with the best bound any
    proved (each racer solved the same model, so either holds for it)."""
    sign = -1.0 if maximize else 1.0
    planned = [o for o in outcomes if o.objective is not None]
    bounds = [o.best_bound for o in outcomes if o.best_bound is not None]
    if not planned:  # a racer's own words, preferring one that ran to a limit over one that failed
        best = next((o for o in outcomes if o.status != SolveStatus.ERROR), outcomes[0])
        return dataclasses.replace(best, detail=f"{best.detail}; {words}")
    best = min(planned, key=lambda o: sign * o.objective)
    bound = (min if maximize else max)(bounds) if bounds else None
    gap = relative_gap(best.objective, bound) if bound is not None else None
    status = best.status
    if status == SolveStatus.FEASIBLE and gap is not None and gap <= options.relative_gap:
        status = SolveStatus.OPTIMAL
    return dataclasses.replace(best, best_bound=bound, gap=gap, status=status, detail=f"{best.detail}; {words}")


def write_model(model: mathopt.Model, hint: Sequence[float] | None, directory: str) -> Path:
    """Write `model` to `directory` as free-format MPS, numbered in the order the back end receives models
    (01-NAME.mps, 02-NAME.mps, ...), and its starting plan, if any, beside it in Gurobi's MIP start format
    (NN-NAME.mst: one "variable value" line per nonzero value). The objective is the net present cost in millions
    of USD, as in the back end's own log. Every number reads back as the same double (planner.optimize.mps), so
    the file is the model the back end received. Returns the MPS path."""
    from planner.files import write_text_atomic
    from planner.optimize import mps

    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{len(list(folder.glob('*.mps'))) + 1:02d}-{re.sub(r'[^A-Za-z0-9._-]+', '_', model.name) or 'model'}"
    path = folder / f"{stem}.mps"
    proto = model.export_model()
    write_text_atomic(path, mps.to_mps(proto))
    if hint is not None:
        columns, _ = mps.names(proto)
        lines = [f"{columns[j]} {float(v)!r}" for j, v in enumerate(hint) if v]
        write_text_atomic(folder / f"{stem}.mst", "\n".join(["# MIP start", *lines]) + "\n")
    return path


def _within_bounds(model: mathopt.Model, hint: Sequence[float] | None) -> list[float] | None:
    """The hint with each value moved into its variable's bounds. A plan read back from a solve can sit just
    outside them (-2.6e-7 IT MW in a plan of early-scarce's first sites, from a search stopped at its limit), and
    HiGHS refuses a hint more than its tolerance outside with an internal error that ends the whole solve.
    Zeros are left as they are: every variable's bounds hold 0 (the model fixes values by rows, not bounds)."""
    if hint is None:
        return None
    inside = list(hint)
    for j, v in enumerate(hint):
        if v:
            var = model.get_variable(j)
            inside[j] = min(max(v, var.lower_bound), var.upper_bound)
    return inside


def _hinted(model: mathopt.Model, hint: Sequence[float] | None) -> mathopt.ModelSolveParameters | None:
    if hint is None:
        return None
    values = {model.get_variable(j): v for j, v in enumerate(hint)}
    return mathopt.ModelSolveParameters(solution_hints=[mathopt.SolutionHint(variable_values=values)])


def _by_id(values: dict, model: mathopt.Model) -> list[float]:
    """Variable values as a list indexed by variable id (how the model's `Lin` expressions read them)."""
    out = [0.0] * model.get_next_variable_id()
    for var, value in values.items():
        out[var.id] = value
    return out


_HIGHS_PROGRESS = re.compile(
    r"^\s*\S?\s+\d+\s+\d+\s+\d+\s+[\d.]+%\s+(?P<bound>[-+\deE.]+|-?inf)\s+(?P<incumbent>[-+\deE.]+|-?inf)\s+"
    r"(?P<gap>[\d.]+%|inf|Large)")


def parse_progress(line: str) -> tuple[float, float, float | None] | None:
    """(best bound, incumbent, relative gap) from a HiGHS MIP progress line, in the model's units; None for
    other lines. Lets a terminal show the incumbent and gap as they improve."""
    match = _HIGHS_PROGRESS.match(line)
    if not match:
        return None
    bound, incumbent = float(match["bound"]), float(match["incumbent"])
    gap = float(match["gap"].rstrip("%")) / 100 if match["gap"].endswith("%") else None
    return bound, incumbent, gap
