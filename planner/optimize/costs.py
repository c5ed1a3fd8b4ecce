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
from planner.optimize.linear import Lin, lin_combination
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
    campus itself, power blocks, a grid upgrade, on-site power (made once: the funding rows and the objective
    both read them)."""
    if (i, p) in rm.construction:
        return rm.construction[i, p]
    site = rm.scenario.sites[i]
    items = [(site.open_cost_usd, site.lead_time_months, rm.opening(i, p))]
    items += [(b.capex_usd_per_it_mw * b.it_mw, site.block_lead_time_months(b), rm.blocks[i, k, p])
              for k, b in enumerate(site.power_blocks)]
    items += [(u.capex_usd, u.lead_time_months,
               supply.added(rm.upgrades, (i, k, p), supply.previous(rm.upgrades, i, k, p)))
              for k, u in enumerate(site.grid_upgrades) if (i, k, p) in rm.upgrades]
    items += [(o.capex_usd_per_mw, o.lead_time_months,
               supply.added(rm.onsite, (i, k, p), supply.previous(rm.onsite, i, k, p)))
              for k, o in enumerate(site.onsite_power) if (i, k, p) in rm.onsite]
    rm.construction[i, p] = items
    return items


def add_funding_constraints(rm: RolloutModel) -> None:
    """funding: capex paid in each phase's window within its funding (cumulatively, when unspent funds
    carry over). Construction is paid over its lead time by the spend profile; GPU systems at the online
    date. Refreshes after the rollout are paid from operations and count only in the net present cost."""
    import numpy as np

    s_ = rm.scenario
    years = phase_years(s_)
    windows = funding_windows(s_)
    system_usd = [capex / mw / USD_SCALE for mw, capex in (phase_platform_rack(s_, phase) for phase in s_.phases)]
    # Every payment's terms once, in the order the rows add them up: what is built in phase q is paid in each
    # window by its share, so each window's row is the same terms at that window's shares, added up with numpy
    # (157,000 terms at 1,000 sites, were as many dictionary updates). The arithmetic is the per-term arithmetic
    # in the same order, so the rows are the same to the last bit.
    paid_by: dict[tuple[int, float], int] = {}  # (phase built, lead time) -> its column of `shares`
    ids, coefficients, usd, payment = [], [], [], []  # per term; payment: paid_by's column, or -1 - q for systems
    constants = []  # (payment, USD, constant) of the units that have a constant
    for (i, q) in rm.opened:
        items = [(item_usd, paid_by.setdefault((q, lead), len(paid_by)), units)
                 for item_usd, lead, units in construction_items(rm, i, q) if item_usd]
        items.append((system_usd[q], -1 - q, rm.it[i, q]))
        for item_usd, paid, units in items:
            for j, c in units.terms.items():
                ids.append(j)
                coefficients.append(c)
                usd.append(item_usd)
                payment.append(paid)
            if units.constant:
                constants.append((paid, item_usd, units.constant))
    ids, coefficients = np.array(ids, dtype=np.int64), np.array(coefficients, dtype=np.float64)
    usd, payment = np.array(usd, dtype=np.float64), np.array(payment, dtype=np.int64)
    shares = np.zeros((len(s_.phases), len(paid_by) + 1))  # window x payment (the last column: systems, unused)
    for (q, lead), column in paid_by.items():
        for p, (after, until) in enumerate(windows[: q + 1]):
            shares[p, column] = paid_within(s_, years[q], lead, after, until)
    construction = payment >= 0
    column = np.where(construction, payment, -1)
    carry = s_.economics.carry_over_unspent_funding
    unspent = None  # with carry-over: what is left of the funds released so far (a variable per phase keeps
    # each row to its own window's payments; running sums of the payments would repeat them in every row)
    released = 0.0  # funds released so far: more can never be left over (a finite bound keeps the
    # Lagrangean bound of planner.optimize.pricing finite whatever the multipliers)
    for p, phase in enumerate(s_.phases):
        share = shares[p, column]
        per_unit = np.where(construction, share * usd / USD_SCALE, usd)  # USD (model units) per unit of the units
        kept = np.where(construction, share > 0, payment == -1 - p)
        constant = 0.0
        for paid, item_usd, k in constants:
            if paid >= 0 and shares[p, paid] > 0:
                constant += k * float(shares[p, paid] * item_usd / USD_SCALE)
            elif paid == -1 - p:
                constant += k * item_usd
        paid = Lin.from_arrays(ids[kept], coefficients[kept] * per_unit[kept], constant)
        available = phase.funding_usd / USD_SCALE + (unspent if unspent is not None else 0.0)
        released += phase.funding_usd / USD_SCALE
        if carry:
            unspent = rm.builder.var(0.0, released, name=f"unspent[{phase.id}]")
            rm.builder.le(paid + unspent - available, 0.0, name=f"funding[{phase.id}]")
        else:
            rm.builder.le(paid - available, 0.0, name=f"funding[{phase.id}]")


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
