"""gwplan's planner: scenarios in, optimal phased rollout plans out (OR-Tools MathOpt).

The public API (`planner.api`, documented in docs/notebook.md) is reachable from here:
`planner.load_scenario`, `planner.solve`, `planner.load_plan`, `planner.plan_frames`, `planner.sweep`,
`planner.InputError`, `planner.NoPlan`. They load lazily, so `import planner` (and `gwplan --help`) stays
light.
"""

from __future__ import annotations

_API = ("InputError", "NoPlan", "load_plan", "load_scenario", "plan_frames", "solve", "sweep")


def __getattr__(name: str):
    if name in _API:
        from planner import api

        return getattr(api, name)
    raise AttributeError(f"module 'planner' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])


__all__ = list(_API)
