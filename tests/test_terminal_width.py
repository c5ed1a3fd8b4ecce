"""The optimize summary at 80 and 100 columns: numbers are never cut, site names are never ellipsized."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from planner.plan import load_plan
from planner.report.text import print_plan
from tests.helpers import REPO


@pytest.mark.parametrize("width", [80, 100, 160])
def test_no_number_is_cut(width):
    plan = load_plan(REPO / "plans" / "10gw-rollout.plan.yaml")
    out = Console(width=width, file=io.StringIO(), record=True)
    print_plan(out, plan, "10gw-rollout")
    text = out.export_text()
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= width
    for phase in plan.phases:
        for number in (f"{phase.gpus_added:,}", f"{phase.capex_usd / 1e9:,.2f}", f"{phase.it_mw_total:,.0f}"):
            assert number in text, (width, number)
    assert f"{sum(p.gpus_added for p in plan.phases):,}" in text
    if width >= 160:  # wide enough for every site name, whole
        assert all(s in text for p in plan.phases for s in p.sites_building)
