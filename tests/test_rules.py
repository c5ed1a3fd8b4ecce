"""The invariants of planner.rules, and that the scenario loader, the plan reader and the policy pack agree.

Each rule is declared once; these tests take one figure just inside and one just outside a rule through
every part of gwplan that applies it, so a second, diverging copy of a bound cannot creep back in.
"""

from __future__ import annotations

import re

import pytest

from planner.fields import InputError
from planner.plan import load_plan
from planner.rules import PUE_MAX, PUE_MIN, racks_fit_power, whole_racks, within_funding, within_supply
from planner.scenario import load_scenario
from tests.helpers import REPO, site, tiny_doc
from tests.test_policies import CAMPUS, check

BASE_PLAN = REPO / "tests" / "bad_inputs" / "plans" / "_base.plan.yaml"


def test_whole_racks_forgive_solver_round_off_only():
    assert whole_racks(1000.0, 1.0) == 1000
    assert whole_racks(999.9999999, 1.0) == 1000  # a solver's round-off is not a missing rack
    assert whole_racks(999.99, 1.0) == 999  # a real shortfall is
    assert whole_racks(100.0, 0.3) == 333 and whole_racks(0.29, 0.3) == 0


def test_racks_fit_power_wants_exactly_the_racks_that_fit():
    assert racks_fit_power(333, 100.0, 0.3)
    assert not racks_fit_power(332, 100.0, 0.3)  # one more would fit
    assert not racks_fit_power(334, 100.0, 0.3)  # one too many


def test_supply_and_funding_allow_round_off_and_nothing_more():
    assert within_supply(150.0 + 1e-7, 150.0) and not within_supply(150.001, 150.0)
    assert within_funding(1e9 + 0.5, 1e9) and not within_funding(1e9 + 10.0, 1e9)


def scenario_accepts(pue: float, write_scenario) -> bool:
    try:
        load_scenario(write_scenario(tiny_doc([site("A", pue=pue)])))
        return True
    except InputError:
        return False


def plan_accepts(pue: float, tmp_path) -> bool:
    text = BASE_PLAN.read_text()
    path = tmp_path / "plan.yaml"
    path.write_text(re.sub(r"pue: 1\.2\n", f"pue: {pue!r}\n", text, count=1))
    try:
        load_plan(path)
        return True
    except InputError:
        return False


def policy_accepts(pue: float) -> bool:
    return check("gwplan:site:Campus", {**CAMPUS, "pue": pue}) == []


@pytest.mark.parametrize("pue, accepted", [(PUE_MIN, True), (PUE_MAX, True), (1.35, True),
                                           (PUE_MAX + 0.05, False), (PUE_MIN - 0.01, False)])
def test_one_pue_range_for_scenarios_plans_and_policies(pue, accepted, write_scenario, tmp_path):
    assert scenario_accepts(pue, write_scenario) is accepted
    assert plan_accepts(pue, tmp_path) is accepted
    assert policy_accepts(pue) is accepted
