"""Thin Pulumi components for what a phase deploys at one campus.

Each has an Args dataclass, a `gwplan:<module>:<Type>` token, children with `parent=self`, and
`register_outputs`. Racks, devices and cables stay counts (and exported files from `gwplan topology`),
not resources: a 1 GW phase has tens of thousands of them, and Pulumi previews slow to minutes past
~1,000-2,000 resources.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class PowerBlocksArgs:
    site: str
    phase: str
    kind: int  # index of the site's power-block kind in the scenario
    count: int


class PowerBlocks(pulumi.ComponentResource):
    """The power blocks of one kind (grid interconnect share, electrical and cooling plant) a phase adds."""

    def __init__(self, name: str, args: PowerBlocksArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("gwplan:power:PowerBlocks", name, None, opts)
        self.count = pulumi.Output.from_input(args.count)
        self.register_outputs({"site": args.site, "phase": args.phase, "kind": args.kind, "count": args.count})


@dataclass(frozen=True)
class GpuClusterArgs:
    site: str
    platform: str
    racks: int
    gpus: int
    scalable_units: int
    it_mw: float


class GpuCluster(pulumi.ComponentResource):
    """The GPU racks of one platform a phase installs at a campus, as scalable units."""

    def __init__(self, name: str, args: GpuClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("gwplan:compute:GpuCluster", name, None, opts)
        self.gpus = pulumi.Output.from_input(args.gpus)
        self.register_outputs({"platform": args.platform, "racks": args.racks, "gpus": args.gpus,
                               "scalable_units": args.scalable_units, "it_mw": args.it_mw})


@dataclass(frozen=True)
class FabricArgs:
    site: str
    platform: str
    switches: dict  # role -> count, the whole site fabric after this phase
    switches_added: dict  # role -> count added by this phase
    cables_added: dict  # tier -> count added by this phase
    tiers: int


class Fabric(pulumi.ComponentResource):
    """The scale-out fabric of one platform at a campus (counts from `topology/`)."""

    def __init__(self, name: str, args: FabricArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("gwplan:network:Fabric", name, None, opts)
        self.switches_added = pulumi.Output.from_input(sum(args.switches_added.values()))
        self.register_outputs({"platform": args.platform, "tiers": args.tiers, "switches": args.switches,
                               "switches_added": args.switches_added, "cables_added": args.cables_added})


@dataclass(frozen=True)
class CampusArgs:
    site: str
    region: str
    phase: str
    opened_this_phase: bool
    blocks_added: tuple[int, ...]  # power blocks added, per kind
    block_it_mw_added: float
    facility_mw: float
    grid_mw: float
    capex_usd: float
    clusters: tuple[GpuClusterArgs, ...]
    fabrics: tuple[FabricArgs, ...]


class Campus(pulumi.ComponentResource):
    """A campus in one phase: its power blocks, data hall fit-out (GPU clusters) and fabrics."""

    def __init__(self, name: str, args: CampusArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("gwplan:site:Campus", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.blocks = [PowerBlocks(f"{name}-blocks-{k}", PowerBlocksArgs(args.site, args.phase, k, n), child)
                       for k, n in enumerate(args.blocks_added) if n]
        self.clusters = [GpuCluster(f"{name}-{c.platform}", c, child) for c in args.clusters]
        self.fabrics = [Fabric(f"{name}-{f.platform}-fabric", f, child) for f in args.fabrics]
        self.register_outputs({"site": args.site, "region": args.region, "opened_this_phase": args.opened_this_phase,
                               "block_it_mw_added": args.block_it_mw_added, "facility_mw": args.facility_mw,
                               "grid_mw": args.grid_mw, "capex_usd": args.capex_usd})
