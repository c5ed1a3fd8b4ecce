"""From a plan to its fabrics: one per site and platform, built from the catalog entry in the plan."""

from __future__ import annotations

import json

from planner.cli import main
from planner.fabric.clusters import site_fabrics
from planner.plan import load_plan
from topology.spec import bill_of_materials, size_fabric


def test_site_fabric_follows_the_platform(gb200_plan):
    path, plan = gb200_plan
    loaded = load_plan(path)
    fabrics = site_fabrics(loaded, "2")
    expected: dict[str, int] = {}
    for phase in plan.phases:
        for s in phase.sites:
            if s.racks_added:
                expected[s.site] = expected.get(s.site, 0) + s.racks_added
    assert {f.site: f.racks for f in fabrics} == expected and len(expected) == 2
    a = next(f for f in fabrics if f.site == "A")
    spec = a.spec
    assert spec.gpus == a.racks * 72 and spec.nodes == a.racks * 18  # 18 trays of 4 GPUs per NVL72 rack
    assert (spec.rails, spec.planes, spec.port_gbps, spec.switch_radix) == (4, 1, 400.0, 64)  # QM9700, 400G
    assert spec.nodes_per_su == 8 * 18  # NVIDIA's SuperPOD SU of 8 racks (su_racks in the catalog)
    assert size_fabric(spec).leaves_per_rail == 5  # 144 nodes fill 32-port halves of 64-port leaves: 4.5
    assert spec.nvlink_domain_gpus == 72


def test_topology_command_reports_what_each_phase_adds(gb200_plan, capsys):
    path, _ = gb200_plan
    assert main(["topology", str(path), "--phase", "2", "--site", "A", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (fabric,) = report["fabrics"]
    assert sum(step["gpus_added"] for step in fabric["by_phase"]) == fabric["gpus"]
    for role in ("leaf", "spine", "core"):
        assert sum(step["switches_added"][role] for step in fabric["by_phase"]) == fabric["switches"][role]
    spec = site_fabrics(load_plan(path), "2", "A")[0].spec
    assert fabric["switches"] == bill_of_materials(spec, size_fabric(spec))["switches"]


def test_topology_command_names_a_missing_phase_or_site(gb200_plan, capsys):
    path, _ = gb200_plan
    assert main(["topology", str(path), "--phase", "9"]) == 2
    assert "phase '9' is not in the plan" in capsys.readouterr().err
    assert main(["topology", str(path), "--phase", "1", "--site", "Z"]) == 2
    assert "site 'Z' has nothing in the plan" in capsys.readouterr().err


def test_topology_exports_per_site_and_platform(gb200_plan, tmp_path, capsys):
    path, _ = gb200_plan
    assert main(["topology", str(path), "--phase", "1", "--format", "summary", "cabling", "-o", str(tmp_path)]) == 0
    assert list(tmp_path.glob("*-gb200-nvl72/cabling.csv"))


def test_racks_beyond_three_tiers_split_into_equal_clusters(gb200_plan):
    import dataclasses

    from planner.fabric.bom import fabric_bom
    from planner.fabric.clusters import split_into_clusters
    from planner.scenario import Switch

    _, plan = gb200_plan
    # 48-port leaves and no reference SU: SUs of one NVL72 rack (18 nodes), 6 SUs per pod, at most 48 pods
    # = 288 racks per fabric
    platforms = tuple(dataclasses.replace(p, su_racks=None) for p in plan.platforms)
    small = dataclasses.replace(plan, switches=(Switch("qm9700", "48-port", 48, 400.0, None),), platforms=platforms)
    assert split_into_clusters(small, "gb200-nvl72", 288)[0] == 1
    clusters, spec = split_into_clusters(small, "gb200-nvl72", 301)
    assert clusters == 2 and spec.nodes == 151 * 18
    bom = fabric_bom(small, "gb200-nvl72", 301)
    assert bom.gpus == 301 * 72 and bom.clusters == 2


def test_topology_reports_fabric_power_from_the_plans_switch(gb200_plan, capsys):
    path, plan = gb200_plan
    assert main(["topology", str(path), "--phase", "2", "--site", "A", "--json"]) == 0
    (fabric,) = json.loads(capsys.readouterr().out)["fabrics"]
    switch = plan.switch("qm9700")
    assert fabric["power_w"]["switches_w"] == sum(fabric["switches"].values()) * switch.power_w.default
    assert fabric["power_w"]["optics_w"] > 0


def test_phase_additions_grow_the_final_clusters(gb200_plan):
    import dataclasses

    from planner.fabric.bom import fabric_bom
    from planner.scenario import Switch

    _, plan = gb200_plan
    platforms = tuple(dataclasses.replace(p, su_racks=None) for p in plan.platforms)  # SUs of one rack
    small = dataclasses.replace(plan, switches=(Switch("qm9700", "48-port", 48, 400.0, None),), platforms=platforms)
    steps = [fabric_bom(small, "gb200-nvl72", racks, clusters=2) for racks in (100, 200, 301)]
    for earlier, later in zip(steps, steps[1:]):
        for role in ("leaf", "spine", "core"):
            assert later.switches[role] >= earlier.switches[role]
    assert steps[-1] == fabric_bom(small, "gb200-nvl72", 301)


def test_phase_additions_add_up_to_the_fabric(gb200_plan):
    """What each phase adds, summed over the phases, is the whole site fabric: nothing counted twice or lost."""
    from planner.fabric.bom import fabric_report
    from planner.fabric.clusters import site_fabrics

    _, plan = gb200_plan
    for fab in site_fabrics(plan, plan.phases[-1].id):
        report = fabric_report(plan, fab)
        assert sum(step.racks_added for step in report.by_phase) == report.racks == fab.racks
        assert sum(step.gpus_added for step in report.by_phase) == report.bom.gpus
        for role, n in report.bom.switches.items():
            assert sum(step.switches_added[role] for step in report.by_phase) == n
        for tier, n in report.bom.cables.items():
            assert sum(step.cables_added[tier] for step in report.by_phase) == n


def test_cabling_schedule_says_which_phase_adds_each_cable(gb200_plan, tmp_path, capsys):
    import csv

    path, plan = gb200_plan
    a_racks = [next((s.racks_added for s in p.sites if s.site == "A"), 0) for p in plan.phases]
    assert a_racks[0] > 0 and a_racks[1] > 0
    assert main(["topology", str(path), "--phase", "2", "--site", "A", "--format", "cabling",
                 "-o", str(tmp_path)]) == 0
    with open(tmp_path / "A-gb200-nvl72" / "cabling.csv") as handle:
        rows = list(csv.DictReader(handle))
    node_leaf = [r for r in rows if r["a_device"].startswith("node-")]
    by_phase = {ph: sum(1 for r in node_leaf if r["phase_added"] == ph) for ph in ("1", "2")}
    assert by_phase == {"1": a_racks[0] * 18 * 4, "2": a_racks[1] * 18 * 4}  # 18 trays x 4 rails per rack
