"""The LP relaxation of a large rollout model, solved by pricing candidate sites in (column generation).

At 10,000 candidate sites the model's LP relaxation has ~400,000 variables and ~620,000 rows, and an
interior-point solve of it takes over 12 minutes on 2 cores, yet an optimal LP solution uses a few hundred
sites. Here the LP is solved over a small working set of sites, and every other site is asked whether it
would lower that LP; those that would join, and the LP is solved again. Measured: the same LP optimum in
under a minute at 10,000 sites (docs/PERFORMANCE.md).

The model splits by candidate site: every variable belongs to one site (`Builder.var(site=...)`) or to
the model as a whole (a phase's unspent funding or shortfall, a region's diversity flag). A row whose
variables all belong to one site is that site's own (grows, grid, racks_fit, site_share, build_rate,
serving capacity, ...); every other row links sites (requirement, funding, region shares and rates,
demand, training latency, the minimum counts of sites and regions). With duals y of the linking rows:

1. restricted LP: the LP with every site outside the working set fixed at zero (its variables dropped:
   an unused site satisfies all its own rows);
2. pricing: for each site outside, min (c - A^T y) x over its own rows and bounds. The sites are
   independent given y, so one LP holds them all; a negative value means the site would lower the
   restricted LP, and it joins (most negative first);
3. repeat until no site prices in, or the time is up.

The bound is a proven one at every round, converged or not: for multipliers y of the right signs
(<= 0 on a binding upper side, >= 0 on a lower side), the Lagrangean value
    L(y) = sum_r y_r beta_r + sum_sites min_site (c - A^T y) x + min_whole (c - A^T y) x + offset,
with beta_r the bound of row r that y_r prices, is below the LP optimum and so below every plan's cost
(Geoffrion 1974, "Lagrangean relaxation for integer programming"). Each site's minimum is exact (an LP
over its own rows), so no site is assumed away. When pricing has converged, L(y) equals the LP optimum.
Variables of the model as a whole take their bounds; one with no upper bound and a negative reduced
cost beyond a tolerance (1e-7 of the objective) makes the bound unknown rather than wrong.

The LPs are solved by HiGHS (the default back end's solver) through scipy, because the method slices the
matrix, which MathOpt's model objects do not offer. The rounds keep two HiGHS models alive (`WarmLp`): the
restricted LP, which only grows as sites join, and the pricing LP over every site's own rows, whose costs
change; each solve starts from the last one's basis instead of from scratch (measured: pricing on the
1,000-site many-demand shape from 15.4 s to 3.4 s, docs/PERFORMANCE.md). They use scipy's own build of
HiGHS's Python interface (`scipy.optimize._highspy`, scipy >= 1.15.1): the `highspy` package itself cannot
be loaded beside OR-Tools in one process, their two HiGHS libraries clash.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sparse
from scipy.optimize import linprog

try:  # scipy's own build of HiGHS's Python interface (scipy >= 1.15.1; not public: see WarmLp)
    from scipy.optimize._highspy import _core as highs_core
except ImportError:  # another scipy: each of WarmLp's solves starts from scratch, as linprog's do
    highs_core = None

ENTER_PER_ROUND = 500  # most sites that join the working set in one round (most negative first)
PRICE_TOLERANCE = 1e-7  # of the LP's objective: a site prices in below -tolerance


@dataclass(frozen=True)
class PricedBound:
    """What pricing found: a proven lower bound on the full model (None: none could be proven) and how."""

    bound: float | None  # the best Lagrangean value over the rounds, in the model's units
    lp_objective: float | None  # the restricted LP's optimum in the last round
    sites_in: int  # sites in the working set at the end
    sites_total: int  # sites that can hold capacity at all
    rounds: int
    converged: bool  # no site priced in: the bound is the full LP's optimum
    status: str  # "converged", "time limit", "interrupted", "infeasible"
    wall_s: float
    duals: np.ndarray | None = field(default=None, compare=False, repr=False)  # of the linking rows, last round
    site_minima: np.ndarray | None = field(default=None, compare=False, repr=False)  # each site's own LP minimum
    #   under those duals (None: the round's bound was not finite)
    site_lp: WarmLp | None = field(default=None, compare=False, repr=False)  # the LP over every buildable site's own
    #   rows, last solved under those duals: fixing solves its sites-at-all LP in it, from that basis

    def describe(self) -> str:
        """The provenance's words for the bound."""
        how = ("every other site priced out" if self.converged else f"stopped by the {self.status}, "
               "the Lagrangean value of the last duals")
        return (f"LP relaxation of the full model by pricing sites in ({self.sites_in} of {self.sites_total} "
                f"sites in the LP after {self.rounds} rounds, {how})")


@dataclass
class _Split:
    """The model's rows and columns by site."""

    arrays: object
    linking: np.ndarray  # row ids of the linking rows
    site_rows: np.ndarray  # row ids of the sites' own rows, ordered by site
    site_row_starts: np.ndarray  # site_rows[site_row_starts[s]:site_row_starts[s + 1]] are site s's rows
    site_cols: np.ndarray  # column ids ordered by site
    site_col_starts: np.ndarray
    whole_cols: np.ndarray  # columns of the model as a whole

    def rows_of(self, sites: np.ndarray) -> np.ndarray:
        return _gather(self.site_rows, self.site_row_starts, sites)

    def cols_of(self, sites: np.ndarray) -> np.ndarray:
        return _gather(self.site_cols, self.site_col_starts, sites)


def _gather(ordered: np.ndarray, starts: np.ndarray, sites: np.ndarray) -> np.ndarray:
    if len(sites) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate([ordered[starts[s]:starts[s + 1]] for s in sites])


def split_by_site(arrays, n_sites: int) -> _Split:
    """Which rows are a site's own (all their variables belong to it) and which link sites."""
    a = arrays.matrix
    site = arrays.site
    counts = np.diff(a.indptr)
    row_site = np.full(a.shape[0], -1, dtype=np.int64)
    filled = counts > 0
    starts = a.indptr[:-1][filled]
    col_site = site[a.indices]
    low = np.minimum.reduceat(col_site, starts)
    high = np.maximum.reduceat(col_site, starts)
    row_site[filled] = np.where(low == high, low, -1)
    own = np.flatnonzero(row_site >= 0)
    order = own[np.argsort(row_site[own], kind="stable")]
    row_starts = np.searchsorted(row_site[order], np.arange(n_sites + 1))
    cols = np.flatnonzero(site >= 0)
    col_order = cols[np.argsort(site[cols], kind="stable")]
    col_starts = np.searchsorted(site[col_order], np.arange(n_sites + 1))
    return _Split(arrays, np.flatnonzero(row_site < 0), order, row_starts, col_order, col_starts,
                  np.flatnonzero(site < 0))


@dataclass
class _LpResult:
    ok: bool
    status: str
    objective: float = 0.0
    x: np.ndarray | None = None
    duals: np.ndarray | None = None  # one per row: d objective / d (the row's binding bound)


def solve_lp(arrays, rows: np.ndarray, cols: np.ndarray, cost: np.ndarray) -> _LpResult:
    """min cost[cols] . x over the given rows and columns (other columns fixed at zero), by HiGHS."""
    sub = arrays.matrix[rows][:, cols].tocsr()
    lo, hi = arrays.row_lower[rows], arrays.row_upper[rows]
    equal = lo == hi
    upper = np.isfinite(hi) & ~equal
    lower = np.isfinite(lo) & ~equal
    a_ub = sparse.vstack([sub[upper], -sub[lower]]).tocsr()
    b_ub = np.concatenate([hi[upper], -lo[lower]])
    bounds = np.column_stack([arrays.lower[cols], arrays.upper[cols]])
    res = linprog(cost[cols], A_ub=a_ub if a_ub.shape[0] else None, b_ub=b_ub if a_ub.shape[0] else None,
                  A_eq=sub[equal] if equal.any() else None, b_eq=hi[equal] if equal.any() else None,
                  bounds=bounds, method="highs-ds")
    if res.status != 0:
        return _LpResult(False, "infeasible" if res.status == 2 else res.message)
    duals = np.zeros(len(rows))
    n_upper = int(upper.sum())
    if a_ub.shape[0]:
        duals[np.flatnonzero(upper)] = res.ineqlin.marginals[:n_upper]
        duals[np.flatnonzero(lower)] += -res.ineqlin.marginals[n_upper:]
    if equal.any():
        duals[np.flatnonzero(equal)] = res.eqlin.marginals
    return _LpResult(True, "optimal", float(res.fun), res.x, duals)


class WarmLp:
    """min cost . x over a growing set of the model's rows and columns (every other column fixed at zero), kept
    in one HiGHS model so that each solve starts from the basis of the one before. Rows and columns are only
    added; the costs may change between solves. Where scipy does not ship HiGHS's Python interface where
    expected (it is not scipy's public API), each solve starts from scratch instead: slower, same answers."""

    def __init__(self, arrays) -> None:
        self.arrays = arrays
        self.rows = np.zeros(0, dtype=np.int64)  # the model's row ids, in the HiGHS model's order
        self.cols = np.zeros(0, dtype=np.int64)
        self.cost, self.lower = arrays.cost, arrays.lower  # as the last solve had them (indexed like the model)
        self.highs = highs_core._Highs() if highs_core is not None else None
        if self.highs is not None:
            self.highs.setOptionValue("output_flag", False)

    def grow(self, rows: np.ndarray, cols: np.ndarray) -> None:
        """Add model rows and columns (the columns with their entries in the rows already in, then the rows
        with their entries in every column in)."""
        a, highs = self.arrays, self.highs
        if len(cols) and highs is not None:
            sub = a.matrix[self.rows][:, cols].tocsc()
            highs.addCols(len(cols), a.cost[cols], a.lower[cols], a.upper[cols], sub.nnz,
                          sub.indptr[:-1].astype(np.int32), sub.indices.astype(np.int32), sub.data)
        self.cols = np.concatenate([self.cols, cols])
        if len(rows) and highs is not None:
            sub = a.matrix[rows][:, self.cols].tocsr()
            highs.addRows(len(rows), a.row_lower[rows], a.row_upper[rows], sub.nnz,
                          sub.indptr[:-1].astype(np.int32), sub.indices.astype(np.int32), sub.data)
        self.rows = np.concatenate([self.rows, rows])

    def solve(self, cost: np.ndarray | None = None, lower: np.ndarray | None = None) -> _LpResult:
        """Solve with the columns' costs and lower bounds taken from `cost` and `lower` (indexed like the
        model's columns), where given; they stay so for later solves."""
        highs = self.highs
        self.cost = self.cost if cost is None else cost
        self.lower = self.lower if lower is None else lower
        if highs is None:
            return solve_lp(dataclasses.replace(self.arrays, lower=self.lower), self.rows, self.cols, self.cost)
        status, every = highs_core.HighsModelStatus, np.arange(len(self.cols), dtype=np.int32)
        if cost is not None:
            highs.changeColsCost(len(self.cols), every, cost[self.cols])
        if lower is not None:
            highs.changeColsBounds(len(self.cols), every, lower[self.cols], self.arrays.upper[self.cols])
        highs.run()
        model_status = highs.getModelStatus()
        if model_status != status.kOptimal:  # e.g. "unbounded": no duals, so pricing stops with that status
            return _LpResult(False, "infeasible" if model_status == status.kInfeasible
                             else highs.modelStatusToString(model_status).lower())
        solution = highs.getSolution()
        return _LpResult(True, "optimal", highs.getInfo().objective_function_value, np.asarray(solution.col_value),
                         np.asarray(solution.row_dual))


def lagrangean_terms(arrays, rows: np.ndarray, duals: np.ndarray) -> tuple[np.ndarray, float]:
    """(reduced costs c - A^T y, sum_r y_r beta_r) for multipliers `duals` of `rows`, signs made valid: a
    multiplier that would price an infinite bound is dropped (0 is always a valid multiplier)."""
    lo, hi = arrays.row_lower[rows], arrays.row_upper[rows]
    y = np.where((duals < 0) & ~np.isfinite(hi), 0.0, duals)
    y = np.where((y > 0) & ~np.isfinite(lo), 0.0, y)
    beta = np.where(y < 0, hi, np.where(y > 0, lo, 0.0))
    reduced = arrays.cost - arrays.matrix[rows].T @ y
    return reduced, float(np.dot(y, np.where(y != 0, beta, 0.0)))


def whole_minimum(arrays, cols: np.ndarray, reduced: np.ndarray, scale: float) -> float | None:
    """min over the bounds of the model-wide variables (None: unbounded below beyond the tolerance)."""
    d, lo, hi = reduced[cols], arrays.lower[cols], arrays.upper[cols]
    low_side = np.where(d >= 0, d * np.where(np.isfinite(lo), lo, 0.0), 0.0)
    if np.any((d >= 0) & ~np.isfinite(lo) & (d > PRICE_TOLERANCE * scale)):
        return None
    negative = d < 0
    if np.any(negative & ~np.isfinite(hi) & (d < -PRICE_TOLERANCE * scale)):
        return None
    high_side = np.where(negative & np.isfinite(hi), d * np.where(np.isfinite(hi), hi, 0.0), 0.0)
    return float(low_side.sum() + high_side.sum())


def lagrangean_bound(arrays, split: _Split, sites: np.ndarray, link_duals: np.ndarray,
                     scale: float, warm: WarmLp | None = None) -> tuple[float | None, np.ndarray]:
    """(L(y), each site's own minimum under the prices y) for multipliers `link_duals` of the linking rows;
    L is None when it is not finite. `sites` are those that can hold capacity (the others have no
    variables); `scale` is the objective's magnitude, for the tolerance on unbounded variables. `warm`, if
    given, is a WarmLp over exactly those sites' own rows and columns, solved again under the new prices."""
    reduced, priced_rhs = lagrangean_terms(arrays, split.linking, link_duals)
    values = np.zeros(len(split.site_col_starts) - 1)
    if warm is None:
        cols = split.cols_of(sites)
        minima = solve_lp(arrays, split.rows_of(sites), cols, reduced)
    else:
        cols, minima = warm.cols, warm.solve(reduced)
    if not minima.ok:  # some site's own rows cannot be met (a required site that can never be built)
        return None, values
    np.add.at(values, arrays.site[cols], reduced[cols] * minima.x)
    whole = whole_minimum(arrays, split.whole_cols, reduced, scale)
    if whole is None:
        return None, values
    return priced_rhs + minima.objective + whole + arrays.offset, values


def lp_bound(rm, working: set[int], time_limit_s: float, on_log=None, interrupter=None, arrays=None,
             widen=None) -> PricedBound:
    """Price sites into the LP relaxation of `rm` from the `working` set of site indexes (a set whose
    restricted LP is feasible: e.g. the sites of a restricted plan), within about `time_limit_s`.
    `arrays`: rm.builder.arrays(), if already made. `widen()`, if given, returns a larger working set when
    the restricted LP has no solution (empty: none larger); otherwise, or then, every site is taken in."""
    started = time.perf_counter()
    arrays = arrays if arrays is not None else rm.builder.arrays()
    n_sites = len(rm.scenario.sites)
    split = split_by_site(arrays, n_sites)
    buildable = np.array([i for i in range(n_sites) if rm.eligible[i]], dtype=np.int64)
    inside = np.zeros(n_sites, dtype=bool)
    inside[[i for i in working if rm.eligible[i]]] = True
    best, last_lp, rounds, converged, status, round_s = None, None, 0, False, "time limit", 0.0
    link_duals, minima = None, None

    def log(line: str) -> None:
        if on_log is not None:
            on_log([line])

    restricted_lp, site_lps = WarmLp(arrays), WarmLp(arrays)  # kept across the rounds (see the docstring)
    site_lps.grow(split.rows_of(buildable), split.cols_of(buildable))
    taken = np.zeros(n_sites, dtype=bool)  # sites whose rows and columns the restricted LP holds
    restricted_lp.grow(split.linking, split.whole_cols)
    while True:
        round_started = time.perf_counter()
        rounds += 1
        members = buildable[inside[buildable]]
        outside = buildable[~inside[buildable]]
        joining = members[~taken[members]]
        restricted_lp.grow(split.rows_of(joining), split.cols_of(joining))
        taken[joining] = True
        restricted = restricted_lp.solve()
        if not restricted.ok:
            if restricted.status == "infeasible" and len(outside):
                wider = {i for i in (widen() if widen is not None else ()) if rm.eligible[i]}
                if wider - set(members.tolist()):
                    log(f"pricing round {rounds}: the LP over {len(members):,} sites has no solution; "
                        f"widening to {len(wider):,}")
                    inside[list(wider)] = True
                    continue
                log(f"pricing round {rounds}: the LP over {len(members):,} sites has no solution; "
                    "taking every site in")
                inside[:] = True  # no duals to price with: the full LP decides
                continue
            status = restricted.status
            break
        last_lp = restricted.objective + arrays.offset
        link_duals = restricted.duals[:len(split.linking)]  # the linking rows went in first
        scale = max(1.0, abs(last_lp))
        bound, values = lagrangean_bound(arrays, split, buildable, link_duals, scale, site_lps)
        minima = values if bound is not None else None
        if bound is not None:
            best = bound if best is None else max(best, bound)
        entering = outside[values[outside] < -PRICE_TOLERANCE * scale]
        round_s = time.perf_counter() - round_started
        log(f"pricing round {rounds}: {len(members):,} sites in the LP, LP {last_lp:,.3f}, "
            f"bound {'-' if best is None else f'{best:,.3f}'}, {len(entering):,} sites price in "
            f"({time.perf_counter() - started:.1f} s)")
        if len(entering) == 0:
            converged, status = True, "converged"
            break
        if interrupter is not None and interrupter.interrupted:
            status = "interrupted"
            break
        if time.perf_counter() - started + round_s > time_limit_s:
            break
        inside[entering[np.argsort(values[entering], kind="stable")][:ENTER_PER_ROUND]] = True
    return PricedBound(bound=best, lp_objective=last_lp, sites_in=int(inside[buildable].sum()),
                       sites_total=len(buildable), rounds=rounds, converged=converged, status=status,
                       wall_s=time.perf_counter() - started, duals=link_duals, site_minima=minima,
                       site_lp=site_lps)
