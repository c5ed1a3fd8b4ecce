"""Monte Carlo what-ifs: one solve per sample of the uncertain inputs, on this machine or a Dask cluster.

Each sample perturbs a checked scenario (never the input object) from its own seed, so a sample gives
the same plan whichever executor runs it:
- grid delay: each site's grid ramp slips by one phase with probability `grid_delay_probability`;
- energy price and capex per MW (power blocks): each site's scaled by a factor in [1 - spread, 1 + spread];
- rack power: each platform's rack_it_kw drawn uniformly within its catalog range (with the rack count
  per MW following from it).
The summary gives how often each site builds in each phase, the cost percentiles, and a robust
recommendation: the sites that build in a phase in at least half of the samples.
"""

from __future__ import annotations

import dataclasses
import math
import random
from dataclasses import dataclass
from typing import Callable, Iterable

from planner.optimize.options import SolveOptions
from planner.scenario.types import Scenario, Uncertain


@dataclass(frozen=True)
class SweepOptions:
    samples: int = 100
    seed: int = 0
    grid_delay_probability: float = 0.2
    price_spread: float = 0.15  # energy price, +- share
    capex_spread: float = 0.10  # power-block capex per MW, +- share


@dataclass(frozen=True)
class SampleResult:
    sample: int
    status: str
    npv_usd: float | None
    building: tuple[tuple[str, tuple[str, ...]], ...]  # (phase id, sites adding capacity)
    shortfall_mw: float = 0.0  # summed over phases (only with a shortfall price; else infeasible instead)


def draws(scenario: Scenario, options: SweepOptions, sample: int) -> dict:
    """The random inputs of one sample, drawn in a fixed order from its own seed: per site whether the grid
    ramp slips a phase, an energy-price factor and a power-block capex factor; per platform a rack kW."""
    rng = random.Random(f"{options.seed}:{sample}")
    sites = {}
    for site in scenario.sites:
        delayed = rng.random() < options.grid_delay_probability
        price = rng.uniform(1 - options.price_spread, 1 + options.price_spread)
        capex = rng.uniform(1 - options.capex_spread, 1 + options.capex_spread)
        sites[site.id] = (delayed, price, capex)
    racks = {p.id: rng.uniform(p.rack_it_kw.low, p.rack_it_kw.high) for p in scenario.platforms}
    return {"sites": sites, "rack_it_kw": racks}


def perturb(scenario: Scenario, options: SweepOptions, sample: int) -> Scenario:
    """The scenario of one sample (a new object; the input is not changed)."""
    drawn = draws(scenario, options, sample)
    sites = []
    for site in scenario.sites:
        delayed, price, capex = drawn["sites"][site.id]
        grid = (0.0,) + site.grid_mw_by_phase[:-1] if delayed else site.grid_mw_by_phase  # one phase late
        blocks = tuple(dataclasses.replace(b, capex_usd_per_it_mw=b.capex_usd_per_it_mw * capex)
                       for b in site.power_blocks)
        sites.append(dataclasses.replace(site, grid_mw_by_phase=grid,
                                         energy_usd_per_mwh=site.energy_usd_per_mwh * price, power_blocks=blocks))
    platforms = []
    for platform in scenario.platforms:
        kw = platform.rack_it_kw
        platforms.append(dataclasses.replace(platform, rack_it_kw=Uncertain(drawn["rack_it_kw"][platform.id], kw.low,
                                                                            kw.high, kw.source)))
    return dataclasses.replace(scenario, sites=tuple(sites), platforms=tuple(platforms))


def sample_rows(scenario: Scenario, options: SweepOptions, results: list) -> list[dict]:
    """One row per sample for analysts: its inputs (replayed from its seed) and its outcome."""
    rows = []
    for r in results:
        drawn = draws(scenario, options, r.sample)
        row = {"sample": r.sample, "status": r.status, "npv_usd": r.npv_usd, "shortfall_mw": r.shortfall_mw,
               "grid_delayed_sites": ",".join(sid for sid, (late, _, _) in drawn["sites"].items() if late)}
        row.update({f"phase_{pid}_sites_building": ",".join(sites) for pid, sites in r.building})
        row.update({f"energy_price_factor_{sid}": price for sid, (_, price, _) in drawn["sites"].items()})
        row.update({f"block_capex_factor_{sid}": capex for sid, (_, _, capex) in drawn["sites"].items()})
        row.update({f"rack_it_kw_{pid}": kw for pid, kw in drawn["rack_it_kw"].items()})
        rows.append(row)
    return rows


def solve_sample(scenario: Scenario, sweep: SweepOptions, solve_options: SolveOptions, sample: int) -> SampleResult:
    """Perturb, optimize and summarize one sample (runs in a worker process or a Dask worker)."""
    from planner.optimize.rollout import plan_rollout

    outcome = plan_rollout(perturb(scenario, sweep, sample), solve_options)
    if outcome.plan is None:
        return SampleResult(sample, outcome.result.status.value, None, ())
    building = tuple((p.id, p.sites_building) for p in outcome.plan.phases)
    return SampleResult(sample, outcome.result.status.value, outcome.plan.npv_usd, building,
                        round(sum(p.shortfall_mw for p in outcome.plan.phases), 6))


def run_sweep(scenario: Scenario, sweep: SweepOptions, solve_options: SolveOptions, executor: str = "process",
              scheduler: str | None = None, workers: int | None = None,
              on_done: Callable[[int], None] | None = None) -> list[SampleResult]:
    """All samples, in sample order. executor: "process" (this machine), "dask" (`scheduler` address, or an
    in-process cluster when None), or "serial". `on_done(n)` is called as samples finish."""
    indices = range(sweep.samples)
    results: dict[int, SampleResult] = {}
    if executor == "serial":
        for i in indices:
            results[i] = solve_sample(scenario, sweep, solve_options, i)
            if on_done:
                on_done(len(results))
    elif executor == "process":
        _run_processes(scenario, sweep, solve_options, workers, results, on_done)
    elif executor == "dask":
        _run_dask(scenario, sweep, solve_options, scheduler, workers, results, on_done)
    else:
        raise ValueError(f"unknown executor {executor!r}: process, dask or serial")
    return [results[i] for i in indices]


class ClusterUnavailable(Exception):
    """The Dask cluster has no workers to run the samples (none came, or all left and none came back)."""


WORKER_WAIT_S = 60.0  # how long a Dask cluster may have no worker before the sweep gives up
POLL_S = 1.0  # how often a waiting sweep looks at its samples (and for Ctrl-C)


def _run_processes(scenario, sweep, solve_options, workers, results, on_done) -> None:
    """Samples on this machine's cores. Ctrl-C (or SIGTERM, which the command turns into it) cancels the
    samples not started and ends the running ones at once: no worker process outlives the sweep."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    # spawn, not fork: the parent may hold solver threads, and forked copies of them can deadlock
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        futures = {pool.submit(solve_sample, scenario, sweep, solve_options, i): i for i in range(sweep.samples)}
        pending = set(futures)
        while pending:  # short waits, so that the main thread hears Ctrl-C between them
            done, pending = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
            for future in done:
                results[futures[future]] = future.result()
                if on_done:
                    on_done(len(results))
    except BaseException:
        processes = list((getattr(pool, "_processes", None) or {}).values())  # no public handle before 3.14
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        call_queue = getattr(pool, "_call_queue", None)
        if call_queue is not None:  # its feeder thread may be stuck writing a sample (the whole scenario, more
            call_queue.cancel_join_thread()  # than a pipe holds) to a terminated worker: exit must not join it
        for process in processes:
            process.join(timeout=5)
        raise
    pool.shutdown(wait=True)


def _run_dask(scenario, sweep, solve_options, scheduler, workers, results, on_done) -> None:
    """Samples on a Dask cluster (`scheduler`, or an in-process one). A cluster with no worker for
    WORKER_WAIT_S (at the start or later) ends the sweep with ClusterUnavailable, instead of a wait
    without end; Ctrl-C cancels what is queued."""
    import distributed
    from distributed import Client

    try:
        client = (Client(scheduler, timeout=f"{WORKER_WAIT_S}s") if scheduler
                  # its scheduler's web server (always started) on a free port of 127.0.0.1, not on *:8787
                  else Client(processes=False, n_workers=workers or 1, dashboard_address="127.0.0.1:0"))
    except (OSError, TimeoutError) as err:
        raise ClusterUnavailable(f"cannot reach the Dask scheduler at {scheduler} ({err})") from None
    try:
        futures = {client.submit(solve_sample, scenario, sweep, solve_options, i, pure=False): i
                   for i in range(sweep.samples)}
        pending, idle_s = set(futures), 0.0
        while pending:
            try:
                finished = distributed.wait(list(pending), timeout=POLL_S, return_when="FIRST_COMPLETED")
            except (TimeoutError, distributed.TimeoutError):
                idle_s = idle_s + POLL_S if not client.scheduler_info().get("workers") else 0.0
                if idle_s >= WORKER_WAIT_S:
                    where = scheduler or "the in-process cluster"
                    raise ClusterUnavailable(f"the Dask cluster at {where} has had no worker for {idle_s:.0f} s; "
                                             f"{len(results)} of {sweep.samples} samples were done") from None
                continue
            idle_s = 0.0
            for future in finished.done:
                result = future.result()
                results[result.sample] = result
                if on_done:
                    on_done(len(results))
            pending = set(finished.not_done)
    except BaseException:
        client.cancel(list(futures))
        raise
    finally:
        client.close()


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolation percentile (q in [0, 100])."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class SweepSummary:
    """What a sweep says: how many samples solved, cost percentiles, how often each site builds."""

    samples: int
    solved: int
    infeasible: int
    npv_usd_p10: float
    npv_usd_p50: float
    npv_usd_p90: float
    frequency: dict[str, dict[str, float]]  # phase id -> site -> share of solved samples it builds in
    recommended: dict[str, list[str]]  # phase id -> sites that build in at least half of the solved samples
    short: int = 0  # solved samples that leave some requirement unmet (at the scenario's shortfall price)
    shortfall_mw_p10: float = 0.0  # MW short, summed over phases, over the solved samples
    shortfall_mw_p50: float = 0.0
    shortfall_mw_p90: float = 0.0

    def as_json(self) -> dict:
        """Plain data for `gwplan sweep --json` and its -o file (a percentile over no solved sample is null:
        JSON has no NaN)."""
        def number(v: float) -> float | None:
            return None if math.isnan(v) else v

        return {"samples": self.samples, "solved": self.solved, "infeasible": self.infeasible, "short": self.short,
                "npv_usd": {"p10": number(self.npv_usd_p10), "p50": number(self.npv_usd_p50),
                            "p90": number(self.npv_usd_p90),
                            "over_samples": self.solved},
                "shortfall_mw": {"p10": number(self.shortfall_mw_p10), "p50": number(self.shortfall_mw_p50),
                                 "p90": number(self.shortfall_mw_p90), "over_samples": self.solved},
                "frequency": self.frequency, "recommended": self.recommended}


def summarize(results: Iterable[SampleResult]) -> SweepSummary:
    """Site frequency per phase, cost P10/P50/P90, and the robust recommendation."""
    results = list(results)
    solved = [r for r in results if r.npv_usd is not None]
    frequency: dict[str, dict[str, float]] = {}
    for r in solved:
        for phase, sites in r.building:
            for site in sites:
                frequency.setdefault(phase, {}).setdefault(site, 0.0)
                frequency[phase][site] += 1.0 / len(solved)
    costs = [r.npv_usd for r in solved]
    short = [r.shortfall_mw for r in solved]
    return SweepSummary(
        samples=len(results), solved=len(solved), infeasible=sum(1 for r in results if r.status == "infeasible"),
        npv_usd_p10=percentile(costs, 10), npv_usd_p50=percentile(costs, 50), npv_usd_p90=percentile(costs, 90),
        frequency={phase: dict(sorted(sites.items(), key=lambda kv: (-kv[1], kv[0])))
                   for phase, sites in frequency.items()},
        recommended={phase: sorted(s for s, f in sites.items() if f >= 0.5) for phase, sites in frequency.items()},
        short=sum(1 for mw in short if mw > 1e-6), shortfall_mw_p10=percentile(short, 10),
        shortfall_mw_p50=percentile(short, 50), shortfall_mw_p90=percentile(short, 90))
