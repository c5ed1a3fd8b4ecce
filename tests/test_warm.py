"""Starting from a plan already made (`gwplan optimize --warm-start`, planner.optimize.warm): the plan takes the
first pass's place and the answer is still the proven optimum; a plan that no longer fits is re-solved on its own
sites; one that builds nowhere the scenario has gives no plan and the search finds its own; every way says so in
the provenance."""

from __future__ import annotations

import json

import pytest

from benchmarks.synthetic import scenario_doc
from benchmarks.warm import edited
from planner.cli import main
from planner.files import dump_yaml, write_text_atomic
from planner.optimize import rollout
from planner.optimize.options import SolveOptions
from planner.optimize.rollout import plan_rollout
from planner.optimize.warm import warm_start_from_plan
from planner.plan import dump_plan, load_plan
from planner.scenario import load_scenario
from tests.helpers import site, tiny_doc


@pytest.fixture(scope="module")
def sixty(tmp_path_factory):
    """60 generated sites over 10 phases (seed 1), the same with its last phase's requirement raised, and each
    one's optimum (to 1e-7, branch and bound on the full model); the first optimum's plan written to a file."""
    folder = tmp_path_factory.mktemp("warm")
    doc = scenario_doc(60, seed=1)
    out, plans = {}, {}
    for name, d in (("plain", doc), ("edited", edited(doc))):
        path = folder / f"{name}.yaml"
        write_text_atomic(path, dump_yaml(d))
        scenario = load_scenario(path)
        exact = plan_rollout(scenario, SolveOptions(start="none", relative_gap=1e-7))
        assert exact.result.status.value == "optimal"
        out[name], plans[name] = (scenario, exact.result.objective), exact.plan
    dump_plan(plans["plain"], folder / "plain.plan.yaml")
    return out, folder / "plain.plan.yaml", plans["plain"]


def test_the_warm_start_takes_the_first_passs_place_and_the_optimum_is_still_proven(sixty, monkeypatch):
    """From the optimum's own plan the reduced search does no first pass (no plan "from the best N sites"); the
    plan, as built, is re-solved on its own sites as a first pass's would be, and the same optimum is proven."""
    out, plan_path, _ = sixty
    scenario, optimum = out["plain"]
    monkeypatch.setattr(rollout, "KERNEL_SITES", 15)  # the two-pass path of the 1,000-site searches
    warm = warm_start_from_plan(load_plan(plan_path), scenario, "plain.plan.yaml")
    run = plan_rollout(scenario, SolveOptions(start="reduced", relative_gap=1e-4), warm=warm)
    r, method = run.result, run.plan.provenance.method
    assert f"the warm start plain.plan.yaml ({len(warm.sites)} sites), as it was built; then" in method
    assert "sites left" not in method and f"then that plan re-solved on its own {len(warm.sites)} sites" in method
    assert "branch and bound on the rest for its bound" in method
    assert r.status.value == "optimal" and optimum <= r.objective <= optimum * (1 + 1e-4)
    assert r.objective == pytest.approx(optimum, rel=1e-6)  # the start was the optimum: nothing dearer is kept
    assert r.best_bound <= optimum * (1 + 1e-9)


def test_a_plan_that_no_longer_fits_is_re_solved_on_its_sites_and_the_new_optimum_proven(sixty, monkeypatch):
    """The last phase needs 5 % more IT than the plan built (benchmarks.warm.edited): as built it has no solution,
    so its sites are solved afresh, and the proof still reaches the edited scenario's own optimum."""
    out, plan_path, _ = sixty
    scenario, optimum = out["edited"]
    assert optimum > out["plain"][1]  # the edit costs something: the old plan cannot be the answer
    monkeypatch.setattr(rollout, "KERNEL_SITES", 15)
    warm = warm_start_from_plan(load_plan(plan_path), scenario, "plain.plan.yaml")
    run = plan_rollout(scenario, SolveOptions(start="reduced", relative_gap=1e-4), warm=warm)
    r, method = run.result, run.plan.provenance.method
    assert "the warm start plain.plan.yaml" in method and "re-solved on its sites (as built, infeasible here;" in method
    assert r.status.value == "optimal" and optimum * (1 - 1e-9) <= r.objective <= optimum * (1 + 1e-4)
    assert r.best_bound <= optimum * (1 + 1e-9)


def test_a_plan_of_sites_the_scenario_lacks_gives_no_start_and_says_why(sixty, write_scenario):
    """Sites the scenario does not have are left out of the warm start; what the plan built cannot be fixed then
    (its own words say which site), and a plan with none of the scenario's sites gives no plan, so the search
    finds its own first plan and says why."""
    out, plan_path, exact_plan = sixty
    scenario, _ = out["plain"]
    used = sorted({s.site for phase in exact_plan.phases for s in phase.sites})
    doc = scenario_doc(60, seed=1)
    doc["sites"] = [s for s in doc["sites"] if s["id"] != used[0]]
    fewer = load_scenario(write_scenario(doc))
    warm = warm_start_from_plan(load_plan(plan_path), fewer, "p.yaml")
    assert used[0] not in warm.sites and set(warm.sites) == set(used[1:])
    assert warm.built == () and warm.misfit == f"site {used[0]!r} of the plan is not in the scenario"

    other = load_scenario(write_scenario(tiny_doc([site("A"), site("B")])))
    nowhere = warm_start_from_plan(load_plan(plan_path), other, "p.yaml")
    assert nowhere.sites == ()
    run = plan_rollout(other, SolveOptions(), warm=nowhere)
    assert run.result.status.value == "optimal"
    assert run.plan.provenance.method == ("branch and bound on the full model; the warm start p.yaml (0 sites) gave no "
                                          "plan: it builds at none of this scenario's sites")


def test_small_scenarios_branch_on_the_full_model_from_the_warm_plan(write_scenario, tmp_path, capsys):
    """Below 150 sites there is no reduced search: the warm plan is the full model's start, on the command line
    as in the API; a missing plan file and --alternatives are clear errors."""
    path = write_scenario(tiny_doc([site("A"), site("B", capex_per_mw=2e6)]))
    assert main(["optimize", str(path), "-o", str(tmp_path / "a.yaml"), "--json"]) == 0
    cold = json.loads(capsys.readouterr().out)
    assert main(["optimize", str(path), "-o", str(tmp_path / "b.yaml"), "--json",
                 "--warm-start", str(tmp_path / "a.yaml")]) == 0
    warm = json.loads(capsys.readouterr().out)
    assert warm["status"] == "optimal" and warm["objective"] == pytest.approx(cold["objective"], rel=1e-9)
    method = load_plan(tmp_path / "b.yaml").provenance.method
    assert method == (f"branch and bound on the full model, started from the warm start {tmp_path / 'a.yaml'} (1 "
                      "site), as it was built; bound and gap from the full model")
    assert main(["optimize", str(path), "--warm-start", str(tmp_path / "none.yaml")]) == 2
    assert "none.yaml" in capsys.readouterr().err
    assert main(["optimize", str(path), "--warm-start", str(tmp_path / "a.yaml"), "--alternatives", "2"]) == 2
    assert "--warm-start and --alternatives do not go together" in capsys.readouterr().err


def test_the_kernel_search_says_it_did_not_use_the_warm_start(tmp_path):
    """The lagrangean start (one-phase facility location) finds its own sites: the provenance says the warm start
    went unused rather than leaving it out silently."""
    from tests.test_lagrange import imported

    scenario = imported("cap71", tmp_path)
    cold = plan_rollout(scenario, SolveOptions(start="lagrangean", time_limit_s=30))
    dump_plan(cold.plan, tmp_path / "cap71.plan.yaml")
    warm = warm_start_from_plan(load_plan(tmp_path / "cap71.plan.yaml"), scenario, "cap71.plan.yaml")
    again = plan_rollout(scenario, SolveOptions(start="lagrangean", time_limit_s=30), warm=warm)
    assert again.result.objective == pytest.approx(cold.result.objective, rel=1e-9)
    assert again.plan.provenance.method.endswith(f"; the warm start cap71.plan.yaml ({len(warm.sites)} sites) not "
                                                 "used (the kernel search finds its own sites)")


def test_a_re_plan_around_committed_phases_can_start_from_the_same_plan(write_scenario, tmp_path, capsys):
    """--commit PLAN --phases 1 with --warm-start PLAN: the committed phase stays at A as built, phase 2 moves to
    B (made cheaper), and the search started from the plan, whose fixes agree with the committed ones."""
    phases = [{"id": str(i + 1), "online_date": f"{2027 + i}-01-01", "it_mw_required": 100.0, "platform": "unit",
               "funding_usd": 1e12} for i in range(2)]
    path = write_scenario(tiny_doc([site("A"), site("B", capex_per_mw=2e6)], phases=phases))
    first = tmp_path / "a.yaml"
    assert main(["optimize", str(path), "-o", str(first), "-q"]) == 0
    cheaper_b = ["--set", "sites[B].power_blocks=[{it_mw: 10, capex_usd_per_it_mw: 0.5e6}]"]
    assert main(["optimize", str(path), "-o", str(tmp_path / "b.yaml"), "-q", "--commit", str(first), "--phases", "1",
                 "--warm-start", str(first)] + cheaper_b) == 0
    capsys.readouterr()
    again = load_plan(tmp_path / "b.yaml")
    assert {s.site: s.it_mw_total for s in again.phases[0].sites} == {"A": 100.0}
    assert {s.site: s.it_mw_added for s in again.phases[1].sites if s.it_mw_added} == {"B": 100.0}
    assert f"started from the warm start {first} (1 site), as it was built" in again.provenance.method
