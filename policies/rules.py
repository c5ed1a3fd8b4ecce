"""The plan's invariants as policy checks, free of the policy SDK so that they can be tested directly.

Each `validate_*` has the signature pulumi-policy calls, `(args, report_violation)`, and reads only
`args.resource_type` and `args.props` (the component's inputs, set by `stacks/components.py`).
"""

from __future__ import annotations

import math

TOLERANCE_MW = 1e-6
TOLERANCE_USD = 1.0


def validate_facility_within_grid(args, report_violation) -> None:
    """A campus never draws more facility MW than its grid supplies in that phase."""
    if args.resource_type != "gwplan:site:Campus":
        return
    facility, grid = args.props["facility_mw"], args.props["grid_mw"]
    if facility > grid + TOLERANCE_MW:
        report_violation(f"campus {args.props['site']}: {facility:,.1f} MW facility power exceeds the grid's "
                         f"{grid:,.1f} MW in phase {args.props['phase']}")


def validate_capex_within_funding(args, report_violation) -> None:
    """Spend up to a phase stays within the funding released up to it."""
    if args.resource_type != "gwplan:rollout:Phase":
        return
    spent, funded = args.props["cumulative_capex_usd"], args.props["cumulative_funding_usd"]
    if spent > funded + TOLERANCE_USD:
        report_violation(f"phase {args.props['phase']}: ${spent / 1e9:,.2f}B spent by then exceeds the "
                         f"${funded / 1e9:,.2f}B funded")


def validate_pue_in_range(args, report_violation) -> None:
    """PUE within [1.0, 2.0]: outside it a figure is wrong, not ambitious."""
    if args.resource_type != "gwplan:site:Campus":
        return
    pue = args.props["pue"]
    if not 1.0 <= pue <= 2.0:
        report_violation(f"campus {args.props['site']}: PUE {pue:g} is outside [1.0, 2.0]")


def validate_gpus_match_power(args, report_violation) -> None:
    """GPUs are whole racks of the platform, and those racks fit in the cluster's IT MW."""
    if args.resource_type != "gwplan:compute:GpuCluster":
        return
    p = args.props
    if p["gpus"] != p["racks"] * p["gpus_per_rack"]:
        report_violation(f"{p['platform']} cluster: {p['gpus']:,} GPUs are not {p['racks']:,} racks x "
                         f"{p['gpus_per_rack']} GPUs")
    rack_mw = p["rack_it_kw"] / 1000.0
    if p["racks"] * rack_mw > p["it_mw"] + TOLERANCE_MW or p["racks"] != math.floor(p["it_mw"] / rack_mw + 1e-6):
        report_violation(f"{p['platform']} cluster: {p['racks']:,} racks of {p['rack_it_kw']:g} kW do not match "
                         f"{p['it_mw']:,.3f} MW of IT power (expected the whole racks that fit)")


RULES = {
    "facility-within-grid": validate_facility_within_grid,
    "capex-within-funding": validate_capex_within_funding,
    "pue-in-range": validate_pue_in_range,
    "gpus-match-power": validate_gpus_match_power,
}
