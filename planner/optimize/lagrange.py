"""Facility location by Lagrangean relaxation of the demand rows: a kernel of sites, and a proven bound.

When serving demand regions is what a scenario is about (a capacitated facility location problem, as the
OR-Library instances are), the model's LP relaxation is weak: serve_open (x_rs <= Y_s) is left out above
STRONG_LINKING_MAX_PAIRS serving pairs, so branch and bound starts ~25 % below the optimum of capa
(100 sites x 1,000 regions); with those rows in, that LP alone takes 60-100 s on 2 cores. The classical
remedy (Cornuejols, Sridharan and Thizy 1991; Beasley 1993): relax the demand rows sum_s x_rs = 1 with
multipliers lambda_r. What is left falls apart by site: a site stays shut, or opens and serves the regions
whose reduced cost c_rs - lambda_r is negative, cheapest per MW first, up to its capacity (a continuous
knapsack, solved in closed form for every site at once); since the open sites must hold all demand
(sum_s M_s Y_s >= sum_r D_r, implied by the model's rows), choosing the sites is a knapsack too.
Subgradient steps move lambda (Held, Wolfe and Crowder 1974).

Used for two things, on single-phase scenarios with demand regions:
- **a kernel of sites** (kernel search: Guastaroba and Speranza 2012): every site the relaxation opens
  once it has settled, and the sites of the best plan its openings gave. The model restricted to the
  kernel (planner.optimize.start) is small enough for the serve_open rows (added up to
  rollout.KERNEL_STRONG_LINKING_MAX_PAIRS serving pairs there) and is solved by HiGHS, started
  from the plan of the model restricted to the core (the sites opened at least half the time): its plan
  is the answer. Steering reads costs and capacities from the model as an approximation (open cost, serving
  costs, M_s); nothing proven rests on it.
- **a proven bound**: the final multipliers evaluated on the model itself (its arrays, `integer_site_bound`):
  each site's best with its opening fixed at 0 and at 1 (one LP over all sites for each, its other integer
  variables relaxed), the better of the two per site, the capacity knapsack's LP relaxation over the sites,
  and the model-wide variables at their bounds. A Lagrangean value of a relaxation, so below every plan's
  cost whatever the multipliers (Geoffrion 1974). Its strength is that of the LP with serve_open rows and
  the capacity cover, without solving that LP.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np

from planner.optimize.parameters import max_it_mw
from planner.optimize.pricing import lagrangean_terms, solve_lp, split_by_site, whole_minimum

SETTLE_ITERATIONS = 100  # the first iterations the kernel ignores (multipliers still far off)
KERNEL_SHARE = 0.05  # a site joins the kernel when opened in at least this share of the counted iterations
CORE_SHARE = 0.5  # ... and the core, solved first for an incumbent, at this share
MAX_ITERATIONS = 3000
PRIMAL_EVERY = 10  # iterations between plans made from the relaxation's openings
STALL_ITERATIONS = 30  # without a better bound, before the step halves


@dataclass(frozen=True)
class Relaxation:
    """What the subgradient run found, in the model's units."""

    core: tuple[int, ...]  # site indexes: the sites opened most often (and the best cover's)
    kernel: tuple[int, ...]  # site indexes: every site opened in at least KERNEL_SHARE of the counted iterations
    multipliers: dict[int, float]  # demand row id -> lambda
    iterations: int
    wall_s: float


def applies(rm) -> bool:
    """Single-phase scenarios with demand regions, where the model left out the serve_open rows."""
    from planner.optimize.model import STRONG_LINKING_MAX_PAIRS

    return (len(rm.scenario.phases) == 1 and bool(rm.demand_rows)
            and len(rm.serve) > STRONG_LINKING_MAX_PAIRS)


def _facility_data(rm, arrays):
    """(sites, open cost f, capacity s, demand d, serving cost C[site, region] (inf where not servable),
    demand row ids) from the model's own coefficients."""
    regions = sorted({r for r, _ in rm.demand_rows})
    sites = sorted({i for _, i, _ in rm.serve})
    col = {i: k for k, i in enumerate(sites)}
    row = {r: k for k, r in enumerate(regions)}
    cost = np.full((len(sites), len(regions)), np.inf)
    for (r, i, _), x in rm.serve.items():
        cost[col[i], row[r]] = arrays.cost[next(iter(x.terms))]
    opening = np.array([arrays.cost[next(iter(rm.opened[i, 0].terms))] if (i, 0) in rm.opened else 0.0
                        for i in sites])
    capacity = np.array([max_it_mw(rm.scenario.sites[i]) for i in sites])
    demand = np.array([rm.scenario.demand_regions[r].demand_mw for r in regions])
    return sites, opening, capacity, demand, cost, [rm.demand_rows[r, 0] for r in regions]


def relax(rm, time_limit_s: float, on_log=None, arrays=None) -> Relaxation:
    """Subgradient optimization of the demand rows' multipliers on the facility-location reading of the model."""
    import scipy.sparse as sparse
    from scipy.optimize import linprog

    started = time.perf_counter()
    arrays = arrays if arrays is not None else rm.builder.arrays()
    sites, f, s, d, cost, rows = _facility_data(rm, arrays)
    n, m = cost.shape
    total = d.sum()
    servable = np.isfinite(cost)
    finite_cost = np.where(servable, cost, 0.0)
    plans: dict[frozenset, float] = {}

    def cover_cost(open_set: frozenset) -> float:
        """The approximation's cost of serving everything from `open_set` (a transportation LP)."""
        if open_set not in plans:
            k = sorted(open_set)
            ok = servable[k]
            cols = np.flatnonzero(ok.ravel())
            if s[k].sum() < total - 1e-9 or not ok.any(axis=0).all():
                plans[open_set] = np.inf
                return np.inf
            site_of, region_of = np.divmod(cols, m)
            a_eq = sparse.csr_matrix((np.ones(len(cols)), (region_of, np.arange(len(cols)))), shape=(m, len(cols)))
            a_ub = sparse.csr_matrix((d[region_of], (site_of, np.arange(len(cols)))), shape=(len(k), len(cols)))
            res = linprog(finite_cost[k].ravel()[cols], A_ub=a_ub, b_ub=s[k], A_eq=a_eq, b_eq=np.ones(m),
                          bounds=(0, 1), method="highs-ds")
            plans[open_set] = res.fun + f[k].sum() if res.status == 0 else np.inf
        return plans[open_set]

    lam = np.where(servable, cost, np.inf).min(axis=0)
    lam = np.where(np.isfinite(lam), lam, 0.0)
    best_bound, best_plan, best_open, theta, stall = -np.inf, np.inf, frozenset(), 2.0, 0
    opened = np.zeros(n)
    iterations = 0
    for iterations in range(1, MAX_ITERATIONS + 1):
        reduced = np.where(servable, cost - lam[None, :], 0.0)
        take = reduced < 0
        ratio = np.where(take, reduced / d[None, :], 0.0)
        order = np.argsort(ratio, axis=1)
        d_sorted = np.take_along_axis(np.where(take, d[None, :], 0.0), order, axis=1)
        r_sorted = np.take_along_axis(np.where(take, reduced, 0.0), order, axis=1)
        before = np.cumsum(d_sorted, axis=1) - d_sorted
        share = np.clip((s[:, None] - before) / np.where(d_sorted > 0, d_sorted, 1.0), 0.0, 1.0) * (d_sorted > 0)
        value = f + (share * r_sorted).sum(axis=1)  # of opening each site
        y = (value < 0).astype(float)
        short = total - (s * y).sum()
        if short > 0:  # the capacity cover, LP relaxation: cheapest value per MW first
            for i in np.flatnonzero(value >= 0)[np.argsort(value[value >= 0] / s[value >= 0])]:
                y[i] = min(1.0, short / s[i])
                short -= y[i] * s[i]
                if short <= 1e-9:
                    break
        bound = lam.sum() + (value * y).sum()
        if bound > best_bound + 1e-12 * max(1.0, abs(bound)):
            best_bound, stall = bound, 0
        else:
            stall += 1
            if stall >= STALL_ITERATIONS:
                theta, stall = theta / 2, 0
        if iterations > SETTLE_ITERATIONS:
            opened += y > 0
        if iterations % PRIMAL_EVERY == 1:
            candidate = set(np.flatnonzero(y > 0).tolist())
            for i in np.argsort(value / s):  # add the best-valued sites until the capacity covers demand
                if s[sorted(candidate)].sum() >= total:
                    break
                candidate.add(int(i))
            candidate = frozenset(candidate)
            if cover_cost(candidate) < best_plan:
                best_plan, best_open = cover_cost(candidate), candidate
        done = (np.isfinite(best_plan) and (best_plan - best_bound) <= 1e-9 * abs(best_plan)) or theta < 1e-4
        if done or time.perf_counter() - started > time_limit_s:
            break
        served = np.zeros((n, m))
        np.put_along_axis(served, order, share, axis=1)
        step_dir = 1.0 - (y[:, None] * served).sum(axis=0)
        norm = float(step_dir @ step_dir)
        if norm == 0.0:
            break
        target = best_plan if np.isfinite(best_plan) else best_bound + abs(best_bound) * 0.1 + 1.0
        lam = lam + theta * (target - bound) / norm * step_dir
    counted = opened.max() if opened.any() else 1.0
    kernel = {sites[i] for i in np.flatnonzero(opened >= KERNEL_SHARE * counted)} | {sites[i] for i in best_open}
    core = {sites[i] for i in np.flatnonzero(opened >= CORE_SHARE * counted)} | {sites[i] for i in best_open}
    if on_log is not None:
        on_log([f"lagrangean: {iterations} iterations, steering bound {best_bound:.6g}, best cover {best_plan:.6g}, "
                f"kernel {len(kernel)} of {n} sites ({time.perf_counter() - started:.1f} s)"])
    return Relaxation(core=tuple(sorted(core)), kernel=tuple(sorted(kernel)), multipliers=dict(zip(rows, lam.tolist())),
                      iterations=iterations,
                      wall_s=time.perf_counter() - started)


def integer_site_bound(rm, multipliers: dict[int, float], arrays=None) -> float | None:
    """A proven lower bound on the model (single phase) from multipliers of its demand rows (any values):
    L = sum lambda + the capacity cover over the sites' best values, each the better of the site's own LP
    with its opening fixed shut and fixed open, + the model-wide variables at their bounds. None when a
    site's LP has no solution (no bound is claimed then). `arrays`: rm.builder.arrays(), if already made."""
    arrays = arrays if arrays is not None else rm.builder.arrays()
    n_sites = len(rm.scenario.sites)
    split = split_by_site(arrays, n_sites)
    link = split.linking
    duals = np.zeros(len(link))
    position = {int(r): k for k, r in enumerate(link)}
    for row, value in multipliers.items():
        duals[position[row]] = value
    reduced, constant = lagrangean_terms(arrays, link, duals)
    scale = max(1.0, float(np.abs(arrays.cost).sum()))
    whole = whole_minimum(arrays, split.whole_cols, reduced, scale)
    if whole is None:
        return None
    sites = np.array([i for i in range(n_sites) if rm.eligible[i] and (i, 0) in rm.opened], dtype=np.int64)
    rows, cols = split.rows_of(sites), split.cols_of(sites)
    opening = np.array([next(iter(rm.opened[i, 0].terms)) for i in sites])
    value = {}
    for fixed in (0.0, 1.0):
        lower, upper = arrays.lower.copy(), arrays.upper.copy()
        if fixed == 1.0 and np.any(upper[opening] < 1.0):
            return None
        lower[opening] = upper[opening] = fixed
        lp = solve_lp(dataclasses.replace(arrays, lower=lower, upper=upper), rows, cols, reduced)
        if not lp.ok:
            return None
        per_col = np.zeros(len(arrays.cost))
        per_col[cols] = reduced[cols] * lp.x
        value[fixed] = np.bincount(arrays.site[cols], weights=per_col[cols], minlength=n_sites)[sites]
    must_open = arrays.lower[opening] >= 1.0
    shut, open_ = np.where(must_open, np.inf, value[0.0]), value[1.0]
    base = np.minimum(shut, open_)
    gain = open_ - base  # what opening costs over the site's best; >0 only where shutting is cheaper
    capacity = np.array([max_it_mw(rm.scenario.sites[i]) for i in sites])
    demand = sum(rm.scenario.demand_regions[r].demand_mw for r, _ in rm.demand_rows)
    need = max(demand, rm.scenario.phases[0].it_mw_required) - capacity[open_ <= shut].sum()
    cover = 0.0
    for i in np.argsort(np.where(gain > 0, gain / np.maximum(capacity, 1e-12), 0.0)):
        if need <= 1e-9:
            break
        if gain[i] > 0 and capacity[i] > 0:
            share = min(1.0, need / capacity[i])
            cover += share * gain[i]
            need -= share * capacity[i]
    if need > 1e-9:
        return None  # not even every site could hold the demand: the model has no plan
    return float(constant + arrays.offset + whole + base.sum() + cover)

