"""The JSON Schema of the scenario format, recorded from the loader's own field readers.

The loader (`planner.scenario.read`) asks a `Fields` view for each key it knows, with its type, bounds,
choices and default. Here the same readers run once against a recording `Fields` that answers every
question with a representative value and writes down what was asked: each typed getter becomes a
property of its mapping (required when it has no default), `records` an array of objects read by the same
reader, `mapping` a nested object. So a field added to the loader is in the schema on the next
`gwplan schema`, with the same bounds; nothing is declared twice.

A few fields the loader reads by hand, because their shape varies (a grid given per phase or by date, a
carbon cap as one number or one per phase, the serving-cost map keyed by site id): their readers ask
for them through `raw`, which records no type. Those get their shape from `HAND_READ` below, and a test
fails for any field the loader knows that ends up without a type, so none can be left out silently.

Two relaxations follow how scenarios are loaded: platform and switch entries need only their `id` (the
bundled catalog fills in the rest, `_merge_by_id`), and a file with `extends:` needs nothing (its base
holds the required fields). Dates are strings for the schema (YAML's dates are an editor's strings).
Checks across fields (one grid figure per phase, ids that refer to each other, shares adding up to 1)
stay with `gwplan validate`: the schema is what an editor can check as you type.
"""

from __future__ import annotations

from typing import Any

from planner.fields import ID_PATTERN, Fields

SCHEMA_ID = "urn:gwplan:scenario"  # a name, not a place: the schema ships with gwplan
DATE = {"type": "string", "description": "YYYY-MM-DD, or a period YYYY-H1/H2, YYYY-Q1..Q4 or YYYY-MM (its last day)",
        "pattern": r"^\d{4}-(\d{2}-\d{2}|H[12]|Q[1-4]|\d{2})$"}
ID = {"type": ["string", "integer"], "pattern": f"^{ID_PATTERN.pattern}$"}

# Shapes of the fields the loader reads by hand (path of the mapping, key) -> schema
HAND_READ: dict[tuple[str, str], dict] = {
    ("sites[]", "grid_mw_by_phase"): {"type": "array", "items": {"type": "number", "minimum": 0},
                                      "description": "facility MW the grid supplies, one number per phase "
                                                     "(exactly one of grid_mw_by_phase or grid_mw_by_date)"},
    ("sites[]", "grid_mw_by_date"): {"type": "object", "additionalProperties": {"type": "number", "minimum": 0},
                                     "propertyNames": DATE,
                                     "description": "date: facility MW from then on (exactly one of "
                                                    "grid_mw_by_phase or grid_mw_by_date)"},
    ("constraints", "carbon_cap_tonnes_per_year"): {
        "anyOf": [{"type": "number", "minimum": 0}, {"type": "array", "items": {"type": "number", "minimum": 0}}],
        "description": "tonnes of CO2 a year: one number for every phase, or one per phase"},
    ("demand_regions[]", "serve_cost_usd_per_year"): {
        "type": "object", "minProperties": 1, "additionalProperties": {"type": "number", "minimum": 0},
        "description": "site id: yearly cost in USD of serving all of the region from that site"},
    ("constraints", "required_sites"): {"type": "array", "items": ID, "description": "site ids every plan builds"},
    ("constraints", "forbidden_sites"): {"type": "array", "items": ID, "description": "site ids no plan builds"},
    ("constraints", "diversity_min_it_mw"): {"type": "number", "minimum": 0,
                                             "description": "IT MW a site or region must add in a phase to count "
                                                            "(> 0 with min_sites_per_phase or "
                                                            "min_regions_per_phase)"},
    ("economics", "construction_spend_profile"): {
        "type": "array", "minItems": 1, "items": {"type": "number", "minimum": 0},
        "description": "shares of construction capex over equal slices of its lead time, adding up to 1"},
}


_REQUIRED = object()  # a getter called without a default: the loader reports the field as required


def _object() -> dict:
    return {"type": "object", "properties": {}, "required": [], "additionalProperties": False}


def _number_schema(ge=None, gt=None, le=None, lt=None) -> dict:
    schema: dict[str, Any] = {"type": "number"}
    for keyword, bound in (("minimum", ge), ("exclusiveMinimum", gt), ("maximum", le), ("exclusiveMaximum", lt)):
        if bound is not None:
            schema[keyword] = bound
    return schema


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


class _Recorder(Fields):
    """A `Fields` that records what a reader asks for instead of reading a document. Every optional field is
    answered as given (`has` is true), so that the reader asks for everything it knows."""

    def __init__(self, node: dict, where: str):
        super().__init__([], "<schema>", where, {})
        self.node, self.where = node, where
        self._optional: set[str] = set()  # keys the reader asked `has` about: read only when given

    def _record(self, key: str, schema: dict, default: Any) -> None:
        self._seen.add(key)
        props = self.node["properties"]
        if schema or key not in props:
            props[key] = HAND_READ.get((self.where, key), schema)
        if default is _REQUIRED and key not in self._optional and key not in self.node["required"]:
            self.node["required"].append(key)

    def has(self, key: str) -> bool:
        self._optional.add(key)
        self._record(key, {}, None)
        return True

    def raw(self, key: str, default: Any = _REQUIRED) -> Any:
        self._record(key, {}, default)
        return None

    def problem(self, path: str, message: str) -> None:
        pass

    def done(self) -> None:
        pass

    def check_number(self, value: Any, path: str, *, ge=None, gt=None, le=None, lt=None) -> float:
        return float(ge if ge is not None else (gt + 1 if gt is not None else 1.0))

    def number(self, key, default=_REQUIRED, *, ge=None, gt=None, le=None, lt=None):
        self._record(key, _number_schema(ge, gt, le, lt), default)
        return self.check_number(None, key, ge=ge, gt=gt)

    def integer(self, key, default=_REQUIRED, *, ge=None):
        self._record(key, {"type": "integer", **({"minimum": ge} if ge is not None else {})}, default)
        return max(1, ge or 1)

    def string(self, key, default=_REQUIRED, *, choices=None):
        self._record(key, {"type": "string", "enum": list(choices)} if choices else {"type": ["string", "integer"]},
                     default)
        return choices[0] if choices else "x"

    def identifier(self, key):
        self._record(key, dict(ID), _REQUIRED)
        return "x"

    def port_template(self, key):
        self._record(key, {"type": "string", "description": "a port-name template using {n}, {cage}, {lane}, "
                                                            "{cage0} or {lane0}"}, _REQUIRED)
        return "p{n}"

    def boolean(self, key, default=_REQUIRED):
        self._record(key, {"type": "boolean"}, default)
        return True

    def date(self, key, default=_REQUIRED):
        from datetime import date

        self._record(key, dict(DATE), default)
        return date(2026, 1, 1)

    def items(self, key, default=_REQUIRED):
        self._record(key, {"type": "array"}, default)  # items: HAND_READ (the loader checks them by hand)
        return iter(())

    def records(self, key, default=_REQUIRED):
        node = _object()
        self._record(key, {"type": "array", "items": node}, default)
        yield _Recorder(node, f"{_join(self.where, key)}[]")

    def mapping(self, key, default=_REQUIRED):
        node = _object()
        self._record(key, node, default)
        return _Recorder(node, _join(self.where, key))

    def uncertain(self, key, build, *, gt=0.0):
        number = _number_schema(gt=gt)
        figure = {"type": "object", "additionalProperties": False, "required": ["default"], "properties": {
            "default": number, "range": {"type": "array", "items": number, "minItems": 2, "maxItems": 2},
            "source": {"type": "string"}}}
        self._record(key, {"anyOf": [number, figure],
                           "description": "a number, or {default, range: [low, high], source}"}, _REQUIRED)
        return build(1.0, 1.0, 1.0, "")


def _relaxed(schema: Any) -> Any:
    """The same schema with no required fields anywhere (for a file that extends another)."""
    if isinstance(schema, dict):
        return {k: _relaxed(v) for k, v in schema.items() if not (k == "required" and isinstance(v, list))}
    if isinstance(schema, list):
        return [_relaxed(v) for v in schema]
    return schema


def untyped_fields(schema: dict, where: str = "") -> list[str]:
    """Fields the loader knows that the schema gives no shape (an empty schema, or a list of unknown items):
    should be none."""
    out = []
    for key, sub in schema.get("properties", {}).items():
        path = _join(where, key)
        if sub == {} or (sub.get("type") == "array" and not sub.get("items")):
            out.append(path)
        out += untyped_fields(sub, path)
        if isinstance(sub.get("items"), dict):
            out += untyped_fields(sub["items"], path + "[]")
    return out


def scenario_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a scenario file."""
    from planner.scenario.read import read_scenario

    top = _object()
    read_scenario(_Recorder(top, ""), "<schema>", "")
    top["properties"]["extends"] = {"type": "string", "description": "a base scenario file this one overrides "
                                                                      "(path relative to this file)"}
    for key in ("platforms", "switches"):  # merged by id over the bundled catalog: only the id is needed
        top["properties"][key]["items"]["required"] = ["id"]
        top["required"] = [k for k in top["required"] if k != key]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
        "title": "gwplan scenario",
        "description": "A gwplan scenario (gwplan validate checks what a schema cannot: references between ids, "
                       "one grid figure per phase, shares adding up to 1, ...).",
        "type": "object",
        "if": {"required": ["extends"]}, "then": _relaxed(top), "else": top,
    }
