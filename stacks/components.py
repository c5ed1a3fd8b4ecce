"""Thin Pulumi components for what a phase deploys at one campus.

Each has an Args dataclass, a `gwplan:<module>:<Type>` token, children with `parent=self`, and
`register_outputs`. Racks, devices and cables stay counts (and exported files from `gwplan topology`),
not resources: a 1 GW phase has tens of thousands of them, and Pulumi previews slow to minutes past
~1,000-2,000 resources.

A resource's URN is its type, name and parent chain; change any of them and Pulumi deletes the old
resource and creates a new one. So when a component moves or is renamed, its old place goes into its
`aliases` and a deployed stack keeps it: `Campus` sat at the stack root and held its GPU clusters and
fabrics directly before `Phase` and `DataHall` existed, and both moves are aliased here. (The resources that
are real Nautobot records sit at the stack root, apart from this tree: `stacks.nautobot`.)
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
    gpus_per_rack: int
    rack_it_kw: float


class GpuCluster(pulumi.ComponentResource):
    """The GPU racks of one platform a phase installs at a campus, as scalable units."""

    def __init__(self, name: str, args: GpuClusterArgs, opts: pulumi.ResourceOptions | None = None):
        props = {"platform": args.platform, "racks": args.racks, "gpus": args.gpus, "it_mw": args.it_mw,
                 "scalable_units": args.scalable_units, "gpus_per_rack": args.gpus_per_rack,
                 "rack_it_kw": args.rack_it_kw}
        super().__init__("gwplan:compute:GpuCluster", name, props, opts)  # props: what policies check
        self.gpus = pulumi.Output.from_input(args.gpus)
        self.register_outputs(props)


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
class DataHallArgs:
    site: str
    phase: str
    it_mw: float  # IT power the phase fits out here
    clusters: tuple[GpuClusterArgs, ...]
    fabrics: tuple[FabricArgs, ...]


class DataHall(pulumi.ComponentResource):
    """The data-hall fit-out a phase adds at a campus: its GPU clusters and their fabrics."""

    def __init__(self, name: str, args: DataHallArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("gwplan:site:DataHall", name, {"site": args.site, "phase": args.phase,
                                                          "it_mw": args.it_mw}, opts)
        # clusters and fabrics were the children of a campus at the stack root, named after it, before data
        # halls and phases existed: that URN, spelled out (the engine's parent-alias expansion would put the
        # data hall in its chain)
        old = name.removesuffix("-hall")
        old_campus = pulumi.create_urn(old, "gwplan:site:Campus")

        def child(old_name: str) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(name=old_name, parent=old_campus)])

        self.clusters = [GpuCluster(f"{name}-{c.platform}", c, child(f"{old}-{c.platform}")) for c in args.clusters]
        self.fabrics = [Fabric(f"{name}-{f.platform}-fabric", f, child(f"{old}-{f.platform}-fabric"))
                        for f in args.fabrics]
        self.register_outputs({"it_mw": args.it_mw})


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
    supply_mw: float  # grid, upgrade and on-site power
    pue: float
    capex_usd: float
    clusters: tuple[GpuClusterArgs, ...]
    fabrics: tuple[FabricArgs, ...]


class Campus(pulumi.ComponentResource):
    """A campus in one phase: the power blocks it adds and its data-hall fit-out."""

    def __init__(self, name: str, args: CampusArgs, opts: pulumi.ResourceOptions | None = None):
        props = {"site": args.site, "region": args.region, "phase": args.phase,
                 "opened_this_phase": args.opened_this_phase, "block_it_mw_added": args.block_it_mw_added,
                 "facility_mw": args.facility_mw, "grid_mw": args.grid_mw, "supply_mw": args.supply_mw, "pue": args.pue,
                 "capex_usd": args.capex_usd}
        # campuses sat at the stack root before phases were components
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
            aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]))
        super().__init__("gwplan:site:Campus", name, props, opts)  # props: what policies check
        child = pulumi.ResourceOptions(parent=self)
        self.blocks = [PowerBlocks(f"{name}-blocks-{k}", PowerBlocksArgs(args.site, args.phase, k, n), child)
                       for k, n in enumerate(args.blocks_added) if n]
        self.hall = None
        if args.clusters:
            it_mw = sum(c.it_mw for c in args.clusters)
            self.hall = DataHall(f"{name}-hall", DataHallArgs(args.site, args.phase, it_mw, args.clusters,
                                                              args.fabrics), child)
        self.register_outputs(props)


@dataclass(frozen=True)
class PhaseArgs:
    phase: str
    online_date: str
    platform: str
    capex_usd: float
    funding_usd: float
    cumulative_capex_usd: float
    cumulative_funding_usd: float
    campuses: tuple[CampusArgs, ...]


class Phase(pulumi.ComponentResource):
    """One rollout phase: its spend against its funding, and the campuses that build in it."""

    def __init__(self, name: str, args: PhaseArgs, opts: pulumi.ResourceOptions | None = None):
        props = {"phase": args.phase, "online_date": args.online_date, "platform": args.platform,
                 "capex_usd": args.capex_usd, "funding_usd": args.funding_usd,
                 "cumulative_capex_usd": args.cumulative_capex_usd,
                 "cumulative_funding_usd": args.cumulative_funding_usd}
        super().__init__("gwplan:rollout:Phase", name, props, opts)  # props: what policies check
        child = pulumi.ResourceOptions(parent=self)
        self.campuses = [Campus(f"{c.site}-phase-{c.phase}", c, child) for c in args.campuses]
        self.register_outputs(props)
