"""The plan's invariants as policy checks, free of the policy SDK so that they can be tested directly.

Each `validate_*` has the signature pulumi-policy calls, `(args, report_violation)`, and reads only
`args.resource_type` and `args.props` (the component's inputs, set by `stacks/components.py`). The rules
themselves are `planner.rules`, the same ones the scenario loader and the plan reader apply.
"""

from __future__ import annotations

from planner.rules import PUE_MAX, PUE_MIN, pue_in_range, racks_fit_power, within_funding, within_supply


def validate_facility_within_supply(args, report_violation) -> None:
    """A campus never draws more facility MW than its supply in that phase (grid, upgrade, on-site power)."""
    if args.resource_type != "gwplan:site:Campus":
        return
    facility, supply = args.props["facility_mw"], args.props["supply_mw"]
    if not within_supply(facility, supply):
        report_violation(f"campus {args.props['site']}: {facility:,.1f} MW facility power exceeds the "
                         f"{supply:,.1f} MW supplied in phase {args.props['phase']}")


def validate_capex_within_funding(args, report_violation) -> None:
    """Spend up to a phase stays within the funding released up to it."""
    if args.resource_type != "gwplan:rollout:Phase":
        return
    spent, funded = args.props["cumulative_capex_usd"], args.props["cumulative_funding_usd"]
    if not within_funding(spent, funded):
        report_violation(f"phase {args.props['phase']}: ${spent / 1e9:,.2f}B spent by then exceeds the "
                         f"${funded / 1e9:,.2f}B funded")


def validate_pue_in_range(args, report_violation) -> None:
    """PUE within [PUE_MIN, PUE_MAX]: outside it a figure is wrong, not ambitious."""
    if args.resource_type != "gwplan:site:Campus":
        return
    pue = args.props["pue"]
    if not pue_in_range(pue):
        report_violation(f"campus {args.props['site']}: PUE {pue:g} is outside [{PUE_MIN:.1f}, {PUE_MAX:.1f}]")


def validate_gpus_match_power(args, report_violation) -> None:
    """GPUs are whole racks of the platform, and those racks fit in the cluster's IT MW."""
    if args.resource_type != "gwplan:compute:GpuCluster":
        return
    # Pulumi sends properties as protobuf Struct values, where every number is a double: counts are
    # whole numbers again here, so that 36001 reads "36,001", not "36,001.0".
    p = {k: _whole(v) for k, v in args.props.items()}
    if p["gpus"] != p["racks"] * p["gpus_per_rack"]:
        report_violation(f"{p['platform']} cluster: {p['gpus']:,} GPUs are not {p['racks']:,} racks x "
                         f"{p['gpus_per_rack']} GPUs")
    if not racks_fit_power(p["racks"], p["it_mw"], p["rack_it_kw"] / 1000.0):
        report_violation(f"{p['platform']} cluster: {p['racks']:,} racks of {p['rack_it_kw']:g} kW do not match "
                         f"{p['it_mw']:,.3f} MW of IT power (expected the whole racks that fit)")


def _whole(value):
    return int(value) if isinstance(value, float) and value.is_integer() else value


RULES = {
    "facility-within-supply": validate_facility_within_supply,
    "capex-within-funding": validate_capex_within_funding,
    "pue-in-range": validate_pue_in_range,
    "gpus-match-power": validate_gpus_match_power,
}
