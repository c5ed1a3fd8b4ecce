"""gwplan export: the plan's numbers as CSV, XLSX and Parquet tables that read back the same."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.cli import main
from planner.plan import load_plan
from tests.helpers import REPO

PLAN = REPO / "plans" / "10gw-rollout.plan.yaml"


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    out = tmp_path_factory.mktemp("tables")
    assert main(["-q", "export", str(PLAN), "--format", "csv,xlsx", "--format", "parquet", "-o", str(out)]) == 0
    return out


def test_the_tables_carry_the_summarys_numbers(tables):
    plan = load_plan(PLAN)
    phases = pd.read_csv(tables / "phases.csv", dtype={"phase": str})
    assert list(phases["phase"]) == [p.id for p in plan.phases]
    assert phases["gpus_added"].sum() == sum(p.gpus_added for p in plan.phases)
    assert phases["capex_usd"].sum() == pytest.approx(plan.capex_usd)
    assert phases["cumulative_funding_usd"].iloc[-1] == pytest.approx(sum(p.funding_usd for p in plan.phases))
    rows = pd.read_csv(tables / "phase_sites.csv", dtype={"phase": str})
    assert len(rows) == sum(len(p.sites) for p in plan.phases)
    by_phase = rows.groupby("phase", sort=False)[["it_mw_added", "gpus_added", "capex_usd"]].sum()
    for p in plan.phases:
        assert by_phase.loc[p.id, "it_mw_added"] == pytest.approx(p.it_mw_added)
        assert by_phase.loc[p.id, "gpus_added"] == p.gpus_added
    power = [c for c in rows.columns if c.startswith("power_") and c.endswith("_mw")]
    first_site_mw = sum(mw for _, mw in plan.phases[0].sites[0].power_mw)
    assert power and rows[power].sum(axis=1).iloc[0] == pytest.approx(first_site_mw)
    sites = pd.read_csv(tables / "sites.csv")
    assert sites["gpus"].sum() == sum(p.gpus_added for p in plan.phases) and sites["site"].is_unique
    assert all(any(unit in c for unit in ("_mw", "_usd", "gpus", "racks", "_t_co2", "blocks", "pue", "phase",
                                          "date", "site", "region", "platform", "dies"))
               for c in list(rows.columns) + list(phases.columns) + list(sites.columns))


def test_xlsx_and_parquet_read_back_as_the_csv(tables):
    book = pd.read_excel(tables / "plan.xlsx", sheet_name=None, dtype={"phase": str, "first_phase": str})
    assert set(book) == {"phase_sites", "phases", "sites"}
    for name in book:
        csv = pd.read_csv(tables / f"{name}.csv", dtype={"phase": str, "first_phase": str})
        parquet = pd.read_parquet(tables / f"{name}.parquet")
        assert list(csv.columns) == list(book[name].columns) == list(parquet.columns)
        assert len(csv) == len(book[name]) == len(parquet)
        numeric = csv.select_dtypes("number").columns
        assert len(numeric) >= 4
        pd.testing.assert_frame_equal(csv[numeric], book[name][numeric], check_dtype=False)
        pd.testing.assert_frame_equal(csv[numeric], parquet[numeric], check_dtype=False)
        text = [c for c in csv.columns if c not in numeric]
        assert (csv[text].astype(str).values == parquet[text].astype(str).values).all()
