"""The Pulumi program under the SDK's mocks (stacks/mocks.py): every phase of the bundled plan, and bad
stack configs. Mocks keep duplicate URNs silently, so uniqueness is checked here.
"""

from __future__ import annotations

import pulumi
import pytest
import yaml

from planner.plan import load_plan
from stacks.mocks import run_under_mocks, stack_config
from tests.helpers import REPO

BUNDLED_PLAN = REPO / "plans" / "10gw-rollout.plan.yaml"
RESOURCE_BUDGET = 2000


def run_program(stack: str, config: dict[str, str]):
    return run_under_mocks(stack, config)[0]


def run_program_with_props(stack: str, config: dict[str, str]) -> list[tuple[str, dict]]:
    """(type, inputs) of every resource the program registers: what a policy pack sees."""
    mocks = run_under_mocks(stack, config)[1]
    return [(r.typ, r.inputs) for r in mocks.resources]


PHASES = [p.id for p in load_plan(BUNDLED_PLAN).phases]


@pytest.mark.parametrize("phase", PHASES)
def test_every_phase_of_the_bundled_plan(phase):
    plan = load_plan(BUNDLED_PLAN)
    resources, outputs = run_program(f"phase-{phase}", stack_config(f"phase-{phase}"))
    planned = next(p for p in plan.phases if p.id == phase)
    # outputs are the plan's numbers
    assert outputs["it_mw_added"] == pytest.approx(planned.it_mw_added)
    assert outputs["it_mw_total"] == pytest.approx(planned.it_mw_total)
    assert outputs["gpus_added"] == planned.gpus_added and outputs["gpus_total"] == planned.gpus_total
    assert outputs["capex_usd"] == pytest.approx(planned.capex_usd)
    assert outputs["sites"] == list(planned.sites_building)
    assert set(outputs["sites_total"]) == {s.site for p in plan.phases[: PHASES.index(phase) + 1] for s in p.sites}
    index = PHASES.index(phase)
    assert outputs["racks_total"] == sum(p.racks_added for p in plan.phases[: index + 1])
    if index:  # switches only grow
        _, previous = run_program(f"phase-{PHASES[index - 1]}", stack_config(f"phase-{PHASES[index - 1]}"))
        assert all(outputs["switches_total"][r] >= previous["switches_total"].get(r, 0)
                   for r in outputs["switches_total"])
    # one Campus per site building, each the parent of its power blocks, clusters and fabrics
    types = [typ for typ, _, _ in resources]
    assert types.count("gwplan:site:Campus") == len(planned.sites_building)
    assert types.count("gwplan:compute:GpuCluster") == sum(1 for s in planned.sites if s.racks_added)
    assert types.count("gwplan:power:PowerBlocks") == sum(1 for s in planned.sites for n in s.blocks_added if n)
    (phase_urn,) = [urn for typ, urn, _ in resources if typ == "gwplan:rollout:Phase"]
    urns_of = {t: {urn for typ, urn, _ in resources if typ == t} for t in
               ("gwplan:site:Campus", "gwplan:site:DataHall")}
    expected_parent = {"gwplan:site:Campus": {phase_urn}, "gwplan:site:DataHall": urns_of["gwplan:site:Campus"],
                       "gwplan:power:PowerBlocks": urns_of["gwplan:site:Campus"],
                       "gwplan:compute:GpuCluster": urns_of["gwplan:site:DataHall"],
                       "gwplan:network:Fabric": urns_of["gwplan:site:DataHall"]}
    for typ, urn, parent in resources:
        if typ == "gwplan:rollout:Phase":
            assert "pulumi:pulumi:Stack" in parent  # the phase hangs off the stack
        else:
            assert parent in expected_parent[typ], (typ, urn, parent)
    assert types.count("gwplan:site:DataHall") == sum(1 for s in planned.sites if s.racks_added)
    # the engine rejects duplicate URNs; the mocks do not
    urns = [urn for _, urn, _ in resources]
    assert len(urns) == len(set(urns))
    assert len(resources) <= RESOURCE_BUDGET


def test_missing_plan_and_unknown_phase_are_named(tmp_path):
    with pytest.raises(pulumi.RunError, match="gwplan:plan: .*no such file"):
        run_program("phase-1", {"gwplan:plan": str(tmp_path / "nope.yaml"), "gwplan:phase": "1"})
    with pytest.raises(pulumi.RunError, match="gwplan:phase: '42' is not a phase"):
        run_program("phase-42", {"gwplan:plan": str(BUNDLED_PLAN), "gwplan:phase": "42"})


def test_bundled_plan_and_stack_files_match_what_gwplan_writes(bundled_run, tmp_path, monkeypatch, capsys):
    """The committed plan must be what gwplan optimize gives for the bundled scenario (byte for byte),
    and the committed stack files what gwplan stacks writes for it."""
    from planner.cli import main as gwplan

    _, plan_path, _ = bundled_run  # gwplan optimize scenarios/10gw-rollout.yaml, once per run (conftest)
    assert plan_path.read_bytes() == BUNDLED_PLAN.read_bytes(), \
        "plans/10gw-rollout.plan.yaml is stale: regenerate it (README, Pulumi stacks)"
    monkeypatch.chdir(REPO)
    assert gwplan(["stacks", "plans/10gw-rollout.plan.yaml", "-o", str(tmp_path / "config")]) == 0
    for phase in PHASES:
        name = f"Pulumi.phase-{phase}.yaml"
        assert (tmp_path / "config" / name).read_bytes() == (REPO / "stacks" / "config" / name).read_bytes()


def test_project_file_follows_pulumis_rules():
    """Types the CLI enforces and the schema cannot: an array needs items, a default matches its type."""
    project = yaml.safe_load((REPO / "Pulumi.yaml").read_text())
    assert project["runtime"]["name"] == "python" and project["main"] == "stacks/"
    assert (REPO / project["stackConfigDir"]).is_dir()
    python_types = {"string": str, "integer": int, "boolean": bool, "array": list}
    for key, decl in project["config"].items():
        assert ":" not in key  # project-namespace keys take defaults; others would need `value`
        assert decl["type"] in python_types
        if decl["type"] == "array":
            assert "items" in decl
        if "default" in decl:
            assert isinstance(decl["default"], python_types[decl["type"]])


def test_a_plan_that_fails_its_own_checks_is_named(tmp_path):
    broken = tmp_path / "plan.yaml"
    broken.write_text(BUNDLED_PLAN.read_text().replace("opened_this_phase: true", "opened_this_phase: maybe", 1))
    with pytest.raises(pulumi.RunError, match=r"gwplan:plan: .*opened_this_phase: expected true or false.*regenerate"):
        run_program("phase-1", {"gwplan:plan": str(broken), "gwplan:phase": "1"})


def test_with_a_nautobot_url_each_data_hall_is_a_real_resource_with_a_stable_urn():
    """Under mocks: one dynamic NautobotDataHall per campus adding racks, at the top of the stack (its URN
    does not depend on the component tree), its token a secret that no output carries. On the corpus' small
    plan: a 1 GW phase's records take ~30 s to hash, twice here, for nothing the small plan does not show."""
    small = REPO / "tests" / "bad_inputs" / "plans" / "_base.plan.yaml"
    plan = load_plan(small)
    phase = plan.phases[0]
    token = "t0ken-for-the-test-" + "9" * 20
    config = {**stack_config("phase-1"), "gwplan:plan": str(small), "gwplan:nautobotUrl": "http://127.0.0.1:9",
              "gwplan:nautobotToken": token}
    (registrations, outputs), mocks = run_under_mocks("phase-1", config)
    halls = [(urn, parent) for typ, urn, parent in registrations if typ == "pulumi-python:dynamic:Resource"]
    expected = {f"nautobot-{s.site}-hall-{phase.id}" for s in phase.sites if s.racks_added}
    assert {urn.rsplit("::", 1)[1] for urn, _ in halls} == expected and len(halls) == len(expected)
    # the type chain holds only the stack (the mocks spell its root type out): no component in between
    assert all(urn.startswith("urn:pulumi:phase-1::gwplan::pulumi:pulumi:Stack$pulumi-python:dynamic:Resource::")
               for urn, _ in halls)
    assert all(parent.endswith("pulumi:pulumi:Stack::gwplan-phase-1") for _, parent in halls)
    assert sorted(outputs["nautobot_data_halls"]) == sorted(expected)
    assert token not in repr(outputs)
    inputs = [r.inputs for r in mocks.resources if r.typ == "pulumi-python:dynamic:Resource"]
    assert all(len(i["content_hash"]) == 32 and i["phase"] == phase.id for i in inputs)
    again = run_under_mocks("phase-1", config)[1]
    hashes = sorted(r.inputs["content_hash"] for r in again.resources if r.typ == "pulumi-python:dynamic:Resource")
    assert hashes == sorted(i["content_hash"] for i in inputs)  # same plan, same hash: no update


def test_each_run_hangs_its_resources_under_its_own_stack():
    """The SDK keeps the first root Stack resource a process makes; run_under_mocks gives every run its own,
    so a stack run after another (as tests run in any order) names itself as its resources' parent."""
    for stack in ("phase-2", "phase-1"):
        registrations, _ = run_under_mocks(stack, stack_config(stack))[0]
        tops = [parent for typ, _, parent in registrations if typ == "gwplan:rollout:Phase"]
        assert tops and all(parent.endswith(f"pulumi:pulumi:Stack::gwplan-{stack}") for parent in tops)


def test_without_a_token_the_nautobot_config_is_named(monkeypatch):
    monkeypatch.delenv("NAUTOBOT_TOKEN", raising=False)
    config = {**stack_config("phase-1"), "gwplan:nautobotUrl": "http://127.0.0.1:9"}
    with pytest.raises(pulumi.RunError, match="gwplan:nautobotToken is not set"):
        run_program("phase-1", config)


def test_gwplan_stacks_keeps_what_pulumi_wrote_in_a_stack_file(tmp_path, monkeypatch, capsys):
    """Rewriting stack files sets gwplan's two keys only: encryptionsalt, secrets and other config stay."""
    from planner.cli import main as gwplan

    monkeypatch.chdir(REPO)
    out = tmp_path / "config"
    out.mkdir()
    mine = out / "Pulumi.phase-2.yaml"
    mine.write_text("encryptionsalt: v1:abc=:v1:def:ghi==\nconfig:\n  gwplan:phase: '9'\n"
                    "  gwplan:nautobotUrl: https://nautobot.example.com\n"
                    "  gwplan:nautobotToken:\n    secure: v1:SECRET==\n  aws:region: us-east-1\n")
    assert gwplan(["-q", "stacks", "plans/10gw-rollout.plan.yaml", "-o", str(out)]) == 0
    doc = yaml.safe_load(mine.read_text())
    assert doc["encryptionsalt"] == "v1:abc=:v1:def:ghi=="
    assert doc["config"]["gwplan:nautobotToken"] == {"secure": "v1:SECRET=="}
    assert doc["config"]["aws:region"] == "us-east-1"
    assert doc["config"]["gwplan:phase"] == "2" and doc["config"]["gwplan:plan"] == "plans/10gw-rollout.plan.yaml"
    fresh = yaml.safe_load((out / "Pulumi.phase-3.yaml").read_text())
    assert fresh == {"config": {"gwplan:plan": "plans/10gw-rollout.plan.yaml", "gwplan:phase": "3"}}


def test_the_programs_requirements_install_gwplan():
    """stacks/requirements.txt, which `pulumi install` reads from the program's directory, installs gwplan."""
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "-r", "requirements.txt"],
                         cwd=REPO / "stacks", capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Would install gwplan-" in run.stdout


def small_project(tmp_path, phases_in_stack_files: int = 3):
    """A Pulumi project in a folder: Pulumi.yaml, plans/p.plan.yaml (the corpus' 2-phase plan) and stack
    files for phases 1..N naming it."""
    from planner.plan.stack_files import stack_config_text

    root = tmp_path / "project"
    (root / "plans").mkdir(parents=True)
    (root / "stacks" / "config").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text((REPO / "Pulumi.yaml").read_text())
    plan = root / "plans" / "p.plan.yaml"
    plan.write_bytes((REPO / "tests" / "bad_inputs" / "plans" / "_base.plan.yaml").read_bytes())
    for n in range(1, phases_in_stack_files + 1):
        config = root / "stacks" / "config" / f"Pulumi.phase-{n}.yaml"
        config.write_text(stack_config_text("plans/p.plan.yaml", str(n)))
    return root, plan


def test_the_plan_stack_files_read_is_protected_from_any_directory(tmp_path, monkeypatch, capsys):
    """optimize -o onto a plan that stack files read is refused whether gwplan runs in the project, in a
    folder inside it, or outside it (the guard used to look for stacks/config under the working directory)."""
    from planner.cli import main as gwplan

    root, plan = small_project(tmp_path)
    scenario = REPO / "tests" / "bad_inputs" / "scenarios" / "_base.yaml"
    before = plan.read_bytes()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for cwd in (root, root / "plans", elsewhere):
        monkeypatch.chdir(cwd)
        assert gwplan(["-q", "optimize", str(scenario), "-o", str(plan)]) == 2, cwd
        assert "Pulumi stack file(s) read this plan" in capsys.readouterr().err
    assert plan.read_bytes() == before


def test_stacks_from_a_folder_inside_the_project_write_the_projects_stack_files(tmp_path, monkeypatch, capsys):
    from planner.cli import main as gwplan

    root, plan = small_project(tmp_path, phases_in_stack_files=0)
    monkeypatch.chdir(root / "plans")
    assert gwplan(["-q", "stacks", "p.plan.yaml"]) == 0
    written = sorted(p.name for p in (root / "stacks" / "config").iterdir())
    assert written == ["Pulumi.phase-1.yaml", "Pulumi.phase-2.yaml"]
    doc = yaml.safe_load((root / "stacks" / "config" / "Pulumi.phase-2.yaml").read_text())
    assert doc["config"]["gwplan:plan"] == "plans/p.plan.yaml"  # relative to the project root, not to plans/


def test_stacks_of_phases_a_new_plan_lacks_are_removed_or_stop_the_command(tmp_path, monkeypatch, capsys):
    """A 2-phase plan over stack files for phases 1-3: phase 3's file goes when only gwplan wrote it; when
    Pulumi wrote there too (a stack that may be deployed) the command stops and writes nothing."""
    from planner.cli import main as gwplan

    root, plan = small_project(tmp_path, phases_in_stack_files=3)
    monkeypatch.chdir(root)
    config = root / "stacks" / "config"
    third = config / "Pulumi.phase-3.yaml"
    third.write_text("encryptionsalt: v1:abc\n" + third.read_text())
    before = {p.name: p.read_bytes() for p in config.iterdir()}
    assert gwplan(["-q", "stacks", str(plan)]) == 2
    err = capsys.readouterr().err
    assert "phase 3 is not in the plan" in err and "pulumi destroy --stack phase-3" in err
    assert {p.name: p.read_bytes() for p in config.iterdir()} == before  # nothing written, nothing removed
    third.write_text(third.read_text().replace("encryptionsalt: v1:abc\n", ""))
    assert gwplan(["-q", "stacks", str(plan)]) == 0
    assert sorted(p.name for p in config.iterdir()) == ["Pulumi.phase-1.yaml", "Pulumi.phase-2.yaml"]
    assert "Pulumi.phase-3.yaml removed" in capsys.readouterr().out


def engine_aliases(registrations, aliases, stack: str = "phase-1") -> dict[str, set[str]]:
    """The URNs the Pulumi engine takes as a resource's earlier names: its own alias specs, and every alias of
    its parent multiplied out (the step generator's rule), registrations in order (parents first)."""
    def child(parent_urn: str | None, typ: str, name: str) -> str:
        chain = parent_urn.split("::")[2] if parent_urn else ""
        chain = "" if chain.endswith("pulumi:pulumi:Stack") else chain
        return f"urn:pulumi:{stack}::gwplan::{chain + '$' if chain else ''}{typ}::{name}"

    out: dict[str, set[str]] = {}
    for typ, urn, parent in registrations:
        name = urn.rsplit("::", 1)[1]
        specs = [a.spec for a in aliases[urn]]
        found = {child(None if s.noParent else s.parentUrn or parent, typ, s.name or name) for s in specs}
        for parent_alias in out.get(parent, ()):
            found.add(child(parent_alias, typ, name))
            found |= {child(parent_alias, typ, s.name or name) for s in specs if not s.noParent and not s.parentUrn}
        out[urn] = found
    return out


def test_components_keep_the_urns_of_stacks_deployed_before_phases_and_data_halls():
    """Campuses sat at the stack root and held their clusters and fabrics directly (names `<campus>-<platform>`
    and `<campus>-<platform>-fabric`) before Phase and DataHall existed: each of those URNs is an alias of the
    resource now, so `pulumi up` with the new program updates a deployed stack instead of replacing it."""
    (registrations, _), mocks = run_under_mocks("phase-1", stack_config("phase-1"))
    known = engine_aliases(registrations, mocks.aliases)
    old = {"gwplan:site:Campus": lambda n: f"gwplan:site:Campus::{n}",
           "gwplan:power:PowerBlocks": lambda n: f"gwplan:site:Campus$gwplan:power:PowerBlocks::{n}",
           "gwplan:compute:GpuCluster": lambda n: f"gwplan:site:Campus$gwplan:compute:GpuCluster::"
                                                  f"{n.replace('-hall-', '-', 1)}",
           "gwplan:network:Fabric": lambda n: f"gwplan:site:Campus$gwplan:network:Fabric::"
                                              f"{n.replace('-hall-', '-', 1)}"}
    checked = 0
    for typ, urn, _ in registrations:
        if typ in old:
            assert f"urn:pulumi:phase-1::gwplan::{old[typ](urn.rsplit('::', 1)[1])}" in known[urn], (urn, known[urn])
            checked += 1
    assert checked >= 4 * 3  # three campuses build in phase 1, each with all four kinds
