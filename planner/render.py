"""Human-readable views of plans and solves: rich tables for a terminal, plain text for files."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from planner.optimize import Outcome
from planner.plan import Plan


def usd_b(value: float) -> str:
    return f"{value / 1e9:,.2f}"


def plan_table(plan: Plan, title: str = "") -> Table:
    table = Table(title=title or None, title_justify="left", show_footer=True, header_style="bold")
    table.add_column("phase", footer="total")
    table.add_column("online")
    table.add_column("platform")
    table.add_column("sites building", max_width=48)
    table.add_column("IT MW added", justify="right", footer=f"{sum(p.it_mw_added for p in plan.phases):,.0f}")
    table.add_column("IT MW total", justify="right")
    table.add_column("GPUs added", justify="right", footer=f"{sum(p.gpus_added for p in plan.phases):,}")
    table.add_column("capex $B", justify="right", footer=usd_b(plan.capex_usd))
    table.add_column("funding $B", justify="right", footer=usd_b(sum(p.funding_usd for p in plan.phases)))
    for phase in plan.phases:
        building = phase.sites_building
        table.add_row(phase.id, phase.online_date, phase.platform, f"{len(building)}: " + ", ".join(building),
                      f"{phase.it_mw_added:,.0f}", f"{phase.it_mw_total:,.0f}", f"{phase.gpus_added:,}",
                      usd_b(phase.capex_usd), usd_b(phase.funding_usd))
    return table


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
        console.print(plan_table(outcome.plan, title=f"Rollout plan: {scenario_name}"))
    console.print(status_line(outcome))
    return buffer.getvalue()
