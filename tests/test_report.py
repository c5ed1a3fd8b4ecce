"""The HTML report: every chart is a real image of sensible size, referenced by a page that needs no network."""

from __future__ import annotations

import re

from planner.cli import main
from planner.plan import load_plan
from planner.report.html import CHARTS
from tests.helpers import REPO

PLAN = REPO / "plans" / "10gw-rollout.plan.yaml"


def test_report_charts_and_page(tmp_path, capsys):
    import matplotlib.image

    assert main(["report", str(PLAN), "-o", str(tmp_path)]) == 0
    assert "report written to" in capsys.readouterr().out
    import base64
    import io
    import shutil

    alone = tmp_path / "sent"  # the page on its own, as when it is the only file forwarded
    alone.mkdir()
    shutil.copy(tmp_path / "index.html", alone / "index.html")
    page = (alone / "index.html").read_text()
    embedded = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([a-z]+)">', page)
    assert [alt + ".png" for _, alt in embedded] == list(CHARTS)
    for data, alt in embedded:
        image = matplotlib.image.imread(io.BytesIO(base64.b64decode(data)), format="png")  # a real PNG
        height, width = image.shape[:2]
        assert width >= 800 and height >= 300, (alt, image.shape)
        assert (tmp_path / f"{alt}.png").read_bytes() == base64.b64decode(data)  # the same as the file beside it
    assert not re.search(r'(src|href)="(https?:)?//', page)  # opens from disk: nothing fetched
    plan = load_plan(PLAN)
    assert plan.provenance.scenario_sha256 in page
    for site in plan.phases[-1].sites:
        assert f"<td>{site.site}</td>" in page  # the per-site fabric table
    for phase in plan.phases:  # the per-phase table: GPUs both ways, whole-rack MW, emissions
        assert (f"<td>{phase.gpus_total:,}</td><td>{phase.gpu_dies_total:,}</td>" in page
                and f"<td>{phase.rack_it_mw_total:,.1f}</td>" in page
                and f"<td>{phase.emissions_t_per_year / 1e3:,.0f}</td>" in page)
    assert f"${plan.refresh_capex_usd / 1e9:,.1f}B nominal" in page
    for phase in plan.phases:  # the phases table: campuses building, capex against funding
        assert (f"<td class=names>{', '.join(phase.sites_building)}</td>" in page
                and f"<td>{phase.capex_usd / 1e9:,.2f}</td><td>{phase.funding_usd / 1e9:,.2f}</td>" in page)


def test_the_scenarios_caveat_is_at_the_top_of_the_report_and_the_summary(tmp_path, capsys):
    import io

    from rich.console import Console

    from planner.report.text import print_plan

    plan = load_plan(PLAN)
    assert plan.provenance.caveat.startswith("Illustrative figures")  # the bundled scenario says so
    assert main(["-q", "report", str(PLAN), "-o", str(tmp_path)]) == 0
    page = (tmp_path / "index.html").read_text()
    assert page.index("<b>Caveat:</b> Illustrative figures") < page.index("<h2>")
    out = Console(width=120, file=io.StringIO(), record=True)
    print_plan(out, plan, "10gw-rollout")
    assert out.export_text().startswith("Caveat: Illustrative figures")
