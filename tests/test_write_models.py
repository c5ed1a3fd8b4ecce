"""`gwplan optimize --write-models DIR`: the models handed to the back end, as MPS with their starting plans as
.mst, read back by another reader (OR-Tools' own MPS parser) to the same optimum and a feasible start."""

from __future__ import annotations

import json

import pytest
from ortools.math_opt.io.python import mps_converter
from ortools.math_opt.python import mathopt

from planner.cli import main
from planner.optimize.model import build_model
from planner.optimize.options import SolveOptions
from planner.optimize.solve import solve
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
