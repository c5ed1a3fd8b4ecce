"""The shapes of generated scenario the scale benchmarks run: the generator's seeds, the shapes the search was
measured on while it was built, and structural variants it was not built around.

A shape is named NAME or NAME@SEED (SEED: the generator's seed, 1 when left out), or seedN (the generator as it
is, seed N). Every shape is a pure function of (sites, name, seed).

Measured while the search was built (`MEASURED`):
    tight-funding    every phase funded at 90 %: the funding rows bind
    early-scarce     only one site in ten has grid before phase 4
    early-plentiful  every site has grid from phase 1
    many-demand      16 more inference demand regions of 20-60 MW, centred on random sites

Structural variants (`STRUCTURAL`), each one change to the scenario's structure:
    supply           on-site gas at a tenth of the sites, a paid grid upgrade at another tenth, carbon priced
    six-phases       6 phases of 1,700 MW instead of 10 of 1,000 (grid x 1.5, funding x 1.7)
    odd-blocks       power blocks of 40 MW, and 120 and 250 MW where the generator gives 200 MW
    split-demand     each of the 4 demand regions split into 4 of random size, each from a phase of its own (no
                     earlier than the whole region's), servable from the same sites
    rates            half the sites fit out at most 150, 250 or 350 MW of IT a phase
    shortfall        a phase may fall short of its requirement at 30 $M a MW
    region-share     no grid region holds more than 30 % of a phase's requirement (40 % otherwise)
    retire           GPU systems retire after 5 years instead of being refreshed; energy escalates 3 % a year
    latency          a phase's training cluster within 20 ms of fiber (~2,700 km of great circle); the europe
                     demand region left out (only the nordic sites serve it, and within 20 ms they could only
                     build with each other, one grid region, short of the two each phase needs)
"""

from __future__ import annotations

import argparse
import random

MEASURED = ("tight-funding", "early-scarce", "early-plentiful", "many-demand")
STRUCTURAL = ("supply", "six-phases", "odd-blocks", "split-demand", "rates", "shortfall", "region-share", "retire",
              "latency")
SHAPES = ("seed1", "seed2", "seed3") + MEASURED  # the scale benchmarks' default


def parse(shape: str) -> tuple[str, int]:
    """(name, generator seed) of a shape's name; ValueError for one that is not a shape."""
    name, _, seed = shape.partition("@")
    if name.startswith("seed") and name[4:].isdigit() and not seed:
        return "seed", int(name[4:])
    if name not in MEASURED + STRUCTURAL or (seed and not seed.isdigit()):
        raise ValueError(f"{shape!r} is not a shape: seedN, or one of {', '.join(MEASURED + STRUCTURAL)}, "
                         "optionally with @SEED")
    return name, int(seed or 1)


GROUPS = {"measured": MEASURED, "structural": STRUCTURAL}  # what --shapes takes for several shapes at once


def shape_name(text: str) -> str:
    """A shape's name as --shapes takes it, or a group's (an argparse type: a bad one is a usage error, not a
    traceback)."""
    try:
        if text not in GROUPS:
            parse(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{err}; or a group: {', '.join(GROUPS)}") from None
    return text


def expand(names: list[str]) -> list[str]:
    """--shapes' names with each group replaced by its shapes."""
    return [shape for name in names for shape in GROUPS.get(name, (name,))]


def shaped_doc(sites: int, shape: str) -> dict:
    """The generated scenario of a shape (see the module's docstring)."""
    from benchmarks.synthetic import scenario_doc

    name, seed = parse(shape)
    doc = scenario_doc(sites, seed)
    rng = random.Random(f"{name}/{sites}/{seed}")
    if name in MEASURED:
        _measured(doc, name, sites)
    elif name != "seed":
        _STRUCTURAL[name](doc, rng)
    return doc


def _measured(doc: dict, name: str, sites: int) -> None:
    from benchmarks.synthetic import REGIONS, _km

    anchors = doc["sites"][:len(REGIONS)]
    if name == "tight-funding":
        for phase in doc["phases"]:
            phase["funding_usd"] *= 0.9
    elif name in ("early-scarce", "early-plentiful"):
        for site in doc["sites"][len(REGIONS):]:
            grid = site["grid_mw_by_phase"]
            first = next((g for g in grid if g > 0), 100.0)
            if name == "early-scarce" and int(site["id"][1:]) % 10:  # one site in ten keeps its early grid
                site["grid_mw_by_phase"] = [0.0] * 3 + [g or first for g in grid[3:]]
            else:
                site["grid_mw_by_phase"] = [g or first for g in grid]
    elif name == "many-demand":
        rng = random.Random(sites)
        for k, centre in enumerate(rng.sample(doc["sites"], 16)):
            near = sorted(doc["sites"], key=lambda s: _km(centre["lat"], centre["lon"], s["lat"], s["lon"]))
            near = near[:max(4, sites // 16)]
            anchor = min(anchors, key=lambda s: _km(centre["lat"], centre["lon"], s["lat"], s["lon"]))
            near += [] if anchor in near else [anchor]
            mw = rng.choice([20, 40, 60])
            doc["demand_regions"].append({
                "id": f"metro{k + 1}", "demand_mw": mw, "from_phase": str(rng.randint(2, 6)),
                "serve_cost_usd_per_year": {s["id"]: round(mw * _km(centre["lat"], centre["lon"], s["lat"], s["lon"])
                                                           * 3000, -3) for s in near}})


def _supply(doc: dict, rng: random.Random) -> None:
    doc["economics"]["carbon_usd_per_tonne"] = 50
    for site in doc["sites"]:
        site["carbon_kg_per_mwh"] = 380
        draw = rng.random()
        if draw < 0.1:
            site["onsite_power"] = [{"id": "gas", "capex_usd_per_mw": 1.4e6, "lead_time_months": 12,
                                     "max_mw": rng.choice([120, 240, 360]), "fuel_usd_per_mwh": 70,
                                     "carbon_kg_per_mwh": 400}]
        elif draw < 0.2:
            site["grid_upgrades"] = [{"to_mw": max(site["grid_mw_by_phase"]) + rng.choice([200, 400, 600]),
                                      "capex_usd": rng.choice([200, 400, 600]) * 1e6, "lead_time_months": 18}]


def _six_phases(doc: dict, rng: random.Random) -> None:
    doc["phases"] = doc["phases"][:6]
    for phase in doc["phases"]:
        phase["it_mw_required"] = 1700
        phase["funding_usd"] *= 1.7
    for site in doc["sites"]:
        site["grid_mw_by_phase"] = [g * 1.5 for g in site["grid_mw_by_phase"][:6]]


def _odd_blocks(doc: dict, rng: random.Random) -> None:
    for site in doc["sites"]:
        small, *large = site["power_blocks"]
        site["power_blocks"] = [{"it_mw": 40, "capex_usd_per_it_mw": small["capex_usd_per_it_mw"]}]
        for block in large:
            site["power_blocks"] += [{"it_mw": 120, "capex_usd_per_it_mw": block["capex_usd_per_it_mw"] + 0.5e6},
                                     {"it_mw": 250, "capex_usd_per_it_mw": block["capex_usd_per_it_mw"]}]


def _split_demand(doc: dict, rng: random.Random) -> None:
    regions = []
    for metro in doc["demand_regions"]:
        cuts = sorted(rng.sample(range(1, 20), 3))  # four parts of the metro's demand, in twentieths
        for k, (a, b) in enumerate(zip([0, *cuts], [*cuts, 20])):
            share = (b - a) / 20
            regions.append({"id": f"{metro['id']}-{k + 1}", "demand_mw": metro["demand_mw"] * share,
                            "from_phase": str(rng.randint(int(metro["from_phase"]), 8)),
                            "serve_cost_usd_per_year": {site: round(cost * share, -3) for site, cost
                                                        in metro["serve_cost_usd_per_year"].items()}})
    doc["demand_regions"] = regions


def _rates(doc: dict, rng: random.Random) -> None:
    for site in doc["sites"]:
        if rng.random() < 0.5:
            site["max_it_mw_per_phase"] = rng.choice([150, 250, 350])


def _shortfall(doc: dict, rng: random.Random) -> None:
    doc["constraints"]["shortfall_usd_per_mw"] = 30e6


def _region_share(doc: dict, rng: random.Random) -> None:
    doc["constraints"]["max_region_share"] = 0.3


def _retire(doc: dict, rng: random.Random) -> None:
    doc["economics"].update(it_end_of_life="retire", it_life_years=5, energy_escalation_per_year=0.03)


def _latency(doc: dict, rng: random.Random) -> None:
    doc["constraints"]["training_max_latency_ms"] = 20
    doc["demand_regions"] = [r for r in doc["demand_regions"] if r["id"] != "europe"]


_STRUCTURAL = {"latency": _latency, "supply": _supply, "six-phases": _six_phases, "odd-blocks": _odd_blocks,
               "split-demand": _split_demand, "rates": _rates, "shortfall": _shortfall, "region-share": _region_share,
               "retire": _retire}
