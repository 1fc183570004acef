"""Passes of a satellite over ground stations, and where to point: look angles and Doppler.

For a :class:`~satfeed_core.stations.Station` and an element set,
:func:`predict_passes` finds every pass in a time window: **AOS** (acquisition of signal:
the satellite rises above the station's horizon), **culmination** (its highest elevation,
with the azimuth there) and **LOS** (loss of signal: it sets), with look angles, range,
range rate and whether the satellite is sunlit at each. A satellite that stays above the
horizon (geostationary over the station) or can never come above it is reported as such
(:class:`Visibility`), not as a window without passes. :func:`look_angles` gives azimuth,
elevation, range, range rate and sunlit at any times, and :func:`doppler_shifted_hz` the
frequency a downlink is received at.

Model and frames:

- SGP4 through :meth:`satfeed_core.propagation.Sgp4Propagator.earth_fixed_at`: TEME turned
  Earth-fixed by Greenwich mean sidereal time, UT1 taken as UTC, no polar motion.
- The station is a point on the WGS-84 ellipsoid; azimuth is measured from north through
  east, elevation from the plane normal to the ellipsoid (geodetic horizon). Elevation is
  **geometric: no atmospheric refraction** (which lifts a satellite at the horizon by about
  0.5°, so a real signal comes a little earlier than the AOS given here).
- The horizon is the station's :meth:`~satfeed_core.stations.Station.horizon_deg`: the
  minimum elevation, raised where a horizon mask is higher. AOS and LOS are where the
  satellite's elevation crosses that horizon; with a mask, a satellite that dips behind a
  hill and comes back out makes two passes.
- Range rate is the rate of change of the distance from the station (positive: moving
  away); the received frequency is ``f * (1 - range_rate / c)`` (first order, good to
  about 3e-10 of the frequency, 0.1 Hz at 437 MHz).
- Sunlit: :mod:`satfeed_core.sun` (the Astronomical Almanac's low-precision Sun, a
  spherical Earth's shadow without penumbra).

How passes are found: the elevation is sampled on a grid of :data:`GRID_STEPS_PER_ORBIT`
steps per orbital period (at most :data:`MAX_GRID_STEP_S` apart), for every station at
once. A rise or set between two samples shows as a change of side of the horizon; an
elevation maximum as the elevation rate turning from rising to falling. Each is then
refined by root finding (Illinois regula falsi, with bisection steps so that it always
converges) to :data:`TIME_TOLERANCE_S`. A pass whose highest point lies between two
samples that are both below the horizon (a short, low pass) is still found: every
maximum is refined, and where one is above the horizon its rise and set are searched on
either side. A pass can therefore be missed only if the elevation has a minimum and a
maximum within one grid step of each other. For a low orbit they are about half an orbit
apart (32 steps); for the Molniya-type, quasi-zenith, geosynchronous and XMM-Newton orbits
of ``bench/passes.py`` a grid 16 times finer finds the very same passes. With a horizon
mask, a stretch in view shorter than one step between two masked stretches, without an
elevation maximum in it, can be missed.

Needs the ``propagation`` extra (numpy), like :mod:`satfeed_core.propagation`.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal, TypeAlias

import numpy as np
from numpy.typing import NDArray

from satfeed_core.elements import Elements
from satfeed_core.propagation import PropagationError, Sgp4Propagator, Times, teme_to_earth_fixed
from satfeed_core.stations import Station
from satfeed_core.sun import sun_position_km, sunlit
from satfeed_core.usability import WGS84_A_KM, WGS84_E2, assess

FloatArray: TypeAlias = NDArray[np.float64]
IntArray: TypeAlias = NDArray[np.intp]
BoolArray: TypeAlias = NDArray[np.bool_]

SPEED_OF_LIGHT_KM_S: Final = 299_792.458
SIDEREAL_DAY_S: Final = 86_164.0905
GRID_STEPS_PER_ORBIT: Final = 64
MAX_GRID_STEP_S: Final = 600.0
TIME_TOLERANCE_S: Final = 1e-3
"""How closely AOS, culmination and LOS times are found (the model is good to well under
a second against skyfield; see docs/passes.md)."""
MAX_WINDOW: Final = timedelta(days=31)
"""Elements drift by kilometres a day: predictions further out than this are not worth
making from one element set."""
GEOSYNCHRONOUS_REV_PER_DAY: Final = (0.9, 1.1)
"""Mean motions whose place in the sky repeats about daily."""
NEVER_RISES_MARGIN_DEG: Final = 1.0
"""Slack in the geometric never-rises test, for short-period changes of the inclination and
the ellipsoid's departure from the sphere the test assumes."""
NEVER_RISES_RADIUS_MARGIN: Final = 0.02
NEVER_RISES_RADIUS_MARGIN_KM: Final = 25.0
"""The test takes the satellite as high as its mean apogee and this much more: more than
SGP4's short-period terms and a month of lunisolar change move it."""

_MAX_ITERATIONS: Final = 80
_BISECT_EVERY: Final = 3
_NUDGE_S: Final = 0.4 * TIME_TOLERANCE_S
_DIFFERENCE_S: Final = 0.5
DEEP_SPACE_PERIOD_MINUTES: Final = 225.0
"""SGP4's own switch to its deep-space branch (SDP4)."""
_POLISH_WINDOW_S: Final = 60.0

SunlitState: TypeAlias = Literal["sunlit", "shadow", "partly"]


class PassPredictionError(ValueError):
    """A request that cannot be answered: a bad window, or elements that cannot be used."""

    def __init__(self, problem: str, hint: str) -> None:
        self.problem = problem
        self.hint = hint
        super().__init__(f"{problem}\n{hint}" if hint else problem)


class Visibility(enum.Enum):
    RISES_AND_SETS = "rises-and-sets"
    """Comes above the horizon and goes below it (``passes`` may still be empty when no
    pass falls in the window)."""
    NEVER_RISES = "never-rises"
    """Cannot come above the station's horizon: its orbit does not reach the station's sky,
    or it is geosynchronous and stayed below for a whole sidereal day."""
    NEVER_SETS = "never-sets"
    """Stayed above the horizon for the whole window and at least a sidereal day
    (geostationary over the station)."""


@dataclass(frozen=True, slots=True)
class SkyPoint:
    """Where a satellite is in a station's sky at a time."""

    time: datetime
    azimuth_deg: float
    """From north through east, 0 to 360."""
    elevation_deg: float
    """Geometric, above the geodetic horizon (no refraction)."""
    range_km: float
    range_rate_km_s: float
    """Positive while the distance grows."""
    sunlit: bool

    def doppler_hz(self, downlink_hz: float) -> float:
        """The frequency a downlink sent at ``downlink_hz`` arrives at."""
        return float(doppler_shifted_hz(downlink_hz, self.range_rate_km_s))


@dataclass(frozen=True, slots=True)
class Pass:
    """One pass: from AOS through culmination to LOS.

    ``aos`` is None when the satellite was already up at the window's start, ``los`` when
    it is still up at its end; ``first`` and ``last`` are then the window's edges.
    """

    aos: SkyPoint | None
    culmination: SkyPoint
    """The highest point within the pass (and within the window)."""
    los: SkyPoint | None
    first: SkyPoint
    last: SkyPoint
    sunlit: SunlitState
    """Whether the satellite is sunlit during the pass: at every point tried (AOS,
    culmination, LOS and the samples in between), at none, or at some."""

    @property
    def duration(self) -> timedelta:
        """Time in view within the window."""
        return self.last.time - self.first.time


@dataclass(frozen=True)
class PassPrediction:
    """What :func:`predict_passes` found for one satellite over one station."""

    elements: Elements
    station: Station
    start: datetime
    end: datetime
    visibility: Visibility
    passes: tuple[Pass, ...]
    reason: str
    """Why the satellite never rises or never sets; empty otherwise."""
    at_start: SkyPoint
    sampled_elevation_range_deg: tuple[float, float]
    """Lowest and highest elevation of the grid samples (not refined) over the window."""
    failure: PropagationError | None = None
    """Set when the elements stop propagating inside the window: passes are given up to
    that time only (a pass in view then has no LOS)."""


@dataclass(frozen=True, eq=False)
class LookAngles:
    """A satellite seen from a station at times; NaN (and ``sunlit`` False) where SGP4
    gave no plausible position, with ``error_code`` as in
    :class:`~satfeed_core.propagation.Positions`."""

    times: NDArray[np.datetime64]
    azimuth_deg: FloatArray
    elevation_deg: FloatArray
    range_km: FloatArray
    range_rate_km_s: FloatArray
    sunlit: BoolArray
    error_code: NDArray[np.uint8]

    def doppler_hz(self, downlink_hz: float) -> FloatArray:
        """The frequency a downlink sent at ``downlink_hz`` arrives at, at each time."""
        return np.asarray(doppler_shifted_hz(downlink_hz, self.range_rate_km_s))


def doppler_shifted_hz(downlink_hz: float, range_rate_km_s: float | FloatArray) -> FloatArray:
    """Received frequency for a transmitter moving at ``range_rate_km_s`` (positive: away):
    lower while it recedes, higher while it approaches."""
    return np.asarray(downlink_hz * (1.0 - np.asarray(range_rate_km_s) / SPEED_OF_LIGHT_KM_S))


def look_angles(elements: Elements, station: Station, times: Times) -> LookAngles:
    """Azimuth, elevation, range, range rate and sunlit of a satellite from a station."""
    geometry = _Geometry(elements, [station])
    states = geometry.propagator.earth_fixed_at(times)
    seen = geometry.seen(states.r_km[0], states.v_km_s[0], np.zeros(len(states.times), np.intp))
    return LookAngles(
        times=states.times,
        azimuth_deg=seen.azimuth_deg,
        elevation_deg=seen.elevation_deg,
        range_km=seen.range_km,
        range_rate_km_s=seen.range_rate_km_s,
        sunlit=_sunlit_at(states.r_km[0], states.times),
        error_code=states.error_code[0],
    )


def predict_passes(
    elements: Elements, station: Station, start: datetime, end: datetime
) -> PassPrediction:
    """The passes of one satellite over one station between ``start`` and ``end``."""
    return predict_passes_many(elements, [station], start, end)[0]


def predict_passes_many(
    elements: Elements, stations: Sequence[Station], start: datetime, end: datetime
) -> list[PassPrediction]:
    """The passes of one satellite over each of ``stations`` (one propagation for all).

    Raises :class:`PassPredictionError` for an empty, reversed, naive or too long window,
    and for elements :func:`satfeed_core.usability.assess` finds unusable at ``start``.
    """
    _check_window(start, end)
    verdict = assess(elements, start)
    if not verdict.usable:
        raise PassPredictionError(verdict.message, "")
    if not stations:
        return []
    return _Finder(elements, stations, start, end).predictions()


def _check_window(start: datetime, end: datetime) -> None:
    for name, when in (("start", start), ("end", end)):
        if when.tzinfo is None:
            raise PassPredictionError(
                f"the window's {name} {when.isoformat()} has no time zone",
                "give aware datetimes (UTC, e.g. datetime(..., tzinfo=UTC))",
            )
    if end <= start:
        what = "is empty" if end == start else "is reversed"
        raise PassPredictionError(
            f"the window {what}: it ends at {end.isoformat()}, not after its start "
            f"{start.isoformat()}",
            "give an end after the start (a window of a few hours to a few days)",
        )
    if end - start > MAX_WINDOW:
        raise PassPredictionError(
            f"the window of {(end - start) / timedelta(days=1):g} days is longer than "
            f"{MAX_WINDOW.days} days",
            "element sets drift by kilometres a day: predict a shorter window, and again "
            "from fresh elements later",
        )


# --- geometry ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Seen:
    """Look angles of one satellite at k (time, station) pairs."""

    azimuth_deg: FloatArray
    elevation_deg: FloatArray
    range_km: FloatArray
    range_rate_km_s: FloatArray
    above: FloatArray
    """Elevation less the station's horizon at that azimuth: positive in view."""
    rising: FloatArray
    """Positive while the elevation grows (a multiple of its rate)."""


class _Geometry:
    """One satellite against several stations."""

    def __init__(self, elements: Elements, stations: Sequence[Station]) -> None:
        self.elements = elements
        self.stations = tuple(stations)
        self.propagator = Sgp4Propagator(elements)
        latitude = np.radians([each.latitude_deg for each in stations])
        longitude = np.radians([each.longitude_deg for each in stations])
        height_km = np.array([each.altitude_m for each in stations]) / 1000.0
        sin_lat, cos_lat = np.sin(latitude), np.cos(latitude)
        sin_lon, cos_lon = np.sin(longitude), np.cos(longitude)
        normal = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * sin_lat * sin_lat)
        self.position_km = np.stack(
            [
                (normal + height_km) * cos_lat * cos_lon,
                (normal + height_km) * cos_lat * sin_lon,
                (normal * (1.0 - WGS84_E2) + height_km) * sin_lat,
            ],
            axis=-1,
        )
        zero = np.zeros_like(latitude)
        # Rows east, north, up of each station: shape (stations, 3, 3).
        self.enu = np.stack(
            [
                np.stack([-sin_lon, cos_lon, zero], axis=-1),
                np.stack([-sin_lat * cos_lon, -sin_lat * sin_lon, cos_lat], axis=-1),
                np.stack([cos_lat * cos_lon, cos_lat * sin_lon, sin_lat], axis=-1),
            ],
            axis=1,
        )
        self.min_elevation_deg = np.array([each.min_elevation_deg for each in stations])
        self.masks = [
            (np.array(each.horizon_mask)[:, 0], np.array(each.horizon_mask)[:, 1])
            if each.horizon_mask
            else None
            for each in stations
        ]  # fmt: skip

    def horizon_deg(self, azimuth_deg: FloatArray, station: IntArray) -> FloatArray:
        horizon = self.min_elevation_deg[station]
        for index, mask in enumerate(self.masks):
            if mask is None:
                continue
            rows = station == index
            if rows.any():
                masked = np.interp(azimuth_deg[rows], mask[0], mask[1], period=360.0)
                horizon[rows] = np.maximum(horizon[rows], masked)
        return horizon

    def seen(self, r_km: FloatArray, v_km_s: FloatArray, station: IntArray) -> _Seen:
        """Look angles at k Earth-fixed states (k, 3), each from its station (k,)."""
        enu = self.enu[station]
        relative = r_km - self.position_km[station]
        e, n, u = np.einsum("kij,kj->ik", enu, relative)
        ve, vn, vu = np.einsum("kij,kj->ik", enu, v_km_s)
        horizontal_squared = e * e + n * n
        horizontal = np.sqrt(horizontal_squared)
        range_km = np.sqrt(horizontal_squared + u * u)
        elevation = np.degrees(np.arctan2(u, horizontal))
        azimuth = np.degrees(np.arctan2(e, n)) % 360.0
        return _Seen(
            azimuth_deg=azimuth,
            elevation_deg=elevation,
            range_km=range_km,
            range_rate_km_s=(e * ve + n * vn + u * vu) / range_km,
            above=elevation - self.horizon_deg(azimuth, station),
            # d(elevation)/dt times horizontal * range²: the same sign, and no singularity
            # at the zenith.
            rising=horizontal_squared * vu - u * (e * ve + n * vn),
        )

    def geocentric(self, station: int) -> tuple[float, float]:
        """A station's geocentric latitude (degrees) and distance from the centre (km)."""
        x, y, z = self.position_km[station]
        return math.degrees(math.atan2(z, math.hypot(x, y))), math.sqrt(x * x + y * y + z * z)


def _sunlit_at(r_km: FloatArray, times: NDArray[np.datetime64]) -> BoolArray:
    sun_ef, _ = teme_to_earth_fixed(sun_position_km(times), times)
    return sunlit(r_km, sun_ef)


# --- the search ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Looked:
    """Look angles at the points a prediction reports."""

    seconds: FloatArray
    seen: _Seen
    sunlit: BoolArray
    to_datetime: Callable[[float], datetime]

    def sky(self, index: int) -> SkyPoint:
        return SkyPoint(
            time=self.to_datetime(float(self.seconds[index])),
            azimuth_deg=float(self.seen.azimuth_deg[index]),
            elevation_deg=float(self.seen.elevation_deg[index]),
            range_km=float(self.seen.range_km[index]),
            range_rate_km_s=float(self.seen.range_rate_km_s[index]),
            sunlit=bool(self.sunlit[index]),
        )


@dataclass(frozen=True, eq=False)
class _Grid:
    seconds: FloatArray
    """(T,) from the window's start."""
    r_km: FloatArray
    """(T, 3) Earth-fixed."""
    elevation_deg: FloatArray
    """(stations, T), and so on."""
    above: FloatArray
    rising: FloatArray
    error_code: NDArray[np.uint8]

    def until(self, count: int) -> _Grid:
        """The first ``count`` samples."""
        return _Grid(
            seconds=self.seconds[:count],
            r_km=self.r_km[:count],
            elevation_deg=self.elevation_deg[:, :count],
            above=self.above[:, :count],
            rising=self.rising[:, :count],
            error_code=self.error_code[:count],
        )


class _Finder:
    """Passes of one satellite over several stations in one window."""

    def __init__(
        self, elements: Elements, stations: Sequence[Station], start: datetime, end: datetime
    ) -> None:
        self.geometry = _Geometry(elements, stations)
        self.start = start
        self.end = end
        self.origin = np.datetime64(start.astimezone(UTC).replace(tzinfo=None), "us")
        self.window_s = (end - start) / timedelta(seconds=1)
        period_s = elements.period_minutes * 60.0
        self.step_s = min(period_s / GRID_STEPS_PER_ORBIT, MAX_GRID_STEP_S)
        self._day: _Grid | None = None

    # Times are seconds from the window's start, rounded to whole microseconds.
    def _times(self, seconds: FloatArray) -> NDArray[np.datetime64]:
        return self.origin + np.rint(seconds * 1e6).astype("timedelta64[us]")

    def _datetime(self, seconds: float) -> datetime:
        return self.start + timedelta(microseconds=round(seconds * 1e6))

    def _evaluate(self, seconds: FloatArray, station: IntArray) -> tuple[_Seen, FloatArray]:
        states = self.geometry.propagator.earth_fixed_at(self._times(seconds))
        r_km = states.r_km[0]
        return self.geometry.seen(r_km, states.v_km_s[0], station), r_km

    def _grid(self, first_s: float, last_s: float) -> _Grid:
        """Samples from ``first_s`` to ``last_s``, both included, for every station."""
        seconds = np.append(np.arange(first_s, last_s, self.step_s), last_s)
        states = self.geometry.propagator.earth_fixed_at(self._times(seconds))
        stations = len(self.geometry.stations)
        count = len(seconds)
        r_km = states.r_km[0]
        seen = self.geometry.seen(
            np.tile(r_km, (stations, 1)),
            np.tile(states.v_km_s[0], (stations, 1)),
            np.repeat(np.arange(stations), count),
        )
        return _Grid(
            seconds=seconds,
            r_km=r_km,
            elevation_deg=seen.elevation_deg.reshape(stations, count),
            above=seen.above.reshape(stations, count),
            rising=seen.rising.reshape(stations, count),
            error_code=states.error_code[0],
        )

    def _solve(
        self,
        low: FloatArray,
        high: FloatArray,
        f_low: FloatArray,
        f_high: FloatArray,
        values: Callable[[FloatArray, IntArray], FloatArray],
    ) -> FloatArray:
        """Roots inside brackets whose ends have opposite signs, all refined together;
        ``values(seconds, items)`` gives the function of the bracketed items at times."""
        a, b, fa, fb = low.copy(), high.copy(), f_low.copy(), f_high.copy()
        for iteration in range(_MAX_ITERATIONS):
            open_ = np.flatnonzero(np.abs(b - a) > TIME_TOLERANCE_S)
            if open_.size == 0:
                break
            a_, b_, fa_, fb_ = a[open_], b[open_], fa[open_], fb[open_]
            with np.errstate(divide="ignore", invalid="ignore"):
                c = (a_ * fb_ - b_ * fa_) / (fb_ - fa_)
            left, right = np.minimum(a_, b_), np.maximum(a_, b_)
            inside = (c > left) & (c < right)
            if iteration % _BISECT_EVERY == _BISECT_EVERY - 1:
                inside[:] = False
            # At least a step of _NUDGE from either end: once the root is that close to an
            # end, the next point lands on its other side and the bracket closes.
            c = np.clip(np.where(inside, c, 0.5 * (a_ + b_)), left + _NUDGE_S, right - _NUDGE_S)
            c = np.rint(c * 1e6) / 1e6
            fc = values(c, open_)
            # Illinois: keep the end on the other side of the root from c; when the same
            # end is kept again, halve its value so the next secant moves off it.
            keep_a = np.sign(fc) == np.sign(fb_)
            a[open_] = np.where(keep_a, a_, b_)
            fa[open_] = np.where(keep_a, 0.5 * fa_, fb_)
            b[open_], fb[open_] = c, fc
            exact = open_[fc == 0.0]
            a[exact] = b[exact]
        return 0.5 * (a + b)

    def _maxima(
        self, low: FloatArray, high: FloatArray, f_low: FloatArray, f_high: FloatArray,
        station: IntArray, until_s: float,
    ) -> FloatArray:  # fmt: skip
        """Times of the elevation maxima bracketed by a rising and a falling sample.

        The root of the elevation rate from SGP4's velocity; for a deep-space orbit
        (period of 225 minutes and more) then, on the elevation itself, the root of
        ``elevation(t + h) - elevation(t - h)``. Deep-space SGP4's velocity leaves out the
        rates of its lunisolar terms, so it is not exactly the derivative of its position,
        and near the very flat maximum of a distant satellite that moves the rate's root by
        seconds (6 s for XMM-Newton), though not the maximum's elevation (by 1e-6°). For a
        near-Earth orbit the two roots agree to a millisecond.
        """

        def rising(seconds: FloatArray, items: IntArray) -> FloatArray:
            return self._evaluate(seconds, station[items])[0].rising

        def difference(seconds: FloatArray, items: IntArray) -> FloatArray:
            both = np.concatenate([seconds + _DIFFERENCE_S, seconds - _DIFFERENCE_S])
            twice = np.concatenate([station[items], station[items]])
            elevation = self._evaluate(both, twice)[0].elevation_deg
            return elevation[: len(seconds)] - elevation[len(seconds) :]

        by_rate = self._solve(low, high, f_low, f_high, rising)
        if self.geometry.elements.period_minutes < DEEP_SPACE_PERIOD_MINUTES:
            return by_rate
        margin = min(self.step_s, _POLISH_WINDOW_S)
        polish_low = np.maximum(by_rate - margin, 0.0)
        polish_high = np.minimum(by_rate + margin, until_s)
        every = np.arange(len(by_rate))
        d_low, d_high = difference(polish_low, every), difference(polish_high, every)
        # Where the window's ends do not bracket it (a maximum at the window's edge), the
        # rate's root stands.
        brackets = np.flatnonzero((d_low > 0.0) & (d_high < 0.0))
        polished = by_rate.copy()
        polished[brackets] = self._solve(
            polish_low[brackets], polish_high[brackets], d_low[brackets], d_high[brackets],
            lambda seconds, items: difference(seconds, brackets[items]),
        )  # fmt: skip
        return polished

    def predictions(self) -> list[PassPrediction]:
        geometry = self.geometry
        stations = len(geometry.stations)
        grid = self._grid(0.0, self.window_s)
        failure = None
        failed = np.flatnonzero(grid.error_code)
        if failed.size:
            first_failed = int(failed[0])
            failure = PropagationError(
                geometry.elements, self._datetime(float(grid.seconds[first_failed])),
                int(grid.error_code[first_failed]),
            )  # fmt: skip
            if first_failed == 0:
                raise PassPredictionError(str(failure), "")
            grid = grid.until(first_failed)
        seconds, above, rising = grid.seconds, grid.above, grid.rising
        up = above > 0.0

        # Elevation maxima: the rate turns from rising to falling between two samples.
        station_m, index_m = np.nonzero((rising[:, :-1] > 0.0) & (rising[:, 1:] <= 0.0))
        maxima_s = self._maxima(
            seconds[index_m], seconds[index_m + 1], rising[station_m, index_m],
            rising[station_m, index_m + 1], station_m, float(seconds[-1]),
        )  # fmt: skip
        maxima, _ = self._evaluate(maxima_s, station_m)

        # Rises and sets: a change of side between two samples, except where a maximum
        # above the horizon lies in between: that splits the bracket in two at the maximum
        # (and so finds the short passes whose samples are all below the horizon).
        high_maxima = maxima.above > 0.0
        split = np.zeros(up.shape, dtype=bool)
        split[station_m[high_maxima], index_m[high_maxima]] = True
        station_c, index_c = np.nonzero((up[:, :-1] != up[:, 1:]) & ~split[:, :-1])
        lows, highs = [seconds[index_c]], [seconds[index_c + 1]]
        f_lows, f_highs = [above[station_c, index_c]], [above[station_c, index_c + 1]]
        event_station = [station_c]
        for side in (0, 1):
            grid_index = index_m + side
            needs = high_maxima & ~up[station_m, grid_index]
            grid_s = seconds[grid_index[needs]]
            grid_f = above[station_m[needs], grid_index[needs]]
            top_s, top_f = maxima_s[needs], maxima.above[needs]
            lows.append(grid_s if side == 0 else top_s)
            highs.append(top_s if side == 0 else grid_s)
            f_lows.append(grid_f if side == 0 else top_f)
            f_highs.append(top_f if side == 0 else grid_f)
            event_station.append(station_m[needs])
        f_low = np.concatenate(f_lows)
        crossing_station = np.concatenate(event_station)
        crossing_s = self._solve(
            np.concatenate(lows), np.concatenate(highs), f_low, np.concatenate(f_highs),
            lambda when, items: self._evaluate(when, crossing_station[items])[0].above,
        )  # fmt: skip
        rises = f_low <= 0.0

        # Every point reported, for every station looked at in one propagation: the
        # window's start, and each span's ends and its highest maximum.
        all_spans: list[list[tuple[float, bool, float, bool]]] = []
        points: list[float] = []
        owners: list[int] = []
        offsets: list[int] = []
        for station in range(stations):
            mine = crossing_station == station
            order = np.argsort(crossing_s[mine], kind="stable")
            spans = _spans(
                bool(up[station, 0]), crossing_s[mine][order], rises[mine][order],
                float(seconds[-1]),
            )  # fmt: skip
            at_maxima = station_m == station
            station_maxima_s = maxima_s[at_maxima]
            station_maxima_elevation = maxima.elevation_deg[at_maxima]
            offsets.append(len(points))
            points.append(0.0)
            for first_s, _, last_s, _ in spans:
                inside = (station_maxima_s > first_s) & (station_maxima_s < last_s)
                highest_s = (
                    float(station_maxima_s[inside][np.argmax(station_maxima_elevation[inside])])
                    if inside.any()
                    else first_s
                )
                points += [first_s, highest_s, last_s]
            owners += [station] * (len(points) - offsets[-1])
            all_spans.append(spans)
        when = np.array(points)
        seen, r_km = self._evaluate(when, np.array(owners, dtype=np.intp))
        lit = _sunlit_at(r_km, self._times(when))
        grid_sunlit = _sunlit_at(grid.r_km, self._times(seconds))
        looked = _Looked(when, seen, lit, self._datetime)
        return [
            self._prediction(station, spans, offsets[station], looked, grid, grid_sunlit, failure)
            for station, spans in enumerate(all_spans)
        ]

    def _prediction(
        self,
        station: int,
        spans: list[tuple[float, bool, float, bool]],
        offset: int,
        looked: _Looked,
        grid: _Grid,
        grid_sunlit: BoolArray,
        failure: PropagationError | None,
    ) -> PassPrediction:
        """One station's prediction; its points in ``looked`` start at ``offset``: the
        window's start, then first, highest and last of each span."""
        sky = looked.sky
        passes = []
        for number, (first_s, rose, last_s, set_) in enumerate(spans):
            first, highest, last = (sky(offset + 1 + 3 * number + each) for each in range(3))
            # The highest point may be an end: a pass cut by the window or by the mask.
            culmination = max((first, highest, last), key=lambda point: point.elevation_deg)
            inside = (grid.seconds > first_s) & (grid.seconds < last_s)
            lit_flags = [first.sunlit, culmination.sunlit, last.sunlit, *grid_sunlit[inside]]
            passes.append(
                Pass(
                    aos=first if rose else None,
                    culmination=culmination,
                    los=last if set_ else None,
                    first=first,
                    last=last,
                    sunlit="sunlit" if all(lit_flags) else "partly" if any(lit_flags) else "shadow",
                )
            )
        visibility, reason = Visibility.RISES_AND_SETS, ""
        if len(spans) <= 1 and not (spans and (spans[0][1] or spans[0][3])):
            visibility, reason = self._classify(station, bool(spans), grid.above[station] > 0.0)
            if visibility is not Visibility.RISES_AND_SETS:
                passes = []
        return PassPrediction(
            elements=self.geometry.elements,
            station=self.geometry.stations[station],
            start=self.start,
            end=self.end,
            visibility=visibility,
            passes=tuple(passes),
            reason=reason,
            at_start=sky(offset),
            sampled_elevation_range_deg=(
                float(np.min(grid.elevation_deg[station])),
                float(np.max(grid.elevation_deg[station])),
            ),
            failure=failure,
        )

    def _classify(self, station: int, up_throughout: bool, up: BoolArray) -> tuple[Visibility, str]:
        """Without a rise or set in the window: never rises, never sets, or neither."""
        elements = self.geometry.elements
        stays = bool(up.all()) if up_throughout else not bool(up.any())
        if stays and self.window_s < SIDEREAL_DAY_S:
            # Look on to a whole sidereal day, which brings every direction past the orbit.
            if self._day is None:
                self._day = self._grid(self.window_s, SIDEREAL_DAY_S)
            side = self._day.above[station][self._day.error_code == 0] > 0.0
            stays = bool(side.all()) if up_throughout else not bool(side.any())
        if up_throughout:
            if stays:
                return Visibility.NEVER_SETS, (
                    "above the horizon for the whole window and a whole sidereal day: it keeps "
                    "its place in this station's sky"
                )
            return Visibility.RISES_AND_SETS, ""
        cannot = self._cannot_rise(station)
        if cannot:
            return Visibility.NEVER_RISES, cannot
        low, high = GEOSYNCHRONOUS_REV_PER_DAY
        if stays and low <= elements.mean_motion_rev_per_day <= high:
            return Visibility.NEVER_RISES, (
                "geosynchronous and below this station's horizon for a whole sidereal day: "
                "it stays below until its orbit drifts"
            )
        return Visibility.RISES_AND_SETS, ""

    def _cannot_rise(self, station: int) -> str:
        """Why the orbit can never bring the satellite above the station's horizon, or ''."""
        elements = self.geometry.elements
        latitude, radius_km = self.geometry.geocentric(station)
        reach = min(elements.inclination_deg, 180.0 - elements.inclination_deg)
        farthest_km = (
            elements.semi_major_axis_km * (1.0 + elements.eccentricity)
            * (1.0 + NEVER_RISES_RADIUS_MARGIN) + NEVER_RISES_RADIUS_MARGIN_KM
        )  # fmt: skip
        horizon = self.geometry.stations[station].lowest_horizon_deg
        horizon_rad = math.radians(horizon)
        # Spherical geometry: a satellite at farthest_km is above `horizon` within this
        # angle (at the Earth's centre) of the station.
        cosine = min(1.0, radius_km * math.cos(horizon_rad) / farthest_km)
        in_view_deg = math.degrees(math.acos(cosine)) - horizon
        gap = abs(latitude) - reach
        if gap <= in_view_deg + NEVER_RISES_MARGIN_DEG:
            return ""
        return (
            f"its orbit (inclination {elements.inclination_deg:.1f}°) keeps it within "
            f"{reach:.1f}° of the equator, {gap:.1f}° short of this station's latitude, and "
            f"even at its highest it clears {horizon:g}° of elevation only within "
            f"{in_view_deg:.1f}° of arc of the station"
        )


def _spans(
    up_at_start: bool, crossing_s: FloatArray, rises: BoolArray, until_s: float
) -> list[tuple[float, bool, float, bool]]:
    """(first, rose in the window, last, set in the window) for each time in view."""
    spans = []
    first_s: float | None = 0.0 if up_at_start else None
    rose = False
    for when, rise in zip(crossing_s.tolist(), rises.tolist(), strict=True):
        if rise and first_s is None:
            first_s, rose = when, True
        elif not rise and first_s is not None:
            if when > first_s:
                spans.append((first_s, rose, when, True))
            first_s = None
    if first_s is not None and until_s > first_s:
        spans.append((first_s, rose, until_s, False))
    return spans
