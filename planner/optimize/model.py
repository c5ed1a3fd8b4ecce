"""The rollout optimization model: a mixed-integer program built with OR-Tools MathOpt.

MathOpt keeps the formulation solver-neutral: the same model is solved by HiGHS, SCIP or CP-SAT
(`planner.optimize.solve`). Building, solving and extracting a plan are separate steps. Where power
comes from (grid, upgrades, on-site generation) is in `planner.optimize.supply`.

Formulation
-----------
Sets
    S sites; P phases in date order (p' <= p: phases up to p); K_s power-block kinds of site s;
    G regions (S_g the sites in region g); R demand regions, active in phases P_r, servable from S_r.
Parameters
    t_p years from the planning start to phase p's online date; t_{|P|+1} = H, the horizon; period p
    is [t_p, t_{p+1}); d(t) = (1 + rate)^-t; A_p = integral of d(t) over period p, A^e_p the same with
    energy prices escalating; req_p IT MW phase p adds; R_p = sum_{p'<=p} req_p';
    grid_sp facility MW the grid delivers to s in phase p; pue_s; e_sp = 1 when s's lead time lets it be
    online by phase p (a block kind, an upgrade or an on-site option needs its own lead time too);
    F_s open cost; B_sk, C_sk a block's IT MW and capex per IT MW; M_s the most IT MW s can ever hold;
    pay(t, lead) the present value of 1 USD of construction capex for something online at t, paid over
    its lead time by the construction spend profile; g_p the net present cost of 1 MW of GPU systems
    bought in phase p over the horizon (purchase, each refresh at the end of its IT life at the
    then-current platform's price, less the straight-line salvage of the last purchase;
    parameters.gpu_cost_usd_per_it_mw); a_qp the share of period p that systems bought in phase q run
    (1 when refreshed, less once retired); w^e_s energy MWh a year per IT MW (pue x utilization x 8760),
    price_s, fix_s fixed opex per IT MW a year; Phi_p funding; D_r demand MW; c_rs the yearly cost of
    serving all of r from s; v^f_p = max(0, 1 - (H - t_p)/facility_life) salvage of what is built.
Variables (totals by phase, never decreasing: branching on totals proves optimality much faster than
on per-phase additions; what a phase adds is the difference)
    Y_sp in {0,1} (only where e_sp = 1 and s is not forbidden): s is open by phase p;
    N_skp in Z+: power blocks of kind k built at s by phase p (parameters.free_blocks: floor(M_s/B_sk) Y_sp);
    IT_sp >= 0: IT MW of GPU systems bought at s up to phase p (the plan counts the whole racks of the
    phase's platform that fit in what the phase adds);
    x_rsp in [0, 1]: share of r served from s in phase p; short_p >= 0 (only with a shortfall price);
    add_sp, reg_gp in {0,1} (only with diversity minimums): s / region g adds capacity in phase p;
    U_usp, G_skp, E_sp: grid upgrades, on-site capacity and energy (supply.py, only where a site has them).
    Shorthands: open_sp = Y_sp - Y_s,p-1; blk_skp = N_skp - N_sk,p-1; it_sp = IT_sp - IT_s,p-1;
    BLK_sp = sum_k B_sk N_skp; live_sp = IT standing at t_p (IT_sp, less what has retired by then);
    run_sp = sum_{q<=p} a_qp it_sq, the IT running through period p.
Objective (net present cost, USD)
    min sum_{s,p} [(pay(t_p, lead_s) - d(H) v^f_p) F_s open_sp
                   + sum_k (pay(t_p, lead_sk) - d(H) v^f_p) C_sk B_sk blk_skp + g_p it_sp]
        + sum_{s,p} [A^e_p price_s w^e_s run_sp + A_p fix_s run_sp] + on-site fuel and capacity (supply.py)
        + carbon_usd_per_tonne sum_{s,p} A_p emissions_sp + sum_{r,s,p} A_p c_rs x_rsp
        + shortfall_usd_per_mw sum_p d(t_p) short_p
Constraints
    grows          open_sp >= 0, blk_skp >= 0, it_sp >= 0    (nothing is closed or removed)
    grid           BLK_sp <= min(grid_sp / pue_s, M_s) Y_sp  (facility MW within the grid's supply, and
                                                           no power blocks before the site opens; with
                                                           supply options: supply.add_supply_constraints)
    grid_round     the grid row rounded down to whole blocks, or its integer hull (planner.optimize.grid; not CP-SAT)
    racks_fit      live_sp <= BLK_sp                       (racks go into built power blocks)
    requirement    sum_s live_sp >= R_p (- short_p)        (capacity standing meets each phase)
    blocks_cover   sum_s BLK_sp >= R_p (- short_p)         (implied by racks_fit and requirement; in every phase
                                                           when some R_p is not whole blocks of a site's largest
                                                           kind: on a row of its own, the solver's cuts round it)
    funding        capex paid in (t_{p-1}, t_p] <= Phi_p (cumulatively with carry-over): construction is
                   paid over its lead time by the spend profile, GPU systems at the online date
    site_share     live_sp <= min(supply_sp / pue_s, M_s, max_site_share R_p) Y_sp
    region_share   sum_{s in S_g} live_sp <= max_region_share R_p
    build_rate     it_sp <= max_it_mw_per_phase_s; sum_{s in S_g} it_sp <= max_region_it_mw_per_phase
    min_sites      it_sp >= delta add_sp;  sum_s add_sp >= min_sites_per_phase
    min_regions    sum_{s in S_g} it_sp >= delta reg_gp;  sum_g reg_gp >= min_regions_per_phase
    required       Y_{s,|P|} = 1 for each required site
    committed      Y_sp, N_skp, IT_sp fixed for the phases already committed (re-plans)
    training_lat.  it_sp <= M_sp builds_sp; builds_sp + builds_tp <= 1 for campuses s, t whose one-way
                   latency exceeds training_max_latency_ms: a direct route (great circle x
                   fiber_route_factor, 5 us/km), or the shortest path over the scenario's fiber_routes;
                   whole blocks of such pairs as one row on two cells' zone flags (planner.optimize.latency)
    demand         sum_{s in S_r} x_rsp = 1 and sum_r D_r x_rsp <= live_sp, for p in P_r
    demand_cover   sum_s M_s Y_sp >= sum_{r: p in P_r} D_r     (implied; a knapsack cover on the openings)
    serve_open     x_rsp <= Y_sp                           (implied; the strong form tightens the LP, added
                                                           up to STRONG_LINKING_MAX_PAIRS pairs)
    carbon_cap     sum_s emissions_sp <= cap_p             (tonnes a year at phase p's run rate)
A stable re-plan adds stability_usd_per_mw * sum_{s,p} |IT_sp - IT^prev_sp| to the objective.
Shares are of the required IT by that phase (R_p), not of what is installed: a constant right-hand
side keeps the rows independent of one another (measured: several times faster to prove optimal).
Money is carried in millions of USD inside the model (`USD_SCALE`) to keep coefficients well scaled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ortools.math_opt.python import mathopt

from planner.optimize import costs, grid, supply
from planner.optimize.latency import add_training_latency_constraints
from planner.optimize.linear import Builder, Lin, collector_paused, lin_combination, lin_sum
from planner.optimize.parameters import (
    alive_weight,
    cumulative,
    free_blocks,
    max_it_mw,
    reachable_phases,
    retired_by,
    supply_limit_mw,
)
from planner.optimize.replan import Commitment, Stability
from planner.scenario.types import Scenario

STRONG_LINKING_MAX_PAIRS = 20_000  # serving pairs up to which serve_open rows are added (see add_demand_constraints)


@dataclass
class RolloutModel:
    """A built model and the handles extract needs. The formulation is collected in `builder` (variables
    are `Lin` expressions over ids); `model` is the MathOpt model a solver back end receives, made from
    it on first use (rows added after that are not in it)."""

    scenario: Scenario
    builder: Builder
    opened: dict[tuple[int, int], Lin] = field(default_factory=dict)  # Y_sp
    openings: dict[tuple[int, int], Lin] = field(default_factory=dict)  # open_sp, added
    blocks_total: dict[tuple[int, int, int], Lin] = field(default_factory=dict)  # N_skp
    it_total: dict[tuple[int, int], Lin] = field(default_factory=dict)  # IT_sp
    blocks: dict[tuple[int, int, int], Lin] = field(default_factory=dict)  # blk_skp, added
    it: dict[tuple[int, int], Lin] = field(default_factory=dict)  # it_sp, added
    live: dict[tuple[int, int], Lin] = field(default_factory=dict)  # live_sp: standing at t_p
    running: dict[tuple[int, int], Lin] = field(default_factory=dict)  # run_sp: through period p
    serve: dict[tuple[int, int, int], Lin] = field(default_factory=dict)
    demand_rows: dict[tuple[int, int], int] = field(default_factory=dict)  # (region, phase) -> row id
    upgrades: dict[tuple[int, int, int], Lin] = field(default_factory=dict)  # U_usp
    onsite: dict[tuple[int, int, int], Lin] = field(default_factory=dict)  # G_skp
    energy: dict[tuple[int, int], dict[int, Lin]] = field(default_factory=dict)  # E^k_sp
    shortfall: dict[int, Lin] = field(default_factory=dict)  # short_p
    eligible: dict[int, list[int]] = field(default_factory=dict)  # site -> phases it may hold capacity in
    capacity_mw: list[float] = field(default_factory=list)  # M_s by site (parameters.max_it_mw)
    construction: dict[tuple[int, int], list] = field(default_factory=dict)  # costs.construction_items, once
    series: list[tuple[list, list, list]] = field(default_factory=list)  # per site: (Y_sp, BLK_sp, live_sp)
    zones: list[tuple[int, list[int]]] = field(default_factory=list)  # latency zone flag -> its builds flags (ids)
    round_grid: bool = True  # grid_round rows (planner.optimize.grid)
    _model: mathopt.Model | None = None

    def opening(self, i: int, p: int):
        """open_sp = Y_sp - Y_s,p-1: 1 in the phase the site opens."""
        return self.openings[i, p]

    @property
    def model(self) -> mathopt.Model:
        """The model loaded into MathOpt (on first use: the searches that never solve the full model skip it)."""
        if self._model is None:
            self._model = self.builder.model()
        return self._model

    @property
    def size(self) -> dict[str, int]:
        return self.builder.size

    def cost(self, values: dict[str, float]) -> float:
        """The objective of a plan given by variable name (missing variables at 0), in the model's units."""
        return self.builder.objective.value([values.get(name, 0.0) for name in self.builder.names])

    def hint(self, values: dict[str, float]) -> list[float]:
        """A start for this model from a plan's values by variable name (often another model's: a restricted
        one, or an earlier pass): missing variables at 0, and each latency zone flag (planner.optimize.latency)
        set from its own sites' builds flags, since another model's cells, and so its zones, differ."""
        hint = [values.get(name, 0.0) for name in self.builder.names]
        for zone, members in self.zones:
            hint[zone] = max(hint[j] for j in members)
        return hint


def build_model(scenario: Scenario, commitments: tuple[Commitment, ...] = (),
                stability: Stability | None = None,
                strong_linking_max_pairs: int = STRONG_LINKING_MAX_PAIRS, round_grid: bool = True) -> RolloutModel:
    """Build the rollout MIP for a checked scenario. Reads the scenario, never changes it.

    `commitments` fix what earlier phases already built (every site of a committed phase: a site
    without a commitment in that phase has nothing there); later phases are optimized around them.
    `stability` penalizes moving installed IT away from a previous plan. serve_open rows are added up to
    `strong_linking_max_pairs` serving pairs; `round_grid`: the grid_round rows (off for CP-SAT).
    """
    with collector_paused():
        rm = RolloutModel(scenario=scenario, builder=Builder(scenario.name or "rollout"), round_grid=round_grid)
        add_site_variables(rm, committed=bool(commitments))
        supply.add_supply_variables(rm)
        add_commitments(rm, commitments)
        add_capacity_constraints(rm)
        add_requirement_constraints(rm)
        costs.add_funding_constraints(rm)
        add_diversity_constraints(rm)
        add_build_rate_constraints(rm)
        add_demand_constraints(rm, strong_linking_max_pairs)
        add_training_latency_constraints(rm)
        supply.add_energy_dispatch(rm)
        costs.add_objective(rm, stability)
        return rm


def add_site_variables(rm: RolloutModel, committed: bool = False) -> None:
    """Y_sp, N_skp, IT_sp (totals by phase), the additions they imply (open_sp, blk_skp, it_sp) and the IT
    standing (live_sp) and running (run_sp) in each phase. `committed`: block counts fixed, none substituted."""
    s_, b = rm.scenario, rm.builder
    forbidden = set(s_.constraints.forbidden_sites)
    every = range(len(s_.phases))
    reached: dict[float, list[int]] = {}  # lead time (months) -> the phases it reaches (sites share a few)
    gone_by = [retired_by(s_, p) for p in every]
    refresh = s_.economics.it_end_of_life == "refresh"
    alive = None if refresh else [[alive_weight(s_, q, p) for p in every] for q in every]

    def reachable(lead_months: float) -> list[int]:
        if lead_months not in reached:
            reached[lead_months] = reachable_phases(s_, lead_months)
        return reached[lead_months]

    rm.capacity_mw = [max_it_mw(site) for site in s_.sites]
    for i, site in enumerate(s_.sites):
        cap = rm.capacity_mw[i]
        phases = [] if site.id in forbidden or cap <= 0 else list(reachable(site.lead_time_months))  # eligible
        rm.eligible[i] = phases
        block_phases = [set(reachable(site.block_lead_time_months(b))) for b in site.power_blocks]
        tops = [math.floor(cap / block.it_mw + 1e-9) for block in site.power_blocks]
        whole = not committed and free_blocks(site, phases, cap, block_phases)
        for p in phases:
            tag = f"{site.id},{s_.phases[p].id}"
            opened = rm.opened[i, p] = b.binary(name=f"opened[{tag}]", site=i)
            rm.openings[i, p] = _added(rm.opened, (i, p), (i, p - 1))
            for k, top in enumerate(tops):
                top = top if p in block_phases[k] else 0  # block lead time
                rm.blocks_total[i, k, p] = float(top) * opened if whole else \
                    b.var(0.0, float(top), True, name=f"blocks_total[{tag},{k}]", site=i)  # whole: no variable
                rm.blocks[i, k, p] = _added(rm.blocks_total, (i, k, p), (i, k, p - 1))
            rm.it_total[i, p] = b.var(0.0, cap, name=f"it_total[{tag}]", site=i)
            rm.it[i, p] = _added(rm.it_total, (i, p), (i, p - 1))
            if p > phases[0]:  # grows: nothing is closed or removed
                b.ge(rm.openings[i, p], 0.0, name=f"grows_open[{tag}]")
                b.ge(rm.it[i, p], 0.0, name=f"grows_it[{tag}]")
                for k in range(len(tops)):
                    b.ge(rm.blocks[i, k, p], 0.0, name=f"grows_blocks[{tag},{k}]")
        for p in phases:
            gone = gone_by[p]
            rm.live[i, p] = rm.it_total[i, p] - rm.it_total[i, gone] if (i, gone) in rm.it_total else rm.it_total[i, p]
            if refresh:
                rm.running[i, p] = rm.it_total[i, p]
            else:
                rm.running[i, p] = lin_combination((alive[q][p], rm.it[i, q]) for q in phases if q <= p)
    rm.series = [_site_series(rm, i) for i in range(len(s_.sites))]


def add_commitments(rm: RolloutModel, commitments: tuple[Commitment, ...]) -> None:
    """committed: Y_sp, N_skp, IT_sp, on-site power and the grid upgrade fixed to what committed phases built."""
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
                    rm.builder.eq(0.0, 1.0, name=f"committed_unbuildable[{site.id}]")  # infeasible, on purpose
                continue
            fixes = [(rm.opened[i, p], float(bool(c and c.opened))), (rm.it_total[i, p], c.it_mw_total if c else 0.0)]
            fixes += [(rm.blocks_total[i, k, p], float(c.blocks_total[k]) if c else 0.0)
                      for k in range(len(site.power_blocks))]
            built = dict(c.power_mw) if c else {}
            fixes += [(rm.onsite[i, k, p], built.get(o.id, 0.0))
                      for k, o in enumerate(site.onsite_power) if (i, k, p) in rm.onsite]
            for n, (var, value) in enumerate(fixes):
                rm.builder.eq(var, value, name=f"committed[{site.id},{s_.phases[p].id},{n}]")
            upgrades = [rm.upgrades[i, k, p] for k in range(len(site.grid_upgrades)) if (i, k, p) in rm.upgrades]
            if upgrades:  # the upgrade bought (whichever it was), or none
                bought = 1.0 if "upgrade" in built else 0.0
                rm.builder.eq(lin_sum(upgrades), bought, name=f"committed_upgrade[{site.id},{s_.phases[p].id}]")


def _added(totals: dict, key: tuple, previous: tuple):
    """What a phase adds: its total less the previous phase's (the first eligible phase adds it all)."""
    return totals[key] - totals[previous] if previous in totals else totals[key]


def _site_series(rm: RolloutModel, i: int) -> tuple[list, list, list]:
    """(Y_sp, BLK_sp, live_sp) for every phase p, as expressions (0 where the site cannot be built)."""
    s_ = rm.scenario
    site = s_.sites[i]
    opens, blocks, its = [], [], []
    for p in range(len(s_.phases)):
        if (i, p) in rm.opened:
            opens.append(rm.opened[i, p])
            blocks.append(lin_combination((b.it_mw, rm.blocks_total[i, k, p]) for k, b in enumerate(site.power_blocks)))
            its.append(rm.live[i, p])
        else:
            opens.append(0.0)
            blocks.append(0.0)
            its.append(0.0)
    return opens, blocks, its


def add_capacity_constraints(rm: RolloutModel) -> None:
    """grid (or supply), racks_fit, required."""
    s_, b = rm.scenario, rm.builder
    required = set(s_.constraints.required_sites)
    for i, site in enumerate(s_.sites):
        phases = rm.eligible[i]
        if not phases:
            if site.id in required:
                # A required site that can never be built: keep the model honest (infeasible).
                b.eq(0.0, 1.0, name=f"required[{site.id}]")
            continue
        opened, blocks, its = rm.series[i]
        cap = rm.capacity_mw[i]
        last = len(s_.phases) - 1
        if site.id in required:
            b.eq(opened[last], 1.0, name=f"required[{site.id}]")
        for p in range(phases[0], len(s_.phases)):
            tag = f"{site.id},{s_.phases[p].id}"
            if supply.has_options(site):
                supply.add_supply_constraints(rm, i, p, blocks[p], cap)
            else:
                grid.add_grid_rows(rm, i, p, blocks[p], cap, tag)
            b.le(its[p] - blocks[p], 0.0, name=f"racks_fit[{tag}]")


def add_requirement_constraints(rm: RolloutModel) -> None:
    """requirement: IT standing meets the cumulative requirement in every phase (short of it at a price,
    when the scenario sets constraints.shortfall_usd_per_mw); blocks_cover where it is not whole blocks
    (in every phase, then: measured faster than in those phases alone)."""
    s_ = rm.scenario
    needed = cumulative([ph.it_mw_required for ph in s_.phases])
    soft = s_.constraints.shortfall_usd_per_mw is not None
    sites = [i for i in range(len(s_.sites)) if rm.eligible[i]]
    largest = {max(b.it_mw for b in s_.sites[i].power_blocks) for i in sites if s_.sites[i].power_blocks}
    rounds = any(abs(r / mw - round(r / mw)) > grid.WHOLE for r in needed for mw in largest)  # some R_p not whole
    for p, phase in enumerate(s_.phases):
        if needed[p] <= 0:
            continue
        total = lin_sum(rm.series[i][2][p] for i in sites)
        if soft:
            rm.shortfall[p] = rm.builder.var(0.0, needed[p], name=f"shortfall[{phase.id}]")
            total = total + rm.shortfall[p]
        rm.builder.ge(total, needed[p], name=f"requirement[{phase.id}]")
        if rounds:
            built = lin_sum(rm.series[i][1][p] for i in sites)
            rm.builder.ge(built + rm.shortfall[p] if soft else built, needed[p], name=f"blocks_cover[{phase.id}]")


def add_diversity_constraints(rm: RolloutModel) -> None:
    """site_share, region_share (of the required IT), min_sites, min_regions (on each phase's additions)."""
    s_, b, c = rm.scenario, rm.builder, rm.scenario.constraints
    series = rm.series
    needed = cumulative([ph.it_mw_required for ph in s_.phases])
    regions = {g: [i for i, site in enumerate(s_.sites) if site.region == g and rm.eligible[i]] for g in s_.regions}
    for p, phase in enumerate(s_.phases):
        if c.max_site_share is not None and c.max_site_share < 1 and needed[p] > 0:
            # IT_sp <= min(grid_sp / pue_s, share R_p) Y_sp: the share cap, and the tightest big-M on IT.
            for i, site in enumerate(s_.sites):
                if rm.eligible[i] and rm.eligible[i][0] <= p:
                    cap = min(supply_limit_mw(s_, site, p) / site.pue, rm.capacity_mw[i], c.max_site_share * needed[p])
                    b.le(series[i][2][p].minus(cap, series[i][0][p]), 0.0, name=f"site_share[{site.id},{phase.id}]")
        if c.max_region_share is not None and c.max_region_share < 1 and needed[p] > 0:
            for g, members in regions.items():
                if members:
                    b.le(lin_sum(series[i][2][p] for i in members), c.max_region_share * needed[p],
                         name=f"region_share[{g},{phase.id}]")
        if c.min_sites_per_phase > 0:
            counted = []
            for i, site in enumerate(s_.sites):
                if (i, p) in rm.it:
                    add = b.binary(name=f"adds[{site.id},{phase.id}]", site=i)
                    b.ge(rm.it[i, p].minus(c.diversity_min_it_mw, add), 0.0,
                         name=f"min_sites_counts[{site.id},{phase.id}]")
                    counted.append(add)
            b.ge(lin_sum(counted), c.min_sites_per_phase, name=f"min_sites[{phase.id}]")
        if c.min_regions_per_phase > 0:
            counted = []
            for g, members in regions.items():
                adds = [rm.it[i, p] for i in members if (i, p) in rm.it]
                if adds:
                    reg = b.binary(name=f"region_adds[{g},{phase.id}]")
                    b.ge(lin_sum(adds) - c.diversity_min_it_mw * reg, 0.0, name=f"min_regions_counts[{g},{phase.id}]")
                    counted.append(reg)
            b.ge(lin_sum(counted), c.min_regions_per_phase, name=f"min_regions[{phase.id}]")


def add_build_rate_constraints(rm: RolloutModel) -> None:
    """build_rate: the most IT MW a campus (max_it_mw_per_phase) and a region (max_region_it_mw_per_phase)
    add in one phase."""
    s_, b = rm.scenario, rm.builder
    for (i, p), added in rm.it.items():
        rate = s_.sites[i].max_it_mw_per_phase
        if rate is not None:
            b.le(added, rate, name=f"build_rate[{s_.sites[i].id},{s_.phases[p].id}]")
    region_rate = s_.constraints.max_region_it_mw_per_phase
    if region_rate is None:
        return
    for g in s_.regions:
        for p, phase in enumerate(s_.phases):
            adds = [rm.it[i, p] for i, site in enumerate(s_.sites) if site.region == g and (i, p) in rm.it]
            if adds:
                b.le(lin_sum(adds), region_rate, name=f"region_build_rate[{g},{phase.id}]")


def add_demand_constraints(rm: RolloutModel, strong_linking_max_pairs: int = STRONG_LINKING_MAX_PAIRS) -> None:
    """demand: every active demand region fully served (split allowed) within each site's installed IT."""
    s_, b = rm.scenario, rm.builder
    if not s_.demand_regions:
        return
    site_index = {site.id: i for i, site in enumerate(s_.sites)}
    phase_index = {ph.id: p for p, ph in enumerate(s_.phases)}
    series = rm.series
    load: dict[tuple[int, int], list] = {}
    # serve_open (x_rsp <= Y_sp) is implied by demand_capacity, but the per-pair form is the classic strong
    # linking of facility location and tightens the LP. It costs one row per serving pair: measured, it
    # speeds up 50 x 50 instances and slows 100 x 1,000 ones (the root LP grows by 100,000 rows).
    pairs = sum(1 for r in s_.demand_regions for sid, _ in r.serve_cost_usd_per_year
                for p in range(phase_index[r.from_phase], len(s_.phases))
                if rm.eligible[site_index[sid]] and rm.eligible[site_index[sid]][0] <= p)  # forbidden sites: none
    strong = pairs <= strong_linking_max_pairs
    for r, region in enumerate(s_.demand_regions):
        for p in range(phase_index[region.from_phase], len(s_.phases)):
            shares = []
            for site_id, _ in region.serve_cost_usd_per_year:
                i = site_index[site_id]
                if rm.eligible[i] and rm.eligible[i][0] <= p:
                    x = b.var(0.0, 1.0, name=f"serve[{region.id},{site_id},{s_.phases[p].id}]", site=i)
                    if strong:
                        b.le(x - series[i][0][p], 0.0, name=f"serve_open[{region.id},{site_id},{s_.phases[p].id}]")
                    rm.serve[r, i, p] = x
                    shares.append(x)
                    load.setdefault((i, p), []).append((region.demand_mw, x))
            rm.demand_rows[r, p] = b.eq(lin_sum(shares), 1.0, name=f"demand[{region.id},{s_.phases[p].id}]")
    for (i, p), terms in sorted(load.items()):
        b.le(lin_combination(terms) - series[i][2][p], 0.0,
             name=f"demand_capacity[{s_.sites[i].id},{s_.phases[p].id}]")
    # demand_cover: the sites open in a phase can hold its demand (sum_s M_s Y_sp >= sum_r D_r; implied by the
    # demand rows, demand_capacity and site_share, and a knapsack cover that cuts off fractional openings)
    for p, phase in enumerate(s_.phases):
        demand = sum(r.demand_mw for r in s_.demand_regions if phase_index[r.from_phase] <= p)
        opened = [(rm.capacity_mw[i], series[i][0][p]) for i in range(len(s_.sites))
                  if isinstance(series[i][0][p], Lin)]
        if demand > 0 and opened:
            b.ge(lin_combination(opened), demand, name=f"demand_cover[{phase.id}]")
