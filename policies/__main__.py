"""gwplan's policy pack: the plan's invariants enforced at `pulumi preview --policy-pack policies`."""

from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy
from rules import RULES

PolicyPack(
    name="gwplan-plan-invariants",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[ResourceValidationPolicy(name=name, description=(rule.__doc__ or name).strip(), validate=rule)
              for name, rule in RULES.items()],
)
