"""The Pulumi program: read the stack's plan and phase, declare what that phase adds, export its numbers.

Config (one place): `gwplan:plan` (plan file, relative to the repository root), `gwplan:phase` (phase id);
with `gwplan:nautobotUrl` (and the token as `gwplan:nautobotToken --secret`, or NAUTOBOT_TOKEN) each data
hall the phase builds is also a real resource: its records in Nautobot (`stacks.nautobot`).
The phase is a `Phase` component; each campus that builds in it a child `Campus` with its power blocks,
GPU clusters and fabrics; the stack exports the phase's and the cumulative IT MW, facility MW, GPUs, racks, capex,
sites and switch counts, all straight from the plan.
"""

from __future__ import annotations

from pathlib import Path

import pulumi

from stacks.components import CampusArgs, FabricArgs, GpuClusterArgs, Phase, PhaseArgs

REPO = Path(__file__).resolve().parent.parent


class ConfigError(pulumi.RunError):
    """A stack config the program cannot run with: the message names the key and the fix."""


def read_config() -> tuple[Path, str]:
    config = pulumi.Config("gwplan")
    plan_value = config.get("plan")
    phase = config.get("phase")
    if not plan_value:
        raise ConfigError("gwplan:plan is not set: `pulumi config set gwplan:plan plans/10gw-rollout.plan.yaml`")
    if not phase:
        raise ConfigError("gwplan:phase is not set: `pulumi config set gwplan:phase 1` (a phase id of the plan)")
    path = Path(plan_value)
    return (path if path.is_absolute() else REPO / path), phase


def load(plan_path: Path, phase: str):
    """The plan and the index of the phase; ConfigError naming the key when either is wrong."""
    from planner.fields import InputError
    from planner.plan import load_plan

    try:
        plan = load_plan(plan_path)
    except InputError as err:
        first = err.problems[0]
        raise ConfigError(f"gwplan:plan: {first} (regenerate it with `gwplan optimize ... -o {plan_path}`, "
                          "or point gwplan:plan at a valid plan)") from None
    try:
        return plan, plan.phase_index(phase)
    except KeyError:
        ids = [p.id for p in plan.phases]
        raise ConfigError(f"gwplan:phase: {phase!r} is not a phase of {plan_path} (phases: {', '.join(ids)}); "
                          f"`pulumi config set gwplan:phase {ids[0]}`") from None


def campus_args(plan, index: int) -> list[CampusArgs]:
    """What phase `index` adds at each campus that builds in it (fabric counts from planner.fabric)."""
    from planner.fabric.bom import fabric_report
    from planner.fabric.clusters import site_fabrics

    phase = plan.phases[index]
    platform = plan.platform(phase.platform)
    fabrics = {(f.site, f.platform): f for f in site_fabrics(plan, phase.id)}
    out = []
    for s in phase.sites:
        if s.site not in phase.sites_building:
            continue
        clusters, nets = [], []
        fab = fabrics.get((s.site, phase.platform))
        if fab is not None and s.racks_added:
            clusters.append(GpuClusterArgs(site=s.site, platform=phase.platform, racks=s.racks_added,
                                           gpus=s.gpus_added, scalable_units=fab.scalable_units(s.racks_added),
                                           it_mw=s.it_mw_added, gpus_per_rack=platform.gpus_per_rack,
                                           rack_it_kw=platform.rack_it_kw.default))
            report = fabric_report(plan, fab)
            step = report.added_by(phase.id)
            nets.append(FabricArgs(site=s.site, platform=phase.platform, switches=report.bom.switches,
                                   switches_added=step.switches_added, cables_added=step.cables_added,
                                   tiers=report.bom.tiers))
        out.append(CampusArgs(site=s.site, region=s.region, phase=phase.id, opened_this_phase=s.opened_this_phase,
                              blocks_added=s.blocks_added, block_it_mw_added=s.block_it_mw_added,
                              facility_mw=s.facility_mw, grid_mw=s.grid_mw, supply_mw=s.supply_mw, pue=s.pue,
                              capex_usd=s.capex_usd,
                              clusters=tuple(clusters), fabrics=tuple(nets)))
    return out


def stack_outputs(plan, index: int, campuses: list[CampusArgs]) -> dict:
    from planner.fabric.bom import switches_standing

    phase = plan.phases[index]
    switches_added: dict[str, int] = {}
    for c in campuses:
        for f in c.fabrics:
            for role, n in f.switches_added.items():
                switches_added[role] = switches_added.get(role, 0) + n
    return {
        "phase": phase.id, "online_date": phase.online_date, "platform": phase.platform,
        "sites": list(phase.sites_building), "sites_total": [s.site for s in phase.sites],
        "it_mw_added": round(phase.it_mw_added, 6), "it_mw_total": round(phase.it_mw_total, 6),
        "facility_mw_total": round(phase.facility_mw, 6),
        "facility_mw_added": round(sum(s.block_it_mw_added * s.pue for s in phase.sites), 6),
        "gpus_added": phase.gpus_added, "gpus_total": phase.gpus_total,
        "racks_added": phase.racks_added,
        "racks_total": sum(p.racks_added for p in plan.phases[: index + 1]),
        "capex_usd": round(phase.capex_usd, 2),
        "cumulative_capex_usd": round(plan.capex_usd_through(index), 2),
        "switches_added": switches_added,
        "switches_total": switches_standing(plan, phase.id),
    }


def main() -> dict:
    plan_path, phase = read_config()
    plan, index = load(plan_path, phase)
    campuses = campus_args(plan, index)
    outputs = stack_outputs(plan, index, campuses)
    phase_plan = plan.phases[index]
    Phase(f"phase-{phase_plan.id}", PhaseArgs(
        phase=phase_plan.id, online_date=phase_plan.online_date, platform=phase_plan.platform,
        capex_usd=outputs["capex_usd"], funding_usd=phase_plan.funding_usd,
        cumulative_capex_usd=outputs["cumulative_capex_usd"],
        cumulative_funding_usd=round(plan.funding_usd_through(index), 2),
        campuses=tuple(campuses)))
    halls = nautobot_halls(plan, plan_path, phase_plan)
    if halls:
        outputs["nautobot_data_halls"] = halls
    for key, value in outputs.items():
        pulumi.export(key, value)
    return outputs


def nautobot_halls(plan, plan_path: Path, phase_plan) -> list[str]:
    """Declare a NautobotDataHall per campus that adds racks in the phase, when a Nautobot URL is configured.

    Registered at the top of the stack (not under the component tree), so that their URNs, which stand for
    real records, stay the same when the components are rearranged."""
    import os

    config = pulumi.Config("gwplan")
    url = config.get("nautobotUrl")
    if not url:
        return []
    token = config.get_secret("nautobotToken") or os.environ.get("NAUTOBOT_TOKEN")
    if token is None:
        raise ConfigError("gwplan:nautobotToken is not set: `pulumi config set --secret gwplan:nautobotToken ...` "
                          "(or export NAUTOBOT_TOKEN)")
    from planner.nautobot.records import phase_records
    from stacks.nautobot import NautobotDataHall, content_hash

    names = []
    for s in phase_plan.sites:
        if not s.racks_added:
            continue
        records = phase_records(plan, phase_plan.id, s.site)
        name = f"nautobot-{s.site}-hall-{phase_plan.id}"
        NautobotDataHall(name, url=url, token=token, plan=str(plan_path), phase=phase_plan.id, site=s.site,
                         content_hash=content_hash(records))
        names.append(name)
    return names
