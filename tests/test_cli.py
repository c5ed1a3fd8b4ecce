"""The gwplan command line: exit codes, messages, --json, plan files, determinism."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import networkx
import pytest
import yaml

from planner.cli import main
from planner.plan import load_plan
from tests.helpers import REPO, site, tiny_doc


def test_validate_ok(write_scenario, capsys):
    path = write_scenario(tiny_doc([site("A")]))
    assert main(["validate", str(path)]) == 0
    assert "valid scenario 'tiny'" in capsys.readouterr().out


def test_validate_bad_lists_one_line_per_problem(write_scenario, capsys):
    doc = tiny_doc([site("A"), site("B"), site("C"), site("D")])
    doc["sites"][3]["grid_mw_by_phase"] = [1, 2, 3]
    doc["sites"][0]["colour"] = "red"
    path = write_scenario(doc)
    assert main(["validate", str(path)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [f"{path}: sites[0].colour: unknown field (known fields: {', '.join(sorted(_site_fields()))})",
                     f"{path}: sites[3].grid_mw_by_phase: expected 1 values (one per phase), got 3"]


def _site_fields():
    return {"carbon_kg_per_mwh", "energy_usd_per_mwh", "grid_mw_by_date", "grid_mw_by_phase", "grid_operator",
            "grid_upgrades", "id", "lat", "lead_time_months", "lon", "max_it_mw", "max_it_mw_per_phase", "name",
            "onsite_power", "open_cost_usd", "opex_usd_per_it_mw_year", "power_blocks", "pue", "region"}


def test_optimize_json_and_plan(write_scenario, tmp_path, capsys):
    path = write_scenario(tiny_doc([site("A"), site("B", capex_per_mw=2e6)]))
    plan_path = tmp_path / "out" / "plan.yaml"
    assert main(["optimize", str(path), "-o", str(plan_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)  # exactly one JSON object on stdout
    assert report["status"] == "optimal" and report["plan_path"] == str(plan_path)
    assert report["objective"] == pytest.approx(100e6) and report["best_bound"] == pytest.approx(100e6)
    assert report["gap"] <= 1e-4 and report["wall_s"] >= 0
    plan = yaml.safe_load(plan_path.read_text())
    assert plan["provenance"]["status"] == "optimal" and plan["provenance"]["solver"] == "highs"
    assert plan["totals"]["it_mw"] == pytest.approx(100.0)
    assert "wall" not in plan_path.read_text()  # timings stay out of the plan: same inputs, same bytes
    assert (tmp_path / "out" / "plan.summary.txt").read_text().count("Rollout plan: tiny") == 1


def test_optimize_human_summary(write_scenario, tmp_path, capsys):
    path = write_scenario(tiny_doc([site("A")]))
    assert main(["optimize", str(path), "-o", str(tmp_path / "p.yaml")]) == 0
    out = capsys.readouterr().out
    assert "status optimal" in out and "plan written to" in out and "IT MW added" in out


def test_optimize_infeasible_exits_3_and_writes_nothing(write_scenario, tmp_path, capsys):
    path = write_scenario(tiny_doc([site("A", grid=[50.0])]))  # 100 MW required, 50 MW of grid
    assert main(["optimize", str(path), "-o", str(tmp_path / "p.yaml")]) == 3
    assert "infeasible" in capsys.readouterr().err
    assert not (tmp_path / "p.yaml").exists()


def test_optimize_bad_input_exits_2(write_scenario, tmp_path, capsys):
    assert main(["optimize", str(tmp_path / "nope.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err
    path = write_scenario(tiny_doc([site("A")]))
    with pytest.raises(SystemExit) as caught:
        main(["optimize", str(path), "--gap", "-1"])
    assert caught.value.code == 2
    with pytest.raises(SystemExit) as caught:
        main(["optimize", str(path), "--solver", "gurobi"])
    assert caught.value.code == 2


@pytest.mark.parametrize("solver", ["highs", "scip", "cp-sat"])
def test_every_back_end_finds_the_same_optimum(write_scenario, tmp_path, capsys, solver):
    # A holds 50 MW IT (grid 60 at PUE 1.2) for 50 M; B the other 50 for 3 + 100 M; the 20 MW metro
    # demand costs 2 M a year from A (which has room for it) or 4 M from B, over the ~4 years to the horizon.
    demand = [{"id": "metro", "demand_mw": 20.0, "from_phase": "1", "serve_cost_usd_per_year": {"A": 2e6, "B": 4e6}}]
    doc = tiny_doc([site("A", grid=[60.0], pue=1.2), site("B", capex_per_mw=2e6, open_cost=3e6)],
                   constraints={"min_sites_per_phase": 2, "diversity_min_it_mw": 10}, demand_regions=demand)
    path = write_scenario(doc)
    assert main(["optimize", str(path), "-o", str(tmp_path / "p.yaml"), "--solver", solver, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    served_years = 5.0 - 365 / 365.25  # online 2027-01-01, a year after the planning start; horizon 5 years
    optimum = 153e6 + 2e6 * served_years
    assert report["objective"] == pytest.approx(optimum, rel=1e-6)
    if solver == "cp-sat":  # proven against a bound of the model as written, not CP-SAT's own (planner.optimize.exact)
        assert report["best_bound"] <= optimum * (1 + 1e-9)
        assert "the bound here is the LP relaxation's" in report["detail"]
        assert (report["status"] == "optimal") == (report["gap"] <= 1e-4)
    else:
        assert report["status"] == "optimal"


def test_same_inputs_same_plan_bytes(write_scenario, tmp_path, capsys):
    path = write_scenario(tiny_doc([site("A", grid=[60.0]), site("B", capex_per_mw=2e6), site("C", region="r2")]))
    for name in ("a.yaml", "b.yaml"):
        assert main(["optimize", str(path), "-o", str(tmp_path / name), "--json"]) == 0
    assert (tmp_path / "a.yaml").read_bytes() == (tmp_path / "b.yaml").read_bytes()


def test_same_inputs_same_plan_bytes_through_the_reduced_search(tmp_path, capsys):
    """The reduced search's provenance tells each pass (sites ruled out, thresholds, statuses) but no timing, which
    would differ run to run: the plan file repeats byte for byte."""
    import re

    from benchmarks.synthetic import scenario_doc
    from planner.files import dump_yaml, write_text_atomic

    path = tmp_path / "g.yaml"
    write_text_atomic(path, dump_yaml(scenario_doc(40, seed=2)))
    for name in ("a.yaml", "b.yaml"):
        assert main(["optimize", str(path), "-o", str(tmp_path / name), "--start", "reduced", "--json"]) == 0
    method = load_plan(tmp_path / "a.yaml").provenance.method
    assert method.startswith("reduced-cost fixing") and not re.search(r"\d s\b", method)
    assert (tmp_path / "a.yaml").read_bytes() == (tmp_path / "b.yaml").read_bytes()


def test_python_dash_m_planner_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    run = subprocess.run([sys.executable, "-m", "planner", "validate", str(bad)], capture_output=True, text=True,
                         cwd=REPO, timeout=60)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr and f"{bad}: line 2, column 1: is not valid YAML" in run.stderr
    helped = subprocess.run([sys.executable, "-m", "planner", "optimize", "--help"], capture_output=True,
                            text=True, cwd=REPO, timeout=60)
    assert helped.returncode == 0 and "--time-limit S" in helped.stdout and "default 60" in helped.stdout


def test_solver_log_goes_to_stderr_and_json_stays_clean(write_scenario, tmp_path, capsys):
    path = write_scenario(tiny_doc([site("A")]))
    assert main(["optimize", str(path), "-o", str(tmp_path / "p.yaml"), "--json", "--log"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["status"] == "optimal"  # stdout is exactly one JSON object
    assert "Coefficient ranges" in captured.err and "MIP tiny has 4 rows" in captured.err  # HiGHS's own log


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "optimize" in capsys.readouterr().out


def test_fabric_bom_json_from_flags(capsys):
    args = ["fabric", "--nodes", "4096", "--gpus-per-node", "1", "--rails", "1", "--switch-radix", "64",
            "--port-gbps", "800", "--nodes-per-su", "32", "--format", "bom", "--json"]
    assert main(args) == 0
    bom = json.loads(capsys.readouterr().out)
    # 4,096 endpoints of radix 64: 3 tiers (2-tier limit 2,048); 128 leaves in 4 pods of 32, each pod with
    # 32 spines; spine j of every pod meets core group j: 32 uplinks as 16 links to each of 2 cores, whose
    # 64 ports are then full (4 pods x 16): 32 groups x 2 = 64 cores.
    assert {k: bom[k] for k in ("gpus", "tiers", "switches", "cables")} == {
        "gpus": 4096, "tiers": 3, "switches": {"leaf": 128, "spine": 128, "core": 64},
        "cables": {"node_leaf": 4096, "leaf_spine": 4096, "spine_core": 4096}}
    assert bom["oversubscription"] == {"leaf": 1.0, "spine": 1.0} and bom["max_switch_hops"] == 5
    assert bom["bisection_gbps"] == 4096 / 2 * 800


def test_fabric_spec_file_with_catalog_switch_and_flag_override(tmp_path, capsys):
    spec = tmp_path / "fabric.yaml"
    spec.write_text("nodes: 1000\ngpus_per_node: 4\nrails: 4\nplanes: 2\nswitch: q3400\nnodes_per_su: 72\n")
    assert main(["fabric", str(spec), "--nodes", "500", "--format", "bom", "--json"]) == 0
    bom = json.loads(capsys.readouterr().out)
    assert bom["gpus"] == 2000 and bom["tiers"] == 2  # 7 SUs x 4 rails = 28 leaves per plane, radix 144


def test_fabric_bad_spec_names_the_field(tmp_path, capsys):
    spec = tmp_path / "fabric.yaml"
    spec.write_text("nodes: 10\ngpus_per_node: 4\nrails: 4\nswitch: q9999\nnodes_per_su: 8\nnodez: 3\n")
    assert main(["fabric", str(spec)]) == 2
    err = capsys.readouterr().err
    assert f"{spec}: switch: unknown switch 'q9999'" in err and f"{spec}: nodez: unknown field" in err


def test_fabric_file_formats_go_to_the_output_directory(tmp_path, capsys):
    args = ["fabric", "--nodes", "64", "--gpus-per-node", "4", "--rails", "4", "--switch", "q3400",
            "--nodes-per-su", "18", "--format", "graphml", "cabling", "-o", str(tmp_path)]
    assert main(args[:-2] + ["bom", "--json", "-o", str(tmp_path)]) == 0
    bom = json.loads(capsys.readouterr().out)
    assert set(bom["files"]) == {"graphml", "cabling"}
    graph = networkx.read_graphml(tmp_path / "fabric.graphml")  # the file holds the fabric the BOM counts
    switches = [n for n, d in graph.nodes(data=True) if d.get("role") in ("leaf", "spine", "core")]
    assert len(switches) == sum(bom["switches"].values())
    with open(tmp_path / "cabling.csv") as handle:
        assert sum(1 for _ in csv.DictReader(handle)) == sum(bom["cables"].values())  # one row per cable
    assert main(args) == 0
    assert f"cabling: {tmp_path / 'cabling.csv'}" in capsys.readouterr().out


def test_native_prints_during_a_solve_go_to_stderr(capfd):
    import os

    from planner.cli.runtime import native_stdout_to_stderr

    with native_stdout_to_stderr():
        os.write(1, b"solver noise\n")
    out, err = capfd.readouterr()
    assert "solver noise" in err and "solver noise" not in out


def test_fabric_failures_and_paths(capsys):
    args = ["fabric", "--nodes", "288", "--gpus-per-node", "4", "--rails", "4", "--planes", "2", "--switch",
            "q3400", "--nodes-per-su", "72", "--nvlink-domain-gpus", "72", "--failures", "--json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    impacts = {f["element"].split(":")[0]: f for f in report["failures"]}
    injection = 288 * 4 * 2 * 800
    assert impacts["plane"]["gpus_cut_off"] == 0 and impacts["plane"]["injection_gbps_lost"] == injection / 2
    assert impacts["domain"]["gpus_cut_off"] == 72
    assert impacts["plane"]["bisection_gbps_after"] == report["bisection_gbps_maxflow"] / 2
    same_leaf, far, cross_rail = report["paths"]
    assert same_leaf["switch_hops"] == 1 and far["switch_hops"] == 3 and far["ecmp_paths"] > same_leaf["ecmp_paths"]
    assert not cross_rail["same_rail"] and cross_rail["switch_hops"] == 3


def test_optimize_what_if_with_set(write_scenario, tmp_path, capsys):
    path = write_scenario(tiny_doc([site("A"), site("B", capex_per_mw=2e6)]))
    args = ["optimize", str(path), "-o", str(tmp_path / "p.yaml"), "--json"]
    assert main(args + ["--set", "sites[A].grid_mw_by_phase=[30]"]) == 0
    assert json.loads(capsys.readouterr().out)["objective"] == pytest.approx(30e6 + 140e6)  # 30 at A, 70 at B
    assert main(args + ["--set", "sites[A].grid_mw_by_phase=[30]", "--set", "sites[B].grid_mw_by_phase=[30]"]) == 3
    assert main(["validate", str(path), "--set", "sites[Q].pue=1.1"]) == 2
    assert "--set: sites[Q].pue: no record with id 'Q'" in capsys.readouterr().err


def test_diff_shows_what_moved(write_scenario, tmp_path, capsys):
    path = write_scenario(tiny_doc([site("A"), site("B", capex_per_mw=2e6)]))
    assert main(["optimize", str(path), "-o", str(tmp_path / "a.yaml"), "--json"]) == 0
    assert main(["optimize", str(path), "-o", str(tmp_path / "b.yaml"), "--json",
                 "--set", "sites[A].grid_mw_by_phase=[30]"]) == 0
    capsys.readouterr()
    assert main(["diff", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["sites_only_in_b"] == ["B"] and d["sites_only_in_a"] == []
    assert d["delta_npv_usd"] == pytest.approx(70e6)  # 70 MW moved from 1 M/MW to 2 M/MW
    (phase,) = d["phases"]
    assert {c["site"]: c["delta_mw"] for c in phase["sites"]} == pytest.approx({"A": -70.0, "B": 70.0})
    assert main(["diff", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")]) == 0
    assert "sites added: B" in capsys.readouterr().out


def test_committed_phases_are_kept_and_later_ones_replanned(write_scenario, tmp_path, capsys):
    phases = [{"id": str(i + 1), "online_date": f"{2027 + i}-01-01", "it_mw_required": 100.0, "platform": "unit",
               "funding_usd": 1e12} for i in range(2)]
    path = write_scenario(tiny_doc([site("A"), site("B", capex_per_mw=2e6)], phases=phases))
    assert main(["optimize", str(path), "-o", str(tmp_path / "a.yaml"), "--json"]) == 0
    # B becomes the cheaper site; phase 1 is already built at A, so only phase 2 may move to B
    cheaper_b = ["--set", "sites[B].power_blocks=[{it_mw: 10, capex_usd_per_it_mw: 0.5e6}]"]
    assert main(["optimize", str(path), "-o", str(tmp_path / "free.yaml"), "--json"] + cheaper_b) == 0
    assert main(["optimize", str(path), "-o", str(tmp_path / "b.yaml"), "--json", "--commit",
                 str(tmp_path / "a.yaml"), "--phases", "1"] + cheaper_b) == 0
    capsys.readouterr()
    from planner.plan import load_plan

    free, kept = load_plan(tmp_path / "free.yaml"), load_plan(tmp_path / "b.yaml")
    assert {s.site: s.it_mw_total for s in free.phases[0].sites} == {"B": 100.0}
    assert {s.site: s.it_mw_total for s in kept.phases[0].sites} == {"A": 100.0}  # as committed
    assert {s.site: s.it_mw_added for s in kept.phases[1].sites if s.it_mw_added} == {"B": 100.0}
    assert main(["optimize", str(path), "--commit", str(tmp_path / "a.yaml"), "--phases", "7"]) == 2
    assert "phase '7' is not in the committed plan" in capsys.readouterr().err


def test_stability_keeps_a_replan_close_to_the_previous_plan(write_scenario, tmp_path, capsys):
    path = write_scenario(tiny_doc([site("A"), site("B", capex_per_mw=2e6)]))
    assert main(["optimize", str(path), "-o", str(tmp_path / "a.yaml"), "--json"]) == 0
    # B becomes 1 % cheaper than A: worth 1 M to move 100 MW; moving costs 2 x 100 MW x 0.1 M with stability
    cheaper_b = ["--set", "sites[B].power_blocks=[{it_mw: 10, capex_usd_per_it_mw: 0.99e6}]"]
    assert main(["optimize", str(path), "-o", str(tmp_path / "moved.yaml"), "--json"] + cheaper_b) == 0
    assert main(["optimize", str(path), "-o", str(tmp_path / "kept.yaml"), "--json", "--previous",
                 str(tmp_path / "a.yaml"), "--stability", "1e5"] + cheaper_b) == 0
    capsys.readouterr()
    from planner.plan import load_plan

    assert load_plan(tmp_path / "moved.yaml").sites_used == ("B",)
    assert load_plan(tmp_path / "kept.yaml").sites_used == ("A",)
    assert main(["optimize", str(path), "--stability", "1e5"]) == 2


def test_alternatives_within_the_slack(write_scenario, tmp_path, capsys):
    path = write_scenario(tiny_doc([site("A"), site("B", capex_per_mw=1.01e6), site("C", capex_per_mw=1.5e6)]))
    assert main(["optimize", str(path), "-o", str(tmp_path / "p.yaml"), "--alternatives", "2", "--within", "2%",
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["sites"] for r in report["plans"]] == [["A"], ["B"]]  # C costs 50 % more: not an option
    assert report["plans"][1]["above_optimum"] == pytest.approx(0.01)
    alternative = load_plan(tmp_path / "p.alt1.yaml")  # written where the report says, and it is that plan
    assert report["plans"][1]["plan_path"] == str(tmp_path / "p.alt1.yaml")
    assert alternative.sites_used == ("B",) and alternative.npv_usd == report["plans"][1]["npv_usd"]


def test_quiet_is_a_global_flag(write_scenario, capsys):
    path = write_scenario(tiny_doc([site("A")]))
    assert main(["-q", "validate", str(path)]) == 0 and main(["--quiet", "optimize", str(path), "--json",
                                                               "-o", str(path.with_suffix(".plan.yaml"))]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["status"] == "optimal"


def test_highs_progress_lines_are_parsed():
    from planner.optimize.solve import parse_progress

    line = (" L       0       0         0   0.00%   15.53640925     19.92127464       22.01%    17791   1599      0"
            "      4010    22.8s")
    assert parse_progress(line) == (15.53640925, 19.92127464, pytest.approx(0.2201))
    assert parse_progress("Presolving model") is None
    no_incumbent = ("         0       0         0   0.00%   0               inf                  inf        0      0"
                    "      0         0     0.0s")
    assert parse_progress(no_incumbent) == (0.0, float("inf"), None)


def test_a_plan_that_stack_files_read_needs_force(write_scenario, tmp_path, monkeypatch, capsys):
    path = write_scenario(tiny_doc([site("A")]))
    monkeypatch.chdir(tmp_path)
    assert main(["optimize", str(path), "-o", "plans/p.yaml", "--json"]) == 0
    assert main(["stacks", "plans/p.yaml"]) == 0  # stacks/config/Pulumi.phase-1.yaml now reads it
    before = (tmp_path / "plans" / "p.yaml").read_bytes()
    capsys.readouterr()
    assert main(["optimize", str(path), "-o", "plans/p.yaml", "--json"]) == 2
    assert "Pulumi stack file(s) read this plan" in capsys.readouterr().err
    assert (tmp_path / "plans" / "p.yaml").read_bytes() == before
    assert main(["optimize", str(path), "-o", "plans/p.yaml", "--json", "--force"]) == 0


@pytest.mark.parametrize("flags", [["--commit", "{plan}", "--phases", "1"],
                                   ["--previous", "{plan}", "--stability", "1e6"]])
def test_a_replan_does_not_overwrite_the_plan_it_reads_without_force(flags, write_scenario, tmp_path, capsys):
    path = write_scenario(tiny_doc([site("A")]))
    plan = tmp_path / "p.yaml"
    assert main(["-q", "optimize", str(path), "-o", str(plan)]) == 0
    before = plan.read_bytes()
    argv = ["-q", "optimize", str(path), "-o", str(plan), *(f.format(plan=plan) for f in flags)]
    capsys.readouterr()
    assert main(argv) == 2
    assert "plan this run reads" in capsys.readouterr().err and plan.read_bytes() == before
    assert main([*argv, "--force"]) == 0


def test_a_back_end_that_rejects_the_model_is_exit_4_with_its_words(write_scenario, tmp_path, monkeypatch, capsys):
    """CP-SAT can refuse a model it cannot scale to integers (MODEL_INVALID): an outcome, not a crash."""
    from ortools.math_opt.python import mathopt

    def refuse(*args, **kwargs):
        raise RuntimeError("cp-sat solver returned MODEL_INVALID, details: [INTERNAL]")
    monkeypatch.setattr(mathopt, "solve", refuse)
    path = write_scenario(tiny_doc([site("A")]))
    assert main(["-q", "optimize", str(path), "-o", str(tmp_path / "p.yaml"), "--solver", "cp-sat"]) == 4
    err = capsys.readouterr().err
    assert "the solver cp-sat failed (cp-sat solver returned MODEL_INVALID" in err and "try another --solver" in err
    assert not (tmp_path / "p.yaml").exists()


def test_quiet_works_before_or_after_the_command():
    from planner.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["-q", "optimize", "s.yaml"]).quiet is True
    assert parser.parse_args(["optimize", "s.yaml", "--quiet"]).quiet is True
    assert parser.parse_args(["optimize", "s.yaml"]).quiet is False
