"""Monte Carlo sweeps: samples are reproducible and identical whichever executor runs them."""

from __future__ import annotations

import contextlib
import json

import pytest

from planner.cli import main
from planner.optimize.options import SolveOptions
from planner.optimize.sweep import SweepOptions, percentile, perturb, run_sweep, summarize
from planner.scenario import load_scenario
from tests.helpers import site, tiny_doc


@pytest.fixture
def scenario(write_scenario):
    phases = [{"id": str(i + 1), "online_date": f"{2027 + i}-01-01", "it_mw_required": 50.0, "platform": "unit",
               "funding_usd": 1e12} for i in range(2)]
    sites = [site("A", grid=[60.0, 120.0], energy=50.0), site("B", grid=[60.0, 120.0], energy=55.0,
                                                             capex_per_mw=1.05e6),
             site("C", grid=[0.0, 200.0], energy=40.0, capex_per_mw=0.9e6)]
    doc = tiny_doc(sites, phases=phases)
    doc["platforms"][0]["rack_it_kw"] = {"default": 1000, "range": [900, 1100]}
    return load_scenario(write_scenario(doc))


def test_perturbation_is_seeded_and_leaves_the_input_alone(scenario):
    options = SweepOptions(samples=3, seed=7, grid_delay_probability=0.5)
    one, again = perturb(scenario, options, 1), perturb(scenario, options, 1)
    assert one == again and one != perturb(scenario, options, 2)
    assert scenario.sites[0].energy_usd_per_mwh == 50.0  # the input is not changed
    kw = one.platform("unit").rack_it_kw
    assert kw.low <= kw.default <= kw.high and (kw.low, kw.high) == (900, 1100)


def test_executors_give_identical_results(scenario):
    sweep = SweepOptions(samples=4, seed=3, grid_delay_probability=0.5)
    options = SolveOptions(time_limit_s=20)
    serial = run_sweep(scenario, sweep, options, "serial")
    assert run_sweep(scenario, sweep, options, "process", workers=2) == serial
    assert run_sweep(scenario, sweep, options, "dask", workers=2) == serial  # an in-process Dask cluster
    assert [r.sample for r in serial] == [0, 1, 2, 3] and any(r.npv_usd for r in serial)
    assert all((r.npv_usd is None) == (r.status == "infeasible") for r in serial)  # delays can make a sample infeasible


def test_the_in_process_dask_cluster_keeps_off_port_8787(scenario):
    """Dask's scheduler always starts a web server, by default on port 8787 of every interface (with the port
    taken, it warns and takes another: two sweeps at once did). The in-process cluster's is on a free port of
    127.0.0.1. Port 8787 is held here so that a server asking for it would show."""
    import socket
    import warnings

    held = socket.socket()
    with contextlib.suppress(OSError), held:
        held.bind(("127.0.0.1", 8787))
        held.listen()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            run_sweep(scenario, SweepOptions(samples=1, seed=3), SolveOptions(time_limit_s=20), "dask", workers=1)
        assert not [w for w in caught if "8787" in str(w.message) or "HTTP server" in str(w.message)]
        return
    pytest.fail("port 8787 is taken by another process: this test needs it to see a dashboard start")


def test_summary_frequencies_and_percentiles():
    from planner.optimize.sweep import SampleResult

    results = [SampleResult(i, "optimal", float(100 + i), (("1", ("A",) if i < 3 else ("B",)),)) for i in range(4)]
    summary = summarize(results)
    assert summary.frequency["1"] == {"A": 0.75, "B": 0.25}
    assert summary.recommended["1"] == ["A"]
    assert summary.npv_usd_p50 == pytest.approx(101.5)
    assert summary.as_json()["npv_usd"]["p50"] == summary.npv_usd_p50
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 90) == pytest.approx(4.6)


def test_sweep_command_json(write_scenario, tmp_path, capsys):
    path = write_scenario(tiny_doc([site("A"), site("B", capex_per_mw=1.01e6)]))
    assert main(["sweep", str(path), "--samples", "3", "--executor", "serial", "--json", "--grid-delay", "0%",
                 "-o", str(tmp_path / "sweep.json")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["samples"] == 3 and summary["solved"] == 3
    assert json.loads((tmp_path / "sweep.json").read_text())["npv_usd"] == summary["npv_usd"]


def test_dask_scheduler_address_path(scenario):
    """The --scheduler path: a cluster started here, reached through its address like a remote one."""
    from distributed import LocalCluster

    sweep = SweepOptions(samples=3, seed=5)
    options = SolveOptions(time_limit_s=20)
    with LocalCluster(processes=False, n_workers=1, threads_per_worker=2, dashboard_address="127.0.0.1:0") as cluster:
        remote = run_sweep(scenario, sweep, options, "dask", scheduler=cluster.scheduler_address)
    assert remote == run_sweep(scenario, sweep, options, "serial")


def test_a_shortfall_price_turns_infeasible_samples_into_measured_shortfalls(write_scenario):
    """Every grid slips a phase (probability 1): phase 1 has no power. A hard requirement makes every sample
    infeasible; at 5 M per MW short each sample is solved, 100 MW short in phase 1."""
    sweep = SweepOptions(samples=3, seed=1, grid_delay_probability=1.0)
    options = SolveOptions(time_limit_s=20)
    two = [{"id": str(i + 1), "online_date": f"{2027 + i}-01-01", "it_mw_required": 100, "platform": "unit",
            "funding_usd": 1e12} for i in range(2)]
    hard = summarize(run_sweep(load_scenario(write_scenario(tiny_doc([site("A")], two))), sweep, options, "serial"))
    assert hard.infeasible == 3 and hard.solved == 0
    soft_doc = tiny_doc([site("A")], two, constraints={"shortfall_usd_per_mw": 5e6})
    soft = summarize(run_sweep(load_scenario(write_scenario(soft_doc)), sweep, options, "serial"))
    assert soft.solved == 3 and soft.short == 3 and soft.infeasible == 0
    assert soft.shortfall_mw_p10 == soft.shortfall_mw_p90 == pytest.approx(100.0)
    assert soft.as_json()["shortfall_mw"]["p50"] == pytest.approx(100.0)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_samples_out_holds_each_samples_inputs_and_outcome(write_scenario, tmp_path, capsys, suffix):
    import pandas as pd

    from planner.optimize.sweep import draws

    doc = tiny_doc([site("A", power_blocks=[{"it_mw": 10.0, "capex_usd_per_it_mw": 1e6, "lead_time_months": 3}]),
                    site("B", capex_per_mw=1.01e6)])
    path = write_scenario(doc)
    out = tmp_path / f"samples{suffix}"
    assert main(["sweep", str(path), "--samples", "3", "--executor", "serial", "--json", "--grid-delay", "50%",
                 "--samples-out", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["npv_usd"]["over_samples"] == summary["solved"] == 3 - summary["infeasible"]
    table = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert list(table["sample"]) == [0, 1, 2]
    assert (table["status"] == "infeasible").sum() == summary["infeasible"]
    scenario = load_scenario(path)
    options = SweepOptions(samples=3, grid_delay_probability=0.5)
    for _, row in table.iterrows():  # the inputs in the table are the ones the sample was solved with
        drawn = draws(scenario, options, int(row["sample"]))
        assert row["energy_price_factor_A"] == pytest.approx(drawn["sites"]["A"][1])
        assert row["block_capex_factor_B"] == pytest.approx(drawn["sites"]["B"][2])
        late = ",".join(s for s, (d, _, _) in drawn["sites"].items() if d)
        assert (row["grid_delayed_sites"] if isinstance(row["grid_delayed_sites"], str) else "") == late
    assert "phase_1_sites_building" in table.columns and "npv_usd" in table.columns
    # a perturbed block keeps its own lead time (only its capex is drawn)
    first = next(s for s in perturb(scenario, options, 0).sites if s.id == "A")
    assert first.power_blocks[0].lead_time_months == 3


def test_samples_out_refuses_other_formats_before_solving(write_scenario, tmp_path, capsys):
    path = write_scenario(tiny_doc([site("A")]))
    assert main(["sweep", str(path), "--samples", "2", "--samples-out", str(tmp_path / "s.xlsx")]) == 2
    assert "expected a .csv or .parquet file" in capsys.readouterr().err


def test_a_dask_cluster_without_workers_ends_the_sweep_with_a_clear_line(scenario, monkeypatch):
    """No worker ever comes (or all leave): after WORKER_WAIT_S the sweep stops, naming the cluster and
    how many samples were done, instead of waiting forever; an address nobody answers is named too."""
    import socket
    import time

    from distributed import LocalCluster

    import planner.optimize.sweep as sweep_module

    monkeypatch.setattr(sweep_module, "WORKER_WAIT_S", 2.0)
    sweep, options = SweepOptions(samples=2, seed=1), SolveOptions(time_limit_s=5)
    with LocalCluster(processes=False, n_workers=0, dashboard_address="127.0.0.1:0") as cluster:
        started = time.monotonic()
        with pytest.raises(sweep_module.ClusterUnavailable, match="has had no worker for 2 s; 0 of 2 samples"):
            run_sweep(scenario, sweep, options, "dask", scheduler=cluster.scheduler_address)
        assert time.monotonic() - started < 30
    with socket.socket() as probe:  # a free port: nobody listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(sweep_module.ClusterUnavailable, match="cannot reach the Dask scheduler"):
        run_sweep(scenario, sweep, options, "dask", scheduler=f"tcp://127.0.0.1:{port}")
