"""Where the Sun is, and whether a satellite is in the Earth's shadow (low precision).

The Sun's position is the Astronomical Almanac's low-precision formula (also Vallado,
*Fundamentals of Astrodynamics and Applications*, algorithm 29): mean longitude and mean
anomaly linear in time, the equation of centre to second order, the obliquity of the
ecliptic; good to 0.01° from 1950 to 2050. It is given on the equator and equinox of date,
which SGP4's TEME frame matches to within the equation of the equinoxes (at most 1.2", far
below the model's own error), so it is used as a TEME vector. UT1 is taken as UTC and TT
as UTC: the 69 s between them move the Sun by 0.003°.

A satellite is **sunlit** when the line from it to the Sun's centre passes outside a
spherical Earth of the WGS-84 equatorial radius, as skyfield's ``is_sunlit`` judges it. The
penumbra (the Sun is half a degree wide) is not modelled: a low satellite crosses it in a
few seconds (longer where its path meets the shadow's edge obliquely), during which the
flag says sunlit while part of the Sun is already hidden.

Needs numpy: the ``propagation`` extra.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import NDArray

from satfeed_core.usability import WGS84_A_KM

AU_KM: Final = 149_597_870.7
SHADOW_RADIUS_KM: Final = WGS84_A_KM

_J2000: Final = np.datetime64("2000-01-01T12:00:00", "us")
_MICROSECONDS_PER_DAY: Final = 86_400_000_000


def sun_position_km(times: NDArray[np.datetime64]) -> NDArray[np.float64]:
    """The Sun's geocentric position at UTC times, shape (times, 3), equator of date (TEME)."""
    days = (times.astype("datetime64[us]") - _J2000).astype(np.int64) / _MICROSECONDS_PER_DAY
    mean_longitude = np.radians((280.460 + 0.9856474 * days) % 360.0)
    mean_anomaly = np.radians((357.528 + 0.9856003 * days) % 360.0)
    longitude = (
        mean_longitude
        + math.radians(1.915) * np.sin(mean_anomaly)
        + math.radians(0.020) * np.sin(2.0 * mean_anomaly)
    )
    obliquity = np.radians(23.439 - 0.0000004 * days)
    distance_km = AU_KM * (
        1.00014 - 0.01671 * np.cos(mean_anomaly) - 0.00014 * np.cos(2.0 * mean_anomaly)
    )
    cos_longitude, sin_longitude = np.cos(longitude), np.sin(longitude)
    return np.stack(
        [
            distance_km * cos_longitude,
            distance_km * np.cos(obliquity) * sin_longitude,
            distance_km * np.sin(obliquity) * sin_longitude,
        ],
        axis=-1,
    )


def sunlit(r_km: NDArray[np.float64], sun_km: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Whether the Sun's centre is in view from satellites at ``r_km`` (same frame as
    ``sun_km``, shapes broadcasting to (..., 3)): the segment from the satellite to the Sun
    misses the Earth's sphere. NaN positions give False."""
    to_sun = sun_km - r_km
    along = np.einsum("...i,...i->...", r_km, to_sun)
    to_sun_squared = np.einsum("...i,...i->...", to_sun, to_sun)
    radius_squared = np.einsum("...i,...i->...", r_km, r_km)
    with np.errstate(invalid="ignore"):
        # Closest approach of the line to the Earth's centre lies between the satellite and
        # the Sun only when the satellite looks towards the Earth (along < 0).
        closest_squared = radius_squared - along * along / to_sun_squared
        shadow = (along < 0.0) & (closest_squared < SHADOW_RADIUS_KM * SHADOW_RADIUS_KM)
        return np.asarray(~shadow & np.isfinite(radius_squared), dtype=np.bool_)
