"""A GroundStation's passes and its status, from its spec and its Satellites' elements. Pure.

The forecast (the passes of every followed Satellite over the look-ahead window) is the
expensive part, computed once per spec and element sets and then reused: as time goes by
only :func:`station_status` runs again, dropping passes that are over and picking the next.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from satfeed_core.elements import Elements
from satfeed_core.ground_station import GroundStationSpec
from satfeed_core.pass_events import EventKind
from satfeed_core.passes import (
    Pass,
    PassPredictionError,
    SkyPoint,
    Visibility,
    doppler_shifted_hz,
    predict_passes,
)

from satfeed_operator.status import timestamp

MAX_STATUS_PASSES: Final = 50
"""Passes listed in ``status.passes`` (the nearest first): the status stays about 25 kB
however many Satellites a station follows, and is rewritten at every AOS and LOS."""
REFRESH: Final = timedelta(hours=1)
"""How often the window moves on (new passes at its end are predicted) when nothing else
changes."""
UNUSABLE: Final = "unusable"
LOOK_BACK: Final = timedelta(hours=1)
"""Pass events missed while the operator was down are published late, up to this old;
older ones are dropped (a rotator cannot act on them)."""


def events_from(moment: datetime, published_through: datetime | None) -> datetime:
    """Where pass events still to publish begin: after the last one published, at most
    :data:`LOOK_BACK` before ``moment``."""
    return max(published_through or moment, moment - LOOK_BACK)


def forecast_window(
    moment: datetime, published_through: datetime | None, look_ahead: timedelta
) -> tuple[datetime, datetime]:
    """The window a forecast made at ``moment`` covers: from the oldest pass event still to
    publish, a second early so that an event due exactly then is inside it, to
    ``look_ahead`` after ``moment``.

    Both ends are whole seconds, as ``status.predictedAt``/``predictedUntil`` print them, so
    the status names exactly the window its passes were predicted over: a pass cut by the
    window's end is reproducible from the status alone.
    """
    whole = moment.replace(microsecond=0)
    after = events_from(whole, published_through)
    return min(after, whole) - timedelta(seconds=1), whole + look_ahead


@dataclass(frozen=True)
class FollowedSatellite:
    """A Satellite the station's selector chose, with the element set its producer uses
    (None, and ``problem`` saying why, when there is none to use yet)."""

    name: str
    elements: Elements | None
    problem: str = ""
    waiting: bool = False
    """No elements yet, but the Satellite is still being set up (not a fault)."""


@dataclass(frozen=True)
class SatelliteForecast:
    followed: FollowedSatellite
    """What it was predicted from."""
    norad_id: int | None
    visibility: str
    """A :class:`~satfeed_core.passes.Visibility` value, or ``unusable``."""
    passes: tuple[Pass, ...]
    message: str

    @property
    def name(self) -> str:
        return self.followed.name


@dataclass(frozen=True)
class StationForecast:
    predicted_at: datetime
    predicted_until: datetime
    satellites: tuple[SatelliteForecast, ...]

    def due_for_refresh(self, moment: datetime) -> bool:
        return moment >= self.predicted_at + REFRESH


def forecast(
    spec: GroundStationSpec,
    followed: Sequence[FollowedSatellite],
    start: datetime,
    end: datetime,
    previous: StationForecast | None = None,
) -> StationForecast:
    """Every followed Satellite's passes from ``start`` to ``end`` (the look-ahead window,
    begun a little earlier so that events just due are still in it).

    With ``previous`` (a forecast of the same spec and window), Satellites followed as
    before, with the same elements, keep their passes: new elements of one Satellite cost
    one prediction, not one per Satellite of the station.
    """
    kept = {
        each.followed: each
        for each in (previous.satellites if previous is not None else ())
        if previous is not None
        and (previous.predicted_at, previous.predicted_until) == (start, end)
    }
    return StationForecast(
        start,
        end,
        tuple(
            kept.get(satellite) or _forecast_one(spec, satellite, start, end)
            for satellite in sorted(followed, key=lambda each: each.name)
        ),
    )


def _forecast_one(
    spec: GroundStationSpec, satellite: FollowedSatellite, start: datetime, end: datetime
) -> SatelliteForecast:
    if satellite.elements is None:
        return SatelliteForecast(satellite, None, UNUSABLE, (), satellite.problem)
    norad_id = satellite.elements.norad_id
    try:
        prediction = predict_passes(satellite.elements, spec.station, start, end)
    except PassPredictionError as error:
        return SatelliteForecast(satellite, norad_id, UNUSABLE, (), str(error))
    message = prediction.reason
    if prediction.failure is not None:
        message = f"elements stop propagating inside the window: {prediction.failure}"
    return SatelliteForecast(
        satellite, norad_id, prediction.visibility.value, prediction.passes, message
    )


@dataclass(frozen=True)
class DueEvent:
    kind: EventKind
    at: datetime
    row: PassRow


def due_events(
    spec: GroundStationSpec, station_forecast: StationForecast, after: datetime, until: datetime
) -> list[DueEvent]:
    """The pass events that happen in (``after``, ``until``], in time order: ``upcoming``
    ``spec.aos_notice`` before AOS, ``aos`` and ``los``."""
    due = []
    for each in station_forecast.satellites:
        for pass_ in each.passes:
            row = PassRow(each.name, each.norad_id, pass_)
            times: list[tuple[EventKind, datetime]] = []
            if pass_.aos is not None:
                times += [("upcoming", pass_.aos.time - spec.aos_notice), ("aos", pass_.aos.time)]
            if pass_.los is not None:
                times.append(("los", pass_.los.time))
            due += [DueEvent(kind, at, row) for kind, at in times if after < at <= until]
    return sorted(due, key=lambda event: (event.at, event.row.satellite))


@dataclass(frozen=True)
class PassRow:
    satellite: str
    norad_id: int | None
    pass_: Pass

    @property
    def begins(self) -> datetime:
        return self.pass_.first.time

    @property
    def ends(self) -> datetime:
        return self.pass_.last.time


def upcoming(station_forecast: StationForecast, moment: datetime) -> list[PassRow]:
    """Passes not over at ``moment``, by their beginning (AOS)."""
    rows = [
        PassRow(each.name, each.norad_id, pass_)
        for each in station_forecast.satellites
        for pass_ in each.passes
        if pass_.last.time > moment
    ]
    return sorted(rows, key=lambda row: (row.begins, row.satellite))


def _degrees(value: float) -> float:
    return round(value, 2)


def _point_time(point: SkyPoint | None) -> str | None:
    return timestamp(point.time) if point is not None else None


def pass_status(row: PassRow, downlink_hz: float | None) -> dict[str, Any]:
    """One entry of ``status.passes`` (absent keys: no AOS or LOS in the window)."""
    pass_ = row.pass_
    entry: dict[str, Any] = {
        "satellite": row.satellite,
        "noradId": row.norad_id,
        "aos": _point_time(pass_.aos),
        "aosAzimuth": _degrees(pass_.aos.azimuth_deg) if pass_.aos else None,
        "culmination": timestamp(pass_.culmination.time),
        "maxElevation": _degrees(pass_.culmination.elevation_deg),
        "maxElevationAzimuth": _degrees(pass_.culmination.azimuth_deg),
        "los": _point_time(pass_.los),
        "losAzimuth": _degrees(pass_.los.azimuth_deg) if pass_.los else None,
        "durationSeconds": round(pass_.duration.total_seconds()),
        "sunlit": pass_.sunlit,
    }
    if downlink_hz is not None:
        received = float(doppler_shifted_hz(downlink_hz, pass_.culmination.range_rate_km_s))
        entry["downlinkMHz"] = round(received / 1e6, 6)
    return {key: value for key, value in entry.items() if value is not None}


def _per_satellite(station_forecast: StationForecast, rows: list[PassRow]) -> str:
    """``terra 10:31Z 67°, aqua 11:02Z 23°, goes-16 always up``: for ``kubectl get -o wide``."""
    first: dict[str, PassRow] = {}
    for row in rows:
        first.setdefault(row.satellite, row)
    parts = []
    for each in station_forecast.satellites:
        found = first.get(each.name)
        if found is not None:
            highest = math.floor(found.pass_.culmination.elevation_deg)
            parts.append(f"{each.name} {found.begins:%H:%MZ} {highest}°")
        elif each.visibility == Visibility.NEVER_SETS.value:
            parts.append(f"{each.name} always up")
        elif each.visibility == Visibility.NEVER_RISES.value:
            parts.append(f"{each.name} never rises")
        elif each.visibility == UNUSABLE:
            parts.append(f"{each.name} unusable")
        else:
            parts.append(f"{each.name} none in window")
    return ", ".join(parts)


def station_status(
    spec: GroundStationSpec, station_forecast: StationForecast, moment: datetime
) -> dict[str, Any]:
    """``status`` fields other than conditions: the passes still to come at ``moment``."""
    rows = upcoming(station_forecast, moment)
    next_by_satellite: dict[str, PassRow] = {}
    count: dict[str, int] = {}
    for row in rows:
        next_by_satellite.setdefault(row.satellite, row)
        count[row.satellite] = count.get(row.satellite, 0) + 1
    states = [
        {
            "satellite": each.name,
            "noradId": each.norad_id,
            "visibility": each.visibility,
            "passes": count.get(each.name, 0),
            "nextAos": timestamp(next_by_satellite[each.name].begins)
            if each.name in next_by_satellite
            else None,
            "message": each.message or None,
        }
        for each in station_forecast.satellites
    ]
    listed = [
        pass_status(row, spec.downlinks_hz.get(row.satellite)) for row in rows[:MAX_STATUS_PASSES]
    ]
    return {
        "satellites": len(station_forecast.satellites),
        "predictedAt": timestamp(station_forecast.predicted_at),
        "predictedUntil": timestamp(station_forecast.predicted_until),
        "nextPass": listed[0] if listed else None,
        "passes": listed,
        "nextPerSatellite": _per_satellite(station_forecast, rows) or None,
        "satelliteStates": [
            {key: value for key, value in state.items() if value is not None} for state in states
        ],
    }


def notices_due(
    spec: GroundStationSpec, station_forecast: StationForecast, moment: datetime
) -> list[PassRow]:
    """Passes whose AOS is at most ``spec.aos_notice`` away (and not yet reached)."""
    return [
        row
        for row in upcoming(station_forecast, moment)
        if row.pass_.aos is not None
        and row.pass_.aos.time - spec.aos_notice <= moment < row.pass_.aos.time
    ]


def notice_message(row: PassRow, moment: datetime) -> str:
    aos = row.pass_.aos
    assert aos is not None
    minutes = max(0, round((aos.time - moment).total_seconds() / 60))
    culmination = row.pass_.culmination
    los = f", LOS {row.pass_.los.time:%H:%M:%S}Z" if row.pass_.los else ""
    return (
        f"{row.satellite} rises in {minutes} min: AOS {aos.time:%H:%M:%S}Z at azimuth "
        f"{aos.azimuth_deg:.0f}°, max elevation {culmination.elevation_deg:.1f}° at azimuth "
        f"{culmination.azimuth_deg:.0f}° ({culmination.time:%H:%M:%S}Z){los}"
    )


def next_wake(
    spec: GroundStationSpec, station_forecast: StationForecast, moment: datetime
) -> datetime:
    """When the status next changes: a notice is due, a pass begins or ends, or the window
    moves on."""
    times = [station_forecast.predicted_at + REFRESH]
    for row in upcoming(station_forecast, moment):
        pass_ = row.pass_
        if pass_.aos is not None:
            times += [pass_.aos.time - spec.aos_notice, pass_.aos.time]
        times.append(pass_.last.time)
    later = [each for each in times if each > moment]
    return min(later) if later else moment
