"""The bundled catalog of GPU platforms and fabric switches (`catalog.yaml` beside this file).

Every figure there carries its source or is labelled as an assumption; scenarios override entries by
id, and fabric specs name a switch by its catalog id.
"""

from __future__ import annotations

from importlib import resources

from planner.files import parse_yaml_text


def bundled_catalog() -> dict:
    """The catalog document: `platforms` and `switches`, lists of records keyed by `id`."""
    text = resources.files("planner.scenario").joinpath("catalog.yaml").read_text(encoding="utf-8")
    return parse_yaml_text(text)
