"""A sweep's result (`gwplan sweep -o FILE`) read back for the report: the risk figures beside the plan.

The file is checked the way scenarios are: one clear problem per field (file, field, what was expected),
never a traceback. A sweep of another scenario is refused; a sweep of another version of the same scenario
(a different sha256) is shown with a warning, since its figures may no longer describe the plan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from planner.fields import InputError, Problem


@dataclass(frozen=True)
class SweepRisk:
    scenario: str
    scenario_sha256: str | None
    seed: int
    samples: int
    solved: int
    infeasible: int
    short: int
    npv_usd: tuple[float, float, float]  # P10, P50, P90 over the solved samples
    shortfall_mw: tuple[float, float, float]
    frequency: dict[str, dict[str, float]]  # phase id -> campus -> share of solved samples building there


def _number(doc: dict, key: str, name: str, problems: list[Problem], whole: bool = False) -> float:
    value = doc.get(key)
    ok = (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
          and (not whole or float(value).is_integer()))
    if not ok:
        problems.append(Problem(name, key, f"expected {'a whole number' if whole else 'a number'} >= 0, got "
                                           f"{value!r}"))
        return 0.0
    return float(value)


def _percentiles(doc: dict, key: str, name: str, problems: list[Problem]) -> tuple[float, float, float]:
    block = doc.get(key)
    if not isinstance(block, dict):
        problems.append(Problem(name, key, "expected a mapping with p10, p50 and p90"))
        return (math.nan,) * 3
    out = []
    for q in ("p10", "p50", "p90"):
        value = block.get(q)
        if value is None:  # written as null when no sample solved
            out.append(math.nan)
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            out.append(float(value))
        else:
            problems.append(Problem(name, f"{key}.{q}", f"expected a number, got {value!r}"))
            out.append(math.nan)
    return out[0], out[1], out[2]


def read_sweep(path: str | Path) -> SweepRisk:
    """The sweep result at `path`, checked (InputError naming the file and field otherwise)."""
    from planner.files import read_yaml  # JSON is read by the same guarded reader (size, file type, UTF-8)

    name = str(path)
    doc = read_yaml(path)
    if not isinstance(doc, dict) or "frequency" not in doc:
        raise InputError([Problem(name, "", "expected the JSON summary that gwplan sweep -o writes")])
    problems: list[Problem] = []
    scenario = doc.get("scenario")
    if not isinstance(scenario, str):
        problems.append(Problem(name, "scenario", f"expected the scenario's name, got {scenario!r}"))
    sha = doc.get("scenario_sha256")
    if sha is not None and not isinstance(sha, str):
        problems.append(Problem(name, "scenario_sha256", f"expected a hex digest, got {sha!r}"))
    counts = {k: _number(doc, k, name, problems, whole=True) for k in ("samples", "solved", "infeasible", "short")}
    seed = doc.get("seed", 0)
    frequency = doc.get("frequency")
    clean: dict[str, dict[str, float]] = {}
    if not isinstance(frequency, dict):
        problems.append(Problem(name, "frequency", "expected a mapping of phase -> campus -> share"))
    else:
        for phase, sites in frequency.items():
            if not isinstance(sites, dict):
                problems.append(Problem(name, f"frequency.{phase}", "expected a mapping of campus -> share"))
                continue
            for site, share in sites.items():
                if not (isinstance(share, (int, float)) and not isinstance(share, bool) and 0 <= share <= 1 + 1e-9):
                    problems.append(Problem(name, f"frequency.{phase}.{site}", f"expected a share in [0, 1], got "
                                                                              f"{share!r}"))
                    continue
                clean.setdefault(str(phase), {})[str(site)] = float(share)
    npv = _percentiles(doc, "npv_usd", name, problems)
    short = _percentiles(doc, "shortfall_mw", name, problems)
    if problems:
        raise InputError(problems)
    return SweepRisk(scenario=scenario, scenario_sha256=sha, seed=int(seed) if isinstance(seed, int) else 0,
                     samples=int(counts["samples"]), solved=int(counts["solved"]),
                     infeasible=int(counts["infeasible"]), short=int(counts["short"]), npv_usd=npv,
                     shortfall_mw=short, frequency=clean)


def check_matches(risk: SweepRisk, plan, sweep_path: str | Path) -> str | None:
    """Refuse a sweep of another scenario; a warning (for the page) for another version of this one."""
    pv = plan.provenance
    if risk.scenario != pv.scenario_name:
        raise InputError([Problem(str(sweep_path), "scenario", f"is a sweep of {risk.scenario!r}; the plan is of "
                                                               f"{pv.scenario_name!r}")])
    if risk.scenario_sha256 is None:
        return "the sweep does not record which version of the scenario it ran on"
    if risk.scenario_sha256 != pv.scenario_sha256:
        return "the sweep ran on another version of the scenario (its sha256 differs from the plan's)"
    return None


def chart_frequency(risk: SweepRisk, plan, path: Path) -> None:
    """How often each campus builds in each phase over the solved samples (a heat map), the plan's own
    choices outlined."""
    from planner.report.html import _pyplot, _save

    plt = _pyplot()
    phases = [p.id for p in plan.phases]
    building = {(p.id, s) for p in plan.phases for s in p.sites_building}
    campuses = sorted({s for sites in risk.frequency.values() for s in sites} | {s for _, s in building},
                      key=lambda s: (-sum(risk.frequency.get(p, {}).get(s, 0.0) for p in phases), s))
    grid = [[risk.frequency.get(p, {}).get(c, 0.0) for p in phases] for c in campuses]
    fig, ax = plt.subplots(figsize=(11, max(3.0, 0.32 * len(campuses) + 1.6)), dpi=110)
    image = ax.imshow(grid or [[0.0] * len(phases)], cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
    for row, campus in enumerate(campuses):
        for col, phase in enumerate(phases):
            share = grid[row][col]
            if share > 0:
                ax.text(col, row, f"{share:.0%}", ha="center", va="center", fontsize=7,
                        color="white" if share > 0.6 else "black")
            if (phase, campus) in building:
                ax.add_patch(plt.Rectangle((col - 0.5, row - 0.5), 1, 1, fill=False, edgecolor="#d9822b", lw=2))
    ax.set_xticks(range(len(phases)), [f"phase {p}" for p in phases], fontsize=8)
    ax.set_yticks(range(len(campuses)), campuses, fontsize=8)
    ax.set_title(f"How often each campus builds, over {risk.solved} solved samples (orange: the plan builds there)")
    fig.colorbar(image, ax=ax, label="share of solved samples", shrink=0.8)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def section_html(risk: SweepRisk, plan, warning: str | None) -> str:
    """The page's risk section: the sweep's counts, P10/P50/P90 of cost and shortfall against the plan."""
    import html

    e = html.escape

    def billions(v: float) -> str:
        return "-" if math.isnan(v) else f"{v / 1e9:,.2f}"

    def mw(v: float) -> str:
        return "-" if math.isnan(v) else f"{v:,.0f}"

    note = f'<p style="color:#a33"><b>Note:</b> {e(warning)}.</p>' if warning else ""
    shortfall_plan = sum(p.shortfall_mw for p in plan.phases)
    return f"""<h2>Risk (sweep of {risk.samples:,} samples, seed {risk.seed})</h2>
{note}<p>{risk.solved:,} samples solved, {risk.infeasible:,} had no plan, {risk.short:,} left some requirement
unmet. Percentiles are over the {risk.solved:,} solved samples.</p>
<table><tr><th></th><th>P10</th><th>P50</th><th>P90</th><th>this plan</th></tr>
<tr><td>net present cost $B</td><td>{billions(risk.npv_usd[0])}</td><td>{billions(risk.npv_usd[1])}</td>
<td>{billions(risk.npv_usd[2])}</td><td>{plan.npv_usd / 1e9:,.2f}</td></tr>
<tr><td>shortfall MW (all phases)</td><td>{mw(risk.shortfall_mw[0])}</td><td>{mw(risk.shortfall_mw[1])}</td>
<td>{mw(risk.shortfall_mw[2])}</td><td>{shortfall_plan:,.0f}</td></tr></table>
"""
