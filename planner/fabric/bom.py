"""What a plan's fabrics are made of: typed bills of materials, what each phase adds, and a spec's figures.

Counts come from `topology.spec` in closed form (no graph is built); bisection from
`topology.analysis`. These results are what the command line, the HTML report and the Pulumi program
all read: none of them recounts anything.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from planner.fabric.clusters import SiteFabric, fabric_spec, site_fabrics, split_into_clusters
from planner.plan.types import Plan
from planner.scenario.types import Switch
from topology.spec import FabricSpec, bill_of_materials, cables_by_media, fabric_power_w, size_fabric

SWITCH_ROLES = ("leaf", "spine", "core")
CABLE_TIERS = ("node_leaf", "leaf_spine", "spine_core")


@dataclass(frozen=True)
class FabricBom:
    """Bill of materials of one site's fabric for one platform, all clusters added up."""

    gpus: int
    tiers: int
    switches: dict[str, int]  # role (leaf, spine, core) -> count
    cables: dict[str, int]  # tier (node_leaf, leaf_spine, spine_core) -> count
    clusters: int
    bisection_gbps: float  # of one (the largest) cluster
    media: dict  # cables by media and reach, pluggable transceivers (topology.spec.cables_by_media)
    power_w: dict | None  # switches_w, optics_w, total_w; None when the switch has no power figure

    @property
    def switch_count(self) -> int:
        return sum(self.switches.values())

    @property
    def cable_count(self) -> int:
        return sum(self.cables.values())

    def as_json(self) -> dict:
        out = asdict(self)
        if self.power_w is None:
            del out["power_w"]
        return out


@dataclass(frozen=True)
class PhaseAddition:
    """What one phase adds to a site fabric (the site's final clusters grow; nothing is rebuilt)."""

    phase: str
    racks_added: int
    gpus_added: int
    switches_added: dict[str, int]
    cables_added: dict[str, int]


@dataclass(frozen=True)
class SiteFabricReport:
    site: str
    platform: str
    racks: int
    bom: FabricBom
    by_phase: tuple[PhaseAddition, ...]

    def added_by(self, phase_id: str) -> PhaseAddition | None:
        return next((step for step in self.by_phase if step.phase == phase_id), None)

    def as_json(self) -> dict:
        return {"site": self.site, "platform": self.platform, "racks": self.racks, **self.bom.as_json(),
                "by_phase": [asdict(step) for step in self.by_phase]}


def _counts(plan: Plan, platform_id: str, racks: int, racks_per_su: int | None,
            clusters: int) -> tuple[int, int, dict[str, int], dict[str, int]]:
    """(GPUs, tiers, switches by role, cables by tier) of `racks` racks split into `clusters` clusters
    (racks that do not divide evenly go to the first clusters)."""
    base, extra = divmod(racks, clusters)
    gpus = tiers = 0
    switches = dict.fromkeys(SWITCH_ROLES, 0)
    cables = dict.fromkeys(CABLE_TIERS, 0)
    for cluster_racks, count in ((base + 1, extra), (base, clusters - extra)):
        if not count or not cluster_racks:
            continue
        spec = fabric_spec(plan, platform_id, cluster_racks, racks_per_su)
        bom = bill_of_materials(spec, size_fabric(spec))
        gpus += count * bom["gpus"]
        tiers = max(tiers, bom["tiers"])
        for role, n in bom["switches"].items():
            switches[role] += count * n
        for tier, n in bom["cables"].items():
            cables[tier] += count * n
    return gpus, tiers, switches, cables


def media_and_power(spec: FabricSpec, cables: dict[str, int], switches: dict[str, int],
                    switch: Switch | None) -> tuple[dict, dict | None]:
    """Cables by media with their transceivers, and the fabric's power when the switch has a power figure."""
    optics = switch.optics if switch is not None else "pluggable"
    counts = {"switches": switches, "cables": cables}
    media = cables_by_media(counts, optics)
    power = (fabric_power_w(spec, counts, switch.power_w.default, optics)
             if switch is not None and switch.power_w is not None else None)
    return media, power


def fabric_bom(plan: Plan, platform_id: str, racks: int, racks_per_su: int | None = None,
               clusters: int | None = None) -> FabricBom:
    """Bill of materials of `racks` racks of a platform at one site: all clusters added up.

    `clusters` fixes the number of clusters (e.g. a site's final count, so that earlier phases grow the
    same clusters); by default the fewest that fit in three tiers.
    """
    from topology.analysis import bisection_gbps

    if clusters is None:
        clusters, largest = split_into_clusters(plan, platform_id, racks, racks_per_su)
    else:
        largest = fabric_spec(plan, platform_id, math.ceil(racks / clusters), racks_per_su)
    gpus, tiers, switches, cables = _counts(plan, platform_id, racks, racks_per_su, clusters)
    media, power = media_and_power(largest, cables, switches, plan.switch(plan.platform(platform_id).switch))
    return FabricBom(gpus=gpus, tiers=tiers, switches=switches, cables=cables, clusters=clusters,
                     bisection_gbps=bisection_gbps(largest, size_fabric(largest)), media=media, power_w=power)


def fabric_report(plan: Plan, fab: SiteFabric, racks_per_su: int | None = None) -> SiteFabricReport:
    """A site fabric's bill of materials (all clusters) and what each phase adds to it.

    Phases grow the site's final clusters (a cluster is not rebuilt when a later phase adds one), so
    additions never go negative.
    """
    steps, racks = [], 0
    before = (0, 0, dict.fromkeys(SWITCH_ROLES, 0), dict.fromkeys(CABLE_TIERS, 0))
    for phase_id, added in fab.racks_by_phase:
        racks += added
        now = _counts(plan, fab.platform, racks, racks_per_su, fab.clusters)
        steps.append(PhaseAddition(phase=phase_id, racks_added=added, gpus_added=now[0] - before[0],
                                   switches_added={r: n - before[2][r] for r, n in now[2].items()},
                                   cables_added={k: n - before[3][k] for k, n in now[3].items()}))
        before = now
    return SiteFabricReport(site=fab.site, platform=fab.platform, racks=fab.racks,
                            bom=fabric_bom(plan, fab.platform, fab.racks, racks_per_su), by_phase=tuple(steps))


def switches_standing(plan: Plan, phase_id: str) -> dict[str, int]:
    """Switches by role in every site fabric standing at the end of a phase."""
    total = dict.fromkeys(SWITCH_ROLES, 0)
    for fab in site_fabrics(plan, phase_id):
        for role, n in _counts(plan, fab.platform, fab.racks, None, fab.clusters)[2].items():
            total[role] += n
    return total


@dataclass(frozen=True)
class SpecFigures:
    """A fabric spec's figures for `gwplan fabric`: counts, bisection, hops, oversubscription, media, power."""

    spec: FabricSpec
    size: object  # topology.spec.FabricSize
    bom: dict  # topology.spec.bill_of_materials: gpus, tiers, switches by role, cables by tier
    bisection_gbps: float
    oversubscription: dict[str, float]  # tier -> downlink:uplink ratio
    media: dict
    power_w: dict | None

    @property
    def max_switch_hops(self) -> int:
        return 2 * self.size.tiers - 1

    def as_json(self) -> dict:
        out = {**self.bom, "bisection_gbps": self.bisection_gbps, "max_switch_hops": self.max_switch_hops,
               "oversubscription": self.oversubscription, "media": self.media}
        if self.power_w is not None:
            out["power_w"] = self.power_w
        return out


def spec_figures(spec: FabricSpec, switch: Switch | None) -> SpecFigures:
    """Size a spec and gather its figures (FabricError when it cannot be built)."""
    from topology.analysis import bisection_gbps
    from topology.spec import oversubscription_by_tier

    size = size_fabric(spec)
    bom = bill_of_materials(spec, size)
    media, power = media_and_power(spec, bom["cables"], bom["switches"], switch)
    return SpecFigures(spec=spec, size=size, bom=bom, bisection_gbps=bisection_gbps(spec, size),
                       oversubscription=oversubscription_by_tier(size), media=media, power_w=power)
