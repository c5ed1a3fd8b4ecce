"""The inter-campus (DCI) network: fiber routes between campuses, their latency, and disjoint paths.

Fiber does not run in straight lines: a route is the great-circle distance times a route factor
(1.5 by default, a common planning figure for long-haul fiber), and light in fiber takes about
5 us per km (refractive index ~1.47). Each campus is linked to its `neighbours` nearest campuses and
the links of a minimum spanning tree are added, so the mesh is connected and every campus has
alternative routes where geography allows.
"""

from __future__ import annotations

from itertools import combinations

import networkx as nx

from topology.geo import FIBER_ROUTE_FACTOR, FIBER_US_PER_KM, Campus, fiber_latency_ms, great_circle_km

__all__ = ["FIBER_ROUTE_FACTOR", "FIBER_US_PER_KM", "Campus", "campus_graph", "disjoint_paths", "fiber_latency_ms",
           "great_circle_km", "pair_routes", "route_latency_ms", "shortest_latency_ms"]


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


def route_latency_ms(campus_ids, routes) -> dict[tuple[str, str], float]:
    """One-way latency between every ordered pair of campuses connected over given fiber routes.

    `routes`: (campus a, campus b, route km) triples, the fiber actually laid; latency is the shortest
    path at FIBER_US_PER_KM (no route factor: route km are real). Pairs with no path are absent.
    """
    g = nx.Graph()
    g.add_nodes_from(campus_ids)
    for a, b, km in routes:
        ms = km * FIBER_US_PER_KM / 1000.0
        if not g.has_edge(a, b) or g[a][b]["latency_ms"] > ms:  # parallel routes: the shorter one
            g.add_edge(a, b, latency_ms=ms)
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
