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


def plan_reference(plan_path: str | os.PathLike) -> str:
    """How a stack file names its plan: relative to the working directory (the one holding Pulumi.yaml)
    when the plan is under it, absolute otherwise."""
    resolved = Path(plan_path).resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
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


def stack_files_reading(plan_path: Path, directory: Path = STACK_CONFIG_DIR) -> list[str]:
    """Stack files in `directory` whose gwplan:plan is this file (they depend on it)."""
    if not plan_path.exists():
        return []
    target = plan_path.resolve()
    found = []
    for stack_file in sorted(directory.glob("Pulumi.*.yaml")):
        try:
            config = (yaml.safe_load(stack_file.read_text()) or {}).get("config", {})
        except (OSError, yaml.YAMLError, AttributeError):
            continue
        ref = config.get("gwplan:plan") if isinstance(config, dict) else None
        if isinstance(ref, str) and Path(ref).resolve() == target:
            found.append(str(stack_file))
    return found
