"""Scenario loading: every problem named by file and field path; base files with overrides; plan files."""

from __future__ import annotations

import re

import pytest
import yaml

from planner.fields import InputError, parse_date
from planner.plan import dump_plan, load_plan
from planner.scenario import load_scenario
from tests.helpers import REPO, site, tiny_doc


def problems_of(path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    return [str(p) for p in caught.value.problems]


def test_bundled_scenario_is_valid_and_as_described():
    s = load_scenario(REPO / "scenarios" / "10gw-rollout.yaml")
    assert len(s.phases) == 10 and all(p.it_mw_required == 1000 for p in s.phases)
    assert s.phases[0].platform == "vr-nvl144" and s.phases[0].online_label == "2026-H2"
    assert len(s.sites) >= 30 and len(s.regions) >= 6
    assert s.platform("vr-nvl144").rack_it_kw.low == 180 and s.platform("vr-nvl144").rack_it_kw.high == 230


def test_every_problem_has_file_field_and_expectation(write_scenario):
    doc = tiny_doc([site("A"), site("B")])
    doc["sites"][1]["grid_mw_by_phase"] = [-5]
    doc["sites"][0]["pue"] = "high"
    doc["phases"][0]["it_mw_required"] = float("nan")
    path = write_scenario(doc)
    found = problems_of(path)
    assert f"{path}: sites[1].grid_mw_by_phase[0]: expected a number >= 0, got -5" in found
    assert f"{path}: sites[0].pue: expected a number, got text 'high'" in found
    assert any(p.startswith(f"{path}: phases[0].it_mw_required: expected a finite number") for p in found)


def test_unknown_keys_are_errors_with_a_suggestion(write_scenario):
    doc = tiny_doc([site("A")])
    doc["sites"][0]["gird_mw_by_phase"] = [5]
    doc["economics"]["discount_rat"] = 0.1
    found = problems_of(write_scenario(doc))
    assert any("sites[0].gird_mw_by_phase: unknown field (did you mean 'grid_mw_by_phase'?)" in p for p in found)
    assert any("economics.discount_rat: unknown field (did you mean 'discount_rate'?)" in p for p in found)


def test_cross_references_are_checked(write_scenario):
    doc = tiny_doc([site("A"), site("A")], phases=[
        {"id": "1", "online_date": "2028-01-01", "it_mw_required": 10, "platform": "nope", "funding_usd": 1},
        {"id": "2", "online_date": "2027-01-01", "it_mw_required": 10, "platform": "unit", "funding_usd": 1}],
        constraints={"required_sites": ["Z"], "forbidden_sites": []},
        demand_regions=[{"id": "d", "demand_mw": 5, "from_phase": "9", "serve_cost_usd_per_year": {"Q": 1}}])
    found = "\n".join(problems_of(write_scenario(doc)))
    assert "sites[1].id: duplicate id 'A'" in found
    assert "phases[0].platform: unknown platform 'nope'" in found
    assert "phases[1].online_date: phases must be in date order" in found
    assert "constraints.required_sites[0]: unknown site 'Z'" in found
    assert "demand_regions[0].from_phase: unknown phase '9'" in found
    assert "demand_regions[0].serve_cost_usd_per_year.Q: unknown site 'Q'" in found


def test_platform_must_be_available_by_the_phase(write_scenario):
    doc = tiny_doc([site("A")])
    doc["phases"][0].update({"platform": "rubin-ultra-nvl576", "online_date": "2027-01-01"})
    found = "\n".join(problems_of(write_scenario(doc)))
    assert "phases[0].platform: Rubin Ultra NVL576 (Kyber) is available from 2027-07-01" in found


@pytest.mark.parametrize("content, expected", [
    (b"sites: [\n", "is not valid YAML"),
    (b"\xff\xfe\x00binary", "is not UTF-8 text"),
    (b"- just\n- a list\n", "expected a mapping of scenario sections, got a list"),
    (b"", "expected a mapping of scenario sections, got nothing"),
])
def test_file_level_problems(tmp_path, content, expected):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    assert any(expected in p for p in problems_of(path))


def test_missing_file_and_directory(tmp_path):
    assert problems_of(tmp_path / "absent.yaml") == [f"{tmp_path / 'absent.yaml'}: no such file"]
    assert "is a directory" in problems_of(tmp_path)[0]


def test_extends_merges_by_id_and_removes(write_scenario, tmp_path):
    base = write_scenario(tiny_doc([site("A"), site("B", capex_per_mw=2e6)]), "base.yaml")
    override = {"extends": base.name, "name": "what-if",
                "sites": [{"id": "A", "pue": 1.3}, {"id": "B", "remove": True},
                          site("C", region="r2")]}
    s = load_scenario(write_scenario(override, "override.yaml"))
    assert s.name == "what-if"
    assert [x.id for x in s.sites] == ["A", "C"]
    assert s.sites[0].pue == 1.3 and s.sites[0].grid_mw_by_phase == (1000.0,)


def test_extends_cycle_is_reported(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    assert any("a cycle" in p for p in problems_of(tmp_path / "a.yaml"))


def test_extends_changes_the_scenario_hash(write_scenario):
    base = write_scenario(tiny_doc([site("A")]), "base.yaml")
    same = write_scenario({"extends": "base.yaml"}, "same.yaml")
    changed = write_scenario({"extends": "base.yaml", "sites": [{"id": "A", "pue": 1.2}]}, "changed.yaml")
    assert load_scenario(base).sha256 == load_scenario(same).sha256 != load_scenario(changed).sha256


@pytest.mark.parametrize("text, iso", [("2026-H2", "2026-12-31"), ("2027-H1", "2027-06-30"),
                                       ("2027-Q1", "2027-03-31"), ("2028-02", "2028-02-29"),
                                       ("2026-12-31", "2026-12-31")])
def test_period_labels_mean_their_last_day(text, iso):
    assert parse_date(text).isoformat() == iso


def test_plan_round_trip(solve_doc, tmp_path):
    demand = [{"id": "metro", "demand_mw": 30.0, "from_phase": "1", "serve_cost_usd_per_year": {"A": 1e6}}]
    _, out = solve_doc(tiny_doc([site("A"), site("B", capex_per_mw=2e6)], demand_regions=demand))
    dump_plan(out.plan, tmp_path / "plan.yaml")
    assert load_plan(tmp_path / "plan.yaml") == out.plan
    doc = yaml.safe_load((tmp_path / "plan.yaml").read_text())
    assert doc["totals"]["it_mw"] == pytest.approx(100.0)
    assert doc["phases"][0]["totals"]["gpus_added"] == out.plan.phases[0].gpus_added


def test_a_bound_computed_with_numpy_is_written_as_a_plain_number(solve_doc):
    """The reduced search's bound may be the least one it ruled out, a numpy float: the plan file's writer takes
    only Python floats, so a 1,000-site run once failed at its very end, writing the plan."""
    import dataclasses

    import numpy as np

    _, out = solve_doc(tiny_doc([site("A"), site("B", capex_per_mw=2e6)]))
    r = out.result
    result = dataclasses.replace(r, objective=np.float64(r.objective), best_bound=np.float64(r.best_bound),
                                 gap=np.float64(1e-5))
    figures = [result.objective, result.best_bound, result.gap, result.best_bound_usd]
    assert [type(x) for x in figures] == [float] * 4
    assert yaml.safe_load(yaml.safe_dump(figures)) == figures


def test_bad_plan_file_is_reported(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text("format: gwplan-plan/1\nprovenance: {}\nphases: [{id: 1, sites: [{site: A}]}]\n")
    with pytest.raises(InputError) as caught:
        load_plan(path)
    text = str(caught.value)
    assert "provenance.scenario_sha256: is required" in text and "phases[0].sites[0].racks_added: is required" in text


def test_plan_only_sections_are_unknown_in_a_scenario(write_scenario):
    doc = tiny_doc([site("A")])
    doc["campuses"] = [{"id": "A", "lat": 1.0, "lon": 2.0}]
    assert any("campuses: unknown field" in p for p in problems_of(write_scenario(doc)))


def test_set_overrides_by_path_id_and_index(write_scenario):
    path = write_scenario(tiny_doc([site("A"), site("B", capex_per_mw=2e6)]))
    base = load_scenario(path)
    changed = load_scenario(path, ["economics.discount_rate=0.1", "sites[B].lead_time_months=30",
                                   "phases[0].funding_usd=5e9", "sites[0].grid_mw_by_phase=[50]"])
    assert changed.economics.discount_rate == 0.1
    assert changed.sites[1].lead_time_months == 30 and changed.sites[0].grid_mw_by_phase == (50.0,)
    assert changed.phases[0].funding_usd == 5e9
    assert changed.sha256 != base.sha256  # the plan's scenario hash covers what-ifs


@pytest.mark.parametrize("override, message", [
    ("economics.discount_rate", "expected PATH=VALUE"),
    ("sites[Z].pue=1.2", "no record with id 'Z'"),
    ("economics[0]=1", "selects from a list"),
    ("economics.discount_rate=high", "economics.discount_rate: expected a number"),
])
def test_bad_overrides_are_named(write_scenario, override, message):
    path = write_scenario(tiny_doc([site("A")]))
    with pytest.raises(InputError, match=re.escape(message)):
        load_scenario(path, [override])


def test_a_scenario_given_as_a_plan_gets_one_clear_line():
    with pytest.raises(InputError) as caught:
        load_plan(REPO / "scenarios" / "10gw-rollout.yaml")
    assert len(caught.value.problems) == 1 and "is not a gwplan plan" in str(caught.value)


def test_yaml_conveniences_still_work_under_the_guards():
    """Merge keys may override what they merge (only a key written twice by hand is refused); shared
    anchors are fine below the expansion limit; an impossible date stays text for the field checks."""
    from planner.files import parse_yaml_text

    doc = parse_yaml_text("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  x: 3\n")
    assert doc["other"] == {"x": 3, "y": 2}
    shared = parse_yaml_text("a: &a [1, 2, 3]\n" + "".join(f"k{i}: *a\n" for i in range(1000)))
    assert shared["k999"] == [1, 2, 3]
    assert parse_yaml_text("d: 2026-02-30\n") == {"d": "2026-02-30"}


def test_unquoted_dates_as_keys_are_hashed(write_scenario):
    """grid_mw_by_date keys written as plain dates are dates to YAML: the scenario hash handles them."""
    from datetime import date

    doc = tiny_doc([site("A")])
    del doc["sites"][0]["grid_mw_by_phase"]
    doc["sites"][0]["grid_mw_by_date"] = {date(2026, 1, 1): 500}
    path = write_scenario(doc)
    assert "2026-01-01: 500" in path.read_text()  # a plain date key, as people write it
    scenario = load_scenario(path)
    assert scenario.sites[0].grid_mw_by_phase == (500.0,) and len(scenario.sha256) == 64


def test_sanity_limits_follow_the_unit_of_the_field_not_of_a_site_id():
    from planner.fields import unit_limit

    assert unit_limit("sites[0].grid_mw_by_phase[2]") == 1e6
    assert unit_limit("sites[0].power_blocks[0].capex_usd_per_it_mw") == 1e15  # dollars per MW
    assert unit_limit("sites[1].grid_mw_by_date.2027-01-01") == 1e6
    assert unit_limit("demand_regions[0].serve_cost_usd_per_year.tx_mw_1") == 1e15  # a site id naming 'mw'
    assert unit_limit("sites[0].lead_time_months") == 1200
    assert unit_limit("platforms[0].rack_it_kw.default") == 1e6
