"""Kernel search by Lagrangean relaxation of the demand rows (planner.optimize.lagrange): the bound it claims
holds for any multipliers, it is far stronger than the model's own LP where serve_open rows are left out,
the kernel's plan reaches published OR-Library optima, and "auto" takes the method exactly where it applies."""

from __future__ import annotations

import numpy as np
import pytest

from planner.cli import main
from planner.optimize import lagrange
from planner.optimize.model import build_model
from planner.optimize.options import SolveOptions
from planner.optimize.rollout import plan_rollout, start_mode
from planner.scenario import load_scenario
from tests.helpers import site, tiny_doc
from tests.test_orlib import ORLIB, published


def imported(name: str, tmp_path, capacity: str | None = None):
    path = tmp_path / f"{name}.yaml"
    argv = ["-q", "import", "orlib-cflp", str(ORLIB / f"{name}.txt"), "-o", str(path)]
    assert main(argv + (["--capacity", capacity] if capacity else [])) == 0
    return load_scenario(path)


@pytest.fixture(scope="module")
def cap131(tmp_path_factory):
    """50 sites x 50 customers; published optimum 793,439.562 USD."""
    scenario = imported("cap131", tmp_path_factory.mktemp("cap131"))
    return scenario, build_model(scenario), published()["cap131"] / 1e6  # the model counts millions of USD


def test_the_bound_holds_for_any_multipliers(cap131):
    """Lagrangean values are below the optimum whatever the multipliers: random ones of either sign and size,
    zero, and the relaxation's own."""
    scenario, rm, optimum = cap131
    rng = np.random.default_rng(7)
    rows = sorted(rm.demand_rows.values())
    trials = [np.zeros(len(rows)), *(rng.normal(0, scale, len(rows)) for scale in (0.01, 0.1, 1.0))]
    trials.append(np.array(list(lagrange.relax(rm, 30).multipliers.values())))
    for lam in trials:
        bound = lagrange.integer_site_bound(rm, dict(zip(rows, lam.tolist())))
        assert bound is not None and bound <= optimum * (1 + 1e-9), (bound, optimum)


def test_the_relaxations_bound_is_close_and_well_above_the_weak_lp(cap131):
    """On cap131 the relaxation's multipliers prove the optimum within 1 %; the same model's LP relaxation
    without serve_open rows (what branch and bound starts from above STRONG_LINKING_MAX_PAIRS pairs) is
    several times further off."""
    scenario, rm, optimum = cap131
    relaxation = lagrange.relax(rm, 30)
    bound = lagrange.integer_site_bound(rm, relaxation.multipliers)
    weak = _lp_without_serve_open(scenario)
    assert optimum * (1 - 0.01) <= bound <= optimum * (1 + 1e-9)  # published figures are rounded to 0.001 USD
    assert (optimum - weak) > 3 * (optimum - bound)


def _lp_without_serve_open(scenario) -> float:
    from planner.optimize.pricing import solve_lp

    rm = build_model(scenario, strong_linking_max_pairs=0)
    assert _serve_open_rows(rm) == 0
    arrays = rm.builder.arrays()
    lp = solve_lp(arrays, np.arange(arrays.matrix.shape[0]), np.arange(len(arrays.cost)), arrays.cost)
    return lp.objective + arrays.offset


def _serve_open_rows(rm) -> int:
    return sum(1 for name in rm.builder.row_names if name.startswith("serve_open["))


def test_the_kernels_models_get_serve_open_rows_above_the_full_models_limit(cap131, monkeypatch):
    """cap131's 2,500 serving pairs get a row each under the default limit. With that limit lowered below
    them (as capa's 100,000 pairs are above it), kernel search still builds the core's and the kernel's
    models with their rows (KERNEL_STRONG_LINKING_MAX_PAIRS); a restricted model not asking for them has none."""
    from planner.optimize import model as model_module
    from planner.optimize import start

    scenario, rm, _ = cap131
    assert _serve_open_rows(rm) == 2500
    built = []
    real = model_module.build_model
    monkeypatch.setattr(model_module, "STRONG_LINKING_MAX_PAIRS", 10)
    monkeypatch.setattr(model_module, "build_model", lambda *a, **k: built.append(real(*a, **k)) or built[-1])
    out = plan_rollout(scenario, SolveOptions(start="lagrangean", time_limit_s=30))
    assert out.plan.provenance.method.startswith("kernel search")
    assert len(built) == 2 and all(_serve_open_rows(m) > 0 for m in built)  # the core's and the kernel's
    built.clear()
    start.solve_restricted(scenario, {s.id for s in scenario.sites[:10]}, SolveOptions(time_limit_s=5))
    assert [_serve_open_rows(m) for m in built] == [0]


@pytest.mark.parametrize("name", ["cap71", "cap101", "cap131"])
def test_kernel_search_reaches_the_published_optimum(name, tmp_path):
    scenario = imported(name, tmp_path)
    outcome = plan_rollout(scenario, SolveOptions(start="lagrangean", relative_gap=1e-9, time_limit_s=60))
    optimum = published()[name]
    assert abs(outcome.plan.npv_usd - optimum) <= 1e-6 * optimum
    assert outcome.result.best_bound_usd <= optimum * (1 + 1e-9)
    assert outcome.result.gap == pytest.approx((outcome.result.objective - outcome.result.best_bound)
                                               / abs(outcome.result.objective), rel=1e-6)
    assert "kernel search: a Lagrangean relaxation of the demand rows" in outcome.plan.provenance.method


def test_auto_takes_kernel_search_only_for_single_phase_facility_location(tmp_path, write_scenario):
    """capa (100 x 1,000: 100,000 serving pairs, no serve_open rows) takes it; cap131 (2,500 pairs, rows in)
    and a scenario without demand regions do not; another back end never does."""
    capa = imported("capa", tmp_path, capacity="8000")
    rm = build_model(capa)
    assert lagrange.applies(rm)
    assert start_mode(capa, SolveOptions(), rm) == "lagrangean"
    assert start_mode(capa, SolveOptions(solver="scip"), rm) == "none"
    small = imported("cap131", tmp_path)
    assert start_mode(small, SolveOptions(), build_model(small)) == "none"
    scenario = load_scenario(write_scenario(tiny_doc([site("A"), site("B")])))
    assert start_mode(scenario, SolveOptions(), build_model(scenario)) == "none"
    # asked for explicitly where it cannot run (no demand regions): the full model decides instead
    assert start_mode(scenario, SolveOptions(start="lagrangean"), build_model(scenario)) == "none"
