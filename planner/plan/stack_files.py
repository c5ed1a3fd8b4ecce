"""Pulumi stack files of a plan: `stacks/config/Pulumi.phase-<id>.yaml`, one per phase.

Each names the plan it reads (`gwplan:plan`) and the phase it deploys (`gwplan:phase`); a plan that
stack files read is not overwritten by `gwplan optimize` without --force (`stack_files_reading`).
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from planner.files import dump_yaml, write_text_atomic
from planner.plan.types import Plan

STACK_CONFIG_DIR = Path("stacks") / "config"  # Pulumi.yaml's stackConfigDir, relative to the repository root


def project_root(start: str | os.PathLike) -> Path | None:
    """The nearest directory at or above `start` that holds Pulumi.yaml (the project the stacks belong to)."""
    here = Path(start).resolve()
    for directory in (here, *here.parents):
        if (directory / "Pulumi.yaml").is_file():
            return directory
    return None


def stack_config_dir(root: Path) -> Path:
    """The project's stack config directory: Pulumi.yaml's stackConfigDir (default: the project itself)."""
    try:
        doc = yaml.safe_load((root / "Pulumi.yaml").read_text())
    except (OSError, yaml.YAMLError):
        doc = None
    configured = doc.get("stackConfigDir") if isinstance(doc, dict) else None
    return (root / configured).resolve() if isinstance(configured, str) and configured else root


def default_stack_dir() -> Path:
    """Where `gwplan stacks` writes by default: the stack config directory of the project holding the
    working directory (from any folder inside it), else stacks/config here."""
    root = project_root(Path.cwd())
    return stack_config_dir(root) if root is not None else STACK_CONFIG_DIR


def plan_reference(plan_path: str | os.PathLike, stack_dir: str | os.PathLike = STACK_CONFIG_DIR) -> str:
    """How a stack file names its plan: relative to the project root (the directory holding Pulumi.yaml
    above the stack files, which the Pulumi program resolves it against; for stack files kept outside a
    project, the project holding the working directory, or the working directory) when the plan is under
    it, absolute otherwise."""
    resolved = Path(plan_path).resolve()
    root = project_root(stack_dir if Path(stack_dir).exists() else Path(stack_dir).resolve().parent)
    root = root or project_root(Path.cwd()) or Path.cwd().resolve()  # stack files kept outside a project
    if root is not None:
        try:
            return resolved.relative_to(root).as_posix()
        except ValueError:
            pass
    return str(resolved)


def stack_config_text(plan_ref: str, phase_id: str) -> str:
    """The `Pulumi.phase-<id>.yaml` of one phase: the plan it reads and the phase it deploys."""
    return ("# Written by gwplan stacks: the phase this stack deploys and the plan it reads.\n"
            + dump_yaml({"config": {"gwplan:plan": plan_ref, "gwplan:phase": phase_id}}))


def write_stack_configs(plan: Plan, plan_ref: str, directory: str | os.PathLike) -> list[Path]:
    """One stack file per phase of the plan (atomic writes); returns their paths.

    An existing stack file keeps everything Pulumi and its users wrote there (`encryptionsalt`, secrets,
    other config keys): only `gwplan:plan` and `gwplan:phase` are set."""
    out = []
    for phase in plan.phases:
        path = Path(directory) / f"Pulumi.phase-{phase.id}.yaml"
        if path.resolve().parent != Path(directory).resolve():  # ids are checked when read; this is the backstop
            raise ValueError(f"phase id {phase.id!r} would write outside {directory}")
        existing = _read_stack_file(path)
        ours = {"gwplan:plan", "gwplan:phase"}
        if existing is None or (set(existing) <= {"config"} and set(existing.get("config") or {}) <= ours):
            text = stack_config_text(plan_ref, phase.id)  # nothing of anyone else's to keep
        else:
            config = existing.get("config")
            existing["config"] = {**(config if isinstance(config, dict) else {}), "gwplan:plan": plan_ref,
                                  "gwplan:phase": phase.id}
            text = ("# Written by gwplan stacks (gwplan:plan, gwplan:phase); other keys are kept as they were.\n"
                    + dump_yaml(existing))
        write_text_atomic(path, text)
        out.append(path)
    return out


def _read_stack_file(path: Path) -> dict | None:
    """An existing stack file's mapping, or None when there is none (or it holds no mapping)."""
    if not path.exists():
        return None
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return None
    return doc if isinstance(doc, dict) else None


def stack_files_reading(plan_path: Path) -> list[str]:
    """Stack files whose gwplan:plan is this file (they depend on it): those of the Pulumi project holding
    the plan and of the one holding the working directory, each reference resolved against its own
    project root (as the Pulumi program resolves it), whatever directory gwplan runs from."""
    if not plan_path.exists():
        return []
    target = plan_path.resolve()
    roots = {r for r in (project_root(target.parent), project_root(Path.cwd())) if r is not None}
    places = {(root, stack_config_dir(root)) for root in roots}
    if project_root(Path.cwd()) is None:  # stack files written here without a Pulumi.yaml (gwplan stacks' default)
        places.add((Path.cwd().resolve(), (Path.cwd() / STACK_CONFIG_DIR).resolve()))
    found = []
    for root, directory in sorted(places):
        for stack_file in sorted(directory.glob("Pulumi.*.yaml")):
            ref = _config(stack_file).get("gwplan:plan")
            if isinstance(ref, str) and ref and (root / ref).resolve() == target:
                found.append(str(stack_file))
    return found


def _config(stack_file: Path) -> dict:
    doc = _read_stack_file(stack_file)
    config = doc.get("config") if doc else None
    return config if isinstance(config, dict) else {}


def stale_stack_files(plan: Plan, directory: str | os.PathLike) -> tuple[list[Path], list[Path]]:
    """Phase stack files in `directory` for phases the plan does not have: (those holding only gwplan's
    keys, safe to remove; those holding Pulumi's own settings too, a stack that may be deployed)."""
    phases = {p.id for p in plan.phases}
    ours, deployed = [], []
    for path in sorted(Path(directory).glob("Pulumi.phase-*.yaml")):
        phase = path.name.removeprefix("Pulumi.phase-").removesuffix(".yaml")
        if phase in phases:
            continue
        doc = _read_stack_file(path)
        if doc is not None and set(doc) <= {"config"} and set(_config(path)) <= {"gwplan:plan", "gwplan:phase"}:
            ours.append(path)
        else:
            deployed.append(path)
    return ours, deployed
