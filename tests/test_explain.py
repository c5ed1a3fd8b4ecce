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
    (tiny_doc([site("A", max_it_mw_per_phase=40), site("B", max_it_mw_per_phase=30)]), "build_rate",
     ["phase 1 needs 100 MW", "construction rates", "at most 70 MW can stand by then"]),
    (tiny_doc([site("A", carbon_kg_per_mwh=400), site("B", carbon_kg_per_mwh=500)],
              constraints={"carbon_cap_tonnes_per_year": 1e5}), "carbon",
     ["phase 1 needs 100 MW", "at least 350,400 t of CO2 a year", "above the cap of 100,000 t"]),
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


def test_on_site_power_counts_toward_what_a_site_can_supply(write_scenario):
    """A's grid alone (60 MW) cannot carry 100 MW; with 50 MW of turbines it can: no grid reason."""
    turbines = [{"id": "gas", "capex_usd_per_mw": 1e6, "lead_time_months": 0, "max_mw": 50}]
    assert explain(load_scenario(write_scenario(tiny_doc([site("A", grid=[60.0])]))))[0].family == "grid"
    assert explain(load_scenario(write_scenario(tiny_doc([site("A", grid=[60.0], onsite_power=turbines)])))) == []
