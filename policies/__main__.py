"""gwplan's policy pack: the plan's invariants enforced at `pulumi preview --policy-pack policies`.

Pulumi runs this pack in its own virtualenv (see requirements.txt), where gwplan is not installed: the
repository root goes on the import path so that the rules come from `planner.rules`, which imports
nothing outside the standard library.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy  # noqa: E402
from rules import RULES  # noqa: E402

PolicyPack(
    name="gwplan-plan-invariants",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[ResourceValidationPolicy(name=name, description=(rule.__doc__ or name).strip(), validate=rule)
              for name, rule in RULES.items()],
)
