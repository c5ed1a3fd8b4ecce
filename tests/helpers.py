"""Test helpers: tiny scenarios whose optimum can be worked out by hand, the repository's root, and the processes
a test started."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def tiny_doc(sites: list[dict], phases: list[dict] | None = None, **sections) -> dict:
    """A scenario with no discounting, no energy, no salvage and no GPU capex: the cost is what you add up.

    Platform `unit`: one rack = 1 MW IT = 1 GPU, free. Phases default to one of 100 MW.
    """
    doc = {
        "name": "tiny",
        "economics": {"planning_start_date": "2026-01-01", "discount_rate": 0.0, "horizon_years": 5.0,
                      "utilization": 1.0, "facility_life_years": 1.0, "it_life_years": 1.0,
                      "carry_over_unspent_funding": False},
        "platforms": [{"id": "unit", "name": "test unit", "available_from": "2020-01-01", "gpus_per_rack": 1,
                       "gpu_dies_per_rack": 1, "gpus_per_node": 1, "nvlink_domain_gpus": 1, "rack_it_kw": 1000,
                       "system_capex_usd_per_rack": 0, "scale_out_gbps_per_gpu": 400,
                       "scale_out_nics_per_gpu": 1, "switch": "qm9700"}],
        "phases": phases or [{"id": "1", "online_date": "2027-01-01", "it_mw_required": 100, "platform": "unit",
                              "funding_usd": 1e12}],
        "sites": [dict(s) for s in sites],
    }
    for record in doc["sites"]:  # one grid figure stands for every phase
        grid = record.get("grid_mw_by_phase")
        if grid is not None and len(grid) == 1:
            record["grid_mw_by_phase"] = grid * len(doc["phases"])
    doc.update(sections)
    return doc


def site(id: str, grid: list[float] | None = None, open_cost: float = 0.0, block_mw: float = 10.0,
         capex_per_mw: float = 1e6, region: str = "r1", lead: float = 0.0, pue: float = 1.0,
         energy: float = 0.0, **extra) -> dict:
    return {"id": id, "region": region, "lat": 40.0, "lon": -100.0, "grid_mw_by_phase": grid or [1000.0],
            "lead_time_months": lead, "open_cost_usd": open_cost,
            "power_blocks": [{"it_mw": block_mw, "capex_usd_per_it_mw": capex_per_mw}],
            "energy_usd_per_mwh": energy, "pue": pue, **extra}


def processes_with(marker: str, command: str = "") -> list[int]:
    """Process ids whose environment holds `marker` (children inherit it from the process a test starts) and
    whose command line holds `command`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (command.encode() in (entry / "cmdline").read_bytes()
                        and marker.encode() in (entry / "environ").read_bytes()):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found
