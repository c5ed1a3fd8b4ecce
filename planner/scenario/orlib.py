"""Import Beasley's OR-Library capacitated facility location instances as one-phase gwplan scenarios.

Facilities become sites (capacity = grid MW at PUE 1, fixed cost = open cost), customers become
demand regions (demand, cost of serving all of it from each facility; split allowed). Nothing else
costs anything, so the scenario's optimum is the instance's published optimum.
Format: ../shared/benchmarks/orlib-cflp/README.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from planner.fields import InputError, Problem

ORLIB_PLATFORM = "orlib-unit"


@dataclass(frozen=True)
class CflpInstance:
    name: str
    capacities: tuple[float, ...]
    fixed_costs: tuple[float, ...]
    demands: tuple[float, ...]
    costs: tuple[tuple[float, ...], ...]  # costs[j][i]: serve all of customer j from facility i


MAX_INSTANCE_BYTES = 64 * 1024 * 1024  # capa-c are ~6 MiB


def read_orlib_cflp(path: str | Path, capacity: float | None = None) -> CflpInstance:
    """Parse an instance; `capacity` replaces the word `capacity` of capa/capb/capc."""
    name = str(path)
    try:
        import stat

        if not stat.S_ISREG(Path(path).stat().st_mode):  # a FIFO would hang the read, /dev/zero never end it
            raise InputError([Problem(name, "", "is not a regular file; expected an OR-Library text file")])
        with open(path, "rb") as handle:
            data = handle.read(MAX_INSTANCE_BYTES + 1)
        if len(data) > MAX_INSTANCE_BYTES:
            raise InputError([Problem(name, "", f"is over {MAX_INSTANCE_BYTES // 2**20} MiB; OR-Library instances "
                                                "are a few MiB at most")])
        tokens = data.decode("ascii").split()
    except (OSError, UnicodeDecodeError) as err:
        raise InputError([Problem(name, "", f"cannot be read as an OR-Library text file ({err})")]) from None
    position = 0

    def take(what: str) -> float:
        nonlocal position
        if position >= len(tokens):
            raise InputError([Problem(name, f"token {position + 1}", f"file ends where {what} was expected")])
        token = tokens[position]
        position += 1
        if token == "capacity" and what.startswith("capacity"):
            if capacity is None:
                raise InputError([Problem(name, f"token {position}", "this instance leaves the capacity open: "
                                                                     "give one with --capacity N")])
            return float(capacity)
        try:
            return float(token)
        except ValueError:
            raise InputError([Problem(name, f"token {position}", f"expected {what}, got {token!r}")]) from None

    m, n = int(take("the number of facilities")), int(take("the number of customers"))
    if m < 1 or n < 1:
        raise InputError([Problem(name, "token 1", f"expected positive sizes, got {m} x {n}")])
    capacities, fixed = [], []
    for i in range(m):
        capacities.append(take(f"capacity of facility {i + 1}"))
        fixed.append(take(f"fixed cost of facility {i + 1}"))
    demands, costs = [], []
    for j in range(n):
        demands.append(take(f"demand of customer {j + 1}"))
        costs.append(tuple(take(f"cost of facility {i + 1} for customer {j + 1}") for i in range(m)))
    if position != len(tokens):
        raise InputError([Problem(name, f"token {position + 1}", f"{len(tokens) - position} unexpected tokens "
                                                                  "after the last customer")])
    return CflpInstance(name=Path(path).stem, capacities=tuple(capacities), fixed_costs=tuple(fixed),
                        demands=tuple(demands), costs=tuple(costs))


def cflp_scenario(instance: CflpInstance) -> dict:
    """A gwplan scenario document whose optimum equals the instance's (split-demand) optimum."""
    whole = all(c.is_integer() for c in instance.capacities)
    rack_kw = 1000.0 if whole else 1.0  # capacity in whole racks of this size
    site_ids = [f"f{i + 1}" for i in range(len(instance.capacities))]
    return {
        "name": f"orlib-{instance.name}",
        "description": f"OR-Library capacitated facility location instance {instance.name} "
                       f"({len(site_ids)} facilities x {len(instance.demands)} customers, split demand), "
                       "imported by gwplan import orlib-cflp",
        "economics": {"planning_start_date": "2026-01-01", "discount_rate": 0.0, "horizon_years": 1.0,
                      "utilization": 1.0, "fixed_opex_usd_per_it_mw_year": 0.0, "facility_life_years": 1.0,
                      "it_life_years": 1.0, "carry_over_unspent_funding": False},
        "platforms": [{
            "id": ORLIB_PLATFORM, "name": "unit of facility capacity", "available_from": "2000-01-01",
            "gpus_per_rack": 1, "gpu_dies_per_rack": 1, "gpus_per_node": 1, "nvlink_domain_gpus": 1,
            "rack_it_kw": rack_kw, "system_capex_usd_per_rack": 0.0, "scale_out_gbps_per_gpu": 400,
            "scale_out_nics_per_gpu": 1, "switch": "qm9700"}],
        "phases": [{"id": "1", "online_date": "2026-01-01", "it_mw_required": 0.0, "platform": ORLIB_PLATFORM,
                    "funding_usd": float(sum(instance.fixed_costs)) + 1.0}],
        "sites": [{
            "id": site_id, "region": "orlib", "lat": 0.0, "lon": 0.0, "grid_mw_by_phase": [cap],
            "lead_time_months": 0, "open_cost_usd": fixed, "power_blocks": [{"it_mw": cap, "capex_usd_per_it_mw": 0.0}],
            "energy_usd_per_mwh": 0.0, "pue": 1.0}
            for site_id, cap, fixed in zip(site_ids, instance.capacities, instance.fixed_costs)],
        "demand_regions": [{
            "id": f"c{j + 1}", "demand_mw": demand, "from_phase": "1",
            "serve_cost_usd_per_year": dict(zip(site_ids, instance.costs[j]))}
            for j, demand in enumerate(instance.demands)],
    }
