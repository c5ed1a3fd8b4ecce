"""The grid row of a site without supply options, and its roundings down to whole power blocks.

One row is both the grid limit once open and "no blocks before opening", with the tightest big-M the data
allows (sites with supply options have theirs in `planner.optimize.supply`):

    grid         BLK_sp = sum_k B_sk N_skp <= L_sp Y_sp,      L_sp = min(grid_sp / pue_s, M_s)

It lets the LP relaxation build a fraction of a block right up to L_sp and open the site by that same fraction
only (Y_sp = BLK_sp / L_sp), paying that fraction of its open cost. Once a site is open its blocks are whole, so
two Chvatal-Gomory roundings of the grid row hold for every plan, with g the greatest common divisor of the
block sizes in whole MW (both sides are 0 when the site is shut):

    grid_round   sum_k (B_sk / g) N_skp <= floor(L_sp / g) Y_sp       (two or more kinds)
                 N_skp <= floor(L_sp / B_sk) Y_sp                      (a kind larger than g, or the only one)

each written only where L_sp is not a whole multiple (otherwise it is the grid row again, or implied by it).
For one kind, or two where the smaller size divides the larger (50 and 200 MW), the two are the integer hull of
the grid row. For other sizes (40, 120 and 250 MW: g = 10) they are far from it, so those sites get the hull
itself: the facets a.N <= b of conv{N in Z+^K : sum_k B_sk N_k <= L_sp}, found by qhull over the row's integer
points (`hull_facets`), each written as a.N_p <= b Y_sp (valid, since 0 is one of the points: a shut site
builds nothing). The points depend only on floor(L_sp / g), so sites share hulls (123 on the 1,000-site
odd-blocks shape of benchmarks/shapes.py, 0.1-0.2 s). On the generated 1,000-site scenarios (50/200 MW) the rows
raise the LP relaxation by ~70 % of its gap to the optimum (seed5: 450,006 to 450,674 against 450,955), which is
what the site Lagrangean, the fixing and HiGHS's root then start from.

They strengthen the LP that HiGHS and SCIP branch on. CP-SAT searches with its own propagation and cuts; with
these rows its reduced search on the 60-site test scenario stops at the 60 s limit short of the 1e-6 it
proves without them (tests/test_fixing.py), so models for CP-SAT are built without them
(`SolveOptions.round_grid`, `build_model(round_grid=False)`).
"""

from __future__ import annotations

import functools
import itertools
import math
from fractions import Fraction

from planner.optimize.linear import Lin, lin_combination

WHOLE = 1e-9  # a ratio within this of an integer is whole
HULL_MAX_POINTS = 20_000  # integer points of a grid row beyond which its sites keep the two roundings
HULL_DENOMINATOR = 1_000  # qhull's facet normals are read as fractions with denominators up to this


def _floor(x: float) -> int:
    return math.floor(x + WHOLE)


def add_grid_rows(rm, i: int, p: int, blocks_mw: Lin, cap_mw: float, tag: str) -> None:
    """grid, and with `rm.round_grid` grid_round, for site i in phase p: `blocks_mw` is BLK_sp, `cap_mw` M_s."""
    site = rm.scenario.sites[i]
    opened = rm.opened[i, p]
    limit_mw = min(site.grid_mw_by_phase[p] / site.pue, cap_mw)
    rm.builder.le(blocks_mw.minus(limit_mw, opened), 0.0, name=f"grid[{tag}]")
    if rm.round_grid:
        add_rounded_rows(rm, i, p, limit_mw, tag)


def add_rounded_rows(rm, i: int, p: int, limit_mw: float, tag: str) -> None:
    """The grid_round rows of site i in phase p, whose grid row allows `limit_mw` of blocks once open. None for
    sites whose block counts are no decision (parameters.free_blocks) or whose block sizes are not whole MW."""
    b = rm.builder
    site = rm.scenario.sites[i]
    opened = rm.opened[i, p]
    kinds = []  # (k, N_skp) of the kinds the site may build by phase p
    for k in range(len(site.power_blocks)):
        total = rm.blocks_total[i, k, p]
        if total.terms.keys() == opened.terms.keys():
            return  # the count is floor(M_s / B_sk) Y_sp, within the grid row by construction
        if b.upper(total) > 0:  # otherwise not reachable by this phase (its lead time)
            kinds.append((k, total))
    units = _units(tuple(site.power_blocks[k].it_mw for k, _ in kinds)) if kinds else None
    if units is None:
        return  # no kind to build, or block sizes not in whole MW: no common divisor to round by
    divisor, sizes = units
    if not _rounding_is_hull(sizes):
        limit = _floor(limit_mw / divisor)
        facets = hull_facets(sizes, limit)
        if facets is not None:
            whole = limit >= limit_mw / divisor - WHOLE
            for n, (coefficients, bound) in enumerate(facets):
                if whole and coefficients == sizes and bound == limit:
                    continue  # the grid row itself
                row = lin_combination((a, total) for a, (_, total) in zip(coefficients, kinds) if a)
                b.le(row.minus(bound, opened), 0.0, name=f"grid_round[{tag},h{n}]")
            return
    if len(kinds) > 1 and _floor(limit_mw / divisor) < limit_mw / divisor - WHOLE:
        row = lin_combination((size, total) for size, (_, total) in zip(sizes, kinds))
        b.le(row.minus(_floor(limit_mw / divisor), opened), 0.0, name=f"grid_round[{tag}]")
    for size, (k, total) in zip(sizes, kinds):
        size_mw = size * divisor
        if (size != 1 or len(kinds) == 1) and _floor(limit_mw / size_mw) < limit_mw / size_mw - WHOLE:
            b.le(total.minus(_floor(limit_mw / size_mw), opened), 0.0, name=f"grid_round[{tag},{k}]")


@functools.lru_cache(maxsize=4096)
def _units(sizes_mw: tuple[float, ...]) -> tuple[int, tuple[int, ...]] | None:
    """For block sizes B_sk in MW: (g, the sizes in units of g); None when a size is not a whole number of MW."""
    whole = []
    for size_mw in sizes_mw:
        size = round(size_mw)
        if size <= 0 or abs(size_mw - size) > WHOLE * size_mw:
            return None
        whole.append(size)
    divisor = math.gcd(*whole)
    return divisor, tuple(size // divisor for size in whole)


def _rounding_is_hull(sizes: tuple[int, ...]) -> bool:
    """Whether the two roundings are the integer hull of the grid row: one kind, or two where one divides the
    other (sizes in units of their common divisor)."""
    return len(sizes) == 1 or (len(sizes) == 2 and max(sizes) % min(sizes) == 0)


@functools.lru_cache(maxsize=4096)
def hull_facets(sizes: tuple[int, ...], limit: int) -> tuple[tuple[tuple[int, ...], int], ...] | None:
    """The facets (a, b) of conv{N in Z+^K : sizes.N <= limit} other than N >= 0, each a.N <= b with a >= 0 in
    whole numbers; None where the row has more than HULL_MAX_POINTS integer points. Each b is
    recomputed exactly over the points, so a facet read inexactly from qhull is still valid, only weaker."""
    import numpy as np
    from scipy.spatial import ConvexHull

    counts = [limit // size for size in sizes]
    if math.prod(c + 1 for c in counts) > HULL_MAX_POINTS:
        return None
    points = np.array([n for n in itertools.product(*(range(c + 1) for c in counts))
                       if sum(size * k for size, k in zip(sizes, n)) <= limit], dtype=np.int64)
    facets = {}
    live = [k for k, c in enumerate(counts) if c > 0]  # a kind that cannot fit once is zero: its own facet
    for k in set(range(len(sizes))) - set(live):
        facets[tuple(int(j == k) for j in range(len(sizes)))] = 0
    normals = []
    if len(live) == 1:
        normals = [np.eye(1)[0]]
    elif len(live) > 1:
        normals = [eq[:-1] for eq in ConvexHull(points[:, live].astype(float)).equations]
    for normal in normals:
        if normal.max() <= WHOLE:
            continue  # N >= 0
        fractions = [Fraction(float(x / np.abs(normal).max())).limit_denominator(HULL_DENOMINATOR) for x in normal]
        scale = math.lcm(*(f.denominator for f in fractions))
        a = [max(0, int(f * scale)) for f in fractions]  # >= 0 but for rounding (the hull is down-closed)
        divisor = math.gcd(*a)
        full = [0] * len(sizes)
        for k, coefficient in zip(live, a):
            full[k] = coefficient // divisor
        facets[tuple(full)] = int((points @ np.array(full, dtype=np.int64)).max())
    return tuple(sorted(facets.items()))
