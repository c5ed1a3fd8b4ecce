"""A plan as tables for spreadsheets and notebooks (pandas DataFrames): the numbers of the summary, with
units in the column names.

- `phase_sites`: one row per phase and site open by then (what the phase adds there and what stands);
- `phases`: one row per phase, totals against the requirement and the funding;
- `sites`: one row per site, over the whole plan.
pandas is imported here only (it is heavy); `gwplan export` writes the three as CSV, one XLSX workbook
(openpyxl) or Parquet (pyarrow).
"""

from __future__ import annotations

from planner.plan.types import Plan


def phase_sites(plan: Plan):
    import pandas as pd

    sources = sorted({source for p in plan.phases for s in p.sites for source, _ in s.power_mw})
    rows = []
    for phase in plan.phases:
        for s in phase.sites:
            power = dict(s.power_mw)
            rows.append({
                "phase": phase.id, "online_date": phase.online_date, "platform": phase.platform, "site": s.site,
                "region": s.region, "opened_this_phase": s.opened_this_phase,
                "power_blocks_added": sum(s.blocks_added), "block_it_mw_added": s.block_it_mw_added,
                "block_it_mw_total": s.block_it_mw_total, "it_mw_added": s.it_mw_added, "it_mw_total": s.it_mw_total,
                "pue": s.pue, "facility_mw": s.facility_mw, "grid_mw_available": s.grid_mw,
                **{f"power_{source}_mw": power.get(source, 0.0) for source in sources},
                "racks_added": s.racks_added, "gpus_added": s.gpus_added, "gpus_total": s.gpus_total,
                "gpu_dies_added": s.gpu_dies_added, "gpu_dies_total": s.gpu_dies_total,
                "capex_usd": s.capex_usd, "opex_usd_per_year": s.opex_usd_per_year,
                "emissions_t_co2_per_year": s.emissions_t_per_year})
    return pd.DataFrame(rows)


def phases(plan: Plan):
    import pandas as pd

    rows, capex, funding = [], 0.0, 0.0
    for index, phase in enumerate(plan.phases):
        capex += phase.capex_usd
        funding += phase.funding_usd
        rows.append({
            "phase": phase.id, "online_date": phase.online_date, "platform": phase.platform,
            "sites_building": len(phase.sites_building), "it_mw_required": phase.it_mw_required,
            "it_mw_added": phase.it_mw_added, "it_mw_total": phase.it_mw_total,
            "it_mw_in_whole_racks": phase.rack_it_mw_total, "shortfall_mw": phase.shortfall_mw,
            "facility_mw": phase.facility_mw, "racks_added": phase.racks_added, "gpus_added": phase.gpus_added,
            "gpus_total": phase.gpus_total, "capex_usd": phase.capex_usd, "funding_usd": phase.funding_usd,
            "cumulative_capex_usd": capex, "cumulative_funding_usd": funding,
            "opex_usd_per_year": phase.opex_usd_per_year, "emissions_t_co2_per_year": phase.emissions_t_per_year})
    return pd.DataFrame(rows)


def sites(plan: Plan):
    import pandas as pd

    rows: dict[str, dict] = {}
    for phase in plan.phases:
        for s in phase.sites:
            row = rows.setdefault(s.site, {"site": s.site, "region": s.region, "first_phase": phase.id,
                                           "power_blocks": 0, "racks": 0, "gpus": 0, "capex_usd": 0.0})
            row["power_blocks"] += sum(s.blocks_added)
            row["racks"] += s.racks_added
            row["gpus"] += s.gpus_added
            row["capex_usd"] += s.capex_usd
            row.update({"it_mw_at_last_phase": s.it_mw_total, "facility_mw_at_last_phase": s.facility_mw,
                        "opex_usd_per_year_at_last_phase": s.opex_usd_per_year})
    return pd.DataFrame(list(rows.values()))


def frames(plan: Plan) -> dict:
    """{"phase_sites": ..., "phases": ..., "sites": ...}"""
    return {"phase_sites": phase_sites(plan), "phases": phases(plan), "sites": sites(plan)}
