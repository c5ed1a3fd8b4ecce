"""Loading a scenario: read the file, resolve `extends:`, apply `--set` overrides, merge the catalog, check.

`load_scenario` is the one way to a `Scenario`: it reads YAML (safe loader only), merges a base file
and its overrides (mappings key by key, lists of records by `id`), merges the bundled catalog, reads
every field and runs the cross-reference checks, and raises `InputError` listing every problem with
its file and field path.
"""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any

import yaml

from planner.fields import Fields, InputError, Problem, describe
from planner.files import ExpansionError, canonical_sha256, parse_yaml_text, read_yaml
from planner.scenario.catalog import bundled_catalog
from planner.scenario.checks import check_scenario
from planner.scenario.read import read_scenario
from planner.scenario.types import Scenario

MAX_EXTENDS_DEPTH = 8
LIST_KEYS_MERGED_BY_ID = ("sites", "phases", "demand_regions", "platforms", "switches")


def _merge(base: Any, override: Any) -> Any:
    """Deep-merge an override into a base document: mappings key by key, id'd lists by id."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            if key in merged and key in LIST_KEYS_MERGED_BY_ID:
                merged[key] = _merge_by_id(merged[key], value)
            elif key in merged:
                merged[key] = _merge(merged[key], value)
            else:
                merged[key] = value
        return merged
    return override


def _merge_by_id(base: Any, override: Any) -> Any:
    """Merge lists of records by `id`; an override record with `remove: true` drops the base one."""
    if not (isinstance(base, list) and isinstance(override, list)):
        return override
    if not all(isinstance(r, dict) and "id" in r for r in base + override):
        return override
    merged = {str(r["id"]): r for r in base}
    for record in override:
        key = str(record["id"])
        if record.get("remove") is True:
            merged.pop(key, None)
        elif key in merged:
            merged[key] = _merge(merged[key], record)
        else:
            merged[key] = record
    return list(merged.values())


def _kind(value: Any) -> str:
    """What a document is, without quoting it."""
    if isinstance(value, str):
        return f"text ({len(value):,} characters)"
    if isinstance(value, list):
        return f"a list of {len(value):,} items"
    return "nothing (an empty file)" if value is None else f"a {type(value).__name__}"


def _resolve_extends(path: Path, chain: tuple[Path, ...] = (), layers: list | None = None) -> dict:
    """The document with its `extends:` bases merged under it; `layers` collects (file, its own document)
    from this file down to the last base, to say which file a problem comes from."""
    doc = read_yaml(path)
    if not isinstance(doc, dict):
        # named by type only: `extends:` may point at any file (a .env), whose first bytes are not for messages
        raise InputError([Problem(str(path), "", f"expected a mapping of scenario sections, got "
                                                 f"{_kind(doc)}")])
    if layers is not None:
        layers.append((str(path), doc))
    base_name = doc.get("extends")
    if base_name is None:
        return doc
    if not isinstance(base_name, str) or not base_name.strip() or "\0" in base_name:
        raise InputError([Problem(str(path), "extends", f"expected a file path, got {describe(base_name)}")])
    base_path = (path.parent / base_name).resolve()
    if base_path in chain or base_path == path.resolve():
        raise InputError([Problem(str(path), "extends", f"{base_name} extends itself (a cycle)")])
    if len(chain) >= MAX_EXTENDS_DEPTH:
        raise InputError([Problem(str(path), "extends", f"more than {MAX_EXTENDS_DEPTH} levels of extends")])
    if not base_path.is_file():
        raise InputError([Problem(str(path), "extends", f"{base_name}: no such file (looked for {base_path})")])
    base = _resolve_extends(base_path, chain + (path.resolve(),), layers)
    override = {k: v for k, v in doc.items() if k != "extends"}
    return _merge(base, override)


def apply_overrides(doc: dict, overrides: list[str] | tuple[str, ...], source: str = "--set") -> dict:
    """Apply `path=value` overrides to a scenario document (a copy is returned).

    Paths are dotted keys with `[id]` or `[index]` for lists: `economics.discount_rate=0.1`,
    `sites[tx-abilene].lead_time_months=30`, `phases[2].funding_usd=40e9`. Values are read as YAML.
    """
    doc = copy.deepcopy(doc)
    for item in overrides:
        target, sep, raw = item.partition("=")
        if not sep or not target.strip():
            raise InputError([Problem(source, item, "expected PATH=VALUE, e.g. economics.discount_rate=0.1")])
        tokens = re.findall(r"[^.\[\]]+|\[[^\]]*\]", target.strip())
        if not tokens:
            raise InputError([Problem(source, item, "expected a field path such as economics.discount_rate or "
                                                    "sites[tx-abilene].pue before '='")])
        node: Any = doc
        for i, token in enumerate(tokens):
            last = i == len(tokens) - 1
            if token.startswith("["):
                key = token[1:-1]
                if not isinstance(node, list):
                    raise InputError([Problem(source, target, f"{token} selects from a list, but "
                                                              f"{''.join(tokens[:i]) or 'the top'} is not one")])
                matches = [j for j, r in enumerate(node) if isinstance(r, dict) and str(r.get("id")) == key]
                if matches:
                    index = matches[0]
                elif key.lstrip("-").isdigit() and -len(node) <= int(key) < len(node):
                    index = int(key)
                else:
                    raise InputError([Problem(source, target, f"no record with id {key!r} (nor index) there")])
                if last:
                    node[index] = _override_value(raw, source, target)
                node = node[index]
            else:
                if not isinstance(node, dict):
                    raise InputError([Problem(source, target, f"{token!r} names a field, but its parent is not a "
                                                              "mapping")])
                if last:
                    node[token] = _override_value(raw, source, target)
                else:
                    node = node.setdefault(token, {})
    return doc


def _override_value(raw: str, source: str, target: str) -> Any:
    try:
        return parse_yaml_text(raw)
    except yaml.MarkedYAMLError as err:
        raise InputError([Problem(source, target, f"the value {raw!r} is not valid YAML: {err.problem}")]) from None
    except (yaml.YAMLError, ExpansionError) as err:
        raise InputError([Problem(source, target, f"the value {raw!r} is refused: {err}")]) from None


def load_scenario(path: str | os.PathLike, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Read, merge and check a scenario file (plus `--set` overrides); raise InputError with every problem."""
    path = Path(path)
    layers: list[tuple[str, Any]] = []
    doc = _resolve_extends(path, layers=layers)
    if overrides:
        doc = apply_overrides(doc, overrides)
    sha = canonical_sha256(doc)
    catalog = bundled_catalog()
    for key in ("platforms", "switches"):
        if key in doc:
            doc = dict(doc)
            doc[key] = _merge_by_id(copy.deepcopy(catalog[key]), doc[key])
        else:
            doc = {**doc, key: catalog[key]}
    problems: list[Problem] = []
    scenario = read_scenario(Fields(problems, str(path), "", doc), str(path), sha)
    if problems:
        raise InputError(_attributed(problems, doc, layers))
    check_scenario(scenario, str(path), problems)
    if problems:
        raise InputError(_attributed(problems, doc, layers))
    return scenario


def _path_tokens(path: str) -> list[str | int]:
    return [int(t[1:-1]) if t.startswith("[") else t for t in re.findall(r"[^.\[\]]+|\[\d+\]", path)]


def _locate(doc: Any, steps: list[tuple[str, Any]]) -> int:
    """How many of the steps (key, or ("id", value) for a record merged by id) `doc` holds."""
    node, found = doc, 0
    for kind, key in steps:
        if kind == "id":
            listed = node if isinstance(node, list) else []
            matches = [r for r in listed if isinstance(r, dict) and str(r.get("id")) == key]
            if not matches:
                return found
            node = matches[0]
        elif isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        else:
            return found
        found += 1
    return found


def _attributed(problems: list[Problem], merged: dict, layers: list[tuple[str, Any]]) -> list[Problem]:
    """Each problem under the file its value comes from: the file, from the one loaded down through its
    bases, that holds the whole field path (records merged by id are matched by id), unless a file above
    it changes the same record (then that file, whose change made the combination); a missing field goes
    to the file holding most of its path (the loaded file on a tie)."""
    if len(layers) < 2:
        return problems
    out = []
    for problem in problems:
        steps: list[tuple[str, Any]] = []
        node: Any = merged
        for token in _path_tokens(problem.path):
            if isinstance(token, int) and isinstance(node, list) and 0 <= token < len(node):
                record = node[token]
                parent_is_merged = steps and steps[-1][1] in LIST_KEYS_MERGED_BY_ID
                if parent_is_merged and isinstance(record, dict) and "id" in record:
                    steps.append(("id", str(record["id"])))
                else:
                    steps.append(("index", token))
                node = record
            elif isinstance(node, dict) and token in node:
                steps.append(("key", token))
                node = node[token]
            else:
                steps.append(("key", token))
                node = None
        depth = [_locate(doc, steps) for _, doc in layers]
        best = max(range(len(layers)), key=lambda k: (depth[k], -k))
        # a file that changes the field's own record (but not the field) made the combination: it is named
        best = next((k for k in range(best) if depth[k] >= len(steps) - 1 and len(steps) > 1), best)
        out.append(Problem(layers[best][0], problem.path, problem.message) if problem.file == layers[0][0]
                   else problem)
    return out
