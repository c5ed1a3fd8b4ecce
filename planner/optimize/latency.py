"""training_latency: a phase's training cluster spans only campuses within the latency limit of each other.

builds_sp = 1 when site s adds IT in phase p (it_sp <= M_sp builds_sp, M_sp the most it can add in p:
`most_added_mw`). Two sites beyond the limit may not both build in one phase: builds_sp + builds_tp <= 1.
Written pair by pair, that is one row for every pair of sites beyond the limit in every phase: 152,000 pairs a
phase on the generated 1,000-site scenario with a 20 ms limit, 1.2 million rows in all and a 6.6 s build.

Most of those pairs come in blocks: the sites of one area are all beyond the limit from those of another. So the
sites are grouped into cells, each within CELL_RADIUS_SHARE of the limit of its first site (leader clustering),
and a cell whose sites face a whole other cell that is beyond the limit gets a flag:

    builds_sp <= zone_cp  (s in cell c)        zone_cp + zone_dp <= 1  (every pair of c x d beyond the limit)

which together say exactly what the pair rows of c x d say (and the LP relaxation is the same: both project to
max_{s in c} builds_sp + max_{t in d} builds_tp <= 1). Two cells partly beyond each other (and the sites within
one cell) are split into sub-cells of 1/SPLIT the radius, whose pairs are treated the same way, down to SUB_LEVELS
levels (`far_rows`); below that, or where a block has few pairs beyond the limit, each pair keeps its own row. On
that scenario, with the sites that can never add left out (below), the latency and member rows of all ten phases
are 37,000 (one level of cells: 120,000; pair by pair: 1.2 million); at 10,000 sites, 1.1 million (one level of
cells: ~16 million, more than 8 GiB to build).

With a minimum of sites or regions per phase (min_sites_per_phase, min_regions_per_phase), a site can add in a
phase only if the sites within the limit of it reach that minimum (`buildable`); where they cannot, its builds flag
is fixed at 0. The LP relaxation would otherwise build there behind a small fractional flag: on the generated
1,000-site scenario with a 20 ms limit, 125 of 1,000 sites can never add, 913 of 7,179 site-phases in all.
`buildable` also tells the explanation (planner.optimize.explain) why a scenario has no plan.

Latency is a direct fiber route (great circle x fiber_route_factor, topology.geo), or the shortest path over the
scenario's own fiber routes when it gives them (no path: infinite). Forbidden or unused sites never change it.
"""

from __future__ import annotations

import math

import numpy as np

from planner.optimize.parameters import has_supply_options, max_it_mw, site_it_limit_mw
from topology.geo import EARTH_RADIUS_KM, FIBER_US_PER_KM

CELL_RADIUS_SHARE = 1 / 16  # of the limit: a cell's sites are within this latency of its first site
SPLIT = 2  # a sub-cell's radius is 1/SPLIT of its cell's
SUB_LEVELS = 4  # levels of sub-cells below the cells, before a row per pair
SLACK_MS = 1e-6  # rounding room when bounding a block's latencies by its first sites'
CHUNK_ROWS = 1024  # sites whose neighbourhoods `buildable` sums at once
MATRIX_ROWS = 512  # rows of the latency matrix computed at once (a few 40 MB blocks at 10,000 sites)


def latency_matrix_ms(scenario) -> np.ndarray:
    """One-way latency in ms between every two sites (n x n), as `topology.geo.direct_latency_ms` gives it or
    over the scenario's fiber routes."""
    sites = scenario.sites
    if scenario.fiber_routes:  # shortest paths in C (scipy's Dijkstra): an n x n table of Python floats would not
        from scipy.sparse import csr_matrix  # fit at thousands of sites
        from scipy.sparse.csgraph import dijkstra

        index = {s.id: i for i, s in enumerate(sites)}
        shortest: dict[tuple[int, int], float] = {}  # parallel routes: the shorter one (routes join two sites, km > 0)
        for r in scenario.fiber_routes:
            pair = tuple(sorted((index[r.a], index[r.b])))
            shortest[pair] = min(shortest.get(pair, math.inf), r.km * FIBER_US_PER_KM / 1000.0)
        rows, columns = zip(*shortest) if shortest else ((), ())
        graph = csr_matrix((list(shortest.values()), (rows, columns)), shape=(len(sites), len(sites)))
        return dijkstra(graph, directed=False)
    # The great circle from the chord between unit vectors, a block of rows at a time: one arcsin per pair and no
    # n x n temporaries (the haversine over whole matrices took 11 s at 10,000 sites, this 1 s; within 1e-11).
    lat, lon = np.radians([s.lat for s in sites]), np.radians([s.lon for s in sites])
    unit = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1)
    ms_per_radian = 2 * EARTH_RADIUS_KM * scenario.constraints.fiber_route_factor * FIBER_US_PER_KM / 1000.0
    out = np.empty((len(sites), len(sites)))
    for start in range(0, len(sites), MATRIX_ROWS):
        block, rows = out[start:start + MATRIX_ROWS], unit[start:start + MATRIX_ROWS]
        np.square(rows[:, None, 0] - unit[None, :, 0], out=block)
        for k in (1, 2):
            block += np.square(rows[:, None, k] - unit[None, :, k])
        np.sqrt(block, out=block)
        block *= 0.5  # sin of half the angle
        np.minimum(block, 1.0, out=block)
        np.arcsin(block, out=block)
        block *= ms_per_radian
    return out


def most_added_mw(site, p: int) -> float:
    """The most IT MW site s can add in phase p, the builds flag's coefficient: M_s, and where the site has no
    supply options its grid in p over its PUE (what is added stands at t_p, within the blocks the grid allows),
    and its construction rate. The smaller it is, the larger a fractional flag the LP needs for the same IT, and
    the more the latency rows bind in the LP relaxation."""
    most = max_it_mw(site)
    if not has_supply_options(site):
        most = min(most, site.grid_mw_by_phase[p] / site.pue)
    if site.max_it_mw_per_phase is not None:
        most = min(most, site.max_it_mw_per_phase)
    return max(0.0, most)


def cells(latency_ms: np.ndarray, radius_ms: float) -> list[list[int]]:
    """Sites grouped by leader clustering: each site joins the first cell whose first site is within `radius_ms`
    of it, or starts a cell. Deterministic: the sites' order decides."""
    leaders: list[int] = []
    members: list[list[int]] = []
    for i in range(len(latency_ms)):
        near = np.flatnonzero(latency_ms[i, leaders] <= radius_ms) if leaders else ()
        if len(near):
            members[near[0]].append(i)
        else:
            leaders.append(i)
            members.append([i])
    return members


def buildable(scenario, limits_mw: list[dict[str, float]], latency_ms: np.ndarray | None = None,
              ) -> list[set[str]] | None:
    """The sites that can add IT in each phase at all, under the latency limit and the phase's diversity counts
    (None without both). Every site adding IT in a phase is within the limit of every other, so the sites of a
    phase's additions all lie within the limit of each of them; a site can add only if the sites within the limit
    of it (itself included) that can add then reach min_regions_per_phase regions, and min_sites_per_phase sites,
    of at least diversity_min_it_mw each. A necessary condition (exact for counts up to 2, where a pair is the
    whole cluster), so a site it leaves out can never add in that phase. `limits_mw[p]`: the most IT each site
    can add by phase p (0 or missing where it cannot be online); `latency_ms`, when the caller has it already."""
    c = scenario.constraints
    if c.training_max_latency_ms is None or (c.min_regions_per_phase <= 0 and c.min_sites_per_phase <= 0):
        return None
    sites = scenario.sites
    within = (latency_matrix_ms(scenario) if latency_ms is None else latency_ms) <= c.training_max_latency_ms
    floor = c.diversity_min_it_mw - 1e-6
    regions = scenario.regions
    member = np.array([[s.region == g for g in regions] for s in sites], dtype=float)  # sites x regions
    out = []
    for limits in limits_mw:
        mw = np.array([limits.get(s.id, 0.0) for s in sites])
        able, by_region = np.zeros(len(sites), dtype=bool), member * mw[:, None]
        for start in range(0, len(sites), CHUNK_ROWS):  # n x n floats at once would be 800 MB at 10,000 sites
            near = within[start:start + CHUNK_ROWS] & (mw > 0)[None, :]
            region_mw = near @ by_region  # what each region can add within the limit of each site
            able[start:start + CHUNK_ROWS] = (((region_mw >= floor).sum(axis=1) >= c.min_regions_per_phase)
                                              & ((near & (mw >= floor)).sum(axis=1) >= c.min_sites_per_phase))
        out.append({sites[i].id for i in np.flatnonzero(able & (mw > 0))})
    return out


def add_training_latency_constraints(rm) -> None:
    """builds flags, and the pair and cell rows above, for every phase (nothing without a limit)."""
    s_ = rm.scenario
    limit = s_.constraints.training_max_latency_ms
    if limit is None or len(s_.sites) < 2:
        return
    latency = latency_matrix_ms(s_)
    groups = cells(latency, limit * CELL_RADIUS_SHARE)
    able = buildable(s_, [{site.id: site_it_limit_mw(s_, site, p) for i, site in enumerate(s_.sites) if (i, p) in rm.it}
                          for p in range(len(s_.phases))], latency)
    beyond = latency > limit
    parts: dict = {}  # (a cell's sites, its level) -> its sub-cells
    structures: dict = {}  # the sites that may add -> far_rows of them (only the last phase's is kept)
    for p, phase in enumerate(s_.phases):
        builds = {}
        for i, site in enumerate(s_.sites):
            if (i, p) in rm.it:  # a site that can never add in p (buildable) gets a flag fixed at 0
                flag = rm.builder.var(0.0, 1.0 if able is None or site.id in able[p] else 0.0, True,
                                      name=f"builds[{site.id},{phase.id}]", site=i)
                rm.builder.le(rm.it[i, p].minus(most_added_mw(site, p), flag), 0.0,
                              name=f"builds_flag[{site.id},{phase.id}]")
                builds[i] = flag
        builds = {i: f for i, f in builds.items() if rm.builder.upper(f) > 0}  # a flag fixed at 0 needs no row
        key = tuple(builds)
        if key not in structures:  # the later phases often have the same sites
            present = [cell for cell in (tuple(i for i in group if i in builds) for group in groups) if cell]
            structures = {key: far_rows(present, beyond, latency, limit, parts)}
        _add_phase_rows(rm, phase.id, builds, structures[key])


def far_rows(present: list[tuple[int, ...]], beyond: np.ndarray, latency_ms: np.ndarray, limit_ms: float,
             parts: dict) -> tuple[list, list]:
    """Which rows keep every two sites beyond the limit from both building in one phase: a cell row where two
    cells are wholly beyond each other; where they are partly beyond (or within one cell), the same between their
    sub-cells, of 1/SPLIT the radius, down to SUB_LEVELS levels; a row per pair below that, or where a block has
    few pairs beyond the limit. `present`: the cells, of the sites that may add in the phase; `parts`: the cells'
    sub-cells, kept from phase to phase. Returns the cell rows ((cell, level), (cell, level)) and the pairs.
    Most blocks are decided by the latency of their two cells' first sites alone (the triangle inequality), without
    reading their pairs; the rows are the same as reading every block."""
    cell_rows, pairs = [], []

    def split(cell: tuple[int, ...], level: int) -> list[tuple[int, ...]]:
        if (cell, level) not in parts:
            parts[cell, level] = [tuple(cell[k] for k in sub)
                                  for sub in cells(latency_ms[np.ix_(cell, cell)], radius(level + 1))]
        return parts[cell, level]

    def radius(level: int) -> float:  # the radius the cells of a level are grouped by
        return limit_ms * CELL_RADIUS_SHARE / SPLIT ** level

    spread: dict[tuple[int, ...], float] = {}

    def reach(cell: tuple[int, ...]) -> float:  # how far the cell's sites are from its first (its own radius at most)
        if cell not in spread:
            spread[cell] = float(latency_ms[cell[0], list(cell)].max())
        return spread[cell]

    def across(c: tuple[int, ...], d: tuple[int, ...], level: int) -> None:
        # Latency obeys the triangle inequality, so the first sites' latency decides most blocks without reading
        # them: beyond the limit by more than the two cells' reach, every pair is; within it by that much, none is.
        first, margin = latency_ms[c[0], d[0]], reach(c) + reach(d) + SLACK_MS
        if first <= limit_ms - margin:
            return
        block = None if first > limit_ms + margin else beyond[np.ix_(c, d)]
        count = len(c) * len(d) if block is None else int(block.sum())
        if count == 0:
            return
        if count == len(c) * len(d) and count > 1:
            cell_rows.append(((c, level), (d, level)))
        elif block is None:  # a single pair
            pairs.append((min(c[0], d[0]), max(c[0], d[0])))
        elif level >= SUB_LEVELS or count <= len(c) + len(d):
            pairs.extend(sorted((min(c[x], d[y]), max(c[x], d[y])) for x, y in zip(*np.nonzero(block))))
        else:
            for x in split(c, level):
                for y in split(d, level):
                    across(x, y, level + 1)

    def within(c: tuple[int, ...], level: int) -> None:
        if 2 * reach(c) + SLACK_MS <= limit_ms:  # a cell's pairs are within twice its reach of each other
            return
        block = np.triu(beyond[np.ix_(c, c)], 1)
        count = int(block.sum())
        if count == 0:
            return
        if level >= SUB_LEVELS or count <= len(c):
            pairs.extend((c[x], c[y]) for x, y in zip(*np.nonzero(block)))
            return
        subs = split(c, level)
        for k, x in enumerate(subs):
            within(x, level + 1)
            for y in subs[k + 1:]:
                across(x, y, level + 1)

    for k, cell in enumerate(present):
        within(cell, 0)
        for other in present[k + 1:]:
            across(cell, other, 0)
    return cell_rows, pairs


def _add_phase_rows(rm, phase_id: str, builds: dict, structure: tuple[list, list]) -> None:
    """far_rows' rows for one phase: a zone flag for each cell in a cell row (a single site's own builds flag),
    bounding its sites' builds flags, and the rows. Rows are handed over as {variable id: 1, ...} dictionaries: at
    10,000 sites there are a million of them, and expression arithmetic was a quarter of the latency rows' build."""
    b, ids = rm.builder, [s.id for s in rm.scenario.sites]
    flag_of = {i: next(iter(f.terms)) for i, f in builds.items()}  # site -> its builds flag's variable id
    zones: dict[tuple[int, ...], int] = {}  # a cell's sites -> its zone flag's variable id

    def zone(cell: tuple[int, ...], level: int) -> int:
        if cell not in zones:
            if len(cell) == 1:
                zones[cell] = flag_of[cell[0]]
            else:
                tag = f"/{level}" if level else ""  # the first level keeps the names of one level of cells
                zones[cell] = flag = next(iter(b.binary(name=f"zone[{ids[cell[0]]}{tag},{phase_id}]").terms))
                rm.zones.append((flag, [flag_of[i] for i in cell]))
                for i in cell:
                    b.le({flag_of[i]: 1.0, flag: -1.0}, 0.0, name=f"zone_member[{ids[i]}{tag},{phase_id}]")
        return zones[cell]

    cell_rows, pairs = structure
    for (c, level_c), (d, level_d) in cell_rows:
        b.le({zone(c, level_c): 1.0, zone(d, level_d): 1.0}, 1.0,
             name=f"training_latency[{ids[c[0]]}*,{ids[d[0]]}*,{phase_id}]")
    for i, j in pairs:
        b.le({flag_of[i]: 1.0, flag_of[j]: 1.0}, 1.0, name=f"training_latency[{ids[i]},{ids[j]},{phase_id}]")
