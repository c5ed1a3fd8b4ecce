"""Human-readable views of gwplan's results: rich tables for a terminal, plain text for files.

One renderer per result type (a plan and its solve, a fabric spec's figures, a plan's site fabrics,
the inter-campus network, a sweep, a diff, alternatives); each prints to the console it is given and
computes nothing itself.
"""

from __future__ import annotations

import io
import sys

from rich import box
from rich.console import Console
from rich.table import Table

from planner.optimize.result import Outcome
from planner.plan.types import Plan


def console(width: int) -> Console:
    """A console on standard output: the terminal's width, or `width` columns for files and pipes (no
    wrapping at 80)."""
    return Console(width=None if sys.stdout.isatty() else width)


def usd_b(value: float) -> str:
    return f"{value / 1e9:,.2f}"


def plan_table(plan: Plan, title: str = "", width: int = 160) -> Table:
    """The phases of a plan. Numbers are never cut: numeric columns keep their full width and site names
    wrap. Narrower terminals lose columns instead (the plan file and --json keep everything): below 140
    columns "in whole racks", below 120 "platform", below 100 the site names (their count stays)."""
    narrow = width < 100
    table = Table(title=title or None, title_justify="left", show_footer=True, header_style="bold",
                  box=box.SIMPLE_HEAD if narrow else box.HEAVY_HEAD, show_edge=not narrow, pad_edge=not narrow)
    rows = [[phase.id, phase.online_date, phase.platform,
             str(len(phase.sites_building)) if narrow else
             f"{len(phase.sites_building)}: " + ", ".join(phase.sites_building), f"{phase.it_mw_added:,.0f}",
             f"{phase.it_mw_total:,.0f}", f"{phase.rack_it_mw_total:,.1f}", f"{phase.gpus_added:,}",
             usd_b(phase.capex_usd), usd_b(phase.funding_usd)] for phase in plan.phases]
    columns = [("phase", "total", False), ("online", "", False), ("platform", "", False),
               ("sites building", "", narrow),
               ("IT MW added", f"{sum(p.it_mw_added for p in plan.phases):,.0f}", True), ("IT MW total", "", True),
               ("in whole racks", "", True),
               ("GPUs added (packages)", f"{sum(p.gpus_added for p in plan.phases):,}", True),
               ("capex $B", usd_b(plan.capex_usd), True),
               ("funding $B", usd_b(sum(p.funding_usd for p in plan.phases)), True)]
    dropped = ({"in whole racks"} if width < 140 else set()) | ({"platform"} if width < 120 else set())
    keep = [i for i, (name, _, _) in enumerate(columns) if name not in dropped]
    short = {"sites building": "sites", "IT MW added": "+IT MW", "IT MW total": "IT MW",
             "GPUs added (packages)": "+GPUs", "funding $B": "fund $B"} if narrow else {}
    for i in keep:
        name, footer, numeric = columns[i]
        name = short.get(name, name)
        widest = max([len(footer)] + [len(row[i]) for row in rows])
        if numeric or name in ("phase", "online"):  # never narrower than its widest value; the header may wrap
            table.add_column(name, footer=footer, justify="right" if numeric else "left", min_width=widest)
        else:
            table.add_column(name, footer=footer, overflow="fold", max_width=48 if name == "sites building" else None)
    for row in rows:
        table.add_row(*(row[i] for i in keep))
    return table


def power_table(plan: Plan) -> Table:
    """Per phase: firm power by source, emissions at the phase's run rate, and any shortfall."""
    sources = list(dict.fromkeys(k for phase in plan.phases for k in phase.power_mw_by_source()))
    table = Table(title="Power by source (firm MW at the campuses in the plan), emissions and shortfall",
                  title_justify="left", header_style="bold")
    table.add_column("phase")
    for source in sources:
        table.add_column(f"{source} MW", justify="right")
    table.add_column("CO2 kt/yr", justify="right")
    table.add_column("short MW", justify="right")
    for phase in plan.phases:
        power = phase.power_mw_by_source()
        table.add_row(phase.id, *(f"{power.get(src, 0.0):,.0f}" for src in sources),
                      f"{phase.emissions_t_per_year / 1e3:,.0f}", f"{phase.shortfall_mw:,.0f}")
    return table


def gpu_line(plan: Plan) -> str:
    """What the fleet is at the last phase, GPUs counted both ways, and what refreshing it costs."""
    last = plan.phases[-1]
    refresh = (f"; {len(plan.refreshes)} GPU refreshes inside the horizon, ${plan.refresh_capex_usd / 1e9:,.1f}B "
               "nominal" if plan.refreshes else "")
    return (f"at the last phase: {last.gpus_total:,} GPUs (packages), {last.gpu_dies_total:,} GPU dies; "
            f"{last.it_mw_total:,.1f} MW of IT placed, {last.rack_it_mw_total:,.1f} MW in whole racks{refresh}")


def status_line(outcome: Outcome) -> str:
    r = outcome.result
    parts = [f"status {r.status.value}"]
    if r.gap is not None:
        parts.append(f"gap {r.gap:.2e}")
    if outcome.plan is not None:
        parts.append(f"NPV ${outcome.plan.npv_usd / 1e9:,.2f}B")
    parts.append(f"solver {r.solver}")
    parts.append(f"solve {r.wall_s:.2f} s (build {outcome.build_s:.2f} s, extract {outcome.extract_s:.2f} s)")
    size = outcome.model_size
    parts.append(f"{size['variables']:,} variables ({size['integer_variables']:,} integer), "
                 f"{size['constraints']:,} constraints")
    return " | ".join(parts)


def summary_text(outcome: Outcome, scenario_name: str, width: int = 140) -> str:
    """The summary as plain text (for files and pipes)."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False)
    if outcome.plan is not None:
        print_plan(console, outcome.plan, scenario_name)
    console.print(status_line(outcome))
    return buffer.getvalue()


def print_plan(out: Console, plan: Plan, scenario_name: str) -> None:
    """The plan's tables and fleet line (the summary of gwplan optimize, on a terminal or in a file)."""
    if plan.provenance.caveat:
        out.print(f"Caveat: {plan.provenance.caveat}", highlight=False)
    out.print(plan_table(plan, title=f"Rollout plan: {scenario_name}", width=out.width))
    out.print(power_table(plan))
    out.print(gpu_line(plan), highlight=False)


def print_spec_figures(out: Console, figures, failures: dict | None = None) -> None:
    """`gwplan fabric`: a spec's fabric (planner.fabric.bom.SpecFigures), and its failure analysis."""
    spec, size, bom = figures.spec, figures.size, figures.bom
    kind = "rail-only network (no spines: rails are disjoint)" if spec.rail_only else "rail-optimized Clos"
    out.print(f"{spec.gpus:,} GPUs on {spec.nodes:,} nodes; {spec.planes} plane(s) of a {size.tiers}-tier {kind} "
              f"({size.sus:,} scalable units of {spec.nodes_per_su} nodes, {size.leaves_per_rail} leaf/leaves per "
              f"rail per SU, {size.leaf_downlinks} nodes per leaf)", highlight=False)
    table = Table(header_style="bold")
    for column in ("", "leaf", "spine", "core"):
        table.add_column(column, justify="right" if column else "left")
    table.add_row("switches", *(f"{bom['switches'][r]:,}" for r in ("leaf", "spine", "core")))
    table.add_row("cables below", *(f"{bom['cables'][k]:,}" for k in ("node_leaf", "leaf_spine", "spine_core")))
    out.print(table)
    ratios = ", ".join(f"{tier} {ratio:g}:1" for tier, ratio in figures.oversubscription.items()) or "none"
    out.print(f"bisection {figures.bisection_gbps / 1000:,.1f} Tb/s; at most {figures.max_switch_hops} "
              f"switch hops; oversubscription {ratios}", highlight=False)
    media = figures.media
    out.print("cables: " + ", ".join(f"{n:,} {m}" for m, n in media["by_media"].items())
              + f"; {media['pluggable_transceivers']:,} pluggable transceivers", highlight=False)
    if figures.power_w is not None:
        power = figures.power_w
        out.print(f"power {power['total_w'] / 1e6:,.2f} MW: switches {power['switches_w'] / 1e6:,.2f} MW "
                  f"(assumed per-switch figure, see the catalog), optics {power['optics_w'] / 1e6:,.2f} MW",
                  highlight=False)
    for pair in (failures or {}).get("paths", []):
        rail = "same rail" if pair["same_rail"] else "another rail"
        reach = (f"{pair['switch_hops']} switch hops, {pair['ecmp_paths']:,} equal-cost paths per plane"
                 if pair["switch_hops"] is not None else "no scale-out path (an NVLink relay only)")
        out.print(f"{pair['a']} to {pair['b']} ({rail}): {reach}", highlight=False)
    for impact in (failures or {}).get("failures", []):
        out.print(f"lose {impact['element']}: {impact['gpus_cut_off']:,} GPUs cut off, "
                  f"{impact['injection_gbps_lost'] / 1000:,.1f} Tb/s of injection and "
                  f"{impact['uplink_gbps_lost'] / 1000:,.1f} Tb/s of uplinks lost; bisection left "
                  f"{impact['bisection_gbps_after'] / 1000:,.1f} Tb/s", highlight=False)


def site_fabrics_table(phase_id: str, reports) -> Table:
    """`gwplan topology`: one row per site fabric (planner.fabric.bom.SiteFabricReport)."""
    table = Table(title=f"Fabrics at the end of phase {phase_id} (bisection: of one cluster)", title_justify="left",
                  header_style="bold")
    for column in ("site", "platform", "racks", "GPUs", "clusters", "tiers", "leaf", "spine", "core", "cables",
                   "bisection Tb/s", "fabric MW", "added by phase (switches)"):
        table.add_column(column, justify="left" if column in ("site", "platform", "added by phase (switches)")
                         else "right")
    for r in reports:
        bom = r.bom
        added = "; ".join(f"{st.phase}: +{sum(st.switches_added.values()):,}" for st in r.by_phase)
        table.add_row(r.site, r.platform, f"{r.racks:,}", f"{bom.gpus:,}", str(bom.clusters), str(bom.tiers),
                      *(f"{bom.switches[k]:,}" for k in ("leaf", "spine", "core")),
                      f"{bom.cable_count:,}", f"{bom.bisection_gbps / 1000:,.0f}",
                      f"{bom.power_w['total_w'] / 1e6:,.1f}" if bom.power_w is not None else "-", added)
    return table


def campus_network_table(campuses: int, routes: int, pairs: list[dict]) -> Table:
    """`gwplan topology --dci`: the lowest-latency route and the next disjoint one, per pair of campuses."""
    table = Table(title=f"Inter-campus network: {campuses} campuses, {routes} fiber routes",
                  title_justify="left", header_style="bold")
    for column in ("campus A", "campus B", "shortest ms", "route", "2nd disjoint ms"):
        table.add_column(column, justify="right" if "ms" in column else "left")
    for pair in pairs:
        first, *rest = pair["paths"]
        table.add_row(pair["a"], pair["b"], f"{first['latency_ms']:.2f}", " > ".join(first["via"]),
                      f"{rest[0]['latency_ms']:.2f}" if rest else "none")
    return table


def print_sweep(out: Console, summary) -> None:
    """`gwplan sweep`: cost percentiles and how often each site builds (planner.optimize.sweep.SweepSummary)."""
    out.print(f"{summary.solved} of {summary.samples} samples solved ({summary.infeasible} infeasible); "
              f"NPV P10 ${summary.npv_usd_p10 / 1e9:,.2f}B, P50 ${summary.npv_usd_p50 / 1e9:,.2f}B, "
              f"P90 ${summary.npv_usd_p90 / 1e9:,.2f}B", highlight=False)
    if summary.short:
        out.print(f"{summary.short} of the solved samples leave requirements short (at the scenario's shortfall "
                  f"price): MW short over all phases P10 {summary.shortfall_mw_p10:,.0f}, "
                  f"P50 {summary.shortfall_mw_p50:,.0f}, P90 {summary.shortfall_mw_p90:,.0f}", highlight=False)
    table = Table(title="How often each site builds, per phase (robust recommendation: >= 50 %)",
                  title_justify="left", header_style="bold")
    table.add_column("phase")
    table.add_column("recommended")
    table.add_column("sites (share of samples)")
    for phase, sites in summary.frequency.items():
        table.add_row(phase, ", ".join(summary.recommended[phase]) or "-",
                      ", ".join(f"{site} {share:.0%}" for site, share in sites.items()))
    out.print(table)


def print_diff(out: Console, d) -> None:
    """`gwplan diff`: totals, sites added or dropped or moved, and IT MW that changed (planner.plan.diff.PlanDiff)."""
    out.print(f"NPV ${d.npv_usd_a / 1e9:,.2f}B -> ${d.npv_usd_b / 1e9:,.2f}B ({d.delta_npv_usd / 1e9:+,.2f}B); "
              f"capex ${d.capex_usd_a / 1e9:,.2f}B -> ${d.capex_usd_b / 1e9:,.2f}B "
              f"({d.delta_capex_usd / 1e9:+,.2f}B)", highlight=False)
    for label, sites in (("sites dropped", d.sites_only_in_a), ("sites added", d.sites_only_in_b)):
        if sites:
            out.print(f"{label}: {', '.join(sites)}", highlight=False)
    for m in d.sites_opening_moved:
        out.print(f"{m.site} opens in phase {m.opens_b} instead of {m.opens_a}", highlight=False)
    table = Table(title="Installed IT MW that changed, by phase and site", title_justify="left", header_style="bold")
    for column in ("phase", "site", "IT MW A", "IT MW B", "change", "phase capex change $B"):
        table.add_column(column, justify="left" if column in ("phase", "site") else "right")
    for p in d.phases:
        for i, c in enumerate(p.sites):
            table.add_row(p.phase if i == 0 else "", c.site, f"{c.it_mw_a:,.1f}", f"{c.it_mw_b:,.1f}",
                          f"{c.delta_mw:+,.1f}", f"{p.delta_capex_usd / 1e9:+,.2f}" if i == 0 else "")
    out.print(table if any(p.sites for p in d.phases) else "no change in installed IT MW")


def alternatives_table(within: float, rows: list[dict]) -> Table:
    """`gwplan optimize --alternatives`: each plan written, its cost above the optimum and its campuses."""
    table = Table(title=f"{len(rows) - 1} alternative(s) within {within:.1%} of the optimum",
                  title_justify="left", header_style="bold")
    for column in ("plan", "NPV $B", "above optimum", "campuses used"):
        table.add_column(column, justify="right" if column in ("NPV $B", "above optimum") else "left")
    for r in rows:
        table.add_row(r["plan_path"], f"{r['npv_usd'] / 1e9:,.3f}", f"{r['above_optimum']:.2%}", ", ".join(r["sites"]))
    return table
