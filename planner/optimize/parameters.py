"""The model's parameters, derived from a scenario: discounting, running costs, salvage, eligibility.

Plain arithmetic on a `Scenario` (no OR-Tools), so the model, the explanation of infeasibility and the
plan extraction agree on every figure. Symbols as in the formulation of `planner.optimize.model`.
"""

from __future__ import annotations

import math

from planner.scenario.types import Phase, Scenario, Site

HOURS_PER_YEAR = 8760.0


def discount(scenario: Scenario, years: float) -> float:
    return (1.0 + scenario.economics.discount_rate) ** -years


def annuity(scenario: Scenario, start_years: float, end_years: float) -> float:
    """Present value of 1 USD per year flowing continuously from start to end (years)."""
    rate = scenario.economics.discount_rate
    if rate == 0:
        return end_years - start_years
    log = math.log1p(rate)
    return (discount(scenario, start_years) - discount(scenario, end_years)) / log


def phase_years(scenario: Scenario) -> list[float]:
    return [scenario.phase_years(ph) for ph in scenario.phases]


def operating_weights(scenario: Scenario) -> list[float]:
    """A_p: discounted years the capacity installed by phase p runs before the next phase (or horizon)."""
    years = phase_years(scenario) + [scenario.economics.horizon_years]
    return [annuity(scenario, years[p], years[p + 1]) for p in range(len(scenario.phases))]


def yearly_cost_usd_per_it_mw(scenario: Scenario, site: Site) -> float:
    """w_s: energy at the site's PUE and utilization, plus fixed opex, for one installed IT MW."""
    fixed = site.opex_usd_per_it_mw_year
    if fixed is None:
        fixed = scenario.economics.fixed_opex_usd_per_it_mw_year
    return site.energy_usd_per_mwh * site.pue * HOURS_PER_YEAR * scenario.economics.utilization + fixed


def salvage_fraction(scenario: Scenario, years_online: float, life_years: float) -> float:
    remaining = scenario.economics.horizon_years - years_online
    return max(0.0, 1.0 - remaining / life_years)


def max_it_mw(site: Site) -> float:
    """M_s: the most IT MW the site could ever hold."""
    grid_cap = max(site.grid_mw_by_phase, default=0.0) / site.pue
    return min(grid_cap, site.max_it_mw) if site.max_it_mw is not None else grid_cap


def eligible_phases(scenario: Scenario, site: Site) -> list[int]:
    """Phases whose online date the site's lead time (from the planning start) can reach."""
    start = scenario.economics.planning_start_date
    out = []
    for p, phase in enumerate(scenario.phases):
        months = (phase.online_date.year - start.year) * 12 + (phase.online_date.month - start.month) \
            + (phase.online_date.day - start.day) / 31.0
        if months + 1e-9 >= site.lead_time_months:
            out.append(p)
    return out


def phase_platform_rack(scenario: Scenario, phase: Phase) -> tuple[float, float]:
    """(IT MW, system capex USD) of one rack of the phase's platform."""
    platform = scenario.platform(phase.platform)
    return platform.rack_it_mw, platform.system_capex_usd_per_rack.default
