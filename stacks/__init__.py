"""gwplan's Pulumi program: one declarative deployment plan per rollout phase, read from a plan file."""
