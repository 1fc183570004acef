"""Ground stations: where one stands on WGS-84, and which part of its sky it can use.

A :class:`Station` is a geodetic latitude and longitude on the WGS-84 ellipsoid, a height
above that ellipsoid, a minimum elevation, and optionally a **horizon mask**: points of
(azimuth, elevation) giving the elevation the station's real horizon (hills, buildings, the
antenna's limits) reaches in each direction. Between two points the mask is interpolated
linearly in azimuth, around the circle (from the last point back to the first through
north). A satellite counts as above the station's horizon where its elevation exceeds
:meth:`Station.horizon_deg`: the larger of the minimum elevation and the mask.

Pure Python and validated on construction, so the operator can check a station without
numpy; :mod:`satfeed_core.passes` (the ``propagation`` extra) predicts passes over it.
Every rejected value raises a :class:`StationError` naming the field, what is wrong and
what to do.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

MIN_LATITUDE_DEG: Final = -90.0
MAX_LATITUDE_DEG: Final = 90.0
MIN_LONGITUDE_DEG: Final = -180.0
MAX_LONGITUDE_DEG: Final = 180.0
MIN_ALTITUDE_M: Final = -1_000.0
"""Below any land: the Dead Sea's shore is about 430 m under sea level."""
MAX_ALTITUDE_M: Final = 10_000.0
"""Above any mountain: Everest is 8,849 m high."""
MIN_ELEVATION_DEG: Final = -5.0
"""A horizon a little below the geometric one: from a mountain top, or over the sea."""
MAX_ELEVATION_DEG: Final = 90.0


class StationError(ValueError):
    """A station value that cannot be used; ``field`` names it, ``str()`` says what to do."""

    def __init__(self, field: str, problem: str, hint: str) -> None:
        self.field = field
        self.problem = problem
        self.hint = hint
        super().__init__(f"station {field}: {problem}\n{hint}")


def _check_range(field: str, value: float, low: float, high: float, unit: str, hint: str) -> None:
    if not (isinstance(value, int | float) and not isinstance(value, bool)):
        raise StationError(field, f"{value!r} is not a number", hint)
    if not (math.isfinite(value) and low <= value <= high):
        raise StationError(
            field, f"{value:g}{unit} is out of range: it must be {low:g} to {high:g}{unit}", hint
        )


@dataclass(frozen=True)
class Station:
    """A ground station; raises :class:`StationError` on construction if a value is bad."""

    latitude_deg: float
    """Geodetic latitude on WGS-84, north positive."""
    longitude_deg: float
    """East positive, -180 to 180."""
    altitude_m: float = 0.0
    """Height above the WGS-84 ellipsoid (GPS height; within about 100 m of the height above
    sea level)."""
    min_elevation_deg: float = 0.0
    """Elevation a satellite must exceed in every direction to count as in view."""
    horizon_mask: tuple[tuple[float, float], ...] = ()
    """(azimuth, elevation) points, azimuths strictly increasing in [0, 360)."""
    name: str = ""

    def __post_init__(self) -> None:
        _check_range(
            "latitude", self.latitude_deg, MIN_LATITUDE_DEG, MAX_LATITUDE_DEG, "°",
            "give the geodetic latitude in degrees, north positive (south negative)",
        )  # fmt: skip
        _check_range(
            "longitude", self.longitude_deg, MIN_LONGITUDE_DEG, MAX_LONGITUDE_DEG, "°",
            "give the longitude in degrees east of Greenwich, -180 to 180 (west negative; "
            "subtract 360 from a longitude given 0 to 360)",
        )  # fmt: skip
        _check_range(
            "altitude", self.altitude_m, MIN_ALTITUDE_M, MAX_ALTITUDE_M, " m",
            "give the height above the WGS-84 ellipsoid in metres (not kilometres or feet)",
        )  # fmt: skip
        _check_range(
            "minimum elevation", self.min_elevation_deg, MIN_ELEVATION_DEG, MAX_ELEVATION_DEG,
            "°", "give the lowest elevation the station can use, in degrees above the horizon",
        )  # fmt: skip
        object.__setattr__(self, "horizon_mask", _checked_mask(self.horizon_mask))

    def horizon_deg(self, azimuth_deg: float) -> float:
        """The elevation a satellite must exceed at this azimuth (degrees east of north)."""
        if not self.horizon_mask:
            return self.min_elevation_deg
        return max(self.min_elevation_deg, interpolate_mask(self.horizon_mask, azimuth_deg))

    @property
    def lowest_horizon_deg(self) -> float:
        """The lowest elevation anything counts as in view at, in any direction."""
        if not self.horizon_mask:
            return self.min_elevation_deg
        # Linear interpolation between points never goes below the lowest point.
        return max(self.min_elevation_deg, min(elevation for _, elevation in self.horizon_mask))

    def describe(self) -> str:
        """``Darmstadt (49.8700° N, 8.6500° E, 144 m)`` and the horizon it uses."""
        north_south = "N" if self.latitude_deg >= 0 else "S"
        east_west = "E" if self.longitude_deg >= 0 else "W"
        where = (
            f"{abs(self.latitude_deg):.4f}° {north_south}, "
            f"{abs(self.longitude_deg):.4f}° {east_west}, {self.altitude_m:g} m"
        )
        label = f"{self.name} ({where})" if self.name else where
        horizon = f"minimum elevation {self.min_elevation_deg:g}°"
        if self.horizon_mask:
            count = len(self.horizon_mask)
            horizon += f", horizon mask of {count} point{'' if count == 1 else 's'}"
        return f"{label}, {horizon}"


_MASK_HINT: Final = (
    "give the horizon mask as (azimuth, elevation) points in degrees, azimuths from 0 "
    "(north) to below 360 in increasing order, each azimuth once, e.g. 0:5,90:12,180:3,270:8"
)


def _checked_mask(points: object) -> tuple[tuple[float, float], ...]:
    if isinstance(points, str | bytes) or not isinstance(points, Sequence):
        raise StationError(
            "horizon mask",
            f"{points!r} is not a sequence of points (text goes through parse_horizon_mask)",
            _MASK_HINT,
        )
    checked: list[tuple[float, float]] = []
    for number, point in enumerate(points, 1):
        field = f"horizon mask point {number}"
        if isinstance(point, str | bytes) or not isinstance(point, Sequence) or len(point) != 2:
            raise StationError(field, f"{point!r} is not an (azimuth, elevation) pair", _MASK_HINT)
        azimuth, elevation = point
        _check_range(f"{field} azimuth", azimuth, 0.0, 360.0, "°", _MASK_HINT)
        if azimuth == 360.0:
            raise StationError(f"{field} azimuth", "360° is north again: give it as 0°", _MASK_HINT)
        _check_range(
            f"{field} elevation", elevation, MIN_ELEVATION_DEG, MAX_ELEVATION_DEG, "°",
            "give the elevation the horizon reaches at that azimuth, in degrees",
        )  # fmt: skip
        if checked and azimuth <= checked[-1][0]:
            same = "repeats" if azimuth == checked[-1][0] else "is smaller than"
            raise StationError(
                f"{field} azimuth",
                f"{azimuth:g}° {same} point {number - 1}'s {checked[-1][0]:g}°: a horizon "
                "mask gives one elevation for each azimuth",
                _MASK_HINT,
            )
        checked.append((float(azimuth), float(elevation)))
    return tuple(checked)


def interpolate_mask(mask: Sequence[tuple[float, float]], azimuth_deg: float) -> float:
    """The mask's elevation at an azimuth: linear between points, around the circle."""
    azimuth = azimuth_deg % 360.0
    azimuths = [point[0] for point in mask]
    after = bisect.bisect_right(azimuths, azimuth)
    low_az, low_el = mask[after - 1] if after > 0 else (mask[-1][0] - 360.0, mask[-1][1])
    high_az, high_el = mask[after] if after < len(mask) else (mask[0][0] + 360.0, mask[0][1])
    if high_az == low_az:  # a single point: the same elevation everywhere
        return low_el
    return low_el + (high_el - low_el) * (azimuth - low_az) / (high_az - low_az)


def parse_horizon_mask(text: str) -> tuple[tuple[float, float], ...]:
    """``"0:5,90:12,180:3"`` (azimuth:elevation, comma separated) as points; checks only
    the syntax: :class:`Station` checks the values."""
    points: list[tuple[float, float]] = []
    for number, item in enumerate(text.split(","), 1):
        parts = item.strip().split(":")
        try:
            if len(parts) != 2:
                raise ValueError(item)
            points.append((float(parts[0]), float(parts[1])))
        except ValueError:
            raise StationError(
                f"horizon mask point {number}",
                f"{item.strip()!r} is not azimuth:elevation (two numbers and a colon)",
                _MASK_HINT,
            ) from None
    return tuple(points)
