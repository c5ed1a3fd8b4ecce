"""Re-planning around what is already decided: committed phases and stability against a previous plan.

`--commit PLAN --phases 1-3` fixes what the first phases of a plan built (`Commitment`s); `--previous
PLAN --stability USD_PER_MW` prices every MW of installed IT that moves against a previous plan
(`Stability`). Both are plain data the model reads; nothing here needs OR-Tools.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.plan.types import Plan
from planner.scenario.types import Scenario


@dataclass(frozen=True)
class Commitment:
    """What a site already has by the end of a committed phase: fixed, not re-optimized."""

    site: str
    phase: str
    opened: bool
    blocks_total: tuple[int, ...]  # per power-block kind
    it_mw_total: float  # IT MW bought up to the phase (retired systems included)
    power_mw: tuple[tuple[str, float], ...] = ()  # firm MW by source as built: an upgrade, on-site options


@dataclass(frozen=True)
class Stability:
    """Keep a re-plan close to a previous one: each MW of installed IT that moves, per site and phase,
    costs `usd_per_mw` in the objective (sites and phases absent from `previous` count as 0 MW)."""

    previous: tuple[Commitment, ...]
    usd_per_mw: float


def phase_selection(plan: Plan, text: str) -> list[str]:
    """Phase ids from `--phases`: a range `1-3` of the plan's phase ids (in plan order) or a list `1,2,3`."""
    ids = [p.id for p in plan.phases]
    first, dash, last = text.partition("-")
    if dash and first in ids and last in ids:
        if ids.index(last) < ids.index(first):
            raise KeyError(f"--phases {text}: the range runs backwards (phase {last} comes before {first}); "
                           f"write {last}-{first}")
        return ids[ids.index(first): ids.index(last) + 1]
    chosen = [x.strip() for x in text.split(",") if x.strip()]
    if not chosen:
        raise KeyError(f"--phases {text!r}: expected phase ids, e.g. 1-3 or 1,2")
    return chosen


def commitments_from_plan(plan: Plan, scenario: Scenario, phase_ids: list[str]) -> tuple[Commitment, ...]:
    """What a plan built in the given phases, as commitments for re-planning `scenario`.

    Raises KeyError naming a phase or site the scenario does not have.
    """
    sites = {s.id: s for s in scenario.sites}
    known_phases = {p.id for p in scenario.phases}
    out = []
    totals: dict[str, list[int]] = {}
    bought = bought_it_mw(plan)
    for phase in plan.phases:
        for s in phase.sites:
            if s.site not in sites:
                raise KeyError(f"site {s.site!r} of the committed plan is not in the scenario")
            running = totals.setdefault(s.site, [0] * len(sites[s.site].power_blocks))
            if len(s.blocks_added) != len(running):
                raise KeyError(f"site {s.site!r}: the plan has {len(s.blocks_added)} block kinds, the scenario "
                               f"{len(running)}")
            for k, n in enumerate(s.blocks_added):
                running[k] += n
            if phase.id in phase_ids:
                out.append(Commitment(site=s.site, phase=phase.id, opened=True, blocks_total=tuple(running),
                                      it_mw_total=bought[s.site, phase.id],
                                      power_mw=tuple((k, mw) for k, mw in s.power_mw if k != "grid")))
        if phase.id in phase_ids and phase.id not in known_phases:
            raise KeyError(f"phase {phase.id!r} of the committed plan is not in the scenario")
    missing = [p for p in phase_ids if p not in {ph.id for ph in plan.phases}]
    if missing:
        raise KeyError(f"phase {missing[0]!r} is not in the committed plan")
    return tuple(out)


def bought_it_mw(plan: Plan) -> dict[tuple[str, str], float]:
    """(site, phase id) -> IT MW bought there up to that phase: the running sum of it_mw_added (equal to
    it_mw_total unless systems retire)."""
    out, running = {}, {}
    for phase in plan.phases:
        for s in phase.sites:
            running[s.site] = running.get(s.site, 0.0) + s.it_mw_added
            out[s.site, phase.id] = running[s.site]
    return out


def stability_from_plan(plan: Plan, usd_per_mw: float) -> Stability:
    """IT bought per site and phase of a previous plan, to stay close to it at `usd_per_mw` per MW moved."""
    bought = bought_it_mw(plan)
    return Stability(previous=tuple(Commitment(site=s.site, phase=phase.id, opened=True, blocks_total=(),
                                               it_mw_total=bought[s.site, phase.id])
                                    for phase in plan.phases for s in phase.sites),
                     usd_per_mw=usd_per_mw)
