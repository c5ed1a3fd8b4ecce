"""The model's parameters, derived from a scenario: discounting, running costs, salvage, eligibility.

Plain arithmetic on a `Scenario` (no OR-Tools), so the model, the explanation of infeasibility and the
plan extraction agree on every figure. Symbols as in the formulation of `planner.optimize.model`.
"""

from __future__ import annotations

import math

from planner.scenario.types import Phase, Platform, Scenario, Site

HOURS_PER_YEAR = 8760.0


def discount(scenario: Scenario, years: float) -> float:
    return (1.0 + scenario.economics.discount_rate) ** -years


def annuity(scenario: Scenario, start_years: float, end_years: float, growth: float = 0.0) -> float:
    """Present value of 1 USD per year flowing continuously from start to end (years from the planning
    start); with `growth`, the flow grows by that share a year from the planning start (escalation)."""
    if end_years <= start_years:
        return 0.0
    rate = scenario.economics.discount_rate
    if growth == 0.0:
        if rate == 0:
            return end_years - start_years
        log = math.log1p(rate)
        return (discount(scenario, start_years) - discount(scenario, end_years)) / log
    k = math.log1p(rate) - math.log1p(growth)  # the flow's net decay per year
    if abs(k) < 1e-12:
        return end_years - start_years
    return (math.exp(-k * start_years) - math.exp(-k * end_years)) / k


def cumulative(values: list) -> list:
    """Running sums (of numbers or of linear expressions)."""
    out, running = [], 0.0
    for value in values:
        running = running + value
        out.append(running)
    return out


def phase_years(scenario: Scenario) -> list[float]:
    return [scenario.phase_years(ph) for ph in scenario.phases]


def periods(scenario: Scenario) -> list[tuple[float, float]]:
    """(start, end) in years of each phase's period: from its online date to the next one's (the last
    one's to the horizon). Running costs accrue per period on what stands in it."""
    years = phase_years(scenario) + [scenario.economics.horizon_years]
    return [(years[p], years[p + 1]) for p in range(len(scenario.phases))]


def operating_weights(scenario: Scenario, growth: float = 0.0) -> list[float]:
    """A_p: discounted years of phase p's period (escalated by `growth`, for energy)."""
    return [annuity(scenario, start, end, growth) for start, end in periods(scenario)]


def alive_weight(scenario: Scenario, bought: int, p: int) -> float:
    """The share of period p (discount-weighted) that GPU systems bought in phase `bought` run in it: 1 when
    they are refreshed at the end of their life, less once they retire (economics.it_end_of_life)."""
    if bought > p:
        return 0.0
    econ = scenario.economics
    if econ.it_end_of_life == "refresh":
        return 1.0
    start, end = periods(scenario)[p]
    retires = phase_years(scenario)[bought] + econ.it_life_years
    whole = annuity(scenario, start, end)
    return annuity(scenario, start, min(end, retires)) / whole if whole > 0 else float(retires > start)


def retired_by(scenario: Scenario, p: int) -> int | None:
    """The last phase whose GPU systems have retired by phase p's online date (None: none has, or they are
    refreshed instead)."""
    if scenario.economics.it_end_of_life == "refresh":
        return None
    years = phase_years(scenario)
    gone = [q for q in range(p + 1) if years[q] + scenario.economics.it_life_years <= years[p] + 1e-9]
    return gone[-1] if gone else None


def fixed_opex_usd_per_it_mw_year(scenario: Scenario, site: Site) -> float:
    """The site's fixed opex per installed IT MW a year (the scenario's default unless the site says)."""
    fixed = site.opex_usd_per_it_mw_year
    return scenario.economics.fixed_opex_usd_per_it_mw_year if fixed is None else fixed


def energy_mwh_per_it_mw_year(scenario: Scenario, site: Site) -> float:
    """Facility energy a year for one installed IT MW: PUE x utilization x 8,760 h."""
    return site.pue * scenario.economics.utilization * HOURS_PER_YEAR


def supply_limit_mw(scenario: Scenario, site: Site, p: int) -> float:
    """The most facility MW site could be supplied in phase p: the grid lifted by the best upgrade its lead
    time reaches, and every on-site option its lead time reaches, at full size."""
    grid = site.grid_mw_by_phase[p]
    lifted = [u.to_mw for u in site.grid_upgrades if p in reachable_phases(scenario, u.lead_time_months)]
    onsite = sum(o.max_mw for o in site.onsite_power if p in reachable_phases(scenario, o.lead_time_months))
    return max([grid, *lifted]) + onsite


def salvage_fraction(scenario: Scenario, years_online: float, life_years: float) -> float:
    remaining = scenario.economics.horizon_years - years_online
    return max(0.0, 1.0 - remaining / life_years)


def max_supply_mw(site: Site) -> float:
    """The most facility MW the site could ever be supplied: its grid (or its largest upgrade) and all of
    its on-site power options."""
    grid = max(site.grid_mw_by_phase, default=0.0)
    for upgrade in site.grid_upgrades:
        grid = max(grid, upgrade.to_mw)
    return grid + sum(o.max_mw for o in site.onsite_power) if site.onsite_power else grid


def max_it_mw(site: Site) -> float:
    """M_s: the most IT MW the site could ever hold."""
    cap = max_supply_mw(site) / site.pue
    return min(cap, site.max_it_mw) if site.max_it_mw is not None else cap


def site_it_limit_mw(scenario: Scenario, site: Site, p: int) -> float:
    """At most the IT MW a site can hold in phase p: its supply (grid, best upgrade, on-site power its lead
    times reach) at its PUE, and its own cap."""
    return min(supply_limit_mw(scenario, site, p) / site.pue, max_it_mw(site))


def months_to(scenario: Scenario, phase: Phase) -> float:
    """Months from the planning start to a phase's online date."""
    start = scenario.economics.planning_start_date
    return (phase.online_date.year - start.year) * 12 + (phase.online_date.month - start.month) \
        + (phase.online_date.day - start.day) / 31.0


def reachable_phases(scenario: Scenario, lead_time_months: float) -> list[int]:
    """Phases whose online date a lead time (from the planning start) can reach."""
    return [p for p, phase in enumerate(scenario.phases) if months_to(scenario, phase) + 1e-9 >= lead_time_months]


def eligible_phases(scenario: Scenario, site: Site) -> list[int]:
    """Phases whose online date the site's lead time (from the planning start) can reach."""
    return reachable_phases(scenario, site.lead_time_months)


def pay_weight(scenario: Scenario, online_years: float, lead_time_months: float) -> float:
    """Present value of 1 USD of construction capex for something online at `online_years`, paid over its
    lead time by the scenario's construction spend profile (at the online date when the lead time is 0)."""
    lead = lead_time_months / 12.0
    if lead <= 0:
        return discount(scenario, online_years)
    shares = scenario.economics.construction_spend_profile
    width = lead / len(shares)
    begin = online_years - lead
    return sum(share * annuity(scenario, begin + j * width, begin + (j + 1) * width) / width
               for j, share in enumerate(shares))


def paid_within(scenario: Scenario, online_years: float, lead_time_months: float, after: float, until: float) -> float:
    """The share of such construction capex paid in the window (after, until] (years)."""
    lead = lead_time_months / 12.0
    if lead <= 0:
        return 1.0 if after < online_years <= until else 0.0
    shares = scenario.economics.construction_spend_profile
    width = lead / len(shares)
    begin = online_years - lead
    total = 0.0
    for j, share in enumerate(shares):
        lo, hi = begin + j * width, begin + (j + 1) * width
        total += share * max(0.0, min(hi, until) - max(lo, after)) / width
    return total


def funding_windows(scenario: Scenario) -> list[tuple[float, float]]:
    """(after, until] in years: the spending each phase's funding pays for, from the previous phase's online
    date to its own (the first phase's from any time before)."""
    years = phase_years(scenario)
    return [(years[p - 1] if p else -math.inf, years[p]) for p in range(len(years))]


def platform_at(scenario: Scenario, years: float) -> Platform:
    """The platform current at a time: that of the latest phase online by then."""
    current = scenario.phases[0]
    for phase in scenario.phases:
        if scenario.phase_years(phase) <= years + 1e-9:
            current = phase
    return scenario.platform(current.platform)


def usd_per_it_mw(platform: Platform) -> float:
    """System capex per MW of IT of a platform (whole racks)."""
    return platform.system_capex_usd_per_rack.default / platform.rack_it_mw


def refreshes(scenario: Scenario, p: int) -> list[tuple[float, Platform]]:
    """(years, platform) of each like-for-like refresh of GPU systems bought in phase p, before the horizon:
    at the end of every IT life, at the then-current platform (none when they retire instead)."""
    econ = scenario.economics
    if econ.it_end_of_life != "refresh":
        return []
    out, when = [], phase_years(scenario)[p] + econ.it_life_years
    while when < econ.horizon_years - 1e-9:
        out.append((when, platform_at(scenario, when)))
        when += econ.it_life_years
    return out


def gpu_cost_usd_per_it_mw(scenario: Scenario, p: int) -> float:
    """Net present cost of one MW of GPU systems added in phase p over the horizon: the purchase, every
    refresh at the then-current platform's price, less the straight-line salvage of the last purchase."""
    econ = scenario.economics
    bought = phase_years(scenario)[p]
    price = usd_per_it_mw(scenario.platform(scenario.phases[p].platform))
    cost = discount(scenario, bought) * price
    for when, platform in refreshes(scenario, p):
        bought, price = when, usd_per_it_mw(platform)
        cost += discount(scenario, when) * price
    salvage = salvage_fraction(scenario, bought, econ.it_life_years)
    return cost - discount(scenario, econ.horizon_years) * salvage * price


def phase_platform_rack(scenario: Scenario, phase: Phase) -> tuple[float, float]:
    """(IT MW, system capex USD) of one rack of the phase's platform."""
    platform = scenario.platform(phase.platform)
    return platform.rack_it_mw, platform.system_capex_usd_per_rack.default


def has_supply_options(site: Site) -> bool:
    """Whether the site may buy a grid upgrade or on-site power (planner.optimize.supply models them)."""
    return bool(site.grid_upgrades or site.onsite_power)


def free_blocks(site: Site, phases: list[int], cap: float, block_phases: list[set[int]]) -> bool:
    """True when N_s,p = floor(M_s / B_s) Y_sp loses no plan: one block kind, free (no capex), online
    whenever the site is, on a site without supply options whose grid takes that many blocks in every
    phase it may be open. Any plan can then build the blocks whole as the site opens, at the same cost:
    the grid row still holds, racks fit in no less than before, and nothing else reads the blocks. The
    count stops being a decision, and branch and bound no longer branches on it (OR-Library sites are
    such sites: one free block of the facility's capacity)."""
    if len(site.power_blocks) != 1 or has_supply_options(site) or not phases:
        return False
    block = site.power_blocks[0]
    if block.capex_usd_per_it_mw != 0 or not set(phases) <= block_phases[0]:
        return False
    built_mw = math.floor(cap / block.it_mw + 1e-9) * block.it_mw
    return all(built_mw <= site.grid_mw_by_phase[p] / site.pue + 1e-9 for p in phases)
