"""Positions from element sets: SGP4, then Earth-fixed WGS-84 longitude, latitude, altitude.

Two propagators stand behind one interface, :class:`Propagator`:

- :class:`PyorbitalPropagator` (pyorbital) for one satellite with a near-Earth TLE;
- :class:`Sgp4Propagator` (python-sgp4, Vallado's C++ SGP4) for anything else: deep-space
  orbits (period of 225 minutes and more), perigees under 220 km, OMM element sets, and
  many satellites at once, which it propagates in one compiled loop (``SatrecArray``).

:func:`propagator_for` picks one. Both return :class:`Positions`: arrays with one row per
satellite and one column per time. A satellite SGP4 cannot propagate at a time (it has
decayed, its elements went out of range) gets NaN there and an SGP4 error code, and is
reported by :meth:`Positions.failures` as a :class:`PropagationError`; the other satellites
and times are unaffected.

Longitude and latitude are geodetic on WGS-84. TEME is turned to Earth-fixed coordinates by
Greenwich mean sidereal time (IAU 1982, as SGP4 and skyfield's TEME frame define it) taken
from UTC; UT1 - UTC (under 0.9 s, about 0.4 km of ground track at most) and polar motion
(about 10 m) are left out, as neither is known without downloaded Earth orientation data.
Speed is the magnitude of the inertial (TEME) velocity, as satellite trackers show it.

:meth:`Sgp4Propagator.earth_fixed_at` gives the Earth-fixed position and velocity vectors
themselves (:class:`EarthFixedStates`), for look angles from a ground station
(:mod:`satfeed_core.passes`); :func:`teme_to_earth_fixed` is the one rotation both use.

Needs the ``propagation`` extra: ``satfeed-core[propagation]``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal, Protocol, TypeAlias

import numpy as np
from numpy.typing import NDArray
from sgp4.api import SatrecArray

from satfeed_core.elements import EARTH_RADIUS_KM, Elements
from satfeed_core.usability import (
    NON_FINITE,
    OUTSIDE_ENVELOPE,
    PROBLEMS,
    WGS84_A_KM,
    WGS84_E2,
    WGS84_F,
    radius_bounds_km,
    sgp4_model,
)

Times: TypeAlias = datetime | Sequence[datetime] | NDArray[np.datetime64]
"""Aware datetimes, or numpy datetime64 values (which are taken to be UTC)."""

FloatArray: TypeAlias = NDArray[np.float64]

# WGS-84, the ellipsoid maps and GPS use.
_WGS84_B_KM: Final = WGS84_A_KM * (1.0 - WGS84_F)

_MICROSECONDS_PER_DAY: Final = 86_400_000_000
_JD_UNIX_EPOCH: Final = 2440587.5
_JD_J2000: Final = 2451545.0
_GMST_SECONDS_PER_CENTURY: Final = 8640184.812866
EARTH_ROTATION_RAD_S: Final = (
    2.0 * math.pi / 86400.0 * (1.0 + _GMST_SECONDS_PER_CENTURY / (86400.0 * 36525.0))
)
"""The Earth's rotation rate as the sidereal time below advances (its rate's change over a
century, 1e-11 of it, is left out)."""

# What an SGP4 error code means for whoever looks after the satellite.
_OUT_OF_RANGE: Final = "the elements are out of range, or too old to describe an orbit"
_ADVICE: Final = {
    # Code 1 comes mostly from the drag term pushing the eccentricity below zero.
    1: "drag has pushed the mean eccentricity out of range: the satellite is re-entering, "
    "or the elements are too old or wrong",
    3: "drag has worn the orbit down past what SGP4 models: the elements are too old",
    6: "the satellite has decayed (re-entered) by then",
    NON_FINITE: "the elements are out of the range SGP4 can compute with",
    OUTSIDE_ENVELOPE: "the elements are too old, or wrong, to describe where the object is",
}


class PropagationError(Exception):
    """SGP4 could not give a satellite's position at a time; names the satellite and why."""

    def __init__(self, elements: Elements, when: datetime, code: int) -> None:
        self.elements = elements
        self.when = when
        self.code = code
        label = f"NORAD {elements.norad_id}"
        if elements.name:
            label = f"{elements.name} ({label})"
        age_days = elements.age_at(when) / timedelta(days=1)
        super().__init__(
            f"{label} has no position at {when.isoformat()}: "
            f"{PROBLEMS.get(code, f'sgp4 error {code}')}. That means "
            f"{_ADVICE.get(code, _OUT_OF_RANGE)}; the element set's "
            f"epoch is {elements.epoch.isoformat()} ({age_days:+.1f} days): "
            f"use a newer element set, or stop tracking the object if it has re-entered."
        )


@dataclass(frozen=True, slots=True)
class Position:
    """Where one satellite is at one time."""

    time: datetime
    lon_deg: float
    """Geodetic longitude, -180 (inclusive) to 180 (exclusive)."""
    lat_deg: float
    """Geodetic latitude on WGS-84, -90 to 90."""
    alt_km: float
    """Height above the WGS-84 ellipsoid."""
    speed_km_s: float
    """Magnitude of the inertial velocity."""


@dataclass(frozen=True, eq=False)
class Positions:
    """Positions of satellites (rows, in ``elements`` order) at times (columns).

    Where no plausible position could be computed, the values are NaN and ``error_code``
    holds why: SGP4's error (1..6), or :data:`~satfeed_core.usability.NON_FINITE` or
    :data:`~satfeed_core.usability.OUTSIDE_ENVELOPE` for a position SGP4 gave without
    complaint that is not a number or lies outside the orbit's envelope (see
    :mod:`satfeed_core.usability`); elsewhere ``error_code`` is 0.
    """

    elements: tuple[Elements, ...]
    times: NDArray[np.datetime64]
    """``datetime64[us]``, UTC."""
    lon_deg: FloatArray
    lat_deg: FloatArray
    alt_km: FloatArray
    speed_km_s: FloatArray
    error_code: NDArray[np.uint8]

    def position(self, satellite: int = 0, time: int = 0) -> Position:
        """One satellite at one time; raises :class:`PropagationError` if SGP4 failed there."""
        when = _to_datetime(self.times[time])
        code = int(self.error_code[satellite, time])
        if code:
            raise PropagationError(self.elements[satellite], when, code)
        return Position(
            time=when,
            lon_deg=float(self.lon_deg[satellite, time]),
            lat_deg=float(self.lat_deg[satellite, time]),
            alt_km=float(self.alt_km[satellite, time]),
            speed_km_s=float(self.speed_km_s[satellite, time]),
        )

    def failures(self) -> list[PropagationError]:
        """One error for each satellite that failed at some time, for its first failed time."""
        return _failures(self.elements, self.times, self.error_code)


@dataclass(frozen=True, eq=False)
class EarthFixedStates:
    """Earth-fixed positions and velocities of satellites (rows) at times (columns).

    The frame is the pseudo Earth-fixed one that SGP4's TEME becomes when turned by Greenwich
    mean sidereal time (ITRS without polar motion, see the module's docstring); the velocity
    is relative to the rotating Earth, so a ground station's range rate is
    ``(r - station) . v / |r - station|``. Failed entries are NaN with ``error_code`` as in
    :class:`Positions`.
    """

    elements: tuple[Elements, ...]
    times: NDArray[np.datetime64]
    """``datetime64[us]``, UTC."""
    r_km: FloatArray
    """Shape (satellites, times, 3)."""
    v_km_s: FloatArray
    """Shape (satellites, times, 3)."""
    error_code: NDArray[np.uint8]

    def failures(self) -> list[PropagationError]:
        """One error for each satellite that failed at some time, for its first failed time."""
        return _failures(self.elements, self.times, self.error_code)


class Propagator(Protocol):
    """Turns the element sets it was made with into positions at any times."""

    @property
    def elements(self) -> tuple[Elements, ...]: ...

    def positions_at(self, times: Times) -> Positions: ...


class Sgp4Propagator:
    """Vallado's SGP4 (python-sgp4) for any number of satellites, all in one compiled loop."""

    def __init__(self, elements: Elements | Sequence[Elements]) -> None:
        self._elements = (elements,) if isinstance(elements, Elements) else tuple(elements)
        self._satellites = SatrecArray([sgp4_model(each) for each in self._elements])
        self._radius_bounds = _radius_bounds(self._elements)

    @property
    def elements(self) -> tuple[Elements, ...]:
        return self._elements

    def positions_at(self, times: Times) -> Positions:
        utc = _as_utc_array(times)
        jd, fraction = _julian_dates(utc)
        error_code, r_teme, v_teme = self._satellites.sgp4(jd, fraction)
        return _positions(
            self._elements, utc, r_teme, v_teme, error_code.astype(np.uint8), self._radius_bounds
        )

    def earth_fixed_at(self, times: Times) -> EarthFixedStates:
        """Earth-fixed position and velocity vectors, with the same plausibility check."""
        utc = _as_utc_array(times)
        jd, fraction = _julian_dates(utc)
        sgp4_error_code, r_teme, v_teme = self._satellites.sgp4(jd, fraction)
        with np.errstate(invalid="ignore", over="ignore"):
            error_code = _implausible(
                sgp4_error_code.astype(np.uint8),
                np.einsum("...i,...i->...", r_teme, r_teme),
                np.einsum("...i,...i->...", v_teme, v_teme),
                self._radius_bounds,
            )
            r_km, v_km_s = _rotate_to_earth_fixed(_gmst_rad(jd, fraction), r_teme, v_teme)
        failed = (error_code != 0)[..., np.newaxis]
        return EarthFixedStates(
            elements=self._elements,
            times=utc,
            r_km=np.where(failed, np.nan, r_km),
            v_km_s=np.where(failed, np.nan, v_km_s),
            error_code=error_code,
        )


class PyorbitalUnsupportedError(ValueError):
    """pyorbital cannot model this element set; :class:`Sgp4Propagator` can."""


class PyorbitalPropagator:
    """pyorbital's SGP4 for one satellite with a near-Earth TLE.

    pyorbital fails a whole call when any one time fails (and cannot say why), and does not
    stop at the ground; for such a call the answer comes from :class:`Sgp4Propagator`,
    which gives each time its own SGP4 error code.
    """

    def __init__(self, elements: Elements) -> None:
        # Imported here: pyorbital pulls in scipy (about 55 MB resident), which a process
        # that only ever uses the sgp4 path should not pay for.
        from pyorbital.orbital import Orbital, OrbitalError

        if elements.tle_lines is None:
            raise PyorbitalUnsupportedError(f"{elements.name!r}: pyorbital reads no OMM")
        line1, line2 = elements.tle_lines
        try:
            self._orbital = Orbital(elements.name or "satellite", line1=line1, line2=line2)
            # pyorbital turns down perigees under 220 km only when asked for a position.
            self._orbital.get_position(_as_utc_array(elements.epoch), normalize=False)
        except (NotImplementedError, OrbitalError, ValueError) as exc:
            # Deep-space orbits, low perigees and elements at the edge of their ranges.
            raise PyorbitalUnsupportedError(f"{elements.name!r}: {exc}") from exc
        self._elements = (elements,)
        self._radius_bounds = _radius_bounds(self._elements)
        self._sgp4 = Sgp4Propagator(elements)

    @property
    def elements(self) -> tuple[Elements, ...]:
        return self._elements

    def positions_at(self, times: Times) -> Positions:
        utc = _as_utc_array(times)
        try:
            r_by_axis, v_by_axis = self._orbital.get_position(utc, normalize=False)
        except Exception:  # pyorbital raises bare Exceptions ("Satellite crashed", "e**2 >= 1")
            return self._sgp4.positions_at(utc)
        r_teme = np.asarray(r_by_axis, dtype=np.float64).T[np.newaxis]
        v_teme = np.asarray(v_by_axis, dtype=np.float64).T[np.newaxis]
        radius = np.linalg.norm(r_teme, axis=-1)
        # Below the ground or not a number: sgp4 tells which time failed, and why.
        if not np.all(np.isfinite(radius) & (radius >= EARTH_RADIUS_KM)):
            return self._sgp4.positions_at(utc)
        no_errors = np.zeros(r_teme.shape[:2], dtype=np.uint8)
        return _positions(self._elements, utc, r_teme, v_teme, no_errors, self._radius_bounds)


Engine: TypeAlias = Literal["auto", "sgp4"]
"""``auto``: pyorbital where it can model the satellite, else sgp4; ``sgp4``: sgp4 only."""


def propagator_for(elements: Elements | Sequence[Elements], engine: Engine = "auto") -> Propagator:
    """pyorbital for a single satellite it can model (unless ``engine`` says sgp4), else sgp4."""
    if engine == "auto" and isinstance(elements, Elements):
        try:
            return PyorbitalPropagator(elements)
        except PyorbitalUnsupportedError:
            pass
    return Sgp4Propagator(elements)


def position_at(elements: Elements, when: datetime) -> Position:
    """One satellite at one time; raises :class:`PropagationError` if SGP4 fails there."""
    return propagator_for(elements).positions_at(when).position()


def _as_utc_array(times: Times) -> NDArray[np.datetime64]:
    """Times as a 1-D ``datetime64[us]`` array in UTC."""
    if isinstance(times, np.ndarray):
        return np.atleast_1d(times.astype("datetime64[us]")).ravel()
    many = [times] if isinstance(times, datetime) else list(times)
    for when in many:
        if when.tzinfo is None:
            raise ValueError(f"{when.isoformat()} has no time zone: give aware datetimes")
    naive_utc = [when.astimezone(UTC).replace(tzinfo=None) for when in many]
    return np.array(naive_utc, dtype="datetime64[us]")


def _failures(
    elements: tuple[Elements, ...], times: NDArray[np.datetime64], error_code: NDArray[np.uint8]
) -> list[PropagationError]:
    failed_rows = np.flatnonzero(error_code.any(axis=1))
    first_failed_times = error_code[failed_rows].argmax(axis=1)
    return [
        PropagationError(elements[row], _to_datetime(times[column]), int(error_code[row, column]))
        for row, column in zip(failed_rows, first_failed_times, strict=True)
    ]


def _to_datetime(utc: np.datetime64) -> datetime:
    microseconds = int(utc.astype("datetime64[us]").astype(np.int64))
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=microseconds)


def _julian_dates(utc: NDArray[np.datetime64]) -> tuple[FloatArray, FloatArray]:
    """Julian dates split into whole days (at 0h UTC) and the fraction, as SGP4 wants them."""
    days, microseconds = np.divmod(utc.astype(np.int64), _MICROSECONDS_PER_DAY)
    return days + _JD_UNIX_EPOCH, microseconds / _MICROSECONDS_PER_DAY


def _gmst_rad(jd: FloatArray, fraction: FloatArray) -> FloatArray:
    """Greenwich mean sidereal time, IAU 1982 (AIAA 2006-6753 appendix C), UT1 taken as UTC.

    The whole-day and fraction parts are kept apart so the angle keeps its precision.
    """
    centuries = (jd - _JD_J2000 + fraction) / 36525.0
    seconds = (
        67310.54841
        + (_GMST_SECONDS_PER_CENTURY + (0.093104 - 6.2e-6 * centuries) * centuries) * centuries
    )
    turns = (jd % 1.0 + fraction + (seconds / 86400.0) % 1.0) % 1.0
    return np.asarray(turns * (2.0 * math.pi), dtype=np.float64)


def teme_to_earth_fixed(
    r_teme: FloatArray, times: Times, v_teme: FloatArray | None = None
) -> tuple[FloatArray, FloatArray]:
    """TEME vectors turned Earth-fixed by Greenwich mean sidereal time (UT1 taken as UTC).

    ``r_teme`` (and ``v_teme``) have shape (..., times, 3). A velocity becomes relative to
    the rotating Earth (``v - omega x r``); without ``v_teme`` the second array is zeros.
    The same rotation gives :class:`Positions`' longitude (there as an angle: the TEME right
    ascension less the sidereal time).
    """
    return _rotate_to_earth_fixed(_gmst_rad(*_julian_dates(_as_utc_array(times))), r_teme, v_teme)


def _rotate_to_earth_fixed(
    theta: FloatArray, r_teme: FloatArray, v_teme: FloatArray | None
) -> tuple[FloatArray, FloatArray]:
    cos_t, sin_t = np.cos(theta), np.sin(theta)
    x, y = r_teme[..., 0], r_teme[..., 1]
    x_ef = cos_t * x + sin_t * y
    y_ef = cos_t * y - sin_t * x
    r_ef = np.stack([x_ef, y_ef, r_teme[..., 2]], axis=-1)
    if v_teme is None:
        return r_ef, np.zeros_like(r_ef)
    vx, vy = v_teme[..., 0], v_teme[..., 1]
    v_ef = np.stack(
        [
            cos_t * vx + sin_t * vy + EARTH_ROTATION_RAD_S * y_ef,
            cos_t * vy - sin_t * vx - EARTH_ROTATION_RAD_S * x_ef,
            v_teme[..., 2],
        ],
        axis=-1,
    )
    return r_ef, v_ef


def _geodetic_lat_alt(p: FloatArray, z: FloatArray) -> tuple[FloatArray, FloatArray]:
    """WGS-84 geodetic latitude (rad) and height (km) from the distance from the axis and z.

    Heikkinen's closed form (Zhu 1993): exact, and one pass with no iteration, so it runs at
    numpy speed on whole arrays.
    """
    a, b, e2 = WGS84_A_KM, _WGS84_B_KM, WGS84_E2
    z2 = z * z
    f = 54.0 * b * b * z2
    g = p * p + (1.0 - e2) * z2 - e2 * (a * a - b * b)
    c = e2 * e2 * f * p * p / (g * g * g)
    s = np.cbrt(1.0 + c + np.sqrt(c * c + 2.0 * c))
    k = s + 1.0 + 1.0 / s
    big_p = f / (3.0 * k * k * g * g)
    q = np.sqrt(1.0 + 2.0 * e2 * e2 * big_p)
    r0 = -big_p * e2 * p / (1.0 + q) + np.sqrt(
        0.5 * a * a * (1.0 + 1.0 / q)
        - big_p * (1.0 - e2) * z2 / (q * (1.0 + q))
        - 0.5 * big_p * p * p
    )
    p_minus = p - e2 * r0
    u = np.sqrt(p_minus * p_minus + z2)
    v = np.sqrt(p_minus * p_minus + (1.0 - e2) * z2)
    z0 = b * b * z / (a * v)
    height = u * (1.0 - b * b / (a * v))
    latitude = np.arctan2(z + (e2 / (1.0 - e2)) * z0, p)
    return latitude, height


def _radius_bounds(elements: Sequence[Elements]) -> FloatArray:
    """Each satellite's plausible distances from the Earth's centre: shape (satellites, 2)."""
    return np.array([radius_bounds_km(each) for each in elements], dtype=np.float64).reshape(-1, 2)


def _implausible(
    sgp4_error_code: NDArray[np.uint8],
    radius_squared: FloatArray,
    speed_squared: FloatArray,
    radius_bounds: FloatArray,
) -> NDArray[np.uint8]:
    """SGP4's error codes, plus a code of our own where SGP4 gave an implausible answer.

    Works on squared distances: comparing them with squared bounds spares a square root
    over the whole array.
    """
    finite = np.isfinite(radius_squared) & np.isfinite(speed_squared)
    squared_bounds = radius_bounds * radius_bounds
    inside = (radius_squared >= squared_bounds[:, :1]) & (radius_squared <= squared_bounds[:, 1:])
    codes = np.where(inside, sgp4_error_code, OUTSIDE_ENVELOPE)
    codes = np.where(finite, codes, NON_FINITE)
    return np.where(sgp4_error_code != 0, sgp4_error_code, codes).astype(np.uint8)


def _positions(
    elements: tuple[Elements, ...],
    utc: NDArray[np.datetime64],
    r_teme: FloatArray,
    v_teme: FloatArray,
    sgp4_error_code: NDArray[np.uint8],
    radius_bounds: FloatArray,
) -> Positions:
    """Geodetic positions from TEME states of shape (satellites, times, 3).

    Positions that are not plausible (see :mod:`satfeed_core.usability`) become NaN with
    a failure code, as SGP4's own failures do.
    """
    # Failed states may hold overflowed or NaN values; they are masked with NaN below, so
    # numpy's warnings about them would only alarm whoever reads the log.
    with np.errstate(invalid="ignore", over="ignore"):
        speed_squared = np.einsum("...i,...i->...", v_teme, v_teme)
        error_code = _implausible(
            sgp4_error_code, np.einsum("...i,...i->...", r_teme, r_teme), speed_squared,
            radius_bounds,
        )  # fmt: skip
        failed = error_code != 0
        x, y, z = r_teme[..., 0], r_teme[..., 1], r_teme[..., 2]
        jd, fraction = _julian_dates(utc)
        # Only the longitude depends on Earth's rotation: latitude and height need only the
        # distance from the axis and z, which the rotation about z leaves alone.
        longitude = (np.arctan2(y, x) - _gmst_rad(jd, fraction) + math.pi) % (
            2.0 * math.pi
        ) - math.pi
        latitude, height = _geodetic_lat_alt(np.hypot(x, y), z)
        speed = np.sqrt(speed_squared)
    return Positions(
        elements=elements,
        times=utc,
        lon_deg=np.where(failed, np.nan, np.degrees(longitude)),
        lat_deg=np.where(failed, np.nan, np.degrees(latitude)),
        alt_km=np.where(failed, np.nan, height),
        speed_km_s=np.where(failed, np.nan, speed),
        error_code=error_code,
    )
