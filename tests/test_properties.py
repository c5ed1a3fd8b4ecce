"""Property-based tests (hypothesis): whatever the input, gwplan accepts it and works, or refuses it cleanly.

- Generated scenarios (random sites, phases, grid, costs, constraints): the loader accepts them and the
  optimizer returns a status (and a plan that meets the capacity target), or it refuses them naming fields.
- Mutations of the corpus's valid scenario, fabric spec and plan: one value replaced by something hostile
  (wrong type, NaN, huge, negative, empty, deleted, an unknown key added). Every command answers with
  exit 0 (or 3/4 for an optimize that finds no plan) or exit 2 and one line per problem naming the file:
  never a traceback, never exit 70 (an internal error).
- Command-line flags and --set overrides drawn at random: the same.
Examples are few and small (the suite stays fast); hypothesis' database is off, so runs are repeatable.
"""

from __future__ import annotations

import contextlib
import copy
import io
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.cli import main
from planner.optimize.explain import explain
from planner.optimize.options import SolveOptions
from planner.optimize.rollout import plan_rollout
from planner.scenario import load_scenario
from tests.helpers import site, tiny_doc

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
SETTINGS = settings(max_examples=100, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def run_cli(argv: list[str]) -> tuple[int, str]:
    """main(argv) with its output captured; argparse's own exit (usage errors) counts as its code."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 2
    return code, err.getvalue()


def assert_clean_refusal(code: int, err: str, path: Path | None = None) -> None:
    assert code != 70 and "Traceback" not in err, err
    if code == 2 and path is not None:
        for line in err.strip().splitlines():
            assert line.startswith(str(path) + ":") or line.startswith("  "), line


# -- hostile values and how to plant them ----------------------------------------------------------

HOSTILE = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**30, max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0, -1, 1e300, 10**400, "", "  ", "2026-H3",
                                                                     "2026-13-45", "NaN", [], {}, [1, 2], {"a": 1}]),
    st.text(max_size=20), st.lists(st.integers(), max_size=3),
)


def leaf_paths(doc, prefix=()) -> list[tuple]:
    """Every path to a value in a document (mappings and lists), the containers included."""
    paths = []
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in items:
        paths.append((*prefix, key))
        paths.extend(leaf_paths(value, (*prefix, key)))
    return paths


@st.composite
def mutated(draw, doc: dict):
    """A copy of the document with one value replaced or deleted, or an unknown key added."""
    doc = copy.deepcopy(doc)
    path = draw(st.sampled_from(leaf_paths(doc)))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add"]))
    if action == "replace":
        parent[path[-1]] = draw(HOSTILE)
    elif action == "delete":
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[draw(st.sampled_from(["colour", "notes", "grid_mw", "id2"]))] = draw(HOSTILE)
    else:
        parent.append(draw(HOSTILE))
    return doc


def write(tmp_path: Path, name: str, doc) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    return path


def read(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


# -- generated scenarios -----------------------------------------------------------------------------

@st.composite
def scenarios(draw):
    n_phases = draw(st.integers(1, 3))
    phases = [{"id": str(i + 1), "online_date": f"{2027 + i}-01-01", "platform": "unit",
               "it_mw_required": draw(st.sampled_from([0, 10, 50, 100])),
               "funding_usd": draw(st.sampled_from([1e8, 1e12, 1e12]))} for i in range(n_phases)]
    sites = []
    for i in range(draw(st.integers(1, 4))):
        sites.append(site(f"s{i}", grid=[draw(st.sampled_from([0, 120, 400, 1000])) for _ in range(n_phases)],
                          open_cost=draw(st.sampled_from([0, 1e6, 5e7])), block_mw=draw(st.sampled_from([5, 10, 30])),
                          capex_per_mw=draw(st.sampled_from([1e5, 1e6, 3e6])), region=f"r{i % 2}",
                          lead=draw(st.sampled_from([0, 0, 6, 30])), pue=draw(st.sampled_from([1.0, 1.2, 1.5])),
                          lon=draw(st.sampled_from([-100.0, -100.0, -90.0, -75.0]))))  # 0, 6.4, 9.6 or 15.9 ms apart
    constraints = draw(st.fixed_dictionaries({}, optional={
        "max_site_share": st.sampled_from([0.3, 0.5, 1.0]), "max_region_share": st.sampled_from([0.5, 0.8]),
        "min_sites_per_phase": st.integers(0, 2), "min_regions_per_phase": st.integers(0, 2),
        "diversity_min_it_mw": st.sampled_from([1, 10]), "training_max_latency_ms": st.sampled_from([5.0, 12.0])}))
    return tiny_doc(sites, phases, constraints=constraints)


@settings(SETTINGS, max_examples=60)
@given(doc=scenarios())
def test_generated_scenarios_load_and_solve(doc, tmp_path):
    """Every generated scenario is valid (the generator stays within the format), so it loads and solves; the
    explanation's rules are necessary conditions, so a scenario with a plan has no reason against it."""
    scenario = load_scenario(write(tmp_path, "generated.yaml", doc))
    outcome = plan_rollout(scenario, SolveOptions(time_limit_s=20))
    assert outcome.result.status.value in ("optimal", "feasible", "infeasible")
    reasons = explain(scenario)  # runs on anything the loader accepts
    assert all(reason.message for reason in reasons)
    if outcome.result.status.has_plan:
        assert reasons == []
    if outcome.plan is not None:  # the plan meets the running capacity target of every phase
        required = 0.0
        for phase in outcome.plan.phases:
            required += phase.it_mw_required
            assert phase.it_mw_total >= required - 1e-6 * max(1.0, required)


# -- mutations of the corpus's valid inputs ---------------------------------------------------------

BASE_SCENARIO = read(CORPUS / "scenarios" / "_base.yaml")
BASE_FABRIC = read(CORPUS / "fabrics" / "_base.yaml")
BASE_PLAN = read(CORPUS / "plans" / "_base.plan.yaml")


@SETTINGS
@given(doc=mutated(BASE_SCENARIO))
def test_mutated_scenarios_validate_or_are_refused_by_field(doc, tmp_path):
    path = write(tmp_path, "mutated.yaml", doc)
    code, err = run_cli(["-q", "validate", str(path)])
    assert code in (0, 2), err
    assert_clean_refusal(code, err, path)


@settings(SETTINGS, max_examples=25)
@given(doc=mutated(BASE_SCENARIO))
def test_mutated_scenarios_optimize_or_leave_the_previous_plan_alone(doc, tmp_path):
    path = write(tmp_path, "mutated.yaml", doc)
    previous = tmp_path / "plan.yaml"
    previous.write_text("the previous plan\n")
    code, err = run_cli(["-q", "optimize", str(path), "-o", str(previous), "--time-limit", "20"])
    assert code in (0, 2, 3, 4), err
    assert_clean_refusal(code, err, path)
    assert (previous.read_text() == "the previous plan\n") == (code != 0)


@SETTINGS
@given(doc=mutated(BASE_FABRIC))
def test_mutated_fabric_specs(doc, tmp_path):
    path = write(tmp_path, "fabric.yaml", doc)
    code, err = run_cli(["-q", "fabric", str(path), "--json"])
    assert code in (0, 2), err
    assert_clean_refusal(code, err, path)


@SETTINGS
@given(doc=mutated(BASE_PLAN), command=st.sampled_from(["topology", "diff", "stacks", "dci"]))
def test_mutated_plans(doc, command, tmp_path):
    path = write(tmp_path, "plan.yaml", doc)
    good = str(CORPUS / "plans" / "_base.plan.yaml")
    argv = {"topology": ["topology", str(path), "--phase", "2", "--json"], "diff": ["diff", good, str(path), "--json"],
            "stacks": ["stacks", str(path), "-o", str(tmp_path / "stacks")],
            "dci": ["topology", str(path), "--dci", "--json"]}[command]
    code, err = run_cli(["-q", *argv])
    assert code in (0, 2), err
    assert_clean_refusal(code, err, path)


@settings(SETTINGS, max_examples=12)
@given(doc=mutated(BASE_PLAN))
def test_mutated_plans_report(doc, tmp_path):
    """Separate and fewer: a report draws four charts (about a second each time a plan is accepted)."""
    path = write(tmp_path, "plan.yaml", doc)
    code, err = run_cli(["-q", "report", str(path), "-o", str(tmp_path / "report")])
    assert code in (0, 2), err
    assert_clean_refusal(code, err, path)


# -- command-line flags ---------------------------------------------------------------------------------

FLAG_VALUES = st.one_of(st.sampled_from(["0", "-1", "1e9", "nan", "inf", "", "abc", "1-3", "2-1", "1,2", "0.5", "99"]),
                        st.text(alphabet="0123456789.-eE,", max_size=6))


@settings(SETTINGS, max_examples=60)
@given(flags=st.lists(st.tuples(st.sampled_from(["--time-limit", "--gap", "--threads", "--seed", "--solver",
                                                 "--alternatives", "--within", "--stability"]), FLAG_VALUES),
                      min_size=1, max_size=3))
def test_random_optimize_flags(flags, tmp_path):
    scenario = write(tmp_path, "tiny.yaml", tiny_doc([site("A"), site("B")]))
    argv = ["-q", "optimize", str(scenario), "-o", str(tmp_path / "p.yaml")]
    for flag, value in flags:
        argv += [flag, value]
    if any(flag == "--stability" for flag, _ in flags):
        argv += ["--previous", str(CORPUS / "plans" / "_base.plan.yaml")]
    code, err = run_cli(argv)
    assert code in (0, 2, 3, 4), err
    assert_clean_refusal(code, err)


@settings(SETTINGS, max_examples=60)
@given(target=st.sampled_from(["economics.discount_rate", "sites[north].pue", "sites[5].pue", "phases[0]",
                               "constraints", "sites[south].grid_mw_by_date", "name", "x.y[z]", "", "[", "a..b",
                               "phases[1].online_date", "demand_regions[east].serve_cost_usd_per_year.north"]),
       value=st.one_of(st.sampled_from(["[1", "{a: 1", "&a [*a]", "!!python/none", "null", "2026-H3", "'"]),
                       st.text(max_size=12)))
def test_random_set_overrides(target, value, tmp_path):
    path = CORPUS / "scenarios" / "_base.yaml"
    code, err = run_cli(["-q", "validate", str(path), "--set", f"{target}={value}"])
    assert code in (0, 2), err
    assert_clean_refusal(code, err)
