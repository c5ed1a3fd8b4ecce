"""The rollout optimization model: a mixed-integer program built with OR-Tools MathOpt.

MathOpt keeps the formulation solver-neutral: the same model is solved by HiGHS, SCIP or CP-SAT
(`planner.optimize.solve`). Building, solving and extracting a plan are separate steps.

Formulation
-----------
Sets
    S sites; P phases in date order (p' <= p: phases up to p); K_s power-block kinds of site s;
    G regions (S_g the sites in region g); R demand regions, active in phases P_r, servable from S_r.
Parameters
    t_p years from the planning start to phase p's online date; t_{|P|+1} = H, the horizon;
    d(t) = (1 + rate)^-t the discount factor; A_p = integral of d(t) from t_p to t_{p+1};
    req_p IT MW phase p adds; m_p, Q_p IT MW and system capex of one rack of phase p's platform;
    grid_sp facility MW the grid can deliver to s in phase p; pue_s; e_sp = 1 when s's lead time lets
    it be online by phase p; F_s open cost; B_sk, C_sk a block's IT MW and capex per IT MW;
    M_s = min(max_it_mw_s, max_p grid_sp / pue_s) the most IT MW s can ever hold;
    w_s = energy_usd_per_mwh_s * pue_s * 8760 * utilization + opex_usd_per_it_mw_year_s, the yearly
    running cost of one installed IT MW; Phi_p funding; D_r demand MW; c_rs cost of serving all of r
    from s in one phase; salvage fractions v^f_p = max(0, 1 - (H - t_p)/facility_life),
    v^it_p = max(0, 1 - (H - t_p)/it_life).
Variables (totals by phase, never decreasing: branching on totals proves optimality much faster than
on per-phase additions; what a phase adds is the difference)
    Y_sp in {0,1} (only where e_sp = 1 and s is not forbidden): s is open by phase p;
    N_skp in Z+: power blocks of kind k built at s by phase p;
    IT_sp >= 0: IT MW of GPU systems installed at s by phase p (the plan counts the whole racks of the
    phase's platform that fit in what the phase adds);
    x_rsp in [0, 1]: share of r served from s in phase p;
    add_sp, reg_gp in {0,1} (only with diversity minimums): s / region g adds capacity in phase p.
    Shorthands: open_sp = Y_sp - Y_s,p-1; blk_skp = N_skp - N_sk,p-1; it_sp = IT_sp - IT_s,p-1;
    BLK_sp = sum_k B_sk N_skp; R_p = sum_{p'<=p} req_p'; capex_p = sum_s (F_s open_sp +
    sum_k C_sk B_sk blk_skp + (Q_p / m_p) it_sp).
Objective (net present cost, USD)
    min sum_p d(t_p) capex_p + sum_{s,p} A_p w_s IT_sp + sum_{r,s,p} d(t_p) c_rs x_rsp
        - d(H) sum_{s,p} [v^f_p (F_s open_sp + sum_k C_sk B_sk blk_skp) + v^it_p (Q_p / m_p) it_sp]
Constraints
    grows          open_sp >= 0, blk_skp >= 0, it_sp >= 0    (nothing is closed or removed)
    grid           BLK_sp <= min(grid_sp / pue_s, M_s) Y_sp  (facility MW within the grid's supply, and
                                                           no power blocks before the site opens)
    racks_fit      IT_sp <= BLK_sp                         (racks go into built power blocks)
    requirement    sum_s IT_sp >= R_p                      (cumulative capacity meets each phase)
    funding        capex_p <= Phi_p, or with carry-over sum_{p'<=p} capex_p' <= sum_{p'<=p} Phi_p'
    site_share     IT_sp <= min(grid_sp / pue_s, M_s, max_site_share R_p) Y_sp  (the share cap, of the
                                                           required IT, and a tight big-M on IT)
    region_share   sum_{s in S_g} IT_sp <= max_region_share R_p
    min_sites      it_sp >= delta add_sp;  sum_s add_sp >= min_sites_per_phase
    min_regions    sum_{s in S_g} it_sp >= delta reg_gp;  sum_g reg_gp >= min_regions_per_phase
    required       Y_{s,|P|} = 1 for each required site
    committed      Y_sp, N_skp, IT_sp fixed for the phases already committed (re-plans)
    training_lat.  it_sp <= M_s builds_sp; builds_sp + builds_tp <= 1 for campuses s, t whose fiber
                   latency (topology.campus) exceeds training_max_latency_ms
A stable re-plan adds stability_usd_per_mw * sum_{s,p} |IT_sp - IT^prev_sp| to the objective.
    demand         sum_{s in S_r} x_rsp = 1 and sum_r D_r x_rsp <= IT_sp, for p in P_r
    serve_open     x_rsp <= Y_sp                           (implied; the strong form tightens the LP, added
                                                           up to STRONG_LINKING_MAX_PAIRS pairs)
Shares are of the required IT by that phase (R_p), not of what is installed: a constant right-hand
side keeps the rows independent of one another (measured: several times faster to prove optimal).
Money is carried in millions of USD inside the model (`USD_SCALE`) to keep coefficients well scaled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ortools.math_opt.python import mathopt

from planner.optimize.parameters import (
    discount,
    eligible_phases,
    max_it_mw,
    operating_weights,
    phase_platform_rack,
    phase_years,
    salvage_fraction,
    yearly_cost_usd_per_it_mw,
)
from planner.optimize.replan import Commitment, Stability
from planner.optimize.result import USD_SCALE
from planner.scenario.types import Scenario

STRONG_LINKING_MAX_PAIRS = 20_000  # serving pairs up to which serve_open rows are added (see add_demand_constraints)


@dataclass
class RolloutModel:
    """A built model and the handles extract needs; `model` is what a solver back end receives."""

    scenario: Scenario
    model: mathopt.Model
    opened: dict[tuple[int, int], mathopt.Variable] = field(default_factory=dict)  # Y_sp
    blocks_total: dict[tuple[int, int, int], mathopt.Variable] = field(default_factory=dict)  # N_skp
    it_total: dict[tuple[int, int], mathopt.Variable] = field(default_factory=dict)  # IT_sp
    blocks: dict[tuple[int, int, int], mathopt.LinearBase] = field(default_factory=dict)  # blk_skp, added
    it: dict[tuple[int, int], mathopt.LinearBase] = field(default_factory=dict)  # it_sp, added
    serve: dict[tuple[int, int, int], mathopt.Variable] = field(default_factory=dict)
    eligible: dict[int, list[int]] = field(default_factory=dict)  # site -> phases it may hold capacity in
    series: list[tuple[list, list, list]] = field(default_factory=list)  # per site: (Y_sp, BLK_sp, IT_sp)

    @property
    def size(self) -> dict[str, int]:
        variables = list(self.model.variables())
        return {"variables": len(variables),
                "integer_variables": sum(1 for v in variables if v.integer),
                "constraints": sum(1 for _ in self.model.linear_constraints())}


# ---------------------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------------------

def build_model(scenario: Scenario, commitments: tuple[Commitment, ...] = (),
                stability: Stability | None = None) -> RolloutModel:
    """Build the rollout MIP for a checked scenario. Reads the scenario, never changes it.

    `commitments` fix what earlier phases already built (every site of a committed phase: a site
    without a commitment in that phase has nothing there); later phases are optimized around them.
    `stability` penalizes moving installed IT away from a previous plan.
    """
    rm = RolloutModel(scenario=scenario, model=mathopt.Model(name=scenario.name or "rollout"))
    add_site_variables(rm)
    add_commitments(rm, commitments)
    add_capacity_constraints(rm)
    add_requirement_constraints(rm)
    add_funding_constraints(rm)
    add_diversity_constraints(rm)
    add_demand_constraints(rm)
    add_training_latency_constraints(rm)
    add_objective(rm, stability)
    return rm


def _cumulative(terms_by_phase: list) -> list:
    """Running sums of per-phase linear expressions."""
    out, running = [], 0.0
    for terms in terms_by_phase:
        running = running + terms
        out.append(running)
    return out


def add_site_variables(rm: RolloutModel) -> None:
    """Y_sp, N_skp, IT_sp (totals by phase) and the additions they imply: open_sp, blk_skp, it_sp."""
    s_, m = rm.scenario, rm.model
    forbidden = set(s_.constraints.forbidden_sites)
    for i, site in enumerate(s_.sites):
        cap = max_it_mw(site)
        phases = [] if site.id in forbidden or cap <= 0 else eligible_phases(s_, site)
        rm.eligible[i] = phases
        for p in phases:
            tag = f"{site.id},{s_.phases[p].id}"
            rm.opened[i, p] = m.add_binary_variable(name=f"opened[{tag}]")
            for k, block in enumerate(site.power_blocks):
                rm.blocks_total[i, k, p] = m.add_integer_variable(
                    lb=0, ub=math.floor(cap / block.it_mw + 1e-9), name=f"blocks_total[{tag},{k}]")
                rm.blocks[i, k, p] = _added(rm.blocks_total, (i, k, p), (i, k, p - 1))
            rm.it_total[i, p] = m.add_variable(lb=0.0, ub=cap, name=f"it_total[{tag}]")
            rm.it[i, p] = _added(rm.it_total, (i, p), (i, p - 1))
            if p > phases[0]:  # grows: nothing is closed or removed
                m.add_linear_constraint(opening(rm, i, p) >= 0, name=f"grows_open[{tag}]")
                m.add_linear_constraint(rm.it[i, p] >= 0, name=f"grows_it[{tag}]")
                for k in range(len(site.power_blocks)):
                    m.add_linear_constraint(rm.blocks[i, k, p] >= 0, name=f"grows_blocks[{tag},{k}]")
    rm.series = [_site_series(rm, i) for i in range(len(s_.sites))]


def add_commitments(rm: RolloutModel, commitments: tuple[Commitment, ...]) -> None:
    """committed: Y_sp, N_skp and IT_sp fixed to what committed phases built."""
    if not commitments:
        return
    s_ = rm.scenario
    phase_index = {ph.id: p for p, ph in enumerate(s_.phases)}
    site_index = {site.id: i for i, site in enumerate(s_.sites)}
    committed = {(site_index[c.site], phase_index[c.phase]): c for c in commitments}
    for p in sorted({phase_index[c.phase] for c in commitments}):
        for i, site in enumerate(s_.sites):
            c = committed.get((i, p))
            if (i, p) not in rm.opened:
                if c is not None and (c.opened or c.it_mw_total > 0):
                    rm.model.add_linear_constraint(lb=1.0, ub=1.0, name=f"committed_unbuildable[{site.id}]")
                continue
            fixes = [(rm.opened[i, p], float(bool(c and c.opened))), (rm.it_total[i, p], c.it_mw_total if c else 0.0)]
            fixes += [(rm.blocks_total[i, k, p], float(c.blocks_total[k]) if c else 0.0)
                      for k in range(len(site.power_blocks))]
            for var, value in fixes:
                rm.model.add_linear_constraint(var == value, name=f"committed[{var.name}]")


def _added(totals: dict, key: tuple, previous: tuple):
    """What a phase adds: its total less the previous phase's (the first eligible phase adds it all)."""
    return totals[key] - totals[previous] if previous in totals else totals[key] + 0.0


def opening(rm: RolloutModel, i: int, p: int):
    """open_sp = Y_sp - Y_s,p-1: 1 in the phase the site opens."""
    return _added(rm.opened, (i, p), (i, p - 1))


def _site_series(rm: RolloutModel, i: int) -> tuple[list, list, list]:
    """(Y_sp, BLK_sp, IT_sp) for every phase p, as expressions (0 where the site cannot be built)."""
    s_ = rm.scenario
    site = s_.sites[i]
    opens, blocks, its = [], [], []
    for p in range(len(s_.phases)):
        if (i, p) in rm.opened:
            opens.append(rm.opened[i, p])
            blocks.append(mathopt.fast_sum(b.it_mw * rm.blocks_total[i, k, p] for k, b in enumerate(site.power_blocks)))
            its.append(rm.it_total[i, p])
        else:
            opens.append(0.0)
            blocks.append(0.0)
            its.append(0.0)
    return opens, blocks, its


def add_capacity_constraints(rm: RolloutModel) -> None:
    """grid, racks_fit, required."""
    s_, m = rm.scenario, rm.model
    required = set(s_.constraints.required_sites)
    for i, site in enumerate(s_.sites):
        phases = rm.eligible[i]
        if not phases:
            if site.id in required:
                # A required site that can never be built: keep the model honest (infeasible).
                m.add_linear_constraint(lb=1.0, ub=1.0, name=f"required[{site.id}]")
            continue
        opened, blocks, its = rm.series[i]
        cap = max_it_mw(site)
        last = len(s_.phases) - 1
        if site.id in required:
            m.add_linear_constraint(opened[last] == 1, name=f"required[{site.id}]")
        for p in range(phases[0], len(s_.phases)):
            tag = f"{site.id},{s_.phases[p].id}"
            # One row is both the grid limit once open and "no blocks before opening", with the
            # tightest big-M the data allows: BLK_sp <= min(grid_sp / pue_s, M_s) Y_sp.
            limit = min(site.grid_mw_by_phase[p] / site.pue, cap)
            m.add_linear_constraint(blocks[p] - limit * opened[p] <= 0, name=f"grid[{tag}]")
            m.add_linear_constraint(its[p] - blocks[p] <= 0, name=f"racks_fit[{tag}]")


def add_requirement_constraints(rm: RolloutModel) -> None:
    """requirement: cumulative IT MW installed meets the cumulative requirement in every phase."""
    s_ = rm.scenario
    needed = _cumulative([ph.it_mw_required for ph in s_.phases])
    for p, phase in enumerate(s_.phases):
        total = mathopt.fast_sum(rm.series[i][2][p] for i in range(len(s_.sites)) if rm.eligible[i])
        if needed[p] > 0:
            rm.model.add_linear_constraint(total >= needed[p], name=f"requirement[{phase.id}]")


def capex_expression(rm: RolloutModel, p: int, scale: float = 1.0):
    """capex_p: open costs, power blocks and GPU systems bought in phase p (USD / scale)."""
    s_ = rm.scenario
    rack_mw, rack_capex = phase_platform_rack(s_, s_.phases[p])
    terms = []
    for i, site in enumerate(s_.sites):
        if (i, p) not in rm.opened:
            continue
        terms.append(site.open_cost_usd / scale * opening(rm, i, p))
        terms.extend(b.capex_usd_per_it_mw * b.it_mw / scale * rm.blocks[i, k, p]
                     for k, b in enumerate(site.power_blocks))
        terms.append(rack_capex / rack_mw / scale * rm.it[i, p])
    return mathopt.fast_sum(terms)


def add_funding_constraints(rm: RolloutModel) -> None:
    """funding: capex within each phase's funding (cumulatively, when unspent funds carry over)."""
    s_ = rm.scenario
    spend = [capex_expression(rm, p, USD_SCALE) for p in range(len(s_.phases))]
    funds = [ph.funding_usd / USD_SCALE for ph in s_.phases]
    if s_.economics.carry_over_unspent_funding:
        spend, funds = _cumulative(spend), _cumulative(funds)
    for phase, spent, available in zip(s_.phases, spend, funds):
        rm.model.add_linear_constraint(spent <= available, name=f"funding[{phase.id}]")


def add_diversity_constraints(rm: RolloutModel) -> None:
    """site_share, region_share (of the required IT), min_sites, min_regions (on each phase's additions)."""
    s_, m, c = rm.scenario, rm.model, rm.scenario.constraints
    series = rm.series
    needed = _cumulative([ph.it_mw_required for ph in s_.phases])
    regions = {g: [i for i, site in enumerate(s_.sites) if site.region == g and rm.eligible[i]] for g in s_.regions}
    for p, phase in enumerate(s_.phases):
        if c.max_site_share is not None and c.max_site_share < 1 and needed[p] > 0:
            # IT_sp <= min(grid_sp / pue_s, share R_p) Y_sp: the share cap, and the tightest big-M on IT.
            for i, site in enumerate(s_.sites):
                if rm.eligible[i] and rm.eligible[i][0] <= p:
                    cap = min(site.grid_mw_by_phase[p] / site.pue, max_it_mw(site), c.max_site_share * needed[p])
                    m.add_linear_constraint(series[i][2][p] - cap * series[i][0][p] <= 0,
                                            name=f"site_share[{site.id},{phase.id}]")
        if c.max_region_share is not None and c.max_region_share < 1 and needed[p] > 0:
            for g, members in regions.items():
                if members:
                    m.add_linear_constraint(
                        mathopt.fast_sum(series[i][2][p] for i in members) <= c.max_region_share * needed[p],
                        name=f"region_share[{g},{phase.id}]")
        if c.min_sites_per_phase > 0:
            counted = []
            for i, site in enumerate(s_.sites):
                if (i, p) in rm.it:
                    add = m.add_binary_variable(name=f"adds[{site.id},{phase.id}]")
                    m.add_linear_constraint(rm.it[i, p] - c.diversity_min_it_mw * add >= 0,
                                            name=f"min_sites_counts[{site.id},{phase.id}]")
                    counted.append(add)
            m.add_linear_constraint(mathopt.fast_sum(counted) >= c.min_sites_per_phase,
                                    name=f"min_sites[{phase.id}]")
        if c.min_regions_per_phase > 0:
            counted = []
            for g, members in regions.items():
                adds = [rm.it[i, p] for i in members if (i, p) in rm.it]
                if adds:
                    reg = m.add_binary_variable(name=f"region_adds[{g},{phase.id}]")
                    m.add_linear_constraint(mathopt.fast_sum(adds) - c.diversity_min_it_mw * reg >= 0,
                                            name=f"min_regions_counts[{g},{phase.id}]")
                    counted.append(reg)
            m.add_linear_constraint(mathopt.fast_sum(counted) >= c.min_regions_per_phase,
                                    name=f"min_regions[{phase.id}]")


def site_latency_ms(scenario: Scenario) -> dict[tuple[str, str], float]:
    """One-way fiber latency between every pair of sites over the inter-campus network (topology.campus)."""
    from topology.campus import mesh_latency_ms

    return mesh_latency_ms(scenario.sites)


def add_training_latency_constraints(rm: RolloutModel) -> None:
    """training_latency: a phase's training cluster spans only campuses within the latency limit of each
    other: builds_sp = 1 when s adds IT in p; builds_sp + builds_tp <= 1 for pairs beyond the limit."""
    s_ = rm.scenario
    limit = s_.constraints.training_max_latency_ms
    if limit is None or len(s_.sites) < 2:
        return
    latency = site_latency_ms(s_)
    for p, phase in enumerate(s_.phases):
        builds = {}
        for i, site in enumerate(s_.sites):
            if (i, p) in rm.it:
                flag = rm.model.add_binary_variable(name=f"builds[{site.id},{phase.id}]")
                rm.model.add_linear_constraint(rm.it[i, p] - max_it_mw(site) * flag <= 0,
                                               name=f"builds_flag[{site.id},{phase.id}]")
                builds[i] = flag
        for i in builds:
            for j in builds:
                if i < j and latency[s_.sites[i].id, s_.sites[j].id] > limit:
                    rm.model.add_linear_constraint(builds[i] + builds[j] <= 1,
                                                   name=f"training_latency[{s_.sites[i].id},{s_.sites[j].id},"
                                                        f"{phase.id}]")


def add_demand_constraints(rm: RolloutModel) -> None:
    """demand: every active demand region fully served (split allowed) within each site's installed IT."""
    s_, m = rm.scenario, rm.model
    if not s_.demand_regions:
        return
    site_index = {site.id: i for i, site in enumerate(s_.sites)}
    phase_index = {ph.id: p for p, ph in enumerate(s_.phases)}
    series = rm.series
    load: dict[tuple[int, int], list] = {}
    # serve_open (x_rsp <= Y_sp) is implied by demand_capacity, but the per-pair form is the classic strong
    # linking of facility location and tightens the LP. It costs one row per serving pair: measured, it
    # speeds up 50 x 50 instances and slows 100 x 1,000 ones (the root LP grows by 100,000 rows).
    pairs = sum(len(r.serve_cost_usd) * (len(s_.phases) - phase_index[r.from_phase]) for r in s_.demand_regions)
    strong = pairs <= STRONG_LINKING_MAX_PAIRS
    for r, region in enumerate(s_.demand_regions):
        for p in range(phase_index[region.from_phase], len(s_.phases)):
            shares = []
            for site_id, _ in region.serve_cost_usd:
                i = site_index[site_id]
                if rm.eligible[i] and rm.eligible[i][0] <= p:
                    x = m.add_variable(lb=0.0, ub=1.0, name=f"serve[{region.id},{site_id},{s_.phases[p].id}]")
                    if strong:
                        m.add_linear_constraint(x - series[i][0][p] <= 0,
                                                name=f"serve_open[{region.id},{site_id},{s_.phases[p].id}]")
                    rm.serve[r, i, p] = x
                    shares.append(x)
                    load.setdefault((i, p), []).append(region.demand_mw * x)
            m.add_linear_constraint(mathopt.fast_sum(shares) == 1, name=f"demand[{region.id},{s_.phases[p].id}]")
    for (i, p), terms in sorted(load.items()):
        m.add_linear_constraint(mathopt.fast_sum(terms) - series[i][2][p] <= 0,
                                name=f"demand_capacity[{s_.sites[i].id},{s_.phases[p].id}]")


def add_objective(rm: RolloutModel, stability: Stability | None = None) -> None:
    """Net present cost: discounted capex and serving costs, plus running costs, less salvage
    (plus, for a stable re-plan, the penalty on installed IT that moves: |IT_sp - previous_sp|)."""
    s_ = rm.scenario
    econ = s_.economics
    years = phase_years(s_)
    weights = operating_weights(s_)
    d_horizon = discount(s_, econ.horizon_years)
    series = rm.series
    terms = []
    for p, phase in enumerate(s_.phases):
        d_p = discount(s_, years[p])
        v_fac = salvage_fraction(s_, years[p], econ.facility_life_years)
        v_it = salvage_fraction(s_, years[p], econ.it_life_years)
        rack_mw, rack_capex = phase_platform_rack(s_, phase)
        for i, site in enumerate(s_.sites):
            if (i, p) not in rm.opened:
                continue
            terms.append((d_p - d_horizon * v_fac) * site.open_cost_usd / USD_SCALE * opening(rm, i, p))
            for k, b in enumerate(site.power_blocks):
                terms.append((d_p - d_horizon * v_fac) * b.capex_usd_per_it_mw * b.it_mw / USD_SCALE
                             * rm.blocks[i, k, p])
            terms.append((d_p - d_horizon * v_it) * rack_capex / rack_mw / USD_SCALE * rm.it[i, p])
            terms.append(weights[p] * yearly_cost_usd_per_it_mw(s_, site) / USD_SCALE * series[i][2][p])
    for (r, i, p), x in rm.serve.items():
        cost = dict(s_.demand_regions[r].serve_cost_usd)[s_.sites[i].id]
        terms.append(discount(s_, years[p]) * cost / USD_SCALE * x)
    if stability is not None and stability.usd_per_mw > 0:
        previous = {(c.site, c.phase): c.it_mw_total for c in stability.previous}
        for (i, p), it_total in rm.it_total.items():
            before = previous.get((s_.sites[i].id, s_.phases[p].id), 0.0)
            moved = rm.model.add_variable(lb=0.0, name=f"moved[{s_.sites[i].id},{s_.phases[p].id}]")
            rm.model.add_linear_constraint(moved - it_total >= -before)
            rm.model.add_linear_constraint(moved + it_total >= before)
            terms.append(stability.usd_per_mw / USD_SCALE * moved)
    rm.model.minimize(mathopt.fast_sum(terms))
