"""The layout's promises: one direction of dependence, heavy libraries only where needed, small modules.

The import contract is declared in pyproject.toml ([tool.importlinter]) and checked statically by
import-linter, which also sees imports inside functions; the runs below check what a fresh interpreter
actually loads for the light entry points.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO

HEAVY = ("ortools", "networkx", "pulumi", "matplotlib", "rich", "dask", "numpy", "scipy")
MAX_MODULE_LINES = 450  # outside tests: "about 400"; a module past this is doing more than one job
MAX_CLI_MODULE_LINES = 170  # a command parses, calls one library function and renders
MAX_LINE_CHARS = 120  # the width the code is read at, in reviews and side by side


def test_import_contracts_hold():
    """lint-imports exits 0 only when every contract of pyproject.toml is kept."""
    lint = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(lint), "--no-cache"], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def loaded_after(code: str) -> list[str]:
    """The heavy libraries a fresh interpreter has loaded after running `code` (its stdout is discarded)."""
    probe = ("import contextlib, io, json, sys\n"
             f"with contextlib.redirect_stdout(io.StringIO()):\n    {code}\n"
             f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("argv", [
    [],
    ["validate", "scenarios/10gw-rollout.yaml"],
    ["validate", "scenarios/10gw-rollout.yaml", "--set", "economics.discount_rate=0.1"],
])
def test_help_and_validate_load_no_heavy_library(argv):
    code = (f"from planner.cli import build_parser, main; build_parser().format_help(); "
            f"main({argv!r}) if {argv!r} else None")
    assert loaded_after(code) == []


def test_reading_a_plan_loads_neither_solver_nor_graph_library():
    assert loaded_after("from planner.plan import load_plan; load_plan('plans/10gw-rollout.plan.yaml')") == []


def test_plan_fabric_figures_load_neither_networkx_nor_or_tools():
    code = ("from planner.plan import load_plan; from planner.fabric.bom import fabric_report; "
            "from planner.fabric.clusters import site_fabrics; p = load_plan('plans/10gw-rollout.plan.yaml'); "
            "[fabric_report(p, f) for f in site_fabrics(p, p.phases[0].id)]")
    loaded = loaded_after(code)
    assert "ortools" not in loaded and "networkx" not in loaded  # bisection is a closed form


def test_the_pulumi_program_never_loads_or_tools():
    code = ("from stacks.mocks import run_under_mocks, stack_config; "
            "run_under_mocks('phase-1', stack_config('phase-1'))")
    loaded = loaded_after(code)
    assert "pulumi" in loaded and "ortools" not in loaded


def source_modules() -> list[Path]:
    return sorted(p for top in ("planner", "topology", "stacks", "policies") for p in (REPO / top).rglob("*.py"))


def test_modules_stay_small():
    """One job per module: past these sizes a module should be split (README: How the code is laid out)."""
    too_long = []
    for path in source_modules():
        lines = len(path.read_text().splitlines())
        limit = MAX_CLI_MODULE_LINES if path.parent.name == "cli" else MAX_MODULE_LINES
        if lines > limit:
            too_long.append(f"{path.relative_to(REPO)}: {lines} lines (limit {limit})")
    assert not too_long


def test_lines_fit_the_width_the_code_is_read_at():
    """Every Python file of the project (sources, tests, benchmarks, the Nautobot Job) within MAX_LINE_CHARS."""
    files = sorted(p for top in ("planner", "topology", "stacks", "policies", "tests", "benchmarks", "nautobot_jobs")
                   for p in (REPO / top).rglob("*.py"))
    wide = [f"{path.relative_to(REPO)}:{n}: {len(line)} characters" for path in files
            for n, line in enumerate(path.read_text().splitlines(), 1) if len(line) > MAX_LINE_CHARS]
    assert len(files) > 50 and not wide
