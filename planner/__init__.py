"""gwplan's planner: scenarios in, optimal phased rollout plans out (OR-Tools MathOpt)."""
