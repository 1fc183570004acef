"""Pure geometry on the globe, in degrees: where the sun is overhead, the day/night
terminator, a satellite's visibility footprint, and ground-track lines on a flat plot.

No plotting and no feed here: :mod:`satfeed_frontend.figures` turns these points into
traces.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

from pyorbital import astronomy

EARTH_RADIUS_KM: Final = 6371.0
"""Mean radius: footprints are drawn on a sphere."""
NIGHT_POINTS: Final = 72
FOOTPRINT_POINTS: Final = 24
"""A footprint ring's segments: smooth enough at map scale, and small enough to send anew
with every sample (about 300 bytes)."""


def wrap_lon(lon: float) -> float:
    """A longitude in [-180, 180)."""
    return (lon + 180.0) % 360.0 - 180.0


def with_antimeridian_gaps(
    previous_lon: float | None, lons: Sequence[float], lats: Sequence[float]
) -> tuple[list[float | None], list[float | None]]:
    """Lines on a flat lon/lat plot with a gap (None) wherever the track jumps across ±180°,
    so no line is drawn across the whole plot. ``previous_lon`` is the point the line
    already ends at in the browser, if any."""
    out_lons: list[float | None] = []
    out_lats: list[float | None] = []
    last = previous_lon
    for lon, lat in zip(lons, lats, strict=True):
        if last is not None and abs(lon - last) > 180:
            out_lons.append(None)
            out_lats.append(None)
        out_lons.append(lon)
        out_lats.append(lat)
        last = lon
    return out_lons, out_lats


def subsolar_point(when: datetime) -> tuple[float, float]:
    """(longitude, latitude) in degrees of the point where the sun is at the zenith: the
    sun's declination, and its right ascension less Greenwich sidereal time
    (``pyorbital.astronomy``)."""
    utc = when.astimezone(UTC).replace(tzinfo=None)
    right_ascension, declination = astronomy.sun_ra_dec(utc)
    lon = math.degrees(float(right_ascension) - float(astronomy.gmst(utc)))
    return wrap_lon(lon), math.degrees(float(declination))


def footprint_radius_deg(alt_km: float) -> float:
    """Angular radius (as seen from the Earth's centre) of the circle on the ground from which
    a satellite at ``alt_km`` is above the horizon: arccos(R / (R + h))."""
    if not alt_km > 0:  # also NaN
        return 0.0
    return math.degrees(math.acos(EARTH_RADIUS_KM / (EARTH_RADIUS_KM + alt_km)))


def small_circle(
    lon: float, lat: float, radius_deg: float, points: int, digits: int = 2
) -> tuple[list[float], list[float]]:
    """The closed ring of ``points`` + 1 points at ``radius_deg`` (great-circle distance) from
    (``lon``, ``lat``), clockwise on the map: the winding by which plotly.js (d3-geo) fills
    the cap around the centre rather than the rest of the globe."""
    phi, lam, delta = math.radians(lat), math.radians(lon), math.radians(radius_deg)
    lons, lats = [], []
    for step in range(points + 1):
        bearing = 2 * math.pi * (step % points) / points
        sin_lat = math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(
            bearing
        )
        lat2 = math.asin(max(-1.0, min(1.0, sin_lat)))
        lon2 = lam + math.atan2(
            math.sin(bearing) * math.sin(delta) * math.cos(phi),
            math.cos(delta) - math.sin(phi) * sin_lat,
        )
        lons.append(round(wrap_lon(math.degrees(lon2)), digits))
        lats.append(round(math.degrees(lat2), digits))
    return lons, lats


def night_ring(when: datetime) -> tuple[list[float], list[float]]:
    """The terminator at ``when``, as the ring around the night side: every point 90° from
    the subsolar point, wound around the antisolar point."""
    lon, lat = subsolar_point(when)
    return small_circle(wrap_lon(lon + 180.0), -lat, 90.0, NIGHT_POINTS)


def footprint_ring(lon: float, lat: float, alt_km: float) -> tuple[list[float], list[float]]:
    return small_circle(lon, lat, footprint_radius_deg(alt_km), FOOTPRINT_POINTS)


# -- on the flat map (longitude across, latitude up) --------------------------------------


def night_polygon(when: datetime, step_deg: float = 5.0) -> tuple[list[float], list[float]]:
    """The night side on a longitude/latitude map: the terminator from -180° to 180° (every
    point 90° from the subsolar point), closed along the pole in darkness."""
    sun_lon, sun_lat = subsolar_point(when)
    # At an equinox the terminator runs through the poles; a hair off it keeps the formula
    # finite and draws the same line.
    tan_sun = math.tan(math.radians(sun_lat if abs(sun_lat) > 1e-6 else 1e-6))
    steps = round(360 / step_deg)
    lons = [-180.0 + i * step_deg for i in range(steps + 1)]
    lats = [
        round(math.degrees(math.atan(-math.cos(math.radians(lon - sun_lon)) / tan_sun)), 2)
        for lon in lons
    ]
    dark_pole = -90.0 if sun_lat > 0 else 90.0
    return [*lons, 180.0, -180.0, -180.0], [*lats, dark_pole, dark_pole, lats[0]]


def footprint_on_map(
    lon: float, lat: float, alt_km: float
) -> tuple[list[float | None], list[float | None]]:
    """A footprint as drawn on the flat map: its ring, broken where it crosses the
    antimeridian (each piece is filled on its own); one around a pole is closed along that
    pole instead, as it covers every longitude there."""
    radius = footprint_radius_deg(alt_km)
    lons, lats = footprint_ring(lon, lat, alt_km)
    if radius <= 0 or 90.0 - abs(lat) >= radius:
        return with_antimeridian_gaps(None, lons, lats)
    pole = 90.0 if lat > 0 else -90.0
    ring = sorted(zip(lons[:-1], lats[:-1], strict=True))
    west, east = ring[0], ring[-1]
    # The latitude where the ring meets ±180°, between its westernmost and easternmost points.
    span = west[0] + 360.0 - east[0]
    edge = east[1] + (west[1] - east[1]) * ((180.0 - east[0]) / span if span else 0.0)
    out_lons: list[float | None] = [-180.0, *(p[0] for p in ring), 180.0, 180.0, -180.0, -180.0]
    out_lats: list[float | None] = [round(edge, 2), *(p[1] for p in ring)]
    out_lats += [round(edge, 2), pole, pole, round(edge, 2)]
    return out_lons, out_lats
