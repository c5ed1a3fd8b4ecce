"""Geography of campuses without graphs: great-circle distance and the latency of a fiber route.

Fiber does not run in straight lines: a route is the great-circle distance times a route factor
(1.5 by default, a common planning figure for long-haul fiber), and light in fiber takes about
5 us per km (refractive index ~1.47). Plain arithmetic, so the optimizer can use it without networkx.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0
FIBER_ROUTE_FACTOR = 1.5
FIBER_US_PER_KM = 5.0


@dataclass(frozen=True)
class Campus:
    """Where a campus is: for the inter-campus network, latency limits and maps."""

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


def direct_latency_ms(a, b, route_factor: float = FIBER_ROUTE_FACTOR) -> float:
    """One-way latency of a direct fiber route between two campuses (anything with `lat` and `lon`)."""
    return fiber_latency_ms(great_circle_km(a, b), route_factor)
