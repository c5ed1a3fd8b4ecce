"""gwplan against Beasley's OR-Library capacitated facility location instances and their published optima."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from planner.cli import main
from planner.optimize.options import SolveOptions
from planner.optimize.rollout import plan_rollout
from planner.scenario import load_scenario
from planner.scenario.orlib import read_orlib_cflp
from tests.helpers import REPO

ORLIB = Path(os.environ.get("GWPLAN_ORLIB_DIR", REPO.parent / "shared" / "benchmarks" / "orlib-cflp"))


# Beasley's small set: cap41-44, cap51, cap61-64, cap71-74, cap81-84, ..., cap131-134 (37 instances).
SMALL = ["cap41", "cap42", "cap43", "cap44", "cap51"] + [f"cap{g}{k}" for g in range(6, 14) for k in range(1, 5)]


def published() -> dict[str, float]:
    table = ORLIB / "optima.tsv"
    assert table.is_file(), f"OR-Library instances not found in {ORLIB}: put them there or set GWPLAN_ORLIB_DIR"
    rows = [line.split("\t") for line in table.read_text().splitlines() if line.strip()]
    return {name: float(upper) for name, _lower, upper in rows}


def test_the_small_set_is_all_there():
    assert len(SMALL) == 37 and set(SMALL) == {name for name in published() if "_" not in name}


@pytest.mark.parametrize("name", SMALL)
def test_published_optimum(name, tmp_path, capsys):
    scenario_path = tmp_path / f"{name}.yaml"
    assert main(["import", "orlib-cflp", str(ORLIB / f"{name}.txt"), "-o", str(scenario_path)]) == 0
    outcome = plan_rollout(load_scenario(scenario_path), SolveOptions(relative_gap=1e-9, time_limit_s=120))
    assert outcome.result.status.value == "optimal"
    assert abs(outcome.plan.npv_usd - published()[name]) / published()[name] <= 1e-6


def test_capacity_word_needs_the_flag(tmp_path, capsys):
    assert main(["import", "orlib-cflp", str(ORLIB / "capa.txt"), "-o", str(tmp_path / "a.yaml")]) == 2
    assert "give one with --capacity N" in capsys.readouterr().err
    instance = read_orlib_cflp(ORLIB / "capa.txt", capacity=8000)
    assert len(instance.capacities) == 100 and set(instance.capacities) == {8000.0} and len(instance.demands) == 1000


def test_truncated_instance_is_reported(tmp_path, capsys):
    text = (ORLIB / "cap41.txt").read_text().split()
    (tmp_path / "cut.txt").write_text(" ".join(text[:100]))
    assert main(["import", "orlib-cflp", str(tmp_path / "cut.txt"), "-o", str(tmp_path / "x.yaml")]) == 2
    assert "file ends where cost of facility" in capsys.readouterr().err
