"""The performance-record runner keeps working (its figures are measured by hand, not asserted here)."""

from __future__ import annotations

import argparse

import pytest

from benchmarks.run import FABRIC_RACKS, Row, fabric_case, plan_rows, print_table, pulumi_case


def test_every_area_plans_its_cases_and_each_baseline_is_a_row_of_the_run():
    rows = plan_rows(["optimizer", "orlib", "fabric"], quick=False)
    keys = {(case, variant) for _, case, variant, _, _ in rows}
    assert {base for *_, base in rows if base} <= keys
    assert sum(1 for area, *_ in rows if area == "fabric") == 2 * len(FABRIC_RACKS)
    assert {variant for area, _, variant, _, _ in rows if area == "optimizer"} == {"highs", "cp-sat"}
    assert not any("1,000" in case for _, case, *_ in plan_rows(["optimizer"], quick=True))


def test_a_fabric_case_and_a_pulumi_case_measure_real_work():
    fabric = fabric_case(FABRIC_RACKS["8k"], compact=True)
    assert fabric["result"].startswith("8,064 GPUs") and fabric["seconds"] > 0 and fabric["peak_mib"] > 0
    pulumi = pulumi_case("1")
    assert pulumi["resources"] > 0 and pulumi["result"].startswith(f"{pulumi['resources']} resources")


def test_the_table_gives_ratios_against_the_baseline_row(capsys):
    base = Row("fabric", "8k", "full", "ok", 2.0, 100.0)
    print_table([base, Row("fabric", "64k", "full", "ok", 16.0, 800.0, baseline=("8k", "full"))])
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].endswith("| 2.00 | 1 (base) | 100 |") and lines[3].endswith("| 16.00 | 8.00x | 800 |")


def test_the_scale_benchmark_runs_a_shape_with_the_restricted_start():
    from benchmarks.scale import case

    result = case(100, "tight-funding", "restricted", 1e-2, 30.0)  # screening keeps 40 of the 100 sites
    assert result["status"] in ("optimal", "feasible") and result["gap"] <= 1e-2
    assert "restricted model" in result["method"] and result["seconds"] >= result["build_s"] > 0


def test_the_scale_benchmark_lists_each_runs_method_after_its_table(monkeypatch, capsys):
    from benchmarks import scale

    monkeypatch.setattr("sys.argv", ["scale", "--sites", "40", "--shapes", "retire@2", "--starts", "auto",
                                     "--gap", "1e-2", "--time-limit", "30", "--methods"])
    assert scale.main() == 0
    lines = capsys.readouterr().out.splitlines()
    row = next(k for k, line in enumerate(lines) if line.startswith("| retire@2 | auto | optimal |"))
    assert lines[row + 1] == "" and lines[row + 2].startswith("- retire@2, auto: branch and bound")


def test_the_scale_benchmark_names_a_bad_shape_instead_of_failing_in_its_worker(monkeypatch, capsys):
    from benchmarks import scale, shapes

    for name in ("seed7", "early-scarce", "odd-blocks@41", "structural"):
        assert shapes.shape_name(name) == name
    for bad in ("seed7@2", "odd-blocks@x", "no-such-shape"):
        with pytest.raises(argparse.ArgumentTypeError, match="is not a shape"):
            shapes.shape_name(bad)
    assert shapes.expand(["seed1", "structural"]) == ["seed1", *shapes.STRUCTURAL]
    assert scale.threads_arg("default") is None and scale.threads_arg("2") == 2
    with pytest.raises(argparse.ArgumentTypeError, match="neither a thread count"):
        scale.threads_arg("0")
    monkeypatch.setattr("sys.argv", ["scale", "--shapes", "seed7,seed8"])
    with pytest.raises(SystemExit) as stopped:
        scale.main()
    assert stopped.value.code == 2 and "'seed7,seed8' is not a shape" in capsys.readouterr().err


def test_each_structural_shape_is_a_valid_scenario_with_its_one_change(tmp_path):
    """benchmarks.shapes: every structural variant loads through the real loader, differs from the generator's
    scenario of the same seed in what its name says, and split-demand serves the same demand from the same sites."""
    from benchmarks.shapes import STRUCTURAL, shaped_doc
    from benchmarks.synthetic import scenario_doc
    from planner.files import dump_yaml
    from planner.optimize.options import SolveOptions
    from planner.optimize.rollout import plan_rollout
    from planner.scenario import load_scenario

    base = scenario_doc(40, 3)
    docs = {name: shaped_doc(40, f"{name}@3") for name in STRUCTURAL}
    scenarios = {}
    for name, doc in docs.items():
        (tmp_path / f"{name}.yaml").write_text(dump_yaml(doc))
        scenarios[name] = load_scenario(tmp_path / f"{name}.yaml")
    assert shaped_doc(40, "rates@3") == docs["rates"]  # a pure function of its name
    assert sum(1 for s in scenarios["supply"].sites if s.onsite_power or s.grid_upgrades) >= 4
    assert [p.it_mw_required for p in scenarios["six-phases"].phases] == [1700.0] * 6
    assert {b.it_mw for s in scenarios["odd-blocks"].sites for b in s.power_blocks} == {40, 120, 250}
    assert sum(1 for s in docs["rates"]["sites"] if "max_it_mw_per_phase" in s) >= 10
    assert scenarios["shortfall"].constraints.shortfall_usd_per_mw == 30e6
    assert scenarios["region-share"].constraints.max_region_share == 0.3
    assert scenarios["retire"].economics.it_end_of_life == "retire"
    assert scenarios["latency"].constraints.training_max_latency_ms == 20
    assert [r["id"] for r in docs["latency"]["demand_regions"]] == ["east", "west", "central"]
    for name in ("shortfall", "region-share", "retire"):
        assert docs[name]["sites"] == base["sites"] and docs[name]["phases"] == base["phases"]
    split = docs["split-demand"]["demand_regions"]
    assert len(split) == 16 and sum(r["demand_mw"] for r in split) == pytest.approx(
        sum(r["demand_mw"] for r in base["demand_regions"]))
    out = plan_rollout(scenarios["split-demand"], SolveOptions(time_limit_s=60.0, relative_gap=1e-3))
    assert out.result.status.value == "optimal"
    assert {d.region for d in out.plan.phases[-1].demand} == {r["id"] for r in split}


def test_the_fuzz_campaign_runs_cases_and_reports_every_verdict():
    """A 30-case campaign (the real one has 10,000): every case gets a verdict, each family its exit codes,
    and the same seed makes the same cases."""
    import random
    import subprocess
    import sys

    from benchmarks.fuzz import make_case
    from tests.helpers import REPO

    first = [make_case(n, random.Random(5)) for n in range(3)]
    assert first == [make_case(n, random.Random(5)) for n in range(3)]
    run = subprocess.run([sys.executable, "-m", "benchmarks.fuzz", "--cases", "30", "--seed", "4"], cwd=REPO,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr  # no exit 70, no hang, no write outside the output folder
    assert "# fuzz campaign: 30 cases, seed 4" in run.stdout and "verdicts: {'answer': 30}" in run.stdout


def test_the_proof_peers_benchmark_solves_a_written_model_from_its_start(write_scenario, tmp_path):
    """The peer runner reads what --write-models writes (MPS and .mst) and reaches the model's known optimum."""
    from benchmarks.proof_peers import solve_one
    from planner.optimize.model import build_model
    from planner.optimize.options import SolveOptions
    from planner.optimize.solve import solve
    from planner.scenario import load_scenario
    from tests.helpers import site, tiny_doc

    doc = tiny_doc([site("A", grid=[60.0], pue=1.2), site("B", capex_per_mw=2e6, open_cost=3e6)],
                   constraints={"min_sites_per_phase": 2, "diversity_min_it_mw": 10})
    rm = build_model(load_scenario(write_scenario(doc)), (), None)
    first = solve(rm.model, SolveOptions(relative_gap=0.0))
    solve(rm.model, SolveOptions(relative_gap=0.0, write_models=str(tmp_path)), hint=first.values)
    r = solve_one("ortools-highs", tmp_path / "01-tiny.mps", tmp_path / "01-tiny.mst", 0.0, 30.0, 0)
    assert r["status"] == "optimal" and abs(r["objective"] - 153.0) < 1e-6 and r["seconds"] >= 0
    varied = solve_one("ortools-highs", tmp_path / "01-tiny.mps", tmp_path / "01-tiny.mst", 0.0, 30.0, 1,
                       "mip_pscost_minreliable=0,mip_detect_symmetry=false")
    assert varied["status"] == "optimal" and abs(varied["objective"] - 153.0) < 1e-6
    with pytest.raises(SystemExit, match="option name was unknown"):  # the options reach HiGHS, which refuses this
        solve_one("ortools-highs", tmp_path / "01-tiny.mps", tmp_path / "01-tiny.mst", 0.0, 30.0, 0, "no_such_option=1")


def test_the_proof_peers_benchmark_types_highs_options_by_their_form():
    from benchmarks.proof_peers import _variant, highs_options

    assert _variant("mip_lp_age_limit=20,presolve=off") == "mip_lp_age_limit=20,presolve=off"
    for bad in ("mip_lp_age_limit", "=20", "mip_lp_age_limit=", "a=1,"):
        with pytest.raises(argparse.ArgumentTypeError, match="expected NAME=VALUE"):
            _variant(bad)

    o = highs_options("mip_pscost_minreliable=0,mip_detect_symmetry=false,mip_heuristic_effort=0.01,"
                      "mip_feasibility_tolerance=1e-7,presolve=off")
    assert dict(o.int_options) == {"mip_pscost_minreliable": 0}
    assert dict(o.bool_options) == {"mip_detect_symmetry": False}
    assert dict(o.double_options) == {"mip_heuristic_effort": 0.01, "mip_feasibility_tolerance": 1e-7}
    assert dict(o.string_options) == {"presolve": "off"}
    assert highs_options("") == type(o)()


def test_the_row_families_benchmark_leaves_out_the_rows_named(write_scenario, tmp_path):
    """The tiny scenario costs 153 $M as written (hand-solvable, as above); without its requirement and
    site-count rows nothing has to be built, so its optimum is 0."""
    from benchmarks.row_families import variant
    from planner.optimize.model import build_model
    from planner.optimize.options import SolveOptions
    from planner.optimize.solve import solve
    from planner.scenario import load_scenario
    from tests.helpers import site, tiny_doc

    doc = tiny_doc([site("A", grid=[60.0], pue=1.2), site("B", capex_per_mw=2e6, open_cost=3e6)],
                   constraints={"min_sites_per_phase": 2, "diversity_min_it_mw": 10})
    rm = build_model(load_scenario(write_scenario(doc)), (), None)
    solve(rm.model, SolveOptions(relative_gap=0.0, write_models=str(tmp_path)))
    whole = variant(str(tmp_path / "01-tiny.mps"), [], 30.0)
    assert whole["rows left out"] == 0 and abs(whole["plan"] - 153.0) < 1e-6 and whole["status"] == "optimal"
    assert whole["LP"] <= whole["plan"] + 1e-9 and whole["gap left"] <= 1e-6
    counts_only = variant(str(tmp_path / "01-tiny.mps"), ["requirement"], 30.0)
    assert counts_only["rows left out"] == 1 and 0.0 < counts_only["plan"] < 153.0  # two sites still add 10 MW
    continuous = variant(str(tmp_path / "01-tiny.mps"), [], 30.0, relax=".")  # every integer relaxed: an LP
    assert continuous["relaxed"] > 0 and continuous["rows left out"] == 0
    assert abs(continuous["plan"] - continuous["LP"]) < 1e-6 and continuous["plan"] < 153.0 - 1e-6
    untouched = variant(str(tmp_path / "01-tiny.mps"), [], 30.0, relax="^no_such_variable$")
    assert untouched["relaxed"] == 0 and abs(untouched["plan"] - 153.0) < 1e-6
    free = variant(str(tmp_path / "01-tiny.mps"), ["requirement", "min_"], 30.0)
    assert free["rows left out"] > 1 and abs(free["plan"]) < 1e-9


def test_the_probing_benchmark_bounds_each_site_forced_open(write_scenario, tmp_path):
    """Hand-solvable: 100 MW from A costs 100 $M (1 $M/MW, no opening cost) and is the LP's optimum; B opened
    as well adds its 3 $M opening, so its forced bound is 103 and a threshold of 101 rules it out."""
    from benchmarks.probing import probe
    from planner.optimize.model import build_model
    from planner.optimize.options import SolveOptions
    from planner.optimize.solve import solve
    from planner.scenario import load_scenario
    from tests.helpers import site, tiny_doc

    doc = tiny_doc([site("A"), site("B", capex_per_mw=2e6, open_cost=3e6)])
    rm = build_model(load_scenario(write_scenario(doc)), (), None)
    solve(rm.model, SolveOptions(relative_gap=0.0, write_models=str(tmp_path)))
    out = probe(str(tmp_path / "01-tiny.mps"), threshold=101.0)
    assert out["sites"] == 2 and abs(out["LP"] - 100.0) < 1e-6
    forced = {r["site"]: r for r in out["rows"]}
    assert abs(forced["B"]["forced"] - 103.0) < 1e-6 and forced["B"]["ruled out"]
    assert all(abs(r["forced"] - 100.0) < 1e-6 and not r["ruled out"] for s, r in forced.items() if s != "B")
    assert out["ruled out"] == 1


def test_the_proof_peers_benchmark_names_the_models_a_shape_wrote(tmp_path):
    """--model picks a written model by its place; one past the last is a clear error, not an IndexError."""
    from benchmarks.proof_peers import write_proof

    mps, mst, whole = write_proof("seed1", 50, 1e-2, 30.0, tmp_path, model=1)
    assert mps.name.startswith("01-") and mps.exists() and whole["status"] == "optimal"
    with pytest.raises(SystemExit, match="--model 9: seed1 wrote 1 model"):
        write_proof("seed1", 50, 1e-2, 30.0, tmp_path / "again", model=9)


def test_a_reordered_instance_is_the_same_instance_in_another_order(tmp_path):
    """--orders: the sites and each region's serving sites shuffled, nothing else; the optimum stays put."""
    from benchmarks.scale import reordered
    from benchmarks.shapes import shaped_doc
    from planner.files import dump_yaml
    from planner.optimize.options import SolveOptions
    from planner.optimize.rollout import plan_rollout
    from planner.scenario import load_scenario

    doc = shaped_doc(30, "many-demand")
    other = reordered(doc, 4)
    assert reordered(doc, 0) is doc
    assert [s["id"] for s in other["sites"]] != [s["id"] for s in doc["sites"]]
    assert sorted(other["sites"], key=lambda s: s["id"]) == sorted(doc["sites"], key=lambda s: s["id"])
    assert any(list(a["serve_cost_usd_per_year"]) != list(b["serve_cost_usd_per_year"])
               for a, b in zip(doc["demand_regions"], other["demand_regions"]))
    assert other["demand_regions"] == doc["demand_regions"]  # dicts compare by content, not order
    options = SolveOptions(time_limit_s=60.0, relative_gap=1e-7, start="none")
    results = []
    for n, d in enumerate((doc, other)):
        (tmp_path / f"{n}.yaml").write_text(dump_yaml(d))
        results.append(plan_rollout(load_scenario(tmp_path / f"{n}.yaml"), options).result)
    first, second = results
    assert first.status.value == second.status.value == "optimal"
    assert abs(first.objective - second.objective) <= 1e-6 * abs(first.objective)


def test_the_proof_peers_table_says_why_a_variant_failed(monkeypatch, capsys):
    """A HiGHS option variant that HiGHS refuses is a row saying so, in words; the baseline row still runs."""
    from benchmarks import proof_peers

    monkeypatch.setattr("sys.argv", ["proof_peers", "--sites", "50", "--shapes", "seed1", "--gap", "1e-2",
                                     "--time-limit", "30", "--seeds", "0", "--highs", "no_such_option=1"])
    assert proof_peers.main() == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| seed1 |")]
    failed = [row for row in rows if "no_such_option=1" in row]
    assert len(failed) == 1 and "failed: HiGHS refused the solve: option name was unknown" in failed[0]
    assert any(row.startswith("| seed1 | ortools-highs") and "failed" not in row for row in rows)


def test_the_warm_benchmark_runs_every_arm_and_the_edit_raises_only_the_last_phase(monkeypatch, capsys):
    """benchmarks.warm on 60 sites: four rows, the warm arm from the cold arm's plan (the same optimum), the
    edited arms at another, dearer one; `edited` raises the last phase's requirement by EDIT_SHARE and nothing else."""
    from benchmarks import warm
    from benchmarks.shapes import shaped_doc

    doc = shaped_doc(60, "seed1")
    changed = warm.edited(doc)
    last = doc["phases"][-1]["it_mw_required"]
    assert changed["phases"][-1]["it_mw_required"] == pytest.approx(last * (1 + warm.EDIT_SHARE))
    assert changed["phases"][:-1] == doc["phases"][:-1] and changed["sites"] == doc["sites"]
    monkeypatch.setattr("sys.argv", ["warm", "--sites", "60", "--shapes", "seed1", "--time-limit", "30"])
    assert warm.main() == 0
    rows = [line.split("|")[1:-1] for line in capsys.readouterr().out.splitlines() if line.startswith("| seed1")]
    assert [r[1].strip() for r in rows] == ["cold", "warm", "edited, cold", "edited, warm"]
    assert all(r[2].strip() == "optimal" for r in rows)
    npv = [float(r[4].replace(",", "")) for r in rows]
    assert npv[1] == pytest.approx(npv[0], rel=1e-4, abs=0.01) and npv[3] == pytest.approx(npv[2], rel=1e-4, abs=0.01)
    assert max(npv[:2]) < min(npv[2:])  # each proven within 1e-4; the edit costs more than that


def test_the_lp_bound_benchmark_prices_a_shape_and_gives_the_site_lagrangean_at_its_duals(monkeypatch, capsys):
    from benchmarks import lp_bound, scale

    monkeypatch.setattr("sys.argv", ["lp_bound", "--sites", "40", "--shapes", "many-demand@2", "--time-limit", "60",
                                     "--group-nodes", "1"])
    assert lp_bound.main() == 0
    rows = [line.split(" | ") for line in capsys.readouterr().out.splitlines() if line.startswith("| 40 |")]
    assert [row[2] for row in rows] == ["whole-lp", "pricing"]
    whole, priced = (float(row[3].replace(",", "")) for row in rows)
    assert priced == pytest.approx(whole, rel=1e-6)  # pricing ends at the whole LP's optimum
    lagrangean = float(rows[1][4].split("site Lagrangean at its duals ")[1].split(";")[0].replace(",", ""))
    gain = float(rows[1][4].split("MIP 1 node): +")[1].split(" over")[0].replace(",", ""))
    optimum = scale.case(40, "many-demand@2", "auto", 0.0, 120.0)
    assert optimum["status"] == "optimal"
    # at optimal LP duals, the site Lagrangean lies between the LP and the MIP optimum (both bound the same plans)
    assert whole * (1 - 1e-6) <= lagrangean <= optimum["objective"] * (1 + 1e-6)
    assert gain > 0 and lagrangean + gain <= optimum["objective"] * (1 + 1e-6)  # the demand rows kept: still a bound


def test_the_build_benchmark_times_the_build_against_its_reference(capsys):
    from benchmarks import build

    result = build.case(40, "odd-blocks", 2)
    assert len(result["builds"]) == len(result["references"]) == 2 and min(result["builds"]) > 0
    assert result["variables"] > 0 and result["constraints"] > result["variables"] / 2
    assert build.main(["--sites", "40", "--shapes", "seed2", "--repeat", "1"]) == 0
    row = capsys.readouterr().out.splitlines()[2]
    assert row.startswith("| seed2 | ") and row.count("|") == 9


def test_the_build_benchmark_refuses_no_builds_as_a_usage_error(capsys):
    from benchmarks import build

    for bad in (["--repeat", "0"], ["--sites", "x"]):
        with pytest.raises(SystemExit) as exit_:
            build.main(bad)
        assert exit_.value.code == 2 and "is not a whole number of 1 or more" in capsys.readouterr().err
