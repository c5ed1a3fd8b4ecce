"""The optimizer: where and when to build, at the lowest net present cost.

Build, solve and extract are separate steps, one module each:
- `options` (what steers a solve) and `result` (status, figures, outcome): no OR-Tools, so the command
  line can describe them cheaply;
- `parameters` (costs and eligibility derived from a scenario), `model` (the MathOpt formulation),
  `solve` (the back ends), `extract` (a solved model to a Plan), `rollout` (`plan_rollout`: the three
  in one call);
- `replan` (committed phases, stability), `alternatives` (different plans near the optimum), `explain`
  (why a scenario is infeasible), `sweep` (Monte Carlo over uncertain inputs).
This package's own import loads nothing: import the module you need.
"""
