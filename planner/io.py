"""Scenario and plan files: the only place planner reads or writes them.

`load_scenario` reads YAML (safe loader only), resolves `extends:` (a base file plus overrides),
merges the bundled catalog, checks every field and cross-reference, and returns a frozen `Scenario`,
or raises `InputError` listing every problem with its file and field path.
`dump_plan` / `load_plan` write and read plan files; writes are atomic (temporary file, then rename).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import tempfile
from datetime import date
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from planner.fields import Fields, InputError, Problem, describe, parse_date
from planner.scenario import (
    Constraints,
    DemandRegion,
    Economics,
    Phase,
    Platform,
    PowerBlock,
    Scenario,
    Site,
    Switch,
    Uncertain,
)

if TYPE_CHECKING:
    from planner.plan import Plan

MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_EXPANDED_VALUES = 2_000_000  # values in a document once aliases are expanded (the bundled scenario: ~2,000)
MAX_NESTING = 100  # levels of mappings and lists (scenarios and plans use at most 6)
MAX_EXTENDS_DEPTH = 8
LIST_KEYS_MERGED_BY_ID = ("sites", "phases", "demand_regions", "platforms", "switches")


# ---------------------------------------------------------------------------------------------
# YAML files
# ---------------------------------------------------------------------------------------------

_SAFE_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when present: ~5x faster


class SafeLoader(_SAFE_BASE):  # type: ignore[misc, valid-type]
    """PyYAML's safe loader, reading floats as YAML 1.2 does (`5.9e6` and `1e9` are numbers, not text),
    refusing a key written twice in one mapping (PyYAML would silently keep the last), and keeping an
    impossible date such as `2026-13-45` as text for the field checks to report (PyYAML would raise)."""

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_scalar(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
                continue  # `<<: *base` may be overridden key by key; complex keys are refused later
            key = self.construct_object(key_node)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping", node.start_mark,
                    f"found the key {key!r} twice (first at line {seen[key].start_mark.line + 1})",
                    key_node.start_mark)
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", SafeLoader.construct_yaml_timestamp)
SafeLoader.yaml_implicit_resolvers = {k: list(v) for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
for _first in "-+0123456789.":
    SafeLoader.yaml_implicit_resolvers[_first] = [
        r for r in SafeLoader.yaml_implicit_resolvers.get(_first, []) if r[0] != "tag:yaml.org,2002:float"]
SafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                   |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
                   |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
                   |[-+]?\.(?:inf|Inf|INF)
                   |\.(?:nan|NaN|NAN))$""", re.VERBOSE),
    list("-+0123456789."))


class ExpansionError(ValueError):
    """A YAML document that is cyclic or expands (through aliases) beyond MAX_EXPANDED_VALUES."""


def _expanded_size(doc: Any) -> int:
    """How many values the document holds once aliases are expanded, computed without expanding them.

    A few lines of anchors and aliases can stand for billions of values (an "alias bomb"), and an
    alias inside its own anchor makes a cycle; both would hang anything that walks the data.
    """
    sizes: dict[int, int] = {}
    open_ids: set[int] = set()

    def size(value: Any, depth: int) -> int:
        if not isinstance(value, (dict, list)):
            return 1
        key = id(value)
        if key in sizes:
            return sizes[key]
        if key in open_ids:
            raise ExpansionError("an alias refers to a value that contains it (a cycle)")
        if depth > MAX_NESTING:
            raise ExpansionError(f"it nests lists and mappings more than {MAX_NESTING} levels deep")
        open_ids.add(key)
        children = value.values() if isinstance(value, dict) else value
        total = 1
        for child in children:
            total += size(child, depth + 1)
            if total > MAX_EXPANDED_VALUES:
                raise ExpansionError(f"it expands to more than {MAX_EXPANDED_VALUES:,} values (through aliases)")
        open_ids.discard(key)
        sizes[key] = total
        return total
    return size(doc, 1)


def parse_yaml_text(text: str) -> Any:
    """Parse YAML text with the safe loader (no Python objects, ever); refuse cycles and alias bombs.

    """
    doc = yaml.load(text, Loader=SafeLoader)  # noqa: S506 - SafeLoader subclass
    _expanded_size(doc)
    return doc


def read_yaml(path: str | os.PathLike) -> Any:
    """Parse one YAML file with the safe loader; file-level problems become an InputError."""
    name = str(path)
    p = Path(path)
    try:
        if p.is_dir():
            raise InputError([Problem(name, "", "is a directory, expected a YAML file")])
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError([Problem(name, "", f"is {size:,} bytes; expected a YAML file under "
                                                f"{MAX_FILE_BYTES // 2**20} MiB")])
        text = p.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise InputError([Problem(name, "", "no such file")]) from None
    except PermissionError:
        raise InputError([Problem(name, "", "cannot be read (permission denied)")]) from None
    except UnicodeDecodeError:
        raise InputError([Problem(name, "", "is not UTF-8 text; expected a YAML file")]) from None
    except OSError as err:
        raise InputError([Problem(name, "", f"cannot be read ({err.strerror})")]) from None
    try:
        return parse_yaml_text(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        raise InputError([Problem(name, where, f"is not valid YAML: {err.problem}")]) from None
    except ExpansionError as err:
        raise InputError([Problem(name, "", f"is refused: {err}")]) from None
    except (yaml.YAMLError, RecursionError) as err:
        raise InputError([Problem(name, "", f"is not valid YAML ({type(err).__name__})")]) from None


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
    if not isinstance(base_name, str) or not base_name.strip():
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


def _bundled_catalog() -> dict:
    text = resources.files("planner").joinpath("catalog.yaml").read_text(encoding="utf-8")
    return parse_yaml_text(text)


def _canonical_sha256(doc: Any) -> str:
    """sha256 of the document as canonical JSON: keys sorted, dates (as keys or values) in ISO form."""
    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k.isoformat() if isinstance(k, date) else k if isinstance(k, str) else str(k): plain(v)
                    for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value.isoformat() if isinstance(value, date) else value
    text = json.dumps(plain(doc), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------
# Scenario
# ---------------------------------------------------------------------------------------------

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
    sha = _canonical_sha256(doc)
    catalog = _bundled_catalog()
    for key in ("platforms", "switches"):
        if key in doc:
            doc = dict(doc)
            doc[key] = _merge_by_id(copy.deepcopy(catalog[key]), doc[key])
        else:
            doc = {**doc, key: catalog[key]}
    problems: list[Problem] = []
    scenario = _read_scenario(Fields(problems, str(path), "", doc), str(path), sha)
    if problems:
        raise InputError(problems)
    check_references(scenario, str(path), problems)
    if problems:
        raise InputError(problems)
    return scenario


def _read_scenario(top: Fields, file: str, sha: str) -> Scenario:
    name = top.string("name")
    description = top.string("description", "")
    switches = tuple(_read_switch(f) for f in top.records("switches"))
    platforms = tuple(_read_platform(f) for f in top.records("platforms"))
    economics = _read_economics(top.mapping("economics"))
    phases = tuple(_read_phase(f) for f in top.records("phases"))
    if not phases and not any(p.path.startswith("phases") for p in top.problems):
        top.problem("phases", "expected at least one phase")
    sites = tuple(_read_site(f, phases) for f in top.records("sites"))
    if not sites and not any(p.path.startswith("sites") for p in top.problems):
        top.problem("sites", "expected at least one candidate site")
    constraints = _read_constraints(top.mapping("constraints", {}))
    demand = tuple(_read_demand_region(f) for f in top.records("demand_regions", []))
    top.done()
    return Scenario(name=name, description=description, source_path=file, sha256=sha,
                    economics=economics, constraints=constraints, phases=phases, sites=sites,
                    platforms=platforms, switches=switches, demand_regions=demand)


def _read_switch(f: Fields) -> Switch:
    switch = Switch(id=f.identifier("id"), name=f.string("name"), ports=f.integer("ports", ge=2),
                    port_gbps=f.number("port_gbps", gt=0),
                    netbox_device_type=f.string("netbox_device_type", "") or None,
                    optics=f.string("optics", "pluggable", choices=("pluggable", "cpo")),
                    power_w=f.uncertain("power_w", Uncertain) if f.has("power_w") else None)
    f.done()
    return switch


def _read_platform(f: Fields) -> Platform:
    platform = Platform(
        id=f.identifier("id"), name=f.string("name"), available_from=f.date("available_from"),
        gpus_per_rack=f.integer("gpus_per_rack", ge=1), gpu_dies_per_rack=f.integer("gpu_dies_per_rack", ge=1),
        gpus_per_node=f.integer("gpus_per_node", ge=1), nvlink_domain_gpus=f.integer("nvlink_domain_gpus", ge=1),
        rack_it_kw=f.uncertain("rack_it_kw", Uncertain),
        system_capex_usd_per_rack=f.uncertain("system_capex_usd_per_rack", Uncertain, gt=-1.0),
        scale_out_gbps_per_gpu=f.number("scale_out_gbps_per_gpu", gt=0),
        scale_out_nics_per_gpu=f.integer("scale_out_nics_per_gpu", ge=1), switch=f.identifier("switch"))
    f.done()
    return platform


def _read_economics(f: Fields) -> Economics:
    economics = Economics(
        planning_start_date=f.date("planning_start_date"),
        discount_rate=f.number("discount_rate", ge=0, lt=1),
        horizon_years=f.number("horizon_years", gt=0, le=100),
        utilization=f.number("utilization", 0.8, gt=0, le=1),
        fixed_opex_usd_per_it_mw_year=f.number("fixed_opex_usd_per_it_mw_year", 0.0, ge=0),
        facility_life_years=f.number("facility_life_years", 20.0, gt=0),
        it_life_years=f.number("it_life_years", 6.0, gt=0),
        carry_over_unspent_funding=f.boolean("carry_over_unspent_funding", True))
    f.done()
    return economics


def _read_phase(f: Fields) -> Phase:
    label = f.data.get("online_date")
    phase = Phase(id=f.identifier("id"), online_date=f.date("online_date"),
                  online_label=label.isoformat() if isinstance(label, date) else str(label),
                  it_mw_required=f.number("it_mw_required", ge=0), platform=f.identifier("platform"),
                  funding_usd=f.number("funding_usd", ge=0))
    f.done()
    return phase


def _read_grid(f: Fields, phases: tuple[Phase, ...]) -> tuple[float, ...]:
    """Grid MW per phase, from `grid_mw_by_phase` (a list) or `grid_mw_by_date` (a step function)."""
    by_phase, by_date = f.has("grid_mw_by_phase"), f.has("grid_mw_by_date")
    if by_phase == by_date:
        f.raw("grid_mw_by_phase", None), f.raw("grid_mw_by_date", None)
        if not f.broken:
            f.problem(f.at("grid_mw_by_phase"), "expected exactly one of grid_mw_by_phase (one number per "
                                                "phase) or grid_mw_by_date (date: MW from then on)")
        return tuple(0.0 for _ in phases)
    if by_phase:
        values = [f.check_number(v, path, ge=0) for path, v in f.items("grid_mw_by_phase")]
        if phases and len(values) != len(phases):
            f.problem(f.at("grid_mw_by_phase"), f"expected {len(phases)} values (one per phase), got {len(values)}")
            return tuple(0.0 for _ in phases)
        return tuple(values)
    steps_raw = f.raw("grid_mw_by_date")
    if not isinstance(steps_raw, dict):
        f.problem(f.at("grid_mw_by_date"), f"expected a mapping date: MW, got {describe(steps_raw)}")
        return tuple(0.0 for _ in phases)
    steps = []
    for key, value in steps_raw.items():
        path = f"{f.at('grid_mw_by_date')}.{key}"
        when = parse_date(key)
        if when is None:
            f.problem(path, f"expected a date as the key, got {describe(key)}")
            continue
        steps.append((when, f.check_number(value, path, ge=0)))
    steps.sort()
    return tuple(next((mw for when, mw in reversed(steps) if when <= ph.online_date), 0.0) for ph in phases)


def _read_site(f: Fields, phases: tuple[Phase, ...]) -> Site:
    blocks = []
    for b in f.records("power_blocks"):
        blocks.append(PowerBlock(it_mw=b.number("it_mw", gt=0), capex_usd_per_it_mw=b.number("capex_usd_per_it_mw", ge=0)))
        b.done()
    if not blocks and f.has("power_blocks"):
        f.problem(f.at("power_blocks"), "expected at least one power block {it_mw, capex_usd_per_it_mw}")
    site = Site(
        id=f.identifier("id"), name=f.string("name", ""), region=f.identifier("region"),
        grid_operator=f.string("grid_operator", ""), lat=f.number("lat", ge=-90, le=90),
        lon=f.number("lon", ge=-180, le=180), grid_mw_by_phase=_read_grid(f, phases),
        lead_time_months=f.number("lead_time_months", ge=0), open_cost_usd=f.number("open_cost_usd", ge=0),
        power_blocks=tuple(blocks), energy_usd_per_mwh=f.number("energy_usd_per_mwh", ge=0),
        pue=f.number("pue", ge=1.0, le=3.0), max_it_mw=f.number("max_it_mw", gt=0) if f.has("max_it_mw") else None,
        opex_usd_per_it_mw_year=(f.number("opex_usd_per_it_mw_year", ge=0)
                                 if f.has("opex_usd_per_it_mw_year") else None),
        carbon_kg_per_mwh=f.number("carbon_kg_per_mwh", ge=0) if f.has("carbon_kg_per_mwh") else None)
    f.done()
    return site


def _read_constraints(f: Fields) -> Constraints:
    def id_list(key: str) -> tuple[str, ...]:
        out = []
        for path, item in f.items(key, []):
            if isinstance(item, bool) or not isinstance(item, (str, int)):
                f.problem(path, f"expected a site id, got {describe(item)}")
            else:
                out.append(str(item))
        return tuple(out)

    counted = f.has("min_sites_per_phase") or f.has("min_regions_per_phase")
    constraints = Constraints(
        max_site_share=f.number("max_site_share", gt=0, le=1) if f.has("max_site_share") else None,
        max_region_share=f.number("max_region_share", gt=0, le=1) if f.has("max_region_share") else None,
        min_sites_per_phase=f.integer("min_sites_per_phase", 0, ge=0),
        min_regions_per_phase=f.integer("min_regions_per_phase", 0, ge=0),
        diversity_min_it_mw=f.number("diversity_min_it_mw", 100.0 if counted else 0.0,
                                     **({"gt": 0} if counted else {"ge": 0})),
        required_sites=id_list("required_sites"), forbidden_sites=id_list("forbidden_sites"),
        training_max_latency_ms=(f.number("training_max_latency_ms", gt=0)
                                 if f.has("training_max_latency_ms") else None))
    f.done()
    return constraints


def _read_demand_region(f: Fields) -> DemandRegion:
    costs = []
    cost_map = f.raw("serve_cost_usd")
    if isinstance(cost_map, dict):
        for site_id, value in cost_map.items():
            costs.append((str(site_id), f.check_number(value, f"{f.at('serve_cost_usd')}.{site_id}", ge=0)))
        if not costs:
            f.problem(f.at("serve_cost_usd"), "expected at least one site that can serve this region")
    elif f.has("serve_cost_usd"):
        f.problem(f.at("serve_cost_usd"), f"expected a mapping site id: cost in USD, got {describe(cost_map)}")
    region = DemandRegion(id=f.identifier("id"), demand_mw=f.number("demand_mw", gt=0),
                          from_phase=f.identifier("from_phase"), serve_cost_usd=tuple(costs))
    f.done()
    return region


# ---------------------------------------------------------------------------------------------
# Cross-reference checks: run on a Scenario whose fields are each well-formed
# ---------------------------------------------------------------------------------------------

def check_references(s: Scenario, file: str, problems: list[Problem]) -> None:
    """Every id unique, every reference resolvable, phases in date order, platforms available."""
    def problem(path: str, message: str) -> None:
        problems.append(Problem(file, path, message))

    for section, records in (("sites", s.sites), ("phases", s.phases), ("demand_regions", s.demand_regions),
                             ("platforms", s.platforms), ("switches", s.switches)):
        first: dict[str, int] = {}
        for i, r in enumerate(records):
            if r.id in first:
                problem(f"{section}[{i}].id", f"duplicate id {r.id!r}, already used by {section}[{first[r.id]}] "
                                              f"(ids must be unique in {section})")
            first.setdefault(r.id, i)

    switch_ids = {sw.id for sw in s.switches}
    for i, platform in enumerate(s.platforms):
        if platform.switch not in switch_ids:
            problem(f"platforms[{i}].switch", f"unknown switch {platform.switch!r}; known: {', '.join(sorted(switch_ids))}")

    platform_by_id = {p.id: p for p in s.platforms}
    for i, phase in enumerate(s.phases):
        platform = platform_by_id.get(phase.platform)
        if platform is None:
            problem(f"phases[{i}].platform", f"unknown platform {phase.platform!r}; "
                                             f"known: {', '.join(sorted(platform_by_id))}")
        elif phase.online_date < platform.available_from:
            problem(f"phases[{i}].platform", f"{platform.name} is available from {platform.available_from}, "
                                             f"after this phase's online date {phase.online_date}")
        if i and phase.online_date <= s.phases[i - 1].online_date:
            problem(f"phases[{i}].online_date", f"phases must be in date order: {phase.online_date} is not "
                                                f"after phase {s.phases[i - 1].id!r} ({s.phases[i - 1].online_date})")
    econ = s.economics
    if s.phases and s.phases[0].online_date < econ.planning_start_date:
        problem("economics.planning_start_date", f"expected a date on or before the first phase's online date "
                                                 f"{s.phases[0].online_date}, got {econ.planning_start_date}")
    if s.phases and econ.horizon_years <= s.phase_years(s.phases[-1]):
        problem("economics.horizon_years", f"expected a horizon beyond the last phase "
                                           f"({s.phase_years(s.phases[-1]):.2f} years after the planning start), "
                                           f"got {econ.horizon_years:g}")

    site_ids = {site.id for site in s.sites}
    for key in ("required_sites", "forbidden_sites"):
        for j, site_id in enumerate(getattr(s.constraints, key)):
            if site_id not in site_ids:
                problem(f"constraints.{key}[{j}]", f"unknown site {site_id!r}")
    both = set(s.constraints.required_sites) & set(s.constraints.forbidden_sites)
    for site_id in sorted(both):
        problem("constraints.required_sites", f"site {site_id!r} is both required and forbidden")

    phase_ids = {ph.id for ph in s.phases}
    for i, region in enumerate(s.demand_regions):
        if region.from_phase not in phase_ids:
            problem(f"demand_regions[{i}].from_phase", f"unknown phase {region.from_phase!r}")
        for site_id, _ in region.serve_cost_usd:
            if site_id not in site_ids:
                problem(f"demand_regions[{i}].serve_cost_usd.{site_id}", f"unknown site {site_id!r}")


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write a file so that readers see either the old content or the complete new one."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes it private; outputs are ordinary files
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dump_yaml(data: Any) -> str:
    """YAML in a stable form: keys in the order given, no aliases, dates as ISO text."""
    class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
        def ignore_aliases(self, data: Any) -> bool:  # noqa: ARG002 - signature fixed by PyYAML
            return True
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=110, allow_unicode=True)


# ---------------------------------------------------------------------------------------------
# Plans
# ---------------------------------------------------------------------------------------------

def plan_to_dict(plan: Plan) -> dict:
    """The plan file's document: phases with their sites, totals, and the provenance."""
    from dataclasses import asdict

    from planner.plan import PLAN_FORMAT

    phases = []
    spent = funded = 0.0
    for phase in plan.phases:
        spent += phase.capex_usd
        funded += phase.funding_usd
        phases.append({
            "id": phase.id, "online_date": phase.online_date, "platform": phase.platform,
            "it_mw_required": phase.it_mw_required, "funding_usd": phase.funding_usd,
            "totals": {
                "sites": len(phase.sites), "sites_building": len(phase.sites_building),
                "it_mw_added": round(phase.it_mw_added, 6), "it_mw_total": round(phase.it_mw_total, 6),
                "facility_mw": round(phase.facility_mw, 6), "racks_added": phase.racks_added,
                "gpus_added": phase.gpus_added, "gpus_total": phase.gpus_total,
                "capex_usd": round(phase.capex_usd, 2), "cumulative_capex_usd": round(spent, 2),
                "cumulative_funding_usd": round(funded, 2),
                "opex_usd_per_year": round(phase.opex_usd_per_year, 2)},
            "sites": [{**asdict(s), "blocks_added": list(s.blocks_added)} for s in phase.sites],
            "demand": [{"region": d.region, "demand_mw": d.demand_mw,
                        "served_mw": {site: mw for site, mw in d.served_mw}} for d in phase.demand],
        })
    last = plan.phases[-1] if plan.phases else None
    totals = {
        "sites_used": len(plan.sites_used), "it_mw": round(last.it_mw_total, 6) if last else 0.0,
        "facility_mw": round(last.facility_mw, 6) if last else 0.0, "gpus": last.gpus_total if last else 0,
        "capex_usd": round(plan.capex_usd, 2), "npv_usd": plan.npv_usd}
    def uncertain(value) -> dict:
        return {"default": value.default, "range": [value.low, value.high], "source": value.source}

    platforms = [{**asdict(p), "available_from": p.available_from.isoformat(), "rack_it_kw": uncertain(p.rack_it_kw),
                  "system_capex_usd_per_rack": uncertain(p.system_capex_usd_per_rack)} for p in plan.platforms]
    switches = [{**asdict(sw), "power_w": uncertain(sw.power_w) if sw.power_w else None} for sw in plan.switches]
    return {"format": PLAN_FORMAT, "provenance": asdict(plan.provenance), "totals": totals,
            "platforms": platforms, "switches": switches,
            "campuses": [asdict(c) for c in plan.campuses], "phases": phases}


def dump_plan(plan: Plan, path: str | os.PathLike) -> None:
    write_text_atomic(path, dump_yaml(plan_to_dict(plan)))


def load_plan(path: str | os.PathLike) -> Plan:
    """Read a plan file back; problems (missing fields, wrong types) raise InputError."""
    from planner.plan import (
        PLAN_FORMAT,
        DemandService,
        PhasePlan,
        Plan,
        Provenance,
        SitePhase,
    )

    name = str(path)
    doc = read_yaml(path)
    if not isinstance(doc, dict) or "format" not in doc:
        raise InputError([Problem(name, "", f"is not a gwplan plan (no 'format: {PLAN_FORMAT}'); plans are "
                                            "written by gwplan optimize")])
    problems: list[Problem] = []
    top = Fields(problems, name, "", doc)
    fmt = top.string("format")
    if fmt and fmt != PLAN_FORMAT:
        top.problem("format", f"expected {PLAN_FORMAT!r}, got {fmt!r}")
    top.raw("totals", None)  # derived from the phases; recomputed, not read
    pv = top.mapping("provenance")
    opt_num = lambda f, key: f.number(key) if f.has(key) else f.raw(key, None)  # noqa: E731
    provenance = Provenance(
        scenario_name=pv.string("scenario_name"), scenario_sha256=pv.string("scenario_sha256"),
        gwplan_version=pv.string("gwplan_version"), ortools_version=pv.string("ortools_version"),
        solver=pv.string("solver"), seed=pv.integer("seed"),
        threads=pv.integer("threads") if pv.has("threads") else pv.raw("threads", None),
        time_limit_s=pv.number("time_limit_s", gt=0), relative_gap_limit=pv.number("relative_gap_limit", ge=0),
        deterministic=pv.boolean("deterministic"), status=pv.string("status"),
        objective_usd=pv.number("objective_usd"), best_bound_usd=opt_num(pv, "best_bound_usd"),
        gap=opt_num(pv, "gap"))
    pv.done()
    phases = []
    for ph in top.records("phases"):
        sites = []
        for s in ph.records("sites", []):
            blocks = tuple(int(s.check_number(v, p, ge=0)) for p, v in s.items("blocks_added"))
            sites.append(SitePhase(
                site=s.identifier("site"), region=s.identifier("region"),
                opened_this_phase=s.boolean("opened_this_phase"), blocks_added=blocks,
                block_it_mw_added=s.number("block_it_mw_added", ge=0),
                block_it_mw_total=s.number("block_it_mw_total", ge=0), facility_mw=s.number("facility_mw", ge=0),
                grid_mw=s.number("grid_mw", ge=0), pue=s.number("pue", ge=1, le=3),
                racks_added=s.integer("racks_added", ge=0), it_mw_added=s.number("it_mw_added", ge=0),
                it_mw_total=s.number("it_mw_total", ge=0), gpus_added=s.integer("gpus_added", ge=0),
                gpus_total=s.integer("gpus_total", ge=0), capex_usd=s.number("capex_usd", ge=0),
                opex_usd_per_year=s.number("opex_usd_per_year", ge=0)))
            s.done()
        demand = []
        for d in ph.records("demand", []):
            served_raw = d.raw("served_mw")
            served = tuple((str(k), d.check_number(v, f"{d.at('served_mw')}.{k}", ge=0))
                           for k, v in (served_raw.items() if isinstance(served_raw, dict) else ()))
            demand.append(DemandService(region=d.identifier("region"), demand_mw=d.number("demand_mw", gt=0),
                                        served_mw=served))
            d.done()
        ph.raw("totals", None)
        phases.append(PhasePlan(id=ph.identifier("id"), online_date=ph.string("online_date"),
                                platform=ph.identifier("platform"), it_mw_required=ph.number("it_mw_required", ge=0),
                                funding_usd=ph.number("funding_usd", ge=0), sites=tuple(sites),
                                demand=tuple(demand)))
        ph.done()
    from topology.campus import Campus

    campuses = []
    for c in top.records("campuses", []):
        campuses.append(Campus(id=c.identifier("id"), lat=c.number("lat", ge=-90, le=90),
                               lon=c.number("lon", ge=-180, le=180), region=c.string("region", "")))
        c.done()
    platforms = tuple(_read_platform(f) for f in top.records("platforms"))
    switches = tuple(_read_switch(f) for f in top.records("switches"))
    top.done()
    if problems:
        raise InputError(problems)
    _check_plan_references(name, phases, platforms, campuses, problems)
    if problems:
        raise InputError(problems)
    return Plan(provenance=provenance, phases=tuple(phases), platforms=platforms, switches=switches,
                campuses=tuple(campuses))


def _check_plan_references(name: str, phases: list, platforms: tuple, campuses: list,
                           problems: list[Problem]) -> None:
    """A plan's records refer to each other: unique phases, known platforms, a campus for every site."""
    if not phases:
        problems.append(Problem(name, "phases", "expected at least one phase"))
    known_platforms = {p.id for p in platforms}
    campus_ids = {c.id for c in campuses}
    first: dict[str, int] = {}
    for i, phase in enumerate(phases):
        if phase.id in first:
            problems.append(Problem(name, f"phases[{i}].id", f"duplicate id {phase.id!r}, already used by "
                                                             f"phases[{first[phase.id]}]"))
        first.setdefault(phase.id, i)
        if phase.platform not in known_platforms:
            problems.append(Problem(name, f"phases[{i}].platform", f"platform {phase.platform!r} is not in the "
                                                                   "plan's platforms section"))
        sites = {s.site for s in phase.sites}
        for j, site in enumerate(phase.sites):
            if site.site not in campus_ids:
                problems.append(Problem(name, f"phases[{i}].sites[{j}].site", f"site {site.site!r} has no record "
                                                                              "in the plan's campuses section"))
        for j, service in enumerate(phase.demand):
            for site_id, _ in service.served_mw:
                if site_id not in sites:
                    problems.append(Problem(name, f"phases[{i}].demand[{j}].served_mw.{site_id}",
                                            f"site {site_id!r} is not among the phase's sites"))


# ---------------------------------------------------------------------------------------------
# Fabric specs (topology's input; read here so that topology stays free of file formats)
# ---------------------------------------------------------------------------------------------

FABRIC_FIELDS = ("nodes", "gpus_per_node", "rails", "planes", "port_gbps", "switch_radix", "switch",
                 "nodes_per_su", "oversubscription", "nvlink_domain_gpus")


def load_fabric_spec(path: str | os.PathLike | None, overrides: dict | None = None):
    """(FabricSpec, switch model name, catalog Switch or None) from a YAML file (or none) and overrides.

    `switch: <catalog id>` sets `switch_radix` and `port_gbps` from the bundled switch catalog, and the
    model name (the NetBox devicetype-library name where there is one). InputError lists every problem.
    """
    from topology.spec import FabricError, FabricSpec

    name = str(path) if path is not None else "command line"
    switch_entry = None
    doc = read_yaml(path) if path is not None else {}
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise InputError([Problem(name, "", f"expected a mapping of fabric fields, got {describe(doc)}")])
    doc = {**doc, **{k: v for k, v in (overrides or {}).items() if v is not None}}
    problems: list[Problem] = []
    f = Fields(problems, name, "", doc)
    switch_id = f.string("switch", "")
    model = ""
    radix, port_gbps = (f.integer("switch_radix", ge=2) if f.has("switch_radix") or not switch_id else 0,
                        f.number("port_gbps", gt=0) if f.has("port_gbps") or not switch_id else 0.0)
    if switch_id:
        switches = {sw["id"]: sw for sw in _bundled_catalog()["switches"]}
        if switch_id not in switches:
            f.problem("switch", f"unknown switch {switch_id!r}; known: {', '.join(sorted(switches))}")
        else:
            radix = radix or switches[switch_id]["ports"]
            model = switches[switch_id]["netbox_device_type"] or switches[switch_id]["name"]
            switch_entry = _read_switch(Fields(problems, "catalog", "switch", switches[switch_id]))
            port_gbps = port_gbps or float(switches[switch_id]["port_gbps"])
    spec = FabricSpec(
        nodes=f.integer("nodes", ge=1), gpus_per_node=f.integer("gpus_per_node", ge=1), rails=f.integer("rails", ge=1),
        planes=f.integer("planes", 1, ge=1), port_gbps=port_gbps, switch_radix=radix,
        nodes_per_su=f.integer("nodes_per_su", ge=1), oversubscription=f.number("oversubscription", 1.0, ge=1),
        nvlink_domain_gpus=f.integer("nvlink_domain_gpus", ge=1) if f.has("nvlink_domain_gpus") else None)
    f.done()
    if problems:
        raise InputError(problems)
    try:
        spec.check()
    except FabricError as err:
        field, _, message = str(err).partition(": ")
        raise InputError([Problem(name, field, message)]) from None
    return spec, model, switch_entry


# ---------------------------------------------------------------------------------------------
# Pulumi stack files (one per phase of a plan)
# ---------------------------------------------------------------------------------------------

def stack_config_text(plan_ref: str, phase_id: str) -> str:
    """The `Pulumi.phase-<id>.yaml` of one phase: the plan it reads and the phase it deploys."""
    return ("# Written by gwplan stacks: the phase this stack deploys and the plan it reads.\n"
            + dump_yaml({"config": {"gwplan:plan": plan_ref, "gwplan:phase": phase_id}}))


def write_stack_configs(plan: Plan, plan_ref: str, directory: str | os.PathLike) -> list[Path]:
    """One stack file per phase of the plan (atomic writes); returns their paths."""
    out = []
    for phase in plan.phases:
        path = Path(directory) / f"Pulumi.phase-{phase.id}.yaml"
        write_text_atomic(path, stack_config_text(plan_ref, phase.id))
        out.append(path)
    return out
