"""The Python API: docs/notebook.md runs as written, and the surface stays small, lazy and clear."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys

import pytest

from tests.helpers import REPO


def test_the_notebook_page_runs_as_written(monkeypatch):
    monkeypatch.chdir(REPO)
    blocks = re.findall(r"```python\n(.*?)```", (REPO / "docs" / "notebook.md").read_text(), flags=re.DOTALL)
    assert len(blocks) >= 5
    namespace: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in blocks:
            exec(compile(block, "docs/notebook.md", "exec"), namespace)  # noqa: S102 - the page is ours
    text = out.getvalue()
    assert "optimal" in text and "10 phases;" in text
    assert "economics.discount_rate: expected a number < 1" in text  # the error names the field
    html = namespace["plan"]._repr_html_()
    assert html.count("<tr>") == 1 + len(namespace["plan"].phases) and "net present cost" in html
    assert len(namespace["samples"]) == 2


def test_import_planner_is_light_and_lists_its_api():
    code = ("import sys, planner; print(sorted(planner.__all__)); "
            "print([m for m in ('ortools', 'pandas', 'networkx', 'pulumi') if m in sys.modules])")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    names, heavy = run.stdout.strip().splitlines()
    assert "solve" in names and "plan_frames" in names and heavy == "[]"
    import planner

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        planner.nope  # noqa: B018


def test_no_plan_is_an_exception_that_says_why(write_scenario):
    import planner
    from tests.helpers import site, tiny_doc

    path = write_scenario(tiny_doc([site("A", grid=[50.0])]))  # 100 MW asked, 50 MW of grid
    with pytest.raises(planner.NoPlan, match="infeasible"):
        planner.solve(planner.load_scenario(path))


def test_solve_starts_from_a_plan_given_as_a_plan_or_as_its_file(write_scenario, tmp_path):
    import planner
    from planner.plan import dump_plan
    from tests.helpers import site, tiny_doc

    scenario = planner.load_scenario(write_scenario(tiny_doc([site("A"), site("B", capex_per_mw=2e6)])))
    cold = planner.solve(scenario)
    dump_plan(cold, tmp_path / "cold.plan.yaml")
    for given, words in ((cold, "the plan given"), (tmp_path / "cold.plan.yaml", str(tmp_path / "cold.plan.yaml"))):
        warm = planner.solve(scenario, warm_start=given)
        assert warm.npv_usd == pytest.approx(cold.npv_usd, rel=1e-9)
        assert f"started from the warm start {words} (1 site), as it was built" in warm.provenance.method
