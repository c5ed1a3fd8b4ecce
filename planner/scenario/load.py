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


def _resolve_extends(path: Path, chain: tuple[Path, ...] = ()) -> dict:
    doc = read_yaml(path)
    if not isinstance(doc, dict):
        raise InputError([Problem(str(path), "", f"expected a mapping of scenario sections, got {describe(doc)}")])
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
    base = _resolve_extends(base_path, chain + (path.resolve(),))
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
    doc = _resolve_extends(path)
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
        raise InputError(problems)
    check_scenario(scenario, str(path), problems)
    if problems:
        raise InputError(problems)
    return scenario
