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


LATENCY = {"training_max_latency_ms": 15, "min_regions_per_phase": 2, "diversity_min_it_mw": 10}


def metro(server: str) -> dict:
    """A 20 MW demand region from phase 1, served only from `server`."""
    return {"id": "metro", "demand_mw": 20, "from_phase": "1", "serve_cost_usd_per_year": {server: 1}}


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
    (tiny_doc([site("A"), site("B")], constraints={"forbidden_sites": ["B"]},
              demand_regions=[metro("B")]),
     "demand", ["demand region metro (20 MW from phase 1) can be served only from B", "none of them can hold IT"]),
    # Frankfurt (A) and Ashburn (B) are ~6,500 km apart: 48.6 ms of fiber, so they cannot add in one phase.
    (tiny_doc([site("A", region="eu", lat=50.1, lon=8.7), site("B", region="us", lat=39.0, lon=-77.5)],
              constraints=LATENCY), "latency",
     ["phase 1 must add at least 10 MW in each of 2 regions", "within 15 ms of fiber of each other",
      "no site that can add then"]),
    # Two sites in two regions near Ashburn can add together; C, alone in Frankfurt, never can, and only C serves
    # the metro. A and B can hold the 100 MW required, so no other rule fails.
    (tiny_doc([site("A", region="us", lat=39.0, lon=-77.5), site("B", region="ca", lat=40.0, lon=-76.0),
               site("C", region="eu", lat=50.1, lon=8.7)], constraints=LATENCY,
              demand_regions=[metro("C")]),
     "latency", ["demand region metro (20 MW from phase 1) can be served only from C", "none of them can add IT"]),
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


def test_no_plan_at_the_limit_is_called_infeasible_when_a_rule_proves_it(write_scenario, capsys):
    """A search that ends at its limit without a plan says "raise --time-limit", unless a necessary condition
    fails: then no time would find one (a 200-site scenario with the latency case below searched 20 s for
    nothing), and the reasons are said as for a proven infeasibility (exit 3)."""
    import argparse

    from planner.cli.outcome import exit_status, why_not
    from planner.optimize.options import SolveOptions
    from planner.optimize.result import SolveResult, SolveStatus

    def outcome(doc) -> tuple[int, str]:
        path = write_scenario(doc)
        searched = SolveResult(SolveStatus.NO_SOLUTION, None, None, None, 30.0, "highs", "time limit", [])
        code = exit_status(searched, SolveOptions(time_limit_s=30.0), argparse.Namespace(scenario=path), path, path,
                           why_not(searched, load_scenario(path)))
        return code, capsys.readouterr().err

    code, err = outcome(tiny_doc([site("A", region="eu", lat=50.1, lon=8.7), site("B", region="us", lat=39.0,
                                                                                   lon=-77.5)], constraints=LATENCY))
    assert code == 3 and "no plan was found within 30 s, and none can exist" in err and "15 ms of fiber" in err
    code, err = outcome(tiny_doc([site("A"), site("B")]))
    assert code == 4 and "raise --time-limit" in err


def test_json_lists_the_reasons_with_their_family_and_phase(write_scenario, tmp_path, capsys):
    import json

    doc = tiny_doc([site("A", region="eu", lat=50.1, lon=8.7), site("B", region="us", lat=39.0, lon=-77.5)],
                   constraints=LATENCY)
    assert main(["optimize", str(write_scenario(doc)), "-o", str(tmp_path / "p.yaml"), "--json"]) == 3
    told = json.loads(capsys.readouterr().out)
    assert told["status"] == "infeasible" and [(r["family"], r["phase"]) for r in told["reasons"]] == [("latency", "1")]
    assert "within 15 ms of fiber" in told["reasons"][0]["message"]
    assert main(["optimize", str(write_scenario(tiny_doc([site("A")]))), "-o", str(tmp_path / "q.yaml"), "--json"]) == 0
    assert "reasons" not in json.loads(capsys.readouterr().out)  # a plan: nothing to explain
