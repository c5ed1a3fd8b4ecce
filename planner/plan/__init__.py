"""Plans: what to build where in each phase, and how it was found (the contract between the stages).

- `types`: the frozen `Plan` and its parts; `io`: plan files (`dump_plan`, `load_plan`, checked);
- `diff`: what moved between two plans; `stack_files`: the Pulumi stack file of each phase.
"""

from planner.plan.io import dump_plan, load_plan
from planner.plan.types import PLAN_FORMAT, Campus, DemandService, PhasePlan, Plan, Provenance, SitePhase

__all__ = ["PLAN_FORMAT", "Campus", "DemandService", "PhasePlan", "Plan", "Provenance", "SitePhase", "dump_plan",
           "load_plan"]
