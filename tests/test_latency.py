"""The training cluster's latency limit (planner.optimize.latency): the latency matrix against topology.geo, the
cells, and the rows, which must forbid exactly the pairs of sites beyond the limit, in fewer rows."""

from __future__ import annotations

import math
import random
import re

import numpy as np
import pytest

from planner.optimize import latency
from planner.optimize.model import build_model
from planner.optimize.options import SolveOptions
from planner.optimize.rollout import plan_rollout
from planner.scenario import load_scenario
from tests.helpers import site, tiny_doc
from topology.geo import Campus, direct_latency_ms

M = 1e6


@pytest.fixture
def load(write_scenario):
    """A scenario document through the real loader."""
    return lambda doc: load_scenario(write_scenario(doc))


def _random_sites(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    return [site(f"s{k:02d}", lat=round(rng.uniform(30, 48), 3), lon=round(rng.uniform(-122, -72), 3))
            for k in range(n)]


def _metro_sites(rng: random.Random) -> list[dict]:
    """Three metros of 100 sites (~90 x 85 km each), ~400 km apart."""
    centres = [(40.0, -100.0), (40.0, -95.3), (43.6, -97.6)]
    return [site(f"m{m}s{k:02d}", lat=round(lat + rng.uniform(-0.4, 0.4), 3),
                 lon=round(lon + rng.uniform(-0.5, 0.5), 3))
            for m, (lat, lon) in enumerate(centres) for k in range(100)]


def _forbidden_pairs(rm, phase: str) -> set[frozenset[str]]:
    """The pairs of sites the model's rows keep from building together in `phase`: pair rows as they are, and
    each cell row as every pair of its two zones' members."""
    arrays, names = rm.builder.arrays(), rm.builder.names
    members: dict[str, set[str]] = {}  # zone variable -> the sites whose builds it bounds
    rows = []
    for r, name in enumerate(rm.builder.row_names):
        if name.startswith(("zone_member[", "training_latency[")) and name.endswith(f",{phase}]"):
            row = arrays.matrix.getrow(r)
            rows.append((name, [names[j] for j in row.indices]))
    for name, variables in rows:
        if name.startswith("zone_member["):
            zone = next(v for v in variables if v.startswith("zone["))
            members.setdefault(zone, set()).add(re.match(r"builds\[(.+),", next(
                v for v in variables if v.startswith("builds["))).group(1))

    def sites_of(variable: str) -> set[str]:
        return members[variable] if variable.startswith("zone[") else {re.match(r"builds\[(.+),", variable).group(1)}

    pairs = set()
    for name, variables in rows:
        if name.startswith("training_latency["):
            a, b = (sites_of(v) for v in variables)
            pairs |= {frozenset((x, y)) for x in a for y in b}
    return pairs


def test_the_latency_matrix_is_topology_geo_s_direct_route(load):
    sites = _random_sites(30, 3)
    scenario = load(tiny_doc(sites))
    matrix = latency.latency_matrix_ms(scenario)
    for i, a in enumerate(scenario.sites):
        for j, b in enumerate(scenario.sites):
            expected = direct_latency_ms(Campus(a.id, a.lat, a.lon), Campus(b.id, b.lat, b.lon))
            assert matrix[i, j] == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_every_site_of_a_cell_is_within_the_radius_of_its_first(load):
    scenario = load(tiny_doc(_random_sites(60, 5)))
    matrix = latency.latency_matrix_ms(scenario)
    groups = latency.cells(matrix, 2.0)
    assert sorted(i for cell in groups for i in cell) == list(range(60))
    assert all(matrix[cell[0], i] <= 2.0 for cell in groups for i in cell)
    assert [cell[0] for cell in groups] == sorted(cell[0] for cell in groups)  # leaders in the sites' order
    assert 1 < len(groups) < 60


@pytest.mark.parametrize("seed, limit_ms", [(1, 12.0), (2, 20.0), (3, 8.0)])
def test_the_rows_forbid_exactly_the_pairs_beyond_the_limit_in_fewer_rows(seed, limit_ms, monkeypatch, load):
    sites = _random_sites(70, seed)
    doc = tiny_doc(sites, constraints={"training_max_latency_ms": limit_ms})
    scenario = load(doc)
    beyond = {frozenset((a.id, b.id)) for i, a in enumerate(scenario.sites) for b in scenario.sites[i + 1:]
              if direct_latency_ms(Campus(a.id, a.lat, a.lon), Campus(b.id, b.lat, b.lon)) > limit_ms}
    assert 0 < len(beyond) < 70 * 69 / 2
    rm = build_model(scenario)
    assert _forbidden_pairs(rm, "1") == beyond
    monkeypatch.setattr(latency, "CELL_RADIUS_SHARE", 1e-9)  # every site a cell of its own: one row a pair
    pairwise = build_model(scenario)
    assert _forbidden_pairs(pairwise, "1") == beyond
    assert len(rm.builder.row_names) < len(pairwise.builder.row_names)


# Three clusters of three sites, 40 MW each, on the 40th parallel: west (-120), centre (-100), east (-80). West to
# east is ~3,400 km of great circle (25.5 ms of fiber), the others ~1,700 km (12.8 ms). 200 MW are required: the two
# cheapest clusters (west at 1.0 M$/MW, east at 1.1) would cost 120 + 88 = 208 M$, but within 15 ms west and east
# cannot build together: 120 M$ in the west and 80 MW in the centre at 1.5 M$/MW, 240 M$.
CLUSTERS = [site(f"{name}{k}", grid=[40.0], lat=40.0 + 0.2 * k, lon=lon, capex_per_mw=price * M)
            for name, lon, price in (("w", -120.0, 1.0), ("c", -100.0, 1.5), ("e", -80.0, 1.1)) for k in range(3)]
PHASE = [{"id": "1", "online_date": "2027-01-01", "it_mw_required": 200, "platform": "unit", "funding_usd": 1e12}]


def test_two_clusters_beyond_the_limit_take_one_row_and_the_optimum_is_the_pairwise_one(monkeypatch, load):
    scenario = load(tiny_doc(CLUSTERS, phases=PHASE, constraints={"training_max_latency_ms": 15.0}))
    free = load(tiny_doc(CLUSTERS, phases=PHASE))
    assert plan_rollout(free, SolveOptions(relative_gap=0.0)).result.objective == pytest.approx(208.0)
    rm = build_model(scenario)
    latency_rows = [n for n in rm.builder.row_names if n.startswith("training_latency[")]
    assert latency_rows == ["training_latency[w0*,e0*,1]"]
    assert plan_rollout(scenario, SolveOptions(relative_gap=0.0)).result.objective == pytest.approx(240.0)
    monkeypatch.setattr(latency, "CELL_RADIUS_SHARE", 1e-9)
    pairwise = build_model(scenario)
    assert sum(n.startswith("training_latency[") for n in pairwise.builder.row_names) == 9
    assert plan_rollout(scenario, SolveOptions(relative_gap=0.0)).result.objective == pytest.approx(240.0)


def test_a_start_from_another_model_gets_its_zone_flags_from_its_sites(load):
    """Starts pass between models by variable name, and a restricted model's cells (so its zones) are not the full
    model's: the hint sets each zone flag from its own sites' builds flags, or the start would be infeasible."""
    rm = build_model(load(tiny_doc(CLUSTERS, phases=PHASE, constraints={"training_max_latency_ms": 15.0})))
    names = rm.builder.names
    hint = rm.hint({"builds[w1,1]": 1.0, "zone[e0,1]": 1.0})  # another model's zone, named like one of these
    assert hint[names.index("zone[w0,1]")] == 1.0 and hint[names.index("zone[e0,1]")] == 0.0



def test_the_builds_flag_bounds_what_a_site_can_add_in_its_phase(load):
    """M_sp: the site's grid in the phase over its PUE (60/1.2 = 50 MW in phase 1, 240/1.2 = 200 in phase 2), no
    more than its construction rate (150 MW) nor M_s; a site with on-site power keeps M_s (its supply is a
    decision). The smaller the coefficient, the more the LP relaxation's fractional flags see the limit."""
    phases = [{"id": str(k), "online_date": f"{2026 + k}-01-01", "it_mw_required": 10, "platform": "unit",
               "funding_usd": 1e12} for k in (1, 2)]
    sites = [site("A", grid_mw_by_phase=[60.0, 240.0], pue=1.2, max_it_mw_per_phase=150.0),
             site("B", grid_mw_by_phase=[60.0, 240.0], pue=1.2, lon=-80.0,
                  onsite_power=[{"id": "gas", "capex_usd_per_mw": 1e6, "lead_time_months": 0, "max_mw": 120,
                                 "fuel_usd_per_mwh": 50}])]
    rm = build_model(load(tiny_doc(sites, phases=phases, constraints={"training_max_latency_ms": 5.0})))
    arrays, names = rm.builder.arrays(), rm.builder.names
    coefficient = {}
    for r, name in enumerate(rm.builder.row_names):
        if name.startswith("builds_flag["):
            row = arrays.matrix.getrow(r)
            coefficient[name] = -next(c for j, c in zip(row.indices, row.data) if names[j].startswith("builds["))
    assert coefficient == pytest.approx({"builds_flag[A,1]": 50.0, "builds_flag[A,2]": 150.0,
                                         "builds_flag[B,1]": 300.0, "builds_flag[B,2]": 300.0})


@pytest.mark.parametrize("chunk", [1, 2, 1024])
def test_a_site_can_add_only_where_the_sites_within_the_limit_reach_the_minimums(chunk, monkeypatch, load):
    """A and B (two regions, ~160 km apart) can add together; C in Frankfurt has nothing within 15 ms, so with
    two regions a phase it never can, and D, in A's region beside it, can (with B). Summed in chunks of any size."""
    monkeypatch.setattr(latency, "CHUNK_ROWS", chunk)
    sites = [site("A", region="us", lat=39.0, lon=-77.5), site("B", region="ca", lat=40.0, lon=-76.0),
             site("C", region="eu", lat=50.1, lon=8.7), site("D", region="us", lat=39.1, lon=-77.4)]
    scenario = load(tiny_doc(sites, constraints={"training_max_latency_ms": 15, "min_regions_per_phase": 2,
                                                  "diversity_min_it_mw": 10}))
    limits = {s.id: 100.0 for s in scenario.sites}
    assert latency.buildable(scenario, [limits]) == [{"A", "B", "D"}]
    assert latency.buildable(scenario, [{**limits, "B": 5.0}]) == [set()]  # B below the 10 MW a region must add
    assert latency.buildable(scenario, [{**limits, "B": 0.0, "C": 0.0}]) == [set()]


def test_a_site_that_can_never_add_gets_its_flag_fixed_at_zero_and_the_lp_sees_it(monkeypatch, load):
    """C in Frankfurt is the cheapest (0.5 M$/MW) but has no second region within 15 ms, so with two regions a
    phase it can never add: its builds flag is fixed at 0. The optimum is the same either way (90 MW at A and
    10 MW at B: 105 M$); the LP relaxation is 55 M$ without the rule (C's 90 MW behind a flag of 0.09, the same as
    with no latency limit at all) and 105 M$ with it."""
    from ortools.math_opt.python import mathopt

    def lp(rm) -> float:
        return mathopt.solve(rm.builder.model(relax=True), mathopt.SolverType.GLOP).objective_value()

    sites = [site("A", region="us", lat=39.0, lon=-77.5), site("B", region="ca", lat=40.0, lon=-76.0,
                                                                capex_per_mw=1.5 * M),
             site("C", region="eu", lat=50.1, lon=8.7, capex_per_mw=0.5 * M)]
    scenario = load(tiny_doc(sites, constraints={"training_max_latency_ms": 15, "min_regions_per_phase": 2,
                                                  "diversity_min_it_mw": 10}))
    rm = build_model(scenario)
    upper = dict(zip(rm.builder.names, rm.builder.arrays().upper))
    assert (upper["builds[A,1]"], upper["builds[B,1]"], upper["builds[C,1]"]) == (1.0, 1.0, 0.0)
    assert lp(rm) == pytest.approx(105.0)
    assert plan_rollout(scenario, SolveOptions(relative_gap=0.0)).result.objective == pytest.approx(105.0)
    monkeypatch.setattr(latency, "buildable", lambda *args: None)
    assert lp(build_model(scenario)) == pytest.approx(55.0)
    assert plan_rollout(scenario, SolveOptions(relative_gap=0.0)).result.objective == pytest.approx(105.0)


def test_cells_partly_beyond_each_other_are_split_into_sub_cells_and_still_forbid_exactly_the_far_pairs(
        load, monkeypatch):
    """Three metros of 100 sites (~90 x 85 km each), ~400 km apart, and a 3 ms limit (~400 km of great circle):
    their cells are partly beyond each other, so sub-cells (zones named with their level) take the rows. Still
    exactly the pairs beyond the limit are forbidden, in under half the rows of one level of cells."""
    sites = _metro_sites(random.Random(11))
    scenario = load(tiny_doc(sites, constraints={"training_max_latency_ms": 3.0}))
    beyond = {frozenset((a.id, b.id)) for i, a in enumerate(scenario.sites) for b in scenario.sites[i + 1:]
              if direct_latency_ms(Campus(a.id, a.lat, a.lon), Campus(b.id, b.lat, b.lon)) > 3.0}
    rm = build_model(scenario)
    assert _forbidden_pairs(rm, "1") == beyond
    levels = {name.split("/")[1].split(",")[0] for name in rm.builder.names if name.startswith("zone[") and "/" in name}
    assert levels >= {"1", "2"}

    def rows(model) -> int:
        return sum(n.startswith(("training_latency[", "zone_member[")) for n in model.builder.row_names)

    monkeypatch.setattr(latency, "SUB_LEVELS", 0)
    one_level = build_model(scenario)
    assert _forbidden_pairs(one_level, "1") == beyond
    assert rows(rm) < rows(one_level) / 2 < len(beyond) / 2


def test_over_fiber_routes_the_matrix_is_the_shortest_path_of_topology_campus(load):
    """50 sites, 90 routes (some parallel, a few sites on none): the latency matrix, by scipy's Dijkstra, is
    topology.campus.route_latency_ms's networkx shortest paths, and infinite where no path joins two sites."""
    from topology.campus import route_latency_ms

    rng = random.Random(4)
    sites = _random_sites(50, 4)
    routes = []
    for _ in range(90):
        a, b = rng.sample(range(45), 2)  # sites 45-49 have no route
        routes.append({"a": f"s{a:02d}", "b": f"s{b:02d}", "km": round(rng.uniform(50, 900), 1)})
    assert len({frozenset((r["a"], r["b"])) for r in routes}) < len(routes)  # some routes are parallel
    scenario = load(tiny_doc(sites, fiber_routes=routes, constraints={"training_max_latency_ms": 20.0}))
    matrix = latency.latency_matrix_ms(scenario)
    table = route_latency_ms([s.id for s in scenario.sites], [(r.a, r.b, r.km) for r in scenario.fiber_routes])
    for i, a in enumerate(scenario.sites):
        for j, b in enumerate(scenario.sites):
            assert matrix[i, j] == pytest.approx(table.get((a.id, b.id), math.inf), rel=1e-12)
    assert math.isinf(matrix[0, 49]) and matrix[49, 49] == 0.0


@pytest.mark.parametrize("routes", [False, True], ids=["direct", "fiber-routes"])
def test_blocks_decided_by_their_first_sites_give_the_rows_of_reading_every_block(routes, load, monkeypatch):
    """far_rows skips reading a block of pairs when its two cells' first sites are far enough beyond (or within)
    the limit, by the triangle inequality. With each cell's first site absent (it cannot add in the phase) and a
    random third of the rest too, so that the cells' first sites are not the sites they were grouped around: the
    rows are those of reading every block (no slack skips one), and forbid exactly the pairs beyond the limit.
    Over fiber routes too (shortest paths, infinite between sites no route joins)."""
    rng = random.Random(12)
    sites = _metro_sites(rng)
    fiber = None
    if routes:  # a ring through each metro's sites, and three links between the metros (one metro's 10 last: none)
        fiber = [{"a": sites[m * 100 + k]["id"], "b": sites[m * 100 + k + 1]["id"], "km": round(rng.uniform(5, 60), 1)}
                 for m in range(3) for k in range(89)]
        fiber += [{"a": sites[a]["id"], "b": sites[b]["id"], "km": 420.0} for a, b in ((0, 100), (100, 200), (50, 250))]
    limit = 3.0
    scenario = load(tiny_doc(sites, fiber_routes=fiber, constraints={"training_max_latency_ms": limit}))
    matrix = latency.latency_matrix_ms(scenario)
    present = [tuple(i for i in group[1:] if rng.random() > 1 / 3)
               for group in latency.cells(matrix, limit * latency.CELL_RADIUS_SHARE) if len(group) > 1]
    present = [cell for cell in present if cell]
    beyond = matrix > limit
    skipped = latency.far_rows(present, beyond, matrix, limit, {})
    monkeypatch.setattr(latency, "SLACK_MS", math.inf)  # every block read
    assert skipped == latency.far_rows(present, beyond, matrix, limit, {})
    cell_rows, pairs = skipped
    forbidden = {frozenset(p) for p in pairs}
    forbidden |= {frozenset((a, b)) for (c, _), (d, _) in cell_rows for a in c for b in d}
    kept = sorted(i for cell in present for i in cell)
    assert forbidden == {frozenset((a, b)) for k, a in enumerate(kept) for b in kept[k + 1:] if beyond[a, b]}
    assert cell_rows and (not routes or np.isinf(matrix).any())
