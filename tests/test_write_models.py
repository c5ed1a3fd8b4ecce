"""`gwplan optimize --write-models DIR`: the models handed to the back end, as MPS with their starting plans as
.mst, read back by another reader (OR-Tools' own MPS parser) as the same model, bit for bit, to the same optimum and
a feasible start."""

from __future__ import annotations

import json
import math

import pytest
from ortools.math_opt.io.python import mps_converter
from ortools.math_opt.python import mathopt

from benchmarks.synthetic import scenario_doc
from planner.cli import main
from planner.optimize.model import build_model
from planner.optimize.mps import to_mps
from planner.optimize.options import SolveOptions
from planner.optimize.solve import solve, write_model
from planner.scenario import load_scenario
from tests.helpers import site, tiny_doc

# A holds 50 MW (grid 60 at PUE 1.2) for 50 M; B the other 50 for 3 M to open + 100 M: 153 M in all.
DOC = tiny_doc([site("A", grid=[60.0], pue=1.2), site("B", capex_per_mw=2e6, open_cost=3e6)],
               constraints={"min_sites_per_phase": 2, "diversity_min_it_mw": 10})


def _read(path) -> mathopt.Model:
    return mathopt.Model.from_model_proto(mps_converter.mps_to_model_proto(path.read_text()))


def test_the_written_model_has_the_same_optimum_and_its_start_is_feasible(write_scenario, tmp_path):
    rm = build_model(load_scenario(write_scenario(DOC)), (), None)
    first = solve(rm.model, SolveOptions(relative_gap=0.0))
    assert first.objective == pytest.approx(153.0)  # millions of USD inside the model
    out = tmp_path / "models"
    again = solve(rm.model, SolveOptions(relative_gap=0.0, write_models=str(out)), hint=first.values)
    solve(rm.model, SolveOptions(relative_gap=0.0, write_models=str(out)))
    assert sorted(f.name for f in out.iterdir()) == ["01-tiny.mps", "01-tiny.mst", "02-tiny.mps"]

    model = _read(out / "01-tiny.mps")
    read_back = mathopt.solve(model, mathopt.SolverType.HIGHS)
    assert read_back.objective_value() == pytest.approx(again.objective, rel=1e-9)

    lines = (out / "01-tiny.mst").read_text().splitlines()
    assert lines[0] == "# MIP start"
    start = {name: float(value) for name, value in (line.split() for line in lines[1:])}
    assert start and all(value != 0.0 for value in start.values())
    by_name = {v.name: v for v in model.variables()}
    for name, var in by_name.items():  # the start pins every variable; the model must still be feasible
        value = start.get(name, 0.0)
        var.lower_bound = var.upper_bound = value
    pinned = mathopt.solve(model, mathopt.SolverType.HIGHS)
    assert pinned.termination.reason == mathopt.TerminationReason.OPTIMAL
    assert pinned.objective_value() == pytest.approx(153.0)


def test_the_command_lists_the_files_and_refuses_a_directory_in_use(write_scenario, tmp_path, capsys):
    path = write_scenario(DOC)
    out = tmp_path / "models"
    assert main(["optimize", str(path), "-o", str(tmp_path / "p.yaml"), "--write-models", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["model_files"] == [str(out / "01-tiny.mps")]  # a 2-site model is solved whole, from no plan
    assert _read(out / "01-tiny.mps").name == "tiny"
    assert main(["optimize", str(path), "-o", str(tmp_path / "q.yaml"), "--write-models", str(out)]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert not (tmp_path / "q.yaml").exists()


def test_a_generated_model_reads_back_bit_for_bit(write_scenario, tmp_path):
    """Every bound, coefficient and name of a 60-site model (funding annuities, serving costs, PUE ratios: many
    numbers with more than six significant digits, which OR-Tools' own writer rounds to six) comes back the same."""
    rm = build_model(load_scenario(write_scenario(scenario_doc(60, seed=3))))
    proto = rm.model.export_model()
    numbers = [*proto.linear_constraint_matrix.coefficients, *proto.objective.linear_coefficients.values,
               *proto.linear_constraints.upper_bounds]
    assert sum(1 for c in numbers if math.isfinite(c) and float(f"{c:.6g}") != c) > 1000  # what six digits would move
    path = write_model(rm.model, None, str(tmp_path))
    assert mps_converter.mps_to_model_proto(path.read_text()) == proto


def test_every_kind_of_row_bound_and_column_reads_back(tmp_path):
    model = mathopt.Model(name="kinds")
    free = model.add_variable(name="free")  # MathOpt's default bounds: (-inf, inf)
    count = model.add_integer_variable(lb=0.0, name="count")  # no upper bound
    step = model.add_integer_variable(lb=-3.0, ub=7.0, name="step")
    below = model.add_variable(ub=2.5, name="below")
    fixed = model.add_variable(lb=1 / 3, ub=1 / 3, name="fixed")
    flag = model.add_binary_variable(name="flag")
    negative = model.add_variable(lb=-5.0, ub=-1.0, name="negative")
    model.add_variable(lb=0.0, name="unused")  # in no row and not in the objective
    model.add_linear_constraint(0.1 * free + count / 7 <= 3.3, name="at_most")
    model.add_linear_constraint(2 * step - below >= -1e-9, name="at_least")
    model.add_linear_constraint((-1.0 <= free + flag) <= 2.75, name="ranged")
    model.add_linear_constraint(free + below + negative == 1 / 3, name="equal")
    model.add_linear_constraint(fixed + flag <= math.inf, name="free_row")
    model.maximize(math.pi * free + 2 * count + 5.25 + flag)
    proto = model.export_model()
    text = to_mps(proto)
    assert "OBJSENSE" in text and "RANGES" in text
    assert mps_converter.mps_to_model_proto(text) == proto  # the ranged row's upper bound is -1 + 3.75, exact here
    highs = _read_by_highs(text, tmp_path)  # a second reader: the same conventions (the constant's sign, PL, MI, ...)
    assert highs["offset"] == 5.25 and highs["cost"] == [math.pi, 2.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    assert highs["lower"] == list(proto.variables.lower_bounds) and highs["upper"] == list(proto.variables.upper_bounds)
    assert highs["integer"] == list(proto.variables.integers)
    # HiGHS drops the free row (an N row after the objective's), which bounds nothing; the others are the same
    assert highs["row_lower"] == list(proto.linear_constraints.lower_bounds)[:-1]
    assert highs["row_upper"] == list(proto.linear_constraints.upper_bounds)[:-1]


def _read_by_highs(text: str, folder) -> dict:
    """The model as HiGHS's own MPS reader reads it (scipy's build of HiGHS, which gwplan's pricing uses)."""
    from scipy.optimize._highspy import _core as highs_core

    path = folder / "model.mps"
    path.write_text(text)
    h = highs_core._Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(path)) == highs_core.HighsStatus.kOk
    lp = h.getLp()
    return {"offset": h.getObjectiveOffset()[1], "cost": list(lp.col_cost_), "lower": list(lp.col_lower_),
            "upper": list(lp.col_upper_), "integer": [int(k) == 1 for k in lp.integrality_],
            "row_lower": list(lp.row_lower_), "row_upper": list(lp.row_upper_)}


def test_a_column_name_free_format_mps_cannot_hold_is_refused_and_the_model_name_is_kept_whole():
    model = mathopt.Model(name="spaces")
    model.add_variable(lb=0.0, ub=1.0, name="two words")
    with pytest.raises(ValueError, match="two words"):
        to_mps(model.export_model())
    named = mathopt.Model(name="10 GW rollout")  # a scenario's name may have spaces; a reader would keep "10"
    named.add_variable(lb=0.0, ub=1.0, name="x")
    assert mps_converter.mps_to_model_proto(to_mps(named.export_model())).name == "10_GW_rollout"
