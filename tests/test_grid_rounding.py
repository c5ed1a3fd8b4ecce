"""The grid row rounded down to whole power blocks (planner.optimize.grid): hand-worked LP relaxations that the
rows lift to the whole-block answer, the rule for when a row is written, and no plan lost on a generated
scenario."""

from __future__ import annotations

import pytest
from ortools.math_opt.python import mathopt

from benchmarks.synthetic import scenario_doc
from planner.optimize.model import build_model
from planner.optimize.options import SolveOptions
from planner.optimize.rollout import plan_rollout
from planner.optimize.solve import solve
from planner.scenario import load_scenario
from tests.helpers import site, tiny_doc


def _lp(rm) -> float:
    """The LP relaxation's optimum, in the model's millions of USD."""
    result = mathopt.solve(rm.builder.model(relax=True), mathopt.SolverType.GLOP)
    assert result.termination.reason == mathopt.TerminationReason.OPTIMAL
    return result.objective_value()


def _rounded_rows(rm) -> dict[str, dict[str, float]]:
    """grid_round rows by name: {variable name: coefficient}, with the right-hand side as "rhs"."""
    arrays, names = rm.builder.arrays(), rm.builder.names
    rows = {}
    for r, name in enumerate(rm.builder.row_names):
        if name.startswith("grid_round["):
            row = arrays.matrix.getrow(r)
            rows[name] = {names[j]: c for j, c in zip(row.indices, row.data)} | {"rhs": arrays.row_upper[r]}
    return rows


# A: open 10 M$, one kind of 50 MW blocks at 1 M$/MW, 60 MW of grid: one whole block. B: 10 MW blocks at 2 M$/MW.
# Whole blocks: A 50 MW (10 + 50) and B 50 MW (100): 160 M$. The LP builds A's one block but opens A only as far
# as the grid row asks, 50/60: 10 x 5/6 + 50 + 100 = 158.33 M$.
ONE_KIND = tiny_doc([site("A", grid=[60.0], block_mw=50.0, open_cost=10e6), site("B", capex_per_mw=2e6)])

# A: blocks of 50 and 200 MW at 1 M$/MW, 914 MW of grid: 900 MW whole (4 x 200 + 2 x 50). B as above.
# Whole blocks: 900 + 2 x 100 = 1,100 M$. The LP fills A to 914 MW: 914 + 2 x 86 = 1,086 M$.
TWO_KINDS = tiny_doc(
    [site("A", grid=[914.0], power_blocks=[{"it_mw": 50.0, "capex_usd_per_it_mw": 1e6},
                                           {"it_mw": 200.0, "capex_usd_per_it_mw": 1e6}]),
     site("B", capex_per_mw=2e6)],
    phases=[{"id": "1", "online_date": "2027-01-01", "it_mw_required": 1000, "platform": "unit",
             "funding_usd": 1e12}])


@pytest.mark.parametrize("doc, whole_mus, fractional_mus",
                         [(ONE_KIND, 160.0, 158.0 + 1 / 3), (TWO_KINDS, 1100.0, 1086.0)])
def test_the_rows_lift_the_lp_to_the_whole_block_answer(write_scenario, doc, whole_mus, fractional_mus):
    scenario = load_scenario(write_scenario(doc))
    assert _lp(build_model(scenario, round_grid=False)) == pytest.approx(fractional_mus)
    assert _lp(build_model(scenario)) == pytest.approx(whole_mus)
    exact = plan_rollout(scenario, SolveOptions(relative_gap=0.0))
    assert exact.result.objective == pytest.approx(whole_mus)


def test_each_row_rounds_the_grid_limit_down_by_its_block_size(write_scenario):
    rows = _rounded_rows(build_model(load_scenario(write_scenario(TWO_KINDS))))
    # g = gcd(50, 200) = 50: N_50 + 4 N_200 <= floor(914 / 50) Y = 18 Y; the 200 MW kind: N_200 <= 4 Y.
    # The 50 MW kind alone (N_50 <= 18 Y) follows from the first and is not written.
    assert rows == {
        "grid_round[A,1]": {"opened[A,1]": -18.0, "blocks_total[A,1,0]": 1.0, "blocks_total[A,1,1]": 4.0, "rhs": 0.0},
        "grid_round[A,1,1]": {"opened[A,1]": -4.0, "blocks_total[A,1,1]": 1.0, "rhs": 0.0},
    }
    rows = _rounded_rows(build_model(load_scenario(write_scenario(ONE_KIND))))
    assert rows == {"grid_round[A,1,0]": {"opened[A,1]": -1.0, "blocks_total[A,1,0]": 1.0, "rhs": 0.0}}


def test_no_row_where_the_grid_takes_whole_blocks_or_for_cp_sat(write_scenario):
    whole = tiny_doc([site("A", grid=[800.0], power_blocks=[{"it_mw": 50.0, "capex_usd_per_it_mw": 1e6},
                                                            {"it_mw": 200.0, "capex_usd_per_it_mw": 1e6}])])
    assert _rounded_rows(build_model(load_scenario(write_scenario(whole)))) == {}
    free = tiny_doc([site("A", grid=[60.0], block_mw=50.0, capex_per_mw=0.0)])  # one free kind: no block decision
    assert _rounded_rows(build_model(load_scenario(write_scenario(free)))) == {}
    halves = tiny_doc([site("A", grid=[60.0], block_mw=12.5), site("B")])  # not whole MW: nothing to round by
    assert _rounded_rows(build_model(load_scenario(write_scenario(halves)))) == {}
    assert plan_rollout(load_scenario(write_scenario(halves)), SolveOptions()).result.status.value == "optimal"
    assert SolveOptions().round_grid and SolveOptions(solver="scip").round_grid
    assert not SolveOptions(solver="cp-sat").round_grid  # measured slower with them (planner.optimize.grid)


def test_a_generated_scenario_has_the_same_optimum_without_the_rows(tmp_path):
    from planner.files import dump_yaml, write_text_atomic

    path = tmp_path / "s.yaml"
    write_text_atomic(path, dump_yaml(scenario_doc(20, seed=1)))
    scenario = load_scenario(path)
    with_rows, without = build_model(scenario), build_model(scenario, round_grid=False)
    added = len(with_rows.builder.row_names) - len(without.builder.row_names)
    assert added > 0
    assert _lp(with_rows) > _lp(without) + 1e-6  # the rows cut off fractional plans ...
    options = SolveOptions(relative_gap=1e-9)
    optimum = solve(with_rows.model, options)
    assert optimum.status.value == "optimal"
    assert optimum.objective == pytest.approx(solve(without.model, options).objective, rel=1e-9)  # ... no whole one


@pytest.mark.parametrize("sizes, limit", [((4, 12, 25), 43), ((4, 12, 25), 130), ((4, 25), 43), ((3, 5), 22),
                                          ((4, 6, 9), 40), ((2, 3, 7, 11), 30), ((4, 12, 25), 20)])
def test_the_hull_facets_are_the_integer_hull_of_the_grid_row(sizes, limit):
    """hull_facets: every integer point of sizes.N <= limit meets every facet, and in any direction c >= 0 the
    LP over the facets reaches exactly the best integer point (so nothing fractional is left to cut)."""
    import itertools
    import random

    import numpy as np
    from scipy.optimize import linprog

    from planner.optimize.grid import hull_facets

    facets = hull_facets(sizes, limit)
    a = np.array([f[0] for f in facets], dtype=float)
    b = np.array([f[1] for f in facets], dtype=float)
    points = np.array([n for n in itertools.product(*(range(limit // s + 1) for s in sizes))
                       if sum(s * k for s, k in zip(sizes, n)) <= limit])
    assert (points @ a.T <= b + 1e-9).all()
    rng = random.Random(7)
    for _ in range(40):
        c = np.array([rng.uniform(0, 1) for _ in sizes]) * np.array(sizes)  # near the row's own direction
        best = (points @ c).max()
        lp = linprog(-c, A_ub=np.vstack([a, np.array(sizes, dtype=float)]), b_ub=np.append(b, limit),
                     bounds=[(0, None)] * len(sizes), method="highs")
        assert -lp.fun == pytest.approx(best, rel=1e-9)


def test_two_kinds_where_one_divides_the_other_keep_the_two_roundings_which_are_their_hull():
    """The rule's special case: for 50 and 200 MW (1 and 4 in units of 50) at 914 MW, the hull's facets are the
    rows test_each_row_rounds_the_grid_limit_down_by_its_block_size expects, N_50 + 4 N_200 <= 18 and N_200 <= 4."""
    from planner.optimize.grid import hull_facets

    assert set(hull_facets((1, 4), 18)) == {((1, 4), 18), ((0, 1), 4)}


# A: blocks of 40, 120 and 250 MW at 1 M$/MW, 430 MW of grid: 410 MW whole at best (250 + 120 + 40). B: 10 MW
# blocks at 2 M$/MW. Whole blocks: 410 + 2 x 20 = 450 M$ for 430 MW. With the two roundings only (430 is a whole
# multiple of g = 10, so just N_250 <= 1, N_120 <= 3, N_40 <= 10) the LP fills A's grid to 430 MW: 430 M$. The hull
# (N_250 <= 1, N_120 + 2 N_250 <= 3, N_40 + 3 N_120 + 6 N_250 <= 10) holds A to 410 MW.
ODD_SIZES = tiny_doc(
    [site("A", grid=[430.0], power_blocks=[{"it_mw": 40.0, "capex_usd_per_it_mw": 1e6},
                                           {"it_mw": 120.0, "capex_usd_per_it_mw": 1e6},
                                           {"it_mw": 250.0, "capex_usd_per_it_mw": 1e6}]),
     site("B", capex_per_mw=2e6)],
    phases=[{"id": "1", "online_date": "2027-01-01", "it_mw_required": 430, "platform": "unit",
             "funding_usd": 1e12}])


def test_odd_block_sizes_get_the_hull_and_it_lifts_the_lp_to_the_whole_block_answer(write_scenario, monkeypatch):
    scenario = load_scenario(write_scenario(ODD_SIZES))
    with monkeypatch.context() as patched:
        patched.setattr("planner.optimize.grid._rounding_is_hull", lambda sizes: True)
        assert _lp(build_model(scenario)) == pytest.approx(430.0)  # the two roundings alone
    rows = _rounded_rows(build_model(scenario))
    assert rows["grid_round[A,1,h2]"] == {"opened[A,1]": -10.0, "blocks_total[A,1,0]": 1.0,
                                          "blocks_total[A,1,1]": 3.0, "blocks_total[A,1,2]": 6.0, "rhs": 0.0}
    assert len(rows) == 3
    assert _lp(build_model(scenario)) == pytest.approx(450.0)
    assert plan_rollout(scenario, SolveOptions(relative_gap=0.0)).result.objective == pytest.approx(450.0)
