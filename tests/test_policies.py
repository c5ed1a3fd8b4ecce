"""Policy rules called directly (building the PolicyPack would start a policy server and never return)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from policies.rules import RULES
from tests.test_stacks import PHASES, run_program_with_props, stack_config


def check(resource_type: str, props: dict) -> list[str]:
    violations: list[str] = []
    args = SimpleNamespace(resource_type=resource_type, props=props)
    for rule in RULES.values():
        rule(args, violations.append)
    return violations


@pytest.mark.parametrize("phase", PHASES)
def test_the_bundled_plan_passes_every_policy(phase):
    for typ, props in run_program_with_props(f"phase-{phase}", stack_config(f"phase-{phase}")):
        assert check(typ, props) == []


CAMPUS = {"site": "A", "phase": "1", "facility_mw": 100.0, "grid_mw": 80.0, "supply_mw": 120.0, "pue": 1.2}
CLUSTER = {"platform": "vr-nvl144", "racks": 500, "gpus": 36_000, "gpus_per_rack": 72, "rack_it_kw": 200.0,
           "it_mw": 100.0}
PHASE = {"phase": "1", "cumulative_capex_usd": 50e9, "cumulative_funding_usd": 55e9}


def test_valid_resources_pass():
    assert check("gwplan:site:Campus", CAMPUS) == []
    assert check("gwplan:compute:GpuCluster", CLUSTER) == []
    assert check("gwplan:rollout:Phase", PHASE) == []


@pytest.mark.parametrize("typ, props, expected", [
    ("gwplan:site:Campus", {**CAMPUS, "facility_mw": 130.0}, "exceeds the 120.0 MW supplied"),
    ("gwplan:site:Campus", {**CAMPUS, "pue": 2.4}, "PUE 2.4 is outside [1.0, 2.0]"),
    ("gwplan:rollout:Phase", {**PHASE, "cumulative_capex_usd": 56e9}, "exceeds the $55.00B funded"),
    ("gwplan:compute:GpuCluster", {**CLUSTER, "gpus": 36_001}, "are not 500 racks x 72 GPUs"),
    ("gwplan:compute:GpuCluster", {**CLUSTER, "racks": 501, "gpus": 501 * 72}, "do not match 100.000 MW"),
    ("gwplan:compute:GpuCluster", {**CLUSTER, "racks": 400, "gpus": 400 * 72}, "expected the whole racks"),
])
def test_each_policy_reports_its_violation(typ, props, expected):
    violations = check(typ, props)
    assert len(violations) == 1 and expected in violations[0]
