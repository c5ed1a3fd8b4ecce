"""Where a site's power comes from: the grid, a paid grid upgrade, on-site generation and batteries.

Part of the rollout model (`planner.optimize.model` builds it, in this order):
- `add_supply_variables`: U_usp (upgrade u bought by phase p, binary, at most one per site) and G_skp
  (MW of on-site option k built by phase p), both never decreasing, each from the first phase its lead
  time reaches;
- `add_supply_constraints`: pue_s BLK_sp <= grid_sp Y_sp + sum_u gain_usp U_usp + sum_k G_skp, where
  gain_usp = max(0, to_mw_u - grid_sp) (an upgrade lifts the grid to its level: earlier or larger), and
  BLK_sp <= M_s Y_sp (no blocks before the site opens);
- `add_energy_dispatch`: the average facility load util pue_s live_sp is met by grid energy E^g_sp and
  energy options' E^k_sp <= G_skp, with E^g_sp within the grid's supply; emissions follow from each
  source's carbon_kg_per_mwh, and a cap per phase bounds their sum.
Sites without supply options keep the grid alone: no variable is added for them.
"""

from __future__ import annotations

from planner.optimize.linear import lin_sum
from planner.optimize.parameters import HOURS_PER_YEAR, reachable_phases
from planner.optimize.parameters import has_supply_options as has_options  # the model asks supply.has_options
from planner.scenario.types import Site

TONNES_PER_KG = 1e-3


def upgrade_gain_mw(site: Site, k: int, p: int) -> float:
    """Facility MW upgrade k adds over the grid's own supply in phase p."""
    return max(0.0, site.grid_upgrades[k].to_mw - site.grid_mw_by_phase[p])


def add_supply_variables(rm) -> None:
    """U_usp and G_skp for the sites that have supply options, in the phases each option's lead time reaches."""
    s_, b = rm.scenario, rm.builder
    for i, site in enumerate(s_.sites):
        phases = set(rm.eligible[i])
        for k, upgrade in enumerate(site.grid_upgrades):
            reach = [p for p in reachable_phases(s_, upgrade.lead_time_months) if p in phases]
            for n, p in enumerate(reach):
                rm.upgrades[i, k, p] = b.binary(name=f"upgrade[{site.id},{k},{s_.phases[p].id}]", site=i)
                if n:
                    b.ge(rm.upgrades[i, k, p] - rm.upgrades[i, k, reach[n - 1]], 0.0,
                         name=f"grows_upgrade[{site.id},{k},{s_.phases[p].id}]")
        for k, option in enumerate(site.onsite_power):
            reach = [p for p in reachable_phases(s_, option.lead_time_months) if p in phases]
            for n, p in enumerate(reach):
                rm.onsite[i, k, p] = b.var(0.0, option.max_mw, site=i,
                                            name=f"onsite[{site.id},{option.id},{s_.phases[p].id}]")
                if n:
                    b.ge(rm.onsite[i, k, p] - rm.onsite[i, k, reach[n - 1]], 0.0,
                         name=f"grows_onsite[{site.id},{option.id},{s_.phases[p].id}]")
        if len(site.grid_upgrades) > 1 and rm.eligible[i]:
            last = rm.eligible[i][-1]
            chosen = [rm.upgrades[i, k, last] for k in range(len(site.grid_upgrades)) if (i, k, last) in rm.upgrades]
            if chosen:
                b.le(lin_sum(chosen), 1.0, name=f"one_upgrade[{site.id}]")


def added(totals: dict, key: tuple, reach_before: tuple):
    """What a phase adds to a cumulative variable (its value, in the first phase it exists)."""
    return totals[key] - totals[reach_before] if reach_before in totals else totals[key]


def previous(totals: dict, i: int, k: int, p: int) -> tuple:
    """The key of the last phase before p in which a cumulative supply variable exists."""
    return next(((i, k, q) for q in range(p - 1, -1, -1) if (i, k, q) in totals), (i, k, -1))


def supply_mw(rm, i: int, p: int):
    """Firm facility MW available to site i in phase p: grid (once open), upgrade gain, on-site capacity."""
    site = rm.scenario.sites[i]
    terms = [site.grid_mw_by_phase[p] * rm.opened[i, p]]
    terms += [upgrade_gain_mw(site, k, p) * rm.upgrades[i, k, p]
              for k in range(len(site.grid_upgrades)) if (i, k, p) in rm.upgrades]
    terms += [rm.onsite[i, k, p] for k in range(len(site.onsite_power)) if (i, k, p) in rm.onsite]
    return lin_sum(terms)


def grid_energy_limit_mw(rm, i: int, p: int):
    """Average MW the grid can deliver: its own supply and the upgrade, not on-site capacity."""
    site = rm.scenario.sites[i]
    terms = [site.grid_mw_by_phase[p] * rm.opened[i, p]]
    terms += [upgrade_gain_mw(site, k, p) * rm.upgrades[i, k, p]
              for k in range(len(site.grid_upgrades)) if (i, k, p) in rm.upgrades]
    return lin_sum(terms)


def add_supply_constraints(rm, i: int, p: int, blocks, cap: float) -> None:
    """supply: pue BLK_sp within the firm supply, and no blocks before the site opens."""
    site, b = rm.scenario.sites[i], rm.builder
    tag = f"{site.id},{rm.scenario.phases[p].id}"
    b.le(site.pue * blocks - supply_mw(rm, i, p), 0.0, name=f"supply[{tag}]")
    b.le(blocks - cap * rm.opened[i, p], 0.0, name=f"open_first[{tag}]")


def add_energy_dispatch(rm) -> None:
    """E^g_sp and E^k_sp (average MW by source) for sites with energy options; the grid's energy within its
    supply for sites with any option; the carbon cap per phase."""
    s_, b = rm.scenario, rm.builder
    for (i, p), running in rm.running.items():
        site = s_.sites[i]
        if not has_options(site):
            continue
        tag = f"{site.id},{s_.phases[p].id}"
        sources = {}
        for k, option in enumerate(site.onsite_power):
            if option.supplies_energy and (i, k, p) in rm.onsite:
                sources[k] = e = b.var(0.0, name=f"energy[{tag},{option.id}]", site=i)
                b.le(e - rm.onsite[i, k, p], 0.0, name=f"energy_within_capacity[{tag},{k}]")
        rm.energy[i, p] = sources
        grid = grid_energy_mw(rm, i, p)
        if sources:
            b.ge(grid, 0.0, name=f"energy_balance[{tag}]")
        b.le(grid - grid_energy_limit_mw(rm, i, p), 0.0, name=f"grid_energy[{tag}]")
    caps = s_.constraints.carbon_cap_tonnes_per_year
    if caps is not None:
        for p, phase in enumerate(s_.phases):
            total = lin_sum(emissions_t_per_year(rm, i, q) for (i, q) in rm.running if q == p)
            b.le(total, caps[p], name=f"carbon_cap[{phase.id}]")


def load_mw(rm, i: int, p: int):
    """Average facility load of site i in phase p: utilization x PUE x the IT running there."""
    site = rm.scenario.sites[i]
    return rm.scenario.economics.utilization * site.pue * rm.running[i, p]


def grid_energy_mw(rm, i: int, p: int):
    """Average MW drawn from the grid: the load less what on-site generation supplies."""
    sources = rm.energy.get((i, p), {})
    return load_mw(rm, i, p) - lin_sum(sources.values()) if sources else load_mw(rm, i, p)


def emissions_t_per_year(rm, i: int, p: int):
    """Tonnes of CO2 a year at site i in phase p: grid energy at the grid's intensity, generation at its own."""
    site = rm.scenario.sites[i]
    kg = [(site.carbon_kg_per_mwh or 0.0) * grid_energy_mw(rm, i, p)]
    kg += [site.onsite_power[k].carbon_kg_per_mwh * e for k, e in rm.energy.get((i, p), {}).items()]
    return HOURS_PER_YEAR * TONNES_PER_KG * lin_sum(kg)
