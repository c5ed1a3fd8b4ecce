"""Cross-reference checks on a scenario whose fields are each well-formed: one named check per rule.

Each `check_*` takes the scenario and a `report(path, message)` callback and reports every violation
with its field path; `check_scenario` runs them all in order. They run before any model is built.
"""

from __future__ import annotations

from collections.abc import Callable

from planner.fields import Problem
from planner.scenario.types import Scenario

Report = Callable[[str, str], None]


def check_unique_ids(s: Scenario, report: Report) -> None:
    """Ids are unique within each section (sites, phases, demand regions, platforms, switches)."""
    for section, records in (("sites", s.sites), ("phases", s.phases), ("demand_regions", s.demand_regions),
                             ("platforms", s.platforms), ("switches", s.switches)):
        first: dict[str, int] = {}
        for i, r in enumerate(records):
            if r.id in first:
                report(f"{section}[{i}].id", f"duplicate id {r.id!r}, already used by {section}[{first[r.id]}] "
                                             f"(ids must be unique in {section})")
            first.setdefault(r.id, i)


def check_platform_switches(s: Scenario, report: Report) -> None:
    """Every platform names a switch of the catalog."""
    switch_ids = {sw.id for sw in s.switches}
    for i, platform in enumerate(s.platforms):
        if platform.switch not in switch_ids:
            report(f"platforms[{i}].switch",
                   f"unknown switch {platform.switch!r}; known: {', '.join(sorted(switch_ids))}")


def check_phase_platforms(s: Scenario, report: Report) -> None:
    """Every phase names a known platform that is available by the phase's online date."""
    platform_by_id = {p.id: p for p in s.platforms}
    for i, phase in enumerate(s.phases):
        platform = platform_by_id.get(phase.platform)
        if platform is None:
            report(f"phases[{i}].platform", f"unknown platform {phase.platform!r}; "
                                            f"known: {', '.join(sorted(platform_by_id))}")
        elif phase.online_date < platform.available_from:
            report(f"phases[{i}].platform", f"{platform.name} is available from {platform.available_from}, "
                                            f"after this phase's online date {phase.online_date}")


def check_phase_order(s: Scenario, report: Report) -> None:
    """Phases come in date order, the first on or after the planning start."""
    for i, phase in enumerate(s.phases[1:], start=1):
        if phase.online_date <= s.phases[i - 1].online_date:
            report(f"phases[{i}].online_date", f"phases must be in date order: {phase.online_date} is not "
                                               f"after phase {s.phases[i - 1].id!r} ({s.phases[i - 1].online_date})")
    if s.phases and s.phases[0].online_date < s.economics.planning_start_date:
        report("economics.planning_start_date", f"expected a date on or before the first phase's online date "
                                                f"{s.phases[0].online_date}, got {s.economics.planning_start_date}")


def check_horizon(s: Scenario, report: Report) -> None:
    """The economic horizon ends after the last phase comes online."""
    if s.phases and s.economics.horizon_years <= s.phase_years(s.phases[-1]):
        report("economics.horizon_years", f"expected a horizon beyond the last phase "
                                          f"({s.phase_years(s.phases[-1]):.2f} years after the planning start), "
                                          f"got {s.economics.horizon_years:g}")


def check_site_lists(s: Scenario, report: Report) -> None:
    """Required and forbidden sites exist, and no site is both."""
    site_ids = {site.id for site in s.sites}
    for key in ("required_sites", "forbidden_sites"):
        for j, site_id in enumerate(getattr(s.constraints, key)):
            if site_id not in site_ids:
                report(f"constraints.{key}[{j}]", f"unknown site {site_id!r}")
    for site_id in sorted(set(s.constraints.required_sites) & set(s.constraints.forbidden_sites)):
        report("constraints.required_sites", f"site {site_id!r} is both required and forbidden")


def check_demand_references(s: Scenario, report: Report) -> None:
    """Demand regions start in a known phase and are served from known sites."""
    site_ids = {site.id for site in s.sites}
    phase_ids = {ph.id for ph in s.phases}
    for i, region in enumerate(s.demand_regions):
        if region.from_phase not in phase_ids:
            report(f"demand_regions[{i}].from_phase", f"unknown phase {region.from_phase!r}")
        for site_id, _ in region.serve_cost_usd_per_year:
            if site_id not in site_ids:
                report(f"demand_regions[{i}].serve_cost_usd_per_year.{site_id}", f"unknown site {site_id!r}")


def check_fiber_routes(s: Scenario, report: Report) -> None:
    """Fiber routes join two different known sites."""
    site_ids = {site.id for site in s.sites}
    for i, route in enumerate(s.fiber_routes):
        for end in ("a", "b"):
            if getattr(route, end) not in site_ids:
                report(f"fiber_routes[{i}].{end}", f"unknown site {getattr(route, end)!r}")
        if route.a == route.b:
            report(f"fiber_routes[{i}].b", f"a route joins two different sites, got {route.a!r} twice")


def check_onsite_power_ids(s: Scenario, report: Report) -> None:
    """On-site power options have ids unique within their site (the plan reports power by them)."""
    for i, site in enumerate(s.sites):
        seen: set[str] = set()
        for k, option in enumerate(site.onsite_power):
            if option.id in seen or option.id in ("grid", "upgrade"):
                report(f"sites[{i}].onsite_power[{k}].id", f"{option.id!r} is used already (ids are unique per "
                                                           "site, and 'grid' and 'upgrade' are taken)")
            seen.add(option.id)


CHECKS = (check_unique_ids, check_platform_switches, check_phase_platforms, check_phase_order, check_horizon,
          check_site_lists, check_demand_references, check_fiber_routes, check_onsite_power_ids)


def check_scenario(s: Scenario, file: str, problems: list[Problem]) -> None:
    """Run every check, appending each violation to `problems` as a Problem of `file`."""
    def report(path: str, message: str) -> None:
        problems.append(Problem(file, path, message))

    for check in CHECKS:
        check(s, report)
