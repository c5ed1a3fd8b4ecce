"""From a plan to the fabrics it implies: one scale-out fabric per site and GPU platform.

Racks of one platform at one site, installed up to a phase, form one cluster with its own rail-optimized
multi-plane fabric (generations are not mixed in one fabric). The platform's catalog entry, recorded in
the plan, gives the layout:
- nodes = racks x gpus_per_rack / gpus_per_node; one NIC port per GPU per plane: rails = gpus_per_node,
  planes = scale_out_nics_per_gpu, port_gbps = scale_out_gbps_per_gpu / scale_out_nics_per_gpu;
- switch radix from the platform's switch; a scalable unit is the platform's reference-design SU
  (`su_racks` in the catalog, e.g. 8 racks of GB200 NVL72 in NVIDIA's SuperPOD), whose nodes fill each
  rail's leaves in turn (several leaves per rail where the SU is larger than half a leaf); a platform
  without one gets the most whole racks whose nodes fill half a leaf, at least one rack;
- NVLink domains from the platform's nvlink_domain_gpus.
Where one fabric would need more than three tiers, the site's racks are split into the fewest equal
clusters that each fit (a 4-tier fabric is not what engineers build at this scale).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from planner.plan.types import Plan
from planner.scenario.types import Platform, Switch
from topology.ports import DeviceModel
from topology.spec import FabricError, FabricSpec, size_fabric


@dataclass(frozen=True)
class SiteFabric:
    site: str
    platform: str
    racks_by_phase: tuple[tuple[str, int], ...]  # (phase id, racks of this platform added), up to the phase
    spec: FabricSpec  # of one cluster
    clusters: int = 1  # identical clusters the racks are split into (when one fabric would need > 3 tiers)
    racks_per_su: int = 1  # racks in one scalable unit

    @property
    def racks(self) -> int:
        return sum(n for _, n in self.racks_by_phase)

    def scalable_units(self, racks: int) -> int:
        """Scalable units that `racks` racks fill (a partial SU counts as one)."""
        return -(-racks // self.racks_per_su)


def default_racks_per_su(platform: Platform, switch: Switch) -> int:
    """The platform's reference-design SU (`su_racks`); without one, the most whole racks whose nodes fill
    half a leaf (the other half are uplinks, 1:1), at least one."""
    if platform.su_racks:
        return platform.su_racks
    return max(1, (switch.ports // 2) // platform.nodes_per_rack)


def fabric_spec(plan: Plan, platform_id: str, racks: int, racks_per_su: int | None = None) -> FabricSpec:
    """The fabric of `racks` racks of a platform recorded in the plan."""
    platform = plan.platform(platform_id)
    switch = plan.switch(platform.switch)
    if racks_per_su is None:
        racks_per_su = default_racks_per_su(platform, switch)
    return FabricSpec(nodes=racks * platform.nodes_per_rack, gpus_per_node=platform.gpus_per_node,
                      rails=platform.gpus_per_node, planes=platform.scale_out_nics_per_gpu,
                      port_gbps=platform.scale_out_gbps_per_gpu / platform.scale_out_nics_per_gpu,
                      switch_radix=switch.ports, nodes_per_su=racks_per_su * platform.nodes_per_rack,
                      nvlink_domain_gpus=platform.nvlink_domain_gpus)


def site_fabrics(plan: Plan, phase_id: str, site: str | None = None,
                 racks_per_su: int | None = None) -> list[SiteFabric]:
    """Every (site, platform) fabric standing at the end of a phase, optionally for one site only.

    Raises KeyError naming the phase or site when the plan has no such thing.
    """
    index = plan.phase_index(phase_id)
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
        out.append(SiteFabric(site=s, platform=p, racks_by_phase=tuple(rows), spec=spec, clusters=clusters,
                              racks_per_su=spec.nodes_per_su // plan.platform(p).nodes_per_rack))
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


def device_model(switch: Switch) -> DeviceModel:
    """The switch as exports name it: the NetBox devicetype-library's manufacturer and model where the
    catalog gives one (`Nvidia/QM9700`), else Nvidia and the catalog id in capitals."""
    manufacturer, _, model = (switch.netbox_device_type or "").partition("/")
    if not model:
        manufacturer, model = "Nvidia", switch.id.upper()
    return DeviceModel(manufacturer=manufacturer, model=model, ports=switch.ports, port_gbps=switch.port_gbps,
                       protocol=switch.protocol, u_height=switch.u_height, port_names=switch.port_names or "",
                       interface_type=switch.interface_type or "", ufm_port_names=switch.ufm_port_names or "",
                       optics=switch.optics)
