"""The plan's invariants, declared once.

The scenario loader, the plan reader, plan extraction and the Pulumi policy pack (`policies/`) all check
these same rules, so a figure one of them accepts is never refused by another. Plain Python with no
third-party imports: the policy pack runs in its own virtualenv and imports this module by path.
"""

from __future__ import annotations

import math

PUE_MIN, PUE_MAX = 1.0, 2.0  # outside this a PUE is a wrong figure, not an ambitious or a poor one
TOLERANCE_MW = 1e-6  # solver round-off allowed on power comparisons
TOLERANCE_USD = 1.0  # and on money
RACK_FIT_EPSILON = 1e-6  # a solver's 999.9999999 MW of IT holds 1,000 racks of 1 MW


def pue_in_range(pue: float) -> bool:
    """A site's power usage effectiveness is within [PUE_MIN, PUE_MAX]."""
    return PUE_MIN <= pue <= PUE_MAX


def whole_racks(it_mw: float, rack_it_mw: float) -> int:
    """Racks that fit in an IT power envelope: GPUs are bought and counted in whole racks."""
    return int(math.floor(it_mw / rack_it_mw + RACK_FIT_EPSILON))


def racks_fit_power(racks: int, it_mw: float, rack_it_mw: float) -> bool:
    """`racks` are exactly the whole racks that fit in `it_mw` (none more, none left out)."""
    return racks * rack_it_mw <= it_mw + TOLERANCE_MW and racks == whole_racks(it_mw, rack_it_mw)


def within_supply(facility_mw: float, supply_mw: float) -> bool:
    """A campus draws no more facility power than its supply in that phase: the grid (with a paid upgrade)
    and on-site power."""
    return facility_mw <= supply_mw + TOLERANCE_MW


def within_funding(spent_usd: float, funded_usd: float) -> bool:
    """Spend up to a phase stays within the funding released up to it."""
    return spent_usd <= funded_usd + TOLERANCE_USD
