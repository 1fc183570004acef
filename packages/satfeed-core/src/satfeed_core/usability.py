"""Whether an element set can be used: it propagates, to plausible positions, and how old it is.

Parsing proves an element set well formed, not that it flies: a drag term large enough to
overflow SGP4, an object that re-entered years after its last elements, or an orbit SGP4
carries to a nonsensical place (hundreds of thousands of kilometres from an orbit whose
apogee is 250 km) all parse. Every part of satfeed applies the same test, defined here:

- a position is **plausible** when SGP4 gives it without error, every value is finite, and
  its distance from the Earth's centre lies inside the orbit's own envelope: between perigee
  and apogee of the mean elements, widened by :data:`ENVELOPE_MARGIN_FRACTION` of the
  semi-major axis plus :data:`ENVELOPE_MARGIN_KM` (short-period and lunisolar terms move the
  real orbit off the mean one), and never below the Earth's surface;
- an element set is **usable** at a time when its positions are plausible then and over the
  orbit that follows; a usable set older than a threshold (14 days by default) is **stale**.

Pure Python with python-sgp4's scalar ``Satrec``: the operator judges elements with it
without numpy; :mod:`satfeed_core.propagation` applies the same envelope to whole arrays.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sgp4.api import SGP4_ERRORS, WGS72, Satrec

from satfeed_core.contract import DEFAULT_ELEMENTS_STALE_AFTER
from satfeed_core.elements import EARTH_RADIUS_KM, Elements

ENVELOPE_MARGIN_FRACTION: Final = 0.1
ENVELOPE_MARGIN_KM: Final = 50.0
ORBIT_SAMPLES: Final = 16
"""Times tried over the orbit after the time of use (plus the time itself)."""

# WGS-84, the ellipsoid positions are given on (satfeed_core.propagation converts to it).
WGS84_A_KM: Final = 6378.137
WGS84_F: Final = 1.0 / 298.257223563
WGS84_E2: Final = WGS84_F * (2.0 - WGS84_F)
MOON_DISTANCE_KM: Final = 384_400.0
"""Without elements to judge by, no Earth orbit a tracker shows lies farther out."""

# Codes past SGP4's own 1..6, for positions SGP4 returned without complaint.
NON_FINITE: Final = 7
OUTSIDE_ENVELOPE: Final = 8
PROBLEMS: Final = {
    **{code: f"sgp4 error {code}, {text}" for code, text in SGP4_ERRORS.items()},
    NON_FINITE: "the computed position is not a finite number (the elements overflow SGP4)",
    OUTSIDE_ENVELOPE: "the computed position lies outside the orbit the elements describe",
}
"""What each failure code means, for messages."""
DECAY_CODES: Final = frozenset({1, 3, 6})
"""SGP4 failures that come from drag wearing the orbit down: the object re-entered, or its
elements are too old to follow it."""

# sgp4init counts its epoch in days from 1949 December 31 00:00 UT.
_SGP4_EPOCH_ORIGIN: Final = datetime(1949, 12, 31, tzinfo=UTC)
_UNIX_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_JD_UNIX_EPOCH: Final = 2440587.5
_DEGREE: Final = math.pi / 180.0
_MINUTES_PER_DAY: Final = 1440.0
_TLE_MEAN_MOTION_UNIT: Final = _MINUTES_PER_DAY / (2.0 * math.pi)  # rev/day per rad/min


def sgp4_model(elements: Elements) -> Satrec:
    """An SGP4 model of the elements, set up as ``Satrec.twoline2rv`` would from a TLE."""
    satrec = Satrec()
    epoch_days = (elements.epoch - _SGP4_EPOCH_ORIGIN) / timedelta(days=1)
    satrec.sgp4init(
        WGS72,
        "i",
        0,  # the catalogue number is not used to propagate, and sgp4init stops at 339999
        epoch_days,
        elements.bstar_per_earth_radius,
        elements.mean_motion_dot / (_TLE_MEAN_MOTION_UNIT * _MINUTES_PER_DAY),
        elements.mean_motion_ddot / (_TLE_MEAN_MOTION_UNIT * _MINUTES_PER_DAY**2),
        elements.eccentricity,
        elements.arg_of_perigee_deg * _DEGREE,
        elements.inclination_deg * _DEGREE,
        elements.mean_anomaly_deg * _DEGREE,
        elements.mean_motion_rev_per_day / _TLE_MEAN_MOTION_UNIT,
        elements.raan_deg * _DEGREE,
    )
    return satrec


def radius_bounds_km(elements: Elements) -> tuple[float, float]:
    """Nearest and farthest plausible distance from the Earth's centre, km."""
    a = elements.semi_major_axis_km
    margin = ENVELOPE_MARGIN_FRACTION * a + ENVELOPE_MARGIN_KM
    low = max(a * (1.0 - elements.eccentricity) - margin, EARTH_RADIUS_KM)
    return low, a * (1.0 + elements.eccentricity) + margin


def geodetic_radius_km(lat_deg: float, alt_km: float) -> float:
    """Distance from the Earth's centre of a point at a WGS-84 latitude and height."""
    sin_lat = math.sin(math.radians(lat_deg))
    cos_lat = math.cos(math.radians(lat_deg))
    normal = WGS84_A_KM / math.sqrt(1.0 - WGS84_E2 * sin_lat * sin_lat)
    return math.hypot((normal + alt_km) * cos_lat, (normal * (1.0 - WGS84_E2) + alt_km) * sin_lat)


def plausible_position(elements: Elements | None, lat_deg: float, alt_km: float) -> bool:
    """Whether a published position could be real: inside the envelope of the object's
    elements when they are known, else above the ground and nearer than the Moon.

    For readers of records (the frontend), which may come from writers that did not check.
    """
    if not (math.isfinite(lat_deg) and math.isfinite(alt_km)):
        return False
    radius = geodetic_radius_km(lat_deg, alt_km)
    if elements is None:
        return alt_km >= 0.0 and radius <= MOON_DISTANCE_KM
    low, high = radius_bounds_km(elements)
    return low <= radius <= high


class State(enum.Enum):
    USABLE = "usable"
    STALE = "stale"
    """Usable, but older than the threshold."""
    UNUSABLE = "unusable"


@dataclass(frozen=True)
class Verdict:
    """What :func:`assess` found; ``reason`` is a CamelCase word for conditions and metrics."""

    state: State
    reason: str
    """``Usable``, ``ElementsStale``, ``ElementsDecayed`` or ``ElementsUnusable``."""
    message: str
    """For the Satellite's owner: what was found and what to do."""
    age: timedelta
    code: int = 0
    """The failure code (see :data:`PROBLEMS`) when unusable."""

    @property
    def usable(self) -> bool:
        return self.state is not State.UNUSABLE


def failure_code(elements: Elements, satrec: Satrec, when: datetime) -> int:
    """0 if the position at ``when`` is plausible, else the failure code."""
    seconds = (when - _UNIX_EPOCH).total_seconds()
    whole_days, fraction = divmod(seconds / 86400.0, 1.0)
    code, r, _ = satrec.sgp4(_JD_UNIX_EPOCH + whole_days, fraction)
    if code:
        return int(code)
    if not all(math.isfinite(each) for each in r):
        return NON_FINITE
    low, high = radius_bounds_km(elements)
    return 0 if low <= math.hypot(*r) <= high else OUTSIDE_ENVELOPE


def assess(
    elements: Elements,
    when: datetime,
    stale_after: timedelta = DEFAULT_ELEMENTS_STALE_AFTER,
) -> Verdict:
    """Whether ``elements`` can be used at ``when`` and over the orbit after it."""
    age = elements.age_at(when)
    label = f"NORAD {elements.norad_id}"
    if elements.name:
        label = f"{elements.name} ({label})"
    epoch = f"epoch {elements.epoch.strftime('%Y-%m-%dT%H:%M:%SZ')}, {_describe_age(age)}"
    satrec = sgp4_model(elements)
    period = timedelta(minutes=elements.period_minutes)
    for step in range(ORBIT_SAMPLES + 1):
        moment = when + period * step / ORBIT_SAMPLES
        code = failure_code(elements, satrec, moment)
        if code:
            decayed = code in DECAY_CODES
            fix = (
                "the object has re-entered, or the elements are too old to follow it: use "
                "a fresh element set from its source, or stop tracking it"
                if decayed
                else "use a fresh element set from its source; if it is fresh, the source "
                "publishes elements SGP4 cannot use for this object"
            )
            when_text = "now" if step == 0 else f"{moment - when} later"
            return Verdict(
                State.UNUSABLE,
                "ElementsDecayed" if decayed else "ElementsUnusable",
                f"{label} cannot be propagated ({when_text}): {PROBLEMS[code]} ({epoch}); {fix}",
                age,
                code,
            )
    if age > stale_after:
        return Verdict(
            State.STALE,
            "ElementsStale",
            f"{label} has elements older than {stale_after / timedelta(days=1):g} days ({epoch}): "
            "positions drift further from the real ones every day; use a fresh element set",
            age,
        )
    return Verdict(State.USABLE, "Usable", f"{label} propagates ({epoch})", age)


def _describe_age(age: timedelta) -> str:
    days = age / timedelta(days=1)
    if abs(days) >= 1.0:
        return f"{days:.1f} days old" if days >= 0 else f"{-days:.1f} days in the future"
    return f"{age / timedelta(hours=1):.1f} hours old"
