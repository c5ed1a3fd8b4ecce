"""What the rollout costs and when it is paid: the funding rows and the objective of the rollout model.

Part of `planner.optimize.model` (symbols as in its formulation). Construction (a campus, power blocks,
a grid upgrade, on-site power) is paid over its lead time by the scenario's construction spend profile;
GPU systems at the online date, then refreshed in kind at the end of each IT life (or retired), with
the last purchase's straight-line salvage at the horizon; running costs accrue per period on the IT
running in it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from planner.optimize import supply
from planner.optimize.linear import lin_combination
from planner.optimize.parameters import (
    HOURS_PER_YEAR,
    discount,
    fixed_opex_usd_per_it_mw_year,
    funding_windows,
    gpu_cost_usd_per_it_mw,
    operating_weights,
    paid_within,
    pay_weight,
    phase_platform_rack,
    phase_years,
    salvage_fraction,
)
from planner.optimize.replan import Stability
from planner.optimize.result import USD_SCALE

if TYPE_CHECKING:
    from planner.optimize.model import RolloutModel


def construction_items(rm: RolloutModel, i: int, p: int) -> list[tuple[float, float, object]]:
    """(USD per unit, lead time in months, units added in phase p) of what site i builds in phase p: the
    campus itself, power blocks, a grid upgrade, on-site power."""
    site = rm.scenario.sites[i]
    items = [(site.open_cost_usd, site.lead_time_months, rm.opening(i, p))]
    items += [(b.capex_usd_per_it_mw * b.it_mw, site.block_lead_time_months(b), rm.blocks[i, k, p])
              for k, b in enumerate(site.power_blocks)]
    items += [(u.capex_usd, u.lead_time_months, supply.added(rm.upgrades, (i, k, p), supply.previous(rm.upgrades, i, k, p)))
              for k, u in enumerate(site.grid_upgrades) if (i, k, p) in rm.upgrades]
    items += [(o.capex_usd_per_mw, o.lead_time_months, supply.added(rm.onsite, (i, k, p), supply.previous(rm.onsite, i, k, p)))
              for k, o in enumerate(site.onsite_power) if (i, k, p) in rm.onsite]
    return items


def add_funding_constraints(rm: RolloutModel) -> None:
    """funding: capex paid in each phase's window within its funding (cumulatively, when unspent funds
    carry over). Construction is paid over its lead time by the spend profile; GPU systems at the online
    date. Refreshes after the rollout are paid from operations and count only in the net present cost."""
    s_ = rm.scenario
    years = phase_years(s_)
    windows = funding_windows(s_)
    spend = [[] for _ in s_.phases]
    shares: dict[tuple[int, float], list[tuple[int, float]]] = {}  # (phase, lead) -> [(window, share paid in it)]
    for (i, q) in rm.opened:
        for usd, lead, units in construction_items(rm, i, q):
            if not usd:
                continue
            if (q, lead) not in shares:
                shares[q, lead] = [(p, paid_within(s_, years[q], lead, after, until))
                                   for p, (after, until) in enumerate(windows[: q + 1])]
            for p, share in shares[q, lead]:
                if share > 0:
                    spend[p].append((share * usd / USD_SCALE, units))
        rack_mw, rack_capex = phase_platform_rack(s_, s_.phases[q])
        spend[q].append((rack_capex / rack_mw / USD_SCALE, rm.it[i, q]))
    carry = s_.economics.carry_over_unspent_funding
    unspent = None  # with carry-over: what is left of the funds released so far (a variable per phase keeps
    # each row to its own window's payments; running sums of the payments would repeat them in every row)
    released = 0.0  # funds released so far: more can never be left over (a finite bound keeps the
    # Lagrangean bound of planner.optimize.pricing finite whatever the multipliers)
    for phase, terms in zip(s_.phases, spend):
        available = phase.funding_usd / USD_SCALE + (unspent if unspent is not None else 0.0)
        released += phase.funding_usd / USD_SCALE
        if carry:
            unspent = rm.builder.var(0.0, released, name=f"unspent[{phase.id}]")
            rm.builder.le(lin_combination(terms) + unspent - available, 0.0, name=f"funding[{phase.id}]")
        else:
            rm.builder.le(lin_combination(terms) - available, 0.0, name=f"funding[{phase.id}]")


def add_objective(rm: RolloutModel, stability: Stability | None = None) -> None:
    """Net present cost: construction paid over its lead time, GPU systems over their whole life (refreshes
    and salvage), running costs of the IT running in each period (energy escalating, fuel, fixed opex,
    carbon), serving costs, shortfall; plus, for a stable re-plan, |IT_sp - previous_sp| at its price."""
    s_ = rm.scenario
    econ = s_.economics
    years = phase_years(s_)
    weights = operating_weights(s_)
    energy_weights = operating_weights(s_, econ.energy_escalation_per_year)
    d_horizon = discount(s_, econ.horizon_years)
    gpu_usd = [gpu_cost_usd_per_it_mw(s_, p) / USD_SCALE for p in range(len(s_.phases))]
    built_usd: dict[tuple[int, float], float] = {}  # (phase, lead) -> PV of 1 USD of construction, less salvage
    terms = []
    for (i, p) in rm.opened:
        for usd, lead, units in construction_items(rm, i, p):
            if usd:
                if (p, lead) not in built_usd:
                    salvage = d_horizon * salvage_fraction(s_, years[p], econ.facility_life_years)
                    built_usd[p, lead] = pay_weight(s_, years[p], lead) - salvage
                terms.append((built_usd[p, lead] * usd / USD_SCALE, units))
        terms.append((gpu_usd[p], rm.it[i, p]))
    carbon_usd = econ.carbon_usd_per_tonne
    for (i, p), running in rm.running.items():
        site = s_.sites[i]
        grid_usd = energy_weights[p] * site.energy_usd_per_mwh * HOURS_PER_YEAR
        terms.append((grid_usd / USD_SCALE, supply.grid_energy_mw(rm, i, p)))
        for k, e in rm.energy.get((i, p), {}).items():
            terms.append((energy_weights[p] * site.onsite_power[k].fuel_usd_per_mwh * HOURS_PER_YEAR / USD_SCALE, e))
        terms.append((weights[p] * fixed_opex_usd_per_it_mw_year(s_, site) / USD_SCALE, running))
        if carbon_usd:
            terms.append((weights[p] * carbon_usd / USD_SCALE, supply.emissions_t_per_year(rm, i, p)))
    serve_usd = [dict(region.serve_cost_usd_per_year) for region in s_.demand_regions]
    for (r, i, p), x in rm.serve.items():
        terms.append((weights[p] * serve_usd[r][s_.sites[i].id] / USD_SCALE, x))
    for p, short in rm.shortfall.items():
        terms.append((discount(s_, years[p]) * s_.constraints.shortfall_usd_per_mw / USD_SCALE, short))
    if stability is not None and stability.usd_per_mw > 0:
        previous = {(c.site, c.phase): c.it_mw_total for c in stability.previous}
        for (i, p), it_total in rm.it_total.items():
            before = previous.get((s_.sites[i].id, s_.phases[p].id), 0.0)
            moved = rm.builder.var(0.0, name=f"moved[{s_.sites[i].id},{s_.phases[p].id}]", site=i)
            rm.builder.ge(moved - it_total, -before)
            rm.builder.ge(moved + it_total, before)
            terms.append((stability.usd_per_mw / USD_SCALE, moved))
    rm.builder.objective = lin_combination(terms)
