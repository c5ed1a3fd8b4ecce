"""Why not: each family of infeasibility is named with the scenario's own numbers (and exits 3)."""

from __future__ import annotations

import pytest

from planner.cli import main
from planner.optimize.explain import explain
from planner.scenario import load_scenario
from tests.helpers import site, tiny_doc


def two_phases(required_mw=(100, 100), funding=(1e12, 1e12)):
    return [{"id": str(i + 1), "online_date": f"{2027 + i}-01-01", "it_mw_required": mw, "platform": "unit",
             "funding_usd": f} for i, (mw, f) in enumerate(zip(required_mw, funding))]


@pytest.mark.parametrize("doc, family, words", [
    (tiny_doc([site("A", grid=[60.0]), site("B", grid=[30.0], pue=1.5)]), "grid",
     ["phase 1 needs 100 MW of IT installed by 2027-01-01", "at most 80 MW", "A 60 MW", "B 20 MW"]),
    (tiny_doc([site("A", grid=[60.0]), site("B", lead=30)], phases=two_phases()), "lead_time",
     ["phase 1 needs 100 MW", "at most 60 MW", "B (30 months, 1,000 MW)"]),
    (tiny_doc([site("A")], phases=two_phases(funding=(50e6, 50e6))), "funding",
     ["phase 1 needs 100 MW", "cost at least $0.10B", "only $0.05B is funded"]),
    (tiny_doc([site("A"), site("B", grid=[50.0])], constraints={"min_sites_per_phase": 3,
                                                              "diversity_min_it_mw": 10}), "diversity",
     ["at least 10 MW in each of 3 sites", "only 2 can (A, B)"]),
    (tiny_doc([site("A", region="east"), site("B", region="west", grid=[20.0])],
              constraints={"max_region_share": 0.5}), "region_share",
     ["at most 50% of it per region", "only 70 MW"]),
    (tiny_doc([site("A"), site("B", lead=60)], constraints={"required_sites": ["B"]}), "required_site",
     ["site B is required", "60 months", "beyond the last phase (2027-01-01)"]),
])
def test_each_family_is_explained(write_scenario, tmp_path, capsys, doc, family, words):
    path = write_scenario(doc)
    reasons = explain(load_scenario(path))
    assert reasons and {r.family for r in reasons} == {family}, reasons
    for word in words:
        assert word in reasons[0].message, reasons[0].message
    assert main(["optimize", str(path), "-o", str(tmp_path / "p.yaml")]) == 3
    err = capsys.readouterr().err
    assert "infeasible" in err and reasons[0].message in err


def test_a_feasible_scenario_has_no_reasons(write_scenario):
    assert explain(load_scenario(write_scenario(tiny_doc([site("A"), site("B")])))) == []
