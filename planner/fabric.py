"""From a plan to the fabrics it implies: one scale-out fabric per site and GPU platform.

Racks of one platform at one site, installed up to a phase, form one cluster with its own rail-optimized
multi-plane fabric (generations are not mixed in one fabric). The platform's catalog entry, recorded in
the plan, gives the layout:
- nodes = racks x gpus_per_rack / gpus_per_node; one NIC port per GPU per plane: rails = gpus_per_node,
  planes = scale_out_nics_per_gpu, port_gbps = scale_out_gbps_per_gpu / scale_out_nics_per_gpu;
- switch radix from the platform's switch; a scalable unit is the most whole racks whose nodes fill
  half a leaf (the other half are uplinks, 1:1), at least one rack;
- NVLink domains from the platform's nvlink_domain_gpus.
Where one fabric would need more than three tiers, the site's racks are split into the fewest equal
clusters that each fit (a 4-tier fabric is not what engineers build at this scale).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from planner.plan import Plan
from topology.spec import FabricError, FabricSpec, size_fabric


@dataclass(frozen=True)
class SiteFabric:
    site: str
    platform: str
    racks_by_phase: tuple[tuple[str, int], ...]  # (phase id, racks of this platform added), up to the phase
    spec: FabricSpec  # of one cluster
    clusters: int = 1  # identical clusters the racks are split into (when one fabric would need > 3 tiers)

    @property
    def racks(self) -> int:
        return sum(n for _, n in self.racks_by_phase)


def fabric_spec(plan: Plan, platform_id: str, racks: int, racks_per_su: int | None = None) -> FabricSpec:
    """The fabric of `racks` racks of a platform recorded in the plan."""
    platform = plan.platform(platform_id)
    switch = plan.switch(platform.switch)
    nodes_per_rack = platform.gpus_per_rack // platform.gpus_per_node
    if racks_per_su is None:
        racks_per_su = max(1, (switch.ports // 2) // nodes_per_rack)
    return FabricSpec(nodes=racks * nodes_per_rack, gpus_per_node=platform.gpus_per_node,
                      rails=platform.gpus_per_node, planes=platform.scale_out_nics_per_gpu,
                      port_gbps=platform.scale_out_gbps_per_gpu / platform.scale_out_nics_per_gpu,
                      switch_radix=switch.ports, nodes_per_su=racks_per_su * nodes_per_rack,
                      nvlink_domain_gpus=platform.nvlink_domain_gpus)


def site_fabrics(plan: Plan, phase_id: str, site: str | None = None,
                 racks_per_su: int | None = None) -> list[SiteFabric]:
    """Every (site, platform) fabric standing at the end of a phase, optionally for one site only.

    Raises KeyError naming the phase or site when the plan has no such thing.
    """
    index = next((i for i, p in enumerate(plan.phases) if p.id == phase_id), None)
    if index is None:
        raise KeyError(f"phase {phase_id!r} is not in the plan (phases: {', '.join(p.id for p in plan.phases)})")
    if site is not None and site not in plan.sites_used:
        raise KeyError(f"site {site!r} has nothing in the plan (sites: {', '.join(plan.sites_used)})")
    added: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for phase in plan.phases[: index + 1]:
        for s in phase.sites:
            if (site is None or s.site == site) and s.racks_added:
                added.setdefault((s.site, phase.platform), []).append((phase.id, s.racks_added))
    out = []
    for (s, p), rows in sorted(added.items()):
        clusters, spec = split_into_clusters(plan, p, sum(n for _, n in rows), racks_per_su)
        out.append(SiteFabric(site=s, platform=p, racks_by_phase=tuple(rows), spec=spec, clusters=clusters))
    return out


def split_into_clusters(plan: Plan, platform_id: str, racks: int,
                        racks_per_su: int | None = None) -> tuple[int, FabricSpec]:
    """The fewest equal clusters whose fabric fits in three tiers, and one cluster's spec.

    Racks that do not divide evenly go to the first clusters; the spec is of the largest cluster.
    """
    clusters = 1
    while True:
        spec = fabric_spec(plan, platform_id, math.ceil(racks / clusters), racks_per_su)
        try:
            size_fabric(spec)
            return clusters, spec
        except FabricError:
            if clusters >= racks:
                raise
            clusters += 1


def fabric_bom(plan: Plan, platform_id: str, racks: int, racks_per_su: int | None = None,
               clusters: int | None = None) -> dict:
    """Bill of materials of `racks` racks of a platform at one site: all clusters added up.

    `clusters` fixes the number of clusters (e.g. a site's final count, so that earlier phases grow the
    same clusters); by default the fewest that fit. Keys as `topology.spec.bill_of_materials`, plus
    `clusters` and `bisection_gbps` (of one largest cluster).
    """
    from topology.analysis import bisection_gbps
    from topology.spec import bill_of_materials

    if clusters is None:
        clusters, largest = split_into_clusters(plan, platform_id, racks, racks_per_su)
    else:
        largest = fabric_spec(plan, platform_id, math.ceil(racks / clusters), racks_per_su)
    base, extra = divmod(racks, clusters)
    total: dict = {"gpus": 0, "tiers": 0, "switches": {}, "cables": {}}
    for cluster_racks, count in ((base + 1, extra), (base, clusters - extra)):
        if not count or not cluster_racks:
            continue
        spec = fabric_spec(plan, platform_id, cluster_racks, racks_per_su)
        bom = bill_of_materials(spec, size_fabric(spec))
        total["gpus"] += count * bom["gpus"]
        total["tiers"] = max(total["tiers"], bom["tiers"])
        for group in ("switches", "cables"):
            for key, n in bom[group].items():
                total[group][key] = total[group].get(key, 0) + count * n
    total["clusters"] = clusters
    total["bisection_gbps"] = bisection_gbps(largest, size_fabric(largest))
    return total


def fabric_report(plan: Plan, fab: SiteFabric, racks_per_su: int | None = None) -> dict:
    """A site fabric's numbers: bill of materials (all clusters), bisection, power, and what each phase adds.

    Phases grow the site's final clusters (a cluster is not rebuilt when a later phase adds one), so
    additions never go negative.
    """
    from topology.spec import cables_by_media, fabric_power_w

    bom = fabric_bom(plan, fab.platform, fab.racks, racks_per_su)
    steps, racks, before = [], 0, {"gpus": 0, "switches": {}, "cables": {}}
    for phase_id, added in fab.racks_by_phase:
        racks += added
        now = fabric_bom(plan, fab.platform, racks, racks_per_su, clusters=fab.clusters)
        steps.append({"phase": phase_id, "racks_added": added, "gpus_added": now["gpus"] - before["gpus"],
                      "switches_added": {r: n - before["switches"].get(r, 0) for r, n in now["switches"].items()},
                      "cables_added": {k: n - before["cables"].get(k, 0) for k, n in now["cables"].items()}})
        before = now
    switch = plan.switch(plan.platform(fab.platform).switch)
    bom["media"] = cables_by_media(bom, switch.optics)
    if switch.power_w is not None:
        bom["power_w"] = fabric_power_w(fab.spec, bom, switch.power_w.default, switch.optics)
    return {"site": fab.site, "platform": fab.platform, "racks": fab.racks, **bom, "by_phase": steps}


def phased_graph(plan: Plan, fab: SiteFabric, compact: bool = False):
    """One cluster's fabric graph, every vertex marked with the phase that first needs it."""
    from topology.clos import annotate_phases, rail_optimized_clos

    platform = plan.platform(fab.platform)
    nodes_per_rack = platform.gpus_per_rack // platform.gpus_per_node
    cumulative, total = [], 0
    for phase_id, added in fab.racks_by_phase:  # one cluster's share of each phase's racks
        total += added
        cumulative.append((phase_id, math.ceil(total / fab.clusters) * nodes_per_rack))
    graph = rail_optimized_clos(fab.spec, compact=compact)
    annotate_phases(graph, fab.spec, cumulative)
    return graph
