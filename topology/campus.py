"""The inter-campus (DCI) network: fiber routes between campuses, their latency, and disjoint paths.

Fiber does not run in straight lines: a route is the great-circle distance times a route factor
(1.5 by default, a common planning figure for long-haul fiber), and light in fiber takes about
5 us per km (refractive index ~1.47). Each campus is linked to its `neighbours` nearest campuses and
the links of a minimum spanning tree are added, so the mesh is connected and every campus has
alternative routes where geography allows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

import networkx as nx

EARTH_RADIUS_KM = 6371.0
FIBER_ROUTE_FACTOR = 1.5
FIBER_US_PER_KM = 5.0


@dataclass(frozen=True)
class Campus:
    id: str
    lat: float
    lon: float
    region: str = ""


def great_circle_km(a: Campus, b: Campus) -> float:
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def fiber_latency_ms(distance_km: float, route_factor: float = FIBER_ROUTE_FACTOR) -> float:
    """One-way latency of a fiber route over a great-circle distance."""
    return distance_km * route_factor * FIBER_US_PER_KM / 1000.0


def campus_graph(campuses: list[Campus], neighbours: int = 3, route_factor: float = FIBER_ROUTE_FACTOR) -> nx.Graph:
    """Campuses linked to their nearest neighbours plus a minimum spanning tree; edges carry
    `distance_km` (great circle), `route_km` and `latency_ms` (one way). A campus is anything with
    `id`, `lat`, `lon` and `region` attributes."""
    g = nx.Graph(route_factor=route_factor, us_per_km=FIBER_US_PER_KM)
    for c in campuses:
        g.add_node(c.id, lat=c.lat, lon=c.lon, region=c.region)
    full = nx.Graph()
    for a, b in combinations(campuses, 2):
        full.add_edge(a.id, b.id, distance_km=great_circle_km(a, b))
    chosen = set(nx.minimum_spanning_tree(full, weight="distance_km").edges())
    for c in campuses:
        nearest = sorted(full[c.id].items(), key=lambda item: (item[1]["distance_km"], item[0]))[:neighbours]
        chosen.update((c.id, other) for other, _ in nearest)
    for a, b in chosen:
        km = full[a][b]["distance_km"]
        g.add_edge(a, b, distance_km=round(km, 3), route_km=round(km * route_factor, 3),
                   latency_ms=round(fiber_latency_ms(km, route_factor), 6))
    return g


def mesh_latency_ms(campuses) -> dict[tuple[str, str], float]:
    """One-way latency between every ordered pair of campuses over their fiber mesh (`campus_graph`).

    `campuses`: anything with `id`, `lat`, `lon` and `region` attributes (a `Campus`, a plan's campus,
    a scenario's site).
    """
    g = campus_graph(list(campuses))
    return {(a, b): ms for a, lengths in nx.all_pairs_dijkstra_path_length(g, weight="latency_ms")
            for b, ms in lengths.items()}


def shortest_latency_ms(g: nx.Graph, a: str, b: str) -> tuple[float, list[str]]:
    path = nx.shortest_path(g, a, b, weight="latency_ms")
    return sum(g[u][v]["latency_ms"] for u, v in zip(path, path[1:])), path


def disjoint_paths(g: nx.Graph, a: str, b: str, k: int = 2) -> list[tuple[float, list[str]]]:
    """Up to k edge-disjoint paths, each the lowest-latency one left once the earlier ones' links are
    taken out (a greedy choice: simple, and what a planner reads as primary, secondary, ...)."""
    remaining = g.copy()
    paths = []
    for _ in range(k):
        try:
            latency, path = shortest_latency_ms(remaining, a, b)
        except nx.NetworkXNoPath:
            break
        paths.append((latency, path))
        remaining.remove_edges_from(zip(path, path[1:]))
    return paths


def pair_routes(g: nx.Graph, k: int = 2) -> list[dict]:
    """For every pair of campuses: up to k edge-disjoint routes, each {latency_ms, via}."""
    return [{"a": a, "b": b, "paths": [{"latency_ms": round(ms, 4), "via": path}
                                       for ms, path in disjoint_paths(g, a, b, k)]}
            for a, b in combinations(sorted(g), 2)]
