"""What a GPU fabric is asked to be (`FabricSpec`) and how big it must be built (`size_fabric`).

Sizing is pure arithmetic, the way a network engineer sizes a rail-optimized, multi-plane folded Clos:
- one leaf per rail per plane per scalable unit (SU); each plane is an independent fabric;
- the fewest tiers the switch radix allows (1: a single SU; 2: leaf-spine; 3: leaf-spine-core in pods);
- every leaf spreads its uplinks over the spines of its group with the same whole number of parallel
  links to each spine, and each spine likewise over its cores (no fractional striping);
- leaves have `downlinks = nodes_per_su` and `uplinks = ceil(downlinks / oversubscription)`; spines
  are non-blocking (as many uplinks as downlinks) when a core tier exists.
The generator (`topology.clos`) builds exactly what `FabricSize` counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_SWITCH_RADIX = 4096  # the largest switches made have 512 ports; beyond this a radix is a typo


class FabricError(ValueError):
    """A spec that cannot be built (e.g. more endpoints than three tiers of this radix can reach)."""


@dataclass(frozen=True)
class FabricSpec:
    nodes: int  # compute nodes (trays / servers)
    gpus_per_node: int
    rails: int  # scale-out NIC ports per node in one plane, one per rail
    planes: int  # independent scale-out fabrics
    port_gbps: float  # speed of one NIC / switch port
    switch_radix: int  # ports per switch
    nodes_per_su: int  # nodes in one scalable unit
    oversubscription: float = 1.0  # leaf downlink : uplink bandwidth
    nvlink_domain_gpus: int | None = None  # GPUs per scale-up (NVLink) domain; None: no scale-up domains

    def check(self) -> None:
        """Raise FabricError naming the first field that cannot work."""
        for name in ("nodes", "gpus_per_node", "rails", "planes", "switch_radix", "nodes_per_su"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise FabricError(f"{name}: expected a whole number >= 1, got {getattr(self, name)!r}")
        if self.switch_radix > MAX_SWITCH_RADIX:
            raise FabricError(f"switch_radix: expected at most {MAX_SWITCH_RADIX} ports, got {self.switch_radix:,}")
        if not self.port_gbps > 0:
            raise FabricError(f"port_gbps: expected a number > 0, got {self.port_gbps!r}")
        if not self.oversubscription >= 1:
            raise FabricError(f"oversubscription: expected a number >= 1 (down:up), got {self.oversubscription!r}")
        if self.nvlink_domain_gpus is not None and (self.nvlink_domain_gpus < 1
                                                    or self.nvlink_domain_gpus % self.gpus_per_node):
            raise FabricError(f"nvlink_domain_gpus: expected a whole multiple of gpus_per_node "
                              f"({self.gpus_per_node}), got {self.nvlink_domain_gpus!r}")

    @property
    def gpus(self) -> int:
        return self.nodes * self.gpus_per_node


@dataclass(frozen=True)
class FabricSize:
    """Switch and link counts of one plane (multiply by `planes` for the fabric), and how links stripe."""

    tiers: int
    sus: int
    leaf_downlinks: int  # ports per leaf towards nodes (designed; the last SU may use fewer)
    leaf_uplinks: int
    leaves_per_plane: int
    spines_per_group: int  # spines a leaf's uplinks spread over (2 tiers: all of the plane's spines)
    links_leaf_spine: int  # parallel links between a leaf and each spine of its group
    sus_per_pod: int  # 3 tiers: SUs whose leaves share one group of spines
    pods: int
    cores_per_group: int  # 3 tiers: cores a spine's uplinks spread over
    links_spine_core: int  # parallel links between a spine and each core of its group

    @property
    def spines_per_plane(self) -> int:
        return self.spines_per_group * (self.pods if self.tiers == 3 else 1) if self.tiers >= 2 else 0

    @property
    def cores_per_plane(self) -> int:
        # one core group per spine index j (spine j of every pod meets core group j)
        return self.cores_per_group * self.spines_per_group if self.tiers == 3 else 0


def oversubscription_by_tier(size: FabricSize) -> dict[str, float]:
    """Downlink : uplink bandwidth of each switch tier that has uplinks (spines are non-blocking)."""
    ratios = {}
    if size.tiers >= 2:
        ratios["leaf"] = size.leaf_downlinks / size.leaf_uplinks
    if size.tiers == 3:
        ratios["spine"] = 1.0  # one uplink per downlink by construction
    return ratios


def bill_of_materials(spec: FabricSpec, size: FabricSize) -> dict:
    """Whole-fabric counts (all planes) in closed form: GPUs, tiers, switches by role, cables by tier."""
    planes = spec.planes
    spine_core = size.spines_per_plane * size.cores_per_group * size.links_spine_core if size.tiers == 3 else 0
    return {
        "gpus": spec.gpus,
        "tiers": size.tiers,
        "switches": {"leaf": size.leaves_per_plane * planes, "spine": size.spines_per_plane * planes,
                     "core": size.cores_per_plane * planes},
        "cables": {"node_leaf": spec.nodes * spec.rails * planes,
                   "leaf_spine": size.leaves_per_plane * size.leaf_uplinks * planes if size.tiers >= 2 else 0,
                   "spine_core": spine_core * planes},
    }


OPTICS_W_PER_800G = {"pluggable": 30.0, "cpo": 9.0}  # [2nd] NVIDIA's figures per 800G port

# Cable kind -> (media, reach class). Assumed placement: leaves at the end of their SU's row, spines in a
# network row, cores in a central network room. At 400G and faster, copper (DAC) reaches ~2-3 m: within a
# rack only, so with switches outside the compute racks every scale-out cable is optical.
REACH = {
    "node_leaf": ("optical-multimode", "in-row <= 50 m"),
    "leaf_spine": ("optical-single-mode", "cross-row <= 500 m"),
    "spine_core": ("optical-single-mode", "cross-hall <= 2 km"),
}


def cables_by_media(bom: dict, switch_optics: str = "pluggable") -> dict:
    """Cables by media and reach class, and the pluggable transceivers they need: one per cable end,
    except switch ends with co-packaged optics."""
    by_media: dict[str, int] = {"copper": 0}
    by_reach: dict[str, int] = {}
    for kind, count in bom["cables"].items():
        media, reach = REACH[kind]
        by_media[media] = by_media.get(media, 0) + count
        by_reach[reach] = by_reach.get(reach, 0) + count
    switch_ends = bom["cables"]["node_leaf"] + 2 * (bom["cables"]["leaf_spine"] + bom["cables"]["spine_core"])
    transceivers = bom["cables"]["node_leaf"] + (0 if switch_optics == "cpo" else switch_ends)
    return {"by_media": by_media, "by_reach": by_reach, "pluggable_transceivers": transceivers}


def fabric_power_w(spec: FabricSpec, bom: dict, switch_w: float, switch_optics: str) -> dict:
    """Power of the scale-out fabric in W: switches (system power without optics), and optics at both
    ends of every cable (switch ports pluggable or co-packaged; NIC ports pluggable), scaled with speed."""
    scale = spec.port_gbps / 800.0
    switch_ports = bom["cables"]["node_leaf"] + 2 * (bom["cables"]["leaf_spine"] + bom["cables"]["spine_core"])
    optics = (switch_ports * OPTICS_W_PER_800G[switch_optics] + bom["cables"]["node_leaf"] * OPTICS_W_PER_800G["pluggable"]) * scale
    switches = sum(bom["switches"].values()) * switch_w
    return {"switches_w": switches, "optics_w": optics, "total_w": switches + optics}


def _largest_divisor_at_most(n: int, limit: int) -> int:
    """The largest d with d | n and d <= limit (0 if limit < 1)."""
    best = 0
    for d in range(1, min(n, limit) + 1):
        if n % d == 0:
            best = d
    return best


def size_fabric(spec: FabricSpec) -> FabricSize:
    """The fewest tiers, and the switch and link counts per plane, for a spec (FabricError if impossible)."""
    spec.check()
    radix = spec.switch_radix
    sus = math.ceil(spec.nodes / spec.nodes_per_su)
    leaves = sus * spec.rails
    down = spec.nodes_per_su
    if sus == 1:
        if down > radix:
            raise FabricError(f"nodes_per_su: {down} nodes need {down} leaf ports; the switch has {radix}")
        return FabricSize(tiers=1, sus=1, leaf_downlinks=down, leaf_uplinks=0, leaves_per_plane=leaves,
                          spines_per_group=0, links_leaf_spine=0, sus_per_pod=1, pods=1, cores_per_group=0,
                          links_spine_core=0)
    up = math.ceil(down / spec.oversubscription)
    if down + up > radix:
        raise FabricError(f"nodes_per_su: {down} downlinks + {up} uplinks (oversubscription "
                          f"{spec.oversubscription:g}) exceed the switch radix {radix}")
    # Two tiers: every leaf of the plane reaches every spine with k parallel links; a spine has one
    # port per (leaf, link): leaves * k <= radix. Fewest spines: the largest such k that divides up.
    k = _largest_divisor_at_most(up, radix // leaves) if leaves <= radix else 0
    if k:
        return FabricSize(tiers=2, sus=sus, leaf_downlinks=down, leaf_uplinks=up, leaves_per_plane=leaves,
                          spines_per_group=up // k, links_leaf_spine=k, sus_per_pod=sus, pods=1,
                          cores_per_group=0, links_spine_core=0)
    # Three tiers: pods of whole SUs. A pod's spines are non-blocking: half their ports face the pod's
    # leaves. With one link per leaf-spine pair a pod holds up to radix/2 leaves.
    sus_per_pod = (radix // 2) // spec.rails
    if sus_per_pod < 1:
        raise FabricError(f"rails: {spec.rails} leaves per SU do not fit under one spine of radix {radix} "
                          "in a three-tier fabric")
    pods = math.ceil(sus / sus_per_pod)
    spine_up = sus_per_pod * spec.rails  # = spine downlinks (one per leaf of the pod)
    k2 = _largest_divisor_at_most(spine_up, radix // pods) if pods <= radix else 0
    if not k2:
        raise FabricError(f"nodes: {spec.nodes} nodes need {pods} pods; a core of radix {radix} reaches at most "
                          f"{radix}: more than three tiers, which gwplan does not build")
    return FabricSize(tiers=3, sus=sus, leaf_downlinks=down, leaf_uplinks=up, leaves_per_plane=leaves,
                      spines_per_group=up, links_leaf_spine=1, sus_per_pod=sus_per_pod, pods=pods,
                      cores_per_group=spine_up // k2, links_spine_core=k2)
