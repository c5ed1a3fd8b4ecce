"""Fixtures shared by the tests (helpers that are not fixtures live in tests/helpers.py)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from planner.optimize.options import SolveOptions
from planner.optimize.rollout import plan_rollout
from planner.plan import dump_plan
from planner.scenario import load_scenario
from tests.helpers import site, tiny_doc

SERVER_MODULES = "test_nautobot"  # the modules whose tests use the Nautobot server start with this


def pytest_xdist_make_scheduler(config, log):
    """The suite runs in two processes (pytest-xdist, `-n 2` in pyproject.toml). The Nautobot test modules are
    one unit of work, run in order by one process against one server (their tests build on what the earlier
    ones wrote; test_nautobot.py comes first, and its first test finds the server as gwplan never touched
    it); every other test is a unit of its own. The Nautobot tests mostly wait on the server while the other
    process runs the rest."""
    from xdist.scheduler import LoadScopeScheduling

    class ServerModulesTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return SERVER_MODULES if Path(module).name.startswith(SERVER_MODULES) else nodeid

    return ServerModulesTogether(config, log)


def pytest_collection_modifyitems(items):
    """A test that uses the Nautobot server outside those modules would be scheduled apart from them."""
    for item in items:
        if "nautobot" in getattr(item, "fixturenames", ()) and not item.path.name.startswith(SERVER_MODULES):
            raise pytest.UsageError(f"{item.nodeid} uses the Nautobot server: it belongs in a module named "
                                    f"{SERVER_MODULES}*.py (see pytest_xdist_make_scheduler)")


@pytest.fixture
def write_scenario(tmp_path):
    counter = iter(range(1000))

    def write(doc: dict, name: str | None = None) -> Path:
        path = tmp_path / (name or f"scenario{next(counter)}.yaml")
        path.write_text(yaml.safe_dump(copy.deepcopy(doc), sort_keys=False))
        return path
    return write


@pytest.fixture
def solve_doc(write_scenario):
    """Load a scenario document through the real loader and optimize it to a tight gap."""
    def run(doc: dict, **options):
        scenario = load_scenario(write_scenario(doc))
        return scenario, plan_rollout(scenario, SolveOptions(relative_gap=1e-9, time_limit_s=60, **options))
    return run


@pytest.fixture(scope="session")
def bundled_run(tmp_path_factory):
    """The bundled scenario optimized once for the whole run, through the command line as a user would:
    (the scenario, the plan file written, the --json report). Several test modules read it."""
    import contextlib
    import io
    import json

    from planner.cli import main
    from tests.helpers import REPO

    scenario_path = REPO / "scenarios" / "10gw-rollout.yaml"
    plan_path = tmp_path_factory.mktemp("bundled") / "plan.yaml"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["optimize", str(scenario_path), "-o", str(plan_path), "--json"]) == 0
    return load_scenario(scenario_path), plan_path, json.loads(out.getvalue())


@pytest.fixture
def gb200_plan(solve_doc, tmp_path):
    """Two phases of GB200 NVL72 (132 kW racks): 10 MW at A, then 10 MW more split by A's grid limit."""
    doc = tiny_doc([site("A", grid=[12.0, 15.0], block_mw=1.0), site("B", capex_per_mw=2e6, block_mw=1.0)],
                   phases=[{"id": str(i + 1), "online_date": f"{2027 + i}-01-01", "it_mw_required": 10.0,
                            "platform": "gb200-nvl72", "funding_usd": 1e12} for i in range(2)])
    _, out = solve_doc(doc)
    path = tmp_path / "plan.yaml"
    dump_plan(out.plan, path)
    return path, out.plan


@pytest.fixture(scope="session")
def nautobot():
    """A throwaway Nautobot 2.4 with NVIDIA's app on 127.0.0.1 (tests/nautobot_server.py): started once per
    run (~10 s once its virtualenv and migrated database are cached; the first run on a machine adds
    ~3-10 minutes), stopped at the end."""
    from tests.nautobot_server import start, stop

    server = start()
    yield server
    stop(server)
