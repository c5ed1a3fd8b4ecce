"""What a GPU fabric is asked to be (`FabricSpec`) and how big it must be built (`size_fabric`).

Sizing is pure arithmetic, the way a network engineer sizes a rail-optimized, multi-plane folded Clos:
- each rail of each plane of a scalable unit (SU) has its own leaves: by default as few as the leaf's
  downlink ports allow, the SU's nodes filling them in order (NVIDIA's B300 SU of 64 nodes on 64-port
  switches: 2 per rail, 16 leaves); or `leaves_per_rail` given, the nodes spread evenly over them;
  each plane is an independent fabric;
- the fewest tiers the switch radix allows, but never fewer than two (2: leaf-spine; 3: leaf-spine-core
  in pods). NVIDIA builds spines even for one SU: one tier of rail leaves is a *rail-only* network
  (`rail_only=True`, one SU only), whose rails are disjoint networks: cross-rail traffic exists only
  where the collective library relays it over NVLink, and the second SU changes the topology class;
- every leaf spreads its uplinks over the spines of its group with the same whole number of parallel
  links to each spine, and each spine likewise over its cores (no fractional striping);
- a leaf has `downlinks` node ports (radix / 2 when non-blocking, or ceil(nodes_per_su /
  leaves_per_rail)) and `uplinks = ceil(downlinks / oversubscription)`; spines are non-blocking (as many
  uplinks as downlinks) when a core tier exists.
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
    leaves_per_rail: int | None = None  # leaves per rail per plane per SU; None: as few as the leaf's ports allow
    rail_only: bool = False  # one tier of rail leaves, no spines (one SU only; rails are disjoint networks)

    def check(self) -> None:
        """Raise FabricError naming the first field that cannot work."""
        for name in ("nodes", "gpus_per_node", "rails", "planes", "switch_radix", "nodes_per_su"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise FabricError(f"{name}: expected a whole number >= 1, got {getattr(self, name)!r}")
        if self.leaves_per_rail is not None and (not isinstance(self.leaves_per_rail, int)
                                                 or not 1 <= self.leaves_per_rail <= self.nodes_per_su):
            raise FabricError(f"leaves_per_rail: expected a whole number from 1 to nodes_per_su "
                              f"({self.nodes_per_su}), got {self.leaves_per_rail!r}")
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
    leaves_per_rail: int  # leaves per rail per plane in a full SU (a partial last SU has as many as it fills)
    leaf_downlinks: int  # ports per leaf towards nodes (designed; the last leaf of a rail may use fewer)
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

# Cable kind -> (media with pluggable switch ports, reach class). Assumed placement: leaves at the end of
# their SU's row, spines in a network row, cores in a central network room. At 400G and faster, copper
# (DAC) reaches ~2-3 m: within a rack only, so with switches outside the compute racks every scale-out
# cable is optical. Co-packaged optics ports take single-mode fibre, whatever the reach.
REACH = {
    "node_leaf": ("optical-multimode", "in-row <= 50 m"),
    "leaf_spine": ("optical-single-mode", "cross-row <= 500 m"),
    "spine_core": ("optical-single-mode", "cross-hall <= 2 km"),
}


def cable_plan(bom: dict, switch_optics: str = "pluggable") -> dict[str, dict]:
    """Per cable tier: cables, media, reach, pluggable transceivers and co-packaged switch ports.

    The one source of media and optics: the summary, the BOM CSV and the power figure all read it. Every
    cable has two ends; a NIC end always takes a pluggable transceiver, a switch end takes one unless the
    switch has co-packaged optics (then the port is on the switch, and the fibre is single-mode).
    """
    plan = {}
    for kind, cables in bom["cables"].items():
        media, reach = REACH[kind]
        switch_ends = cables if kind == "node_leaf" else 2 * cables
        nic_ends = cables if kind == "node_leaf" else 0
        cpo = switch_optics == "cpo"
        plan[kind] = {"cables": cables, "media": "optical-single-mode" if cpo else media, "reach": reach,
                      "pluggable_transceivers": nic_ends + (0 if cpo else switch_ends),
                      "cpo_ports": switch_ends if cpo else 0}
    return plan


def cables_by_media(bom: dict, switch_optics: str = "pluggable") -> dict:
    """Cables by media and reach class, pluggable transceivers and co-packaged ports (from `cable_plan`)."""
    by_media: dict[str, int] = {"copper": 0}
    by_reach: dict[str, int] = {}
    transceivers = cpo_ports = 0
    for tier in cable_plan(bom, switch_optics).values():
        by_media[tier["media"]] = by_media.get(tier["media"], 0) + tier["cables"]
        by_reach[tier["reach"]] = by_reach.get(tier["reach"], 0) + tier["cables"]
        transceivers += tier["pluggable_transceivers"]
        cpo_ports += tier["cpo_ports"]
    return {"by_media": by_media, "by_reach": by_reach, "pluggable_transceivers": transceivers,
            "cpo_ports": cpo_ports}


def fabric_power_w(spec: FabricSpec, bom: dict, switch_w: float, switch_optics: str) -> dict:
    """Power of the scale-out fabric in W: switches (system power without optics), and optics at both
    ends of every cable (pluggable transceivers and co-packaged ports, from `cable_plan`), scaled with speed."""
    media = cables_by_media(bom, switch_optics)
    scale = spec.port_gbps / 800.0
    optics = (media["pluggable_transceivers"] * OPTICS_W_PER_800G["pluggable"]
              + media["cpo_ports"] * OPTICS_W_PER_800G["cpo"]) * scale
    switches = sum(bom["switches"].values()) * switch_w
    return {"switches_w": switches, "optics_w": optics, "total_w": switches + optics}


def _largest_divisor_at_most(n: int, limit: int) -> int:
    """The largest d with d | n and d <= limit (0 if limit < 1)."""
    best = 0
    for d in range(1, min(n, limit) + 1):
        if n % d == 0:
            best = d
    return best


def leaf_down_ports(radix: int, oversubscription: float) -> int:
    """Most node-facing ports a leaf of this radix can have while keeping ceil(down / oversubscription)
    ports for uplinks (radix / 2 when non-blocking)."""
    down = radix
    while down > 0 and down + math.ceil(down / oversubscription) > radix:
        down -= 1
    return down


def su_nodes(spec: FabricSpec, su: int) -> int:
    """Nodes in scalable unit `su` (the last one may be partial)."""
    return min(spec.nodes_per_su, spec.nodes - su * spec.nodes_per_su)


def leaves_in_su(spec: FabricSpec, size: FabricSize, su: int) -> int:
    """Leaves per rail per plane that SU `su` fills (a partial SU fills only the leaves its nodes need)."""
    return math.ceil(su_nodes(spec, su) / size.leaf_downlinks)


def leaf_of_node(size: FabricSize, spec: FabricSpec, node: int) -> tuple[int, int]:
    """(SU, leaf index within its rail) of a node: an SU's nodes fill its leaves in order."""
    su, offset = divmod(node, spec.nodes_per_su)
    return su, offset // size.leaf_downlinks


def size_fabric(spec: FabricSpec) -> FabricSize:
    """The fewest tiers, and the switch and link counts per plane, for a spec (FabricError if impossible)."""
    spec.check()
    radix = spec.switch_radix
    sus = math.ceil(spec.nodes / spec.nodes_per_su)
    if spec.rail_only:
        if sus > 1:
            raise FabricError(f"rail_only: a rail-only network is one tier of rail leaves for one SU; {spec.nodes} "
                              f"nodes make {sus} SUs of {spec.nodes_per_su} (cross-SU traffic needs spines)")
        if spec.leaves_per_rail not in (None, 1):
            raise FabricError(f"leaves_per_rail: a rail-only SU has one leaf per rail (several would need spines "
                              f"to join them), got {spec.leaves_per_rail}")
        down = spec.nodes_per_su
        if down > radix:
            raise FabricError(f"nodes_per_su: a rail-only SU of {down} nodes needs {down} leaf ports; the switch "
                              f"has {radix}")
        return FabricSize(tiers=1, sus=1, leaves_per_rail=1, leaf_downlinks=down, leaf_uplinks=0,
                          leaves_per_plane=spec.rails, spines_per_group=0, links_leaf_spine=0, sus_per_pod=1,
                          pods=1, cores_per_group=0, links_spine_core=0)
    most_down = leaf_down_ports(radix, spec.oversubscription)
    if spec.leaves_per_rail:  # given: the SU's nodes spread evenly over them
        per_rail = spec.leaves_per_rail
        down = math.ceil(spec.nodes_per_su / per_rail)
    else:  # derived: fill each leaf's downlink ports in turn
        down = max(min(most_down, spec.nodes_per_su), 1)
        per_rail = math.ceil(spec.nodes_per_su / down)
    up = math.ceil(down / spec.oversubscription)
    if most_down < 1 or down + up > radix:
        raise FabricError(f"leaves_per_rail: {per_rail} leaves per rail give each {down} downlinks + {up} uplinks "
                          f"(oversubscription {spec.oversubscription:g}), more than the switch radix {radix}")
    full, rest = divmod(spec.nodes, spec.nodes_per_su)
    per_plane = spec.rails * (full * per_rail + math.ceil(rest / down))
    # Two tiers: every leaf of the plane reaches every spine with k parallel links; a spine has one
    # port per (leaf, link): leaves * k <= radix. Fewest spines: the largest such k that divides up.
    k = _largest_divisor_at_most(up, radix // per_plane) if per_plane <= radix else 0
    if k:
        return FabricSize(tiers=2, sus=sus, leaves_per_rail=per_rail, leaf_downlinks=down, leaf_uplinks=up,
                          leaves_per_plane=per_plane, spines_per_group=up // k, links_leaf_spine=k, sus_per_pod=sus,
                          pods=1, cores_per_group=0, links_spine_core=0)
    # Three tiers: pods of whole SUs. A pod's spines are non-blocking: half their ports face the pod's
    # leaves. With one link per leaf-spine pair a pod holds up to radix/2 leaves.
    sus_per_pod = (radix // 2) // (spec.rails * per_rail)
    if sus_per_pod < 1:
        raise FabricError(f"rails: {spec.rails} rails x {per_rail} leaves per SU do not fit under one spine of "
                          f"radix {radix} in a three-tier fabric")
    pods = math.ceil(sus / sus_per_pod)
    spine_up = sus_per_pod * spec.rails * per_rail  # = spine downlinks (one per leaf of a full pod)
    k2 = _largest_divisor_at_most(spine_up, radix // pods) if pods <= radix else 0
    if not k2:
        raise FabricError(f"nodes: {spec.nodes} nodes need {pods} pods; a core of radix {radix} reaches at most "
                          f"{radix}: more than three tiers, which gwplan does not build")
    return FabricSize(tiers=3, sus=sus, leaves_per_rail=per_rail, leaf_downlinks=down, leaf_uplinks=up,
                      leaves_per_plane=per_plane, spines_per_group=up, links_leaf_spine=1, sus_per_pod=sus_per_pod,
                      pods=pods, cores_per_group=spine_up // k2, links_spine_core=k2)
