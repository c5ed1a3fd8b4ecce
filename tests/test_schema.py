"""The scenario format's JSON Schema: recorded from the loader's readers, shipped, and agreeing with the loader.

Known answers: the bundled scenario is valid for both; each mutation below is refused by both (an unknown
field, a missing required one, a wrong type, a bound crossed, a choice outside its list, an id that could
leave a folder); a file that extends another needs nothing of its own."""

from __future__ import annotations

import copy
import datetime
import json

import pytest
from jsonschema import Draft202012Validator

from planner.cli import main
from planner.fields import InputError
from planner.files import dump_yaml, read_yaml, write_text_atomic
from planner.scenario import load_scenario
from planner.scenario.schema import scenario_schema, untyped_fields
from tests.helpers import REPO

SHIPPED = REPO / "schemas" / "scenario.schema.json"
BUNDLED = REPO / "scenarios" / "10gw-rollout.yaml"


def as_editor_sees_it(doc):
    """YAML dates become strings, as an editor's schema support reads them."""
    if isinstance(doc, dict):
        return {str(k): as_editor_sees_it(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [as_editor_sees_it(v) for v in doc]
    if isinstance(doc, datetime.date):
        return doc.isoformat()
    return doc


@pytest.fixture(scope="module")
def validator():
    schema = scenario_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_the_shipped_schema_is_the_generated_one_and_every_known_field_has_a_shape():
    assert json.loads(SHIPPED.read_text()) == scenario_schema()  # run `gwplan schema -o schemas/...` after a change
    assert untyped_fields(scenario_schema()["else"]) == []


def test_the_schema_command_prints_it(capsys):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == scenario_schema()


def test_the_bundled_scenario_is_valid_for_both(validator):
    doc = as_editor_sees_it(read_yaml(BUNDLED))
    assert list(validator.iter_errors(doc)) == []
    load_scenario(BUNDLED)


MUTATIONS = {
    "unknown field": lambda d: d["sites"][0].update(pue_typo=1.2),
    "missing required": lambda d: d["sites"][1].pop("lat"),
    "missing section": lambda d: d.pop("economics"),
    "wrong type": lambda d: d["sites"][2].update(pue="low"),
    "below a bound": lambda d: d["economics"].update(discount_rate=-0.1),
    "above a bound": lambda d: d["sites"][0].update(lat=123.0),
    "outside the choices": lambda d: d["economics"].update(it_end_of_life="resell"),
    "id leaving a folder": lambda d: d["phases"][0].update(id="../../x"),
    "not a date": lambda d: d["phases"][0].update(online_date="soon"),
    "uncertain figure with an unknown key": lambda d: d.setdefault("platforms", [{"id": "vr-nvl144"}])[0].update(
        rack_it_kw={"default": 190.0, "rnage": [180, 200]}),
    "negative serving cost": lambda d: d["demand_regions"][0]["serve_cost_usd_per_year"].update(
        {next(iter(d["demand_regions"][0]["serve_cost_usd_per_year"])): -1.0}),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_each_mistake_is_refused_by_the_schema_and_by_the_loader(name, validator, tmp_path):
    doc = read_yaml(BUNDLED)
    MUTATIONS[name](doc)
    assert list(validator.iter_errors(as_editor_sees_it(doc))), f"the schema accepts: {name}"
    path = tmp_path / "s.yaml"
    write_text_atomic(path, dump_yaml(doc))
    with pytest.raises(InputError):
        load_scenario(path)


def test_a_file_that_extends_another_needs_nothing_of_its_own(validator, tmp_path):
    base = copy.deepcopy(read_yaml(BUNDLED))
    write_text_atomic(tmp_path / "base.yaml", dump_yaml(base))
    child = {"extends": "base.yaml", "economics": {"discount_rate": 0.09}}
    assert list(validator.iter_errors(child)) == []
    write_text_atomic(tmp_path / "child.yaml", dump_yaml(child))
    assert load_scenario(tmp_path / "child.yaml").economics.discount_rate == 0.09
    assert list(validator.iter_errors({**child, "economics": {"discount_rtae": 0.09}}))  # typos still caught
