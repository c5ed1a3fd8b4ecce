"""Pricing sites into the LP relaxation: the split by site, the bound's validity, and the LP it converges to.

Known answers: the LP optimum of the full model from another solver (GLOP, through MathOpt), and Lagrangean
duality (any multipliers of the right signs give a value at or below that optimum)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ortools.math_opt.python import mathopt

from benchmarks.synthetic import scenario_doc
from planner.optimize import pricing
from planner.optimize.model import build_model
from planner.optimize.options import SolveOptions
from planner.optimize.rollout import plan_rollout
from planner.scenario import load_scenario

REPO = Path(__file__).resolve().parent.parent


def full_lp(rm) -> float:
    result = mathopt.solve(rm.builder.model(relax=True), mathopt.SolverType.GLOP)
    assert result.termination.reason == mathopt.TerminationReason.OPTIMAL
    return result.objective_value()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """120 generated sites (demand regions, diversity minimums, lead times, blocks), built once."""
    from planner.files import dump_yaml, write_text_atomic

    path = tmp_path_factory.mktemp("pricing") / "s.yaml"
    write_text_atomic(path, dump_yaml(scenario_doc(120, seed=2)))
    rm = build_model(load_scenario(path))
    return rm, full_lp(rm)


@pytest.fixture(scope="module")
def bundled():
    """The bundled scenario: grid upgrades, on-site power and energy dispatch belong to their sites too."""
    rm = build_model(load_scenario(REPO / "scenarios" / "10gw-rollout.yaml"))
    return rm, full_lp(rm)


def screened(rm, scale: float) -> set[int]:
    """The restricted start's screened sites: a working set whose LP has a solution."""
    from planner.optimize.start import screen

    kept = screen(rm.scenario, scale)
    return {i for i, site in enumerate(rm.scenario.sites) if site.id in kept}


def test_every_row_is_one_sites_own_or_links_sites(bundled):
    rm, _ = bundled
    arrays = rm.builder.arrays()
    split = pricing.split_by_site(arrays, len(rm.scenario.sites))
    matrix = arrays.matrix
    for s in range(len(rm.scenario.sites)):
        own = split.rows_of(np.array([s]))
        touched = np.unique(arrays.site[matrix[own].indices])
        assert set(touched) <= {s}  # a site's own rows hold only its variables
    for r in split.linking:
        groups = set(arrays.site[matrix[r].indices])
        assert len(groups) != 1 or -1 in groups  # a linking row spans sites, or holds a model-wide variable
    assert len(split.linking) + len(split.site_rows) == matrix.shape[0]
    names = rm.builder.names
    linking_names = {names[j].partition("[")[0] for j in split.whole_cols}
    assert linking_names <= {"unspent", "shortfall", "region_adds"}


@pytest.mark.parametrize("case", ["generated", "bundled"])
def test_pricing_converges_to_the_full_lp_optimum(case, request):
    rm, optimum = request.getfixturevalue(case)
    working = screened(rm, 0.75 if case == "generated" else 0.3)
    priced = pricing.lp_bound(rm, working, time_limit_s=120)
    assert priced.converged and priced.status == "converged"
    assert priced.bound == pytest.approx(optimum, rel=1e-7)
    assert priced.lp_objective == pytest.approx(optimum, rel=1e-7)
    if case == "generated":
        assert priced.rounds >= 2 and priced.sites_in < priced.sites_total  # sites priced in, not all of them


def test_a_stopped_pricing_still_proves_a_bound_below_the_lp(generated):
    rm, optimum = generated
    priced = pricing.lp_bound(rm, screened(rm, 0.75), time_limit_s=0.0)  # one round, then the time is up
    assert priced.rounds == 1 and not priced.converged and priced.status == "time limit"
    assert priced.bound is not None and priced.bound <= optimum * (1 + 1e-9)
    assert priced.lp_objective >= optimum * (1 - 1e-9)  # the restricted LP is above: it has fewer sites


def test_any_multipliers_give_a_lower_bound_and_the_optimal_ones_reach_the_lp(generated):
    """Lagrangean duality as a property: multipliers scattered around the optimal duals, and multipliers with
    signs a row cannot take (which must be dropped, not priced against an infinite bound), never give more
    than the LP optimum; the optimal duals reach it."""
    rm, optimum = generated
    arrays = rm.builder.arrays()
    split = pricing.split_by_site(arrays, len(rm.scenario.sites))
    sites = np.array([i for i in range(len(rm.scenario.sites)) if rm.eligible[i]])
    full = pricing.solve_lp(arrays, np.arange(arrays.matrix.shape[0]), np.arange(arrays.matrix.shape[1]),
                            arrays.cost)
    y_opt = full.duals[split.linking]
    bound, _ = pricing.lagrangean_bound(arrays, split, sites, y_opt, abs(optimum))
    assert bound == pytest.approx(optimum, rel=1e-7)
    rng = np.random.default_rng(7)
    one_sided = ~np.isfinite(arrays.row_upper[split.linking]) | ~np.isfinite(arrays.row_lower[split.linking])
    for _ in range(5):
        scattered = y_opt * rng.uniform(0.5, 1.5, size=len(y_opt))
        bound, _ = pricing.lagrangean_bound(arrays, split, sites, scattered, abs(optimum))
        assert bound is not None and np.isfinite(bound) and bound <= optimum * (1 + 1e-9)
        wrong_signs = scattered + np.where(one_sided, rng.normal(scale=50.0, size=len(y_opt)), 0.0)
        bound, _ = pricing.lagrangean_bound(arrays, split, sites, wrong_signs, abs(optimum))
        assert bound is not None and np.isfinite(bound) and bound <= optimum * (1 + 1e-9)


@pytest.mark.parametrize("highs", ["kept", "absent"])
def test_a_warm_lp_grown_in_steps_and_priced_again_matches_each_lp_solved_afresh(generated, highs, monkeypatch):
    """The rounds' LPs are kept alive and grown (pricing.WarmLp); each solve must be the LP over what it holds:
    half the screened sites' LP as solved from scratch, then, with every other site added, the full LP; and the
    sites' own LP under new costs as solved from scratch. "absent": a scipy without HiGHS's Python interface,
    where each solve starts from scratch."""
    if highs == "absent":
        monkeypatch.setattr(pricing, "highs_core", None)
    rm, optimum = generated
    arrays = rm.builder.arrays()
    split = pricing.split_by_site(arrays, len(rm.scenario.sites))
    sites = np.array([i for i in range(len(rm.scenario.sites)) if rm.eligible[i]])
    first = np.array(sorted(set(sorted(screened(rm, 2.0))[::2]) | set(range(8))))  # half, and the anchors: feasible
    rest = np.setdiff1d(sites, first)
    warm = pricing.WarmLp(arrays)
    warm.grow(split.linking, split.whole_cols)
    warm.grow(split.rows_of(first), split.cols_of(first))
    grown = warm.solve()
    fresh = pricing.solve_lp(arrays, np.concatenate([split.linking, split.rows_of(first)]),
                             np.concatenate([split.whole_cols, split.cols_of(first)]), arrays.cost)
    assert grown.ok and fresh.ok and grown.objective == pytest.approx(fresh.objective, rel=1e-9)
    assert grown.objective + arrays.offset > optimum * (1 + 1e-6)  # fewer sites: dearer than the full LP
    warm.grow(split.rows_of(rest), split.cols_of(rest))
    whole = warm.solve()
    assert whole.objective + arrays.offset == pytest.approx(optimum, rel=1e-7)
    duals = np.zeros(arrays.matrix.shape[0])
    duals[warm.rows] = whole.duals  # the duals follow the rows' order in the warm LP
    own = pricing.WarmLp(arrays)
    own.grow(split.rows_of(sites), split.cols_of(sites))
    for scale in (1.0, 0.7):
        reduced, _ = pricing.lagrangean_terms(arrays, split.linking, duals[split.linking] * scale)
        again = own.solve(reduced)
        afresh = pricing.solve_lp(arrays, split.rows_of(sites), split.cols_of(sites), reduced)
        assert again.objective == pytest.approx(afresh.objective, rel=1e-9, abs=1e-6)
        assert own.solve().objective == pytest.approx(again.objective, rel=1e-9, abs=1e-6)  # the costs stay


@pytest.mark.parametrize("highs", ["kept", "absent"])
def test_a_warm_lp_without_a_solution_says_infeasible(highs, monkeypatch):
    from scipy import sparse

    from planner.optimize.linear import ModelArrays

    arrays = ModelArrays(cost=np.array([1.0]), offset=0.0, matrix=sparse.csr_matrix(np.array([[1.0]])),
                         lower=np.array([1.0]), upper=np.array([np.inf]), integer=np.array([False]),
                         row_lower=np.array([-np.inf]), row_upper=np.array([0.5]), site=np.array([0]))
    if highs == "absent":
        monkeypatch.setattr(pricing, "highs_core", None)
    warm = pricing.WarmLp(arrays)  # x >= 1 and x <= 0.5
    warm.grow(np.array([0]), np.array([0]))
    result = warm.solve()
    assert not result.ok and result.status == "infeasible"


def test_an_infeasible_working_set_takes_every_site_in(generated):
    rm, optimum = generated
    priced = pricing.lp_bound(rm, set(), time_limit_s=120)  # no site at all: the restricted LP has no solution
    assert priced.converged and priced.sites_in == priced.sites_total
    assert priced.bound == pytest.approx(optimum, rel=1e-7)


def test_a_working_set_whose_lp_has_no_solution_is_widened_before_every_site_is_taken_in(generated):
    rm, optimum = generated
    asked, lines = [], []
    wider = screened(rm, 2.0)

    def widen() -> set[int]:
        asked.append(len(asked))
        return wider if len(asked) == 1 else set()

    priced = pricing.lp_bound(rm, set(), time_limit_s=120, on_log=lines.extend, widen=widen)
    assert asked == [0] and any("widening to" in line for line in lines)
    assert priced.converged and priced.sites_in < priced.sites_total  # it never needed every site
    assert priced.bound == pytest.approx(optimum, rel=1e-7)


def test_a_loose_gap_is_proven_by_pricing_without_branch_and_bound(write_scenario):
    scenario = load_scenario(write_scenario(scenario_doc(160, seed=3)))
    outcome = plan_rollout(scenario, SolveOptions(start="restricted", relative_gap=0.02))
    r = outcome.result
    assert r.status.value == "optimal" and r.gap <= 0.02
    assert "no branch and bound" in outcome.plan.provenance.method
    assert "pricing sites in" in outcome.plan.provenance.method
    assert r.best_bound == pytest.approx(full_lp(build_model(scenario)), rel=1e-7)
