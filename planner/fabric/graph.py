"""A plan's site fabric as a graph (networkx, through `topology.clos`), every vertex marked with its phase."""

from __future__ import annotations

import math

from planner.fabric.clusters import SiteFabric
from planner.plan.types import Plan


def phased_graph(plan: Plan, fab: SiteFabric, compact: bool = False):
    """One cluster's fabric graph, every vertex marked with the phase that first needs it."""
    from topology.clos import annotate_phases, rail_optimized_clos

    nodes_per_rack = plan.platform(fab.platform).nodes_per_rack
    cumulative, total = [], 0
    for phase_id, added in fab.racks_by_phase:  # one cluster's share of each phase's racks
        total += added
        cumulative.append((phase_id, math.ceil(total / fab.clusters) * nodes_per_rack))
    graph = rail_optimized_clos(fab.spec, compact=compact)
    annotate_phases(graph, fab.spec, cumulative)
    return graph
