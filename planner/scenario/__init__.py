"""Scenarios: the typed input of the optimizer, and the one way to get one (`load_scenario`).

- `types`: frozen dataclasses (`Scenario`, `Site`, `Phase`, `Platform`, ...), units in field names;
- `read`: a field reader per section; `checks`: one named cross-reference check per rule;
- `load`: files, `extends:`, `--set` overrides and the bundled catalog (`catalog`);
- `orlib`: OR-Library facility-location instances as scenarios.
"""

from planner.scenario.load import apply_overrides, load_scenario
from planner.scenario.types import (
    Constraints,
    DemandRegion,
    Economics,
    Phase,
    Platform,
    PowerBlock,
    Scenario,
    Site,
    Switch,
    Uncertain,
)

__all__ = ["Constraints", "DemandRegion", "Economics", "Phase", "Platform", "PowerBlock", "Scenario", "Site",
           "Switch", "Uncertain", "apply_overrides", "load_scenario"]
