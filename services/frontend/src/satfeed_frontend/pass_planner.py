"""The passes over each ground station, predicted in a background thread from the elements
the page already has, so the page is right even while the operator's status lags behind.

Only the Satellites a station's selector chooses are predicted (never a group's members),
each with :func:`satfeed_core.passes.predict_passes_many` (one propagation for every
station that follows it). A prediction is cached per (station, elements, window) and
reused until one of them changes. The window starts :data:`LOOK_BACK` before the current
:data:`WINDOW_STEP` (so a pass in progress is whole) and reaches the station's look-ahead
past it; it moves on every :data:`WINDOW_STEP`. Passes that are over are dropped when the
table is drawn (:func:`satfeed_frontend.pass_table.pass_rows`).

Each plan also holds the sky tracks (:mod:`satfeed_frontend.sky_plot`) of the passes in
progress and the next ones, and a ``version`` that changes whenever what a page draws of
the station would: new predictions, or a drawn pass having ended.

Requests only read the finished plans (:meth:`PassPlanner.plan`) and ask for the live look
angles of a few satellites (:meth:`PassPlanner.look`), each computed once per second
whatever the number of pages asking.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

import numpy as np
from satfeed_core.elements import Elements
from satfeed_core.passes import (
    PassPrediction,
    PassPredictionError,
    SkyPoint,
    look_angles,
    predict_passes_many,
)
from satfeed_core.stations import Station

from satfeed_frontend.data.ground_stations import GroundStations, KnownStation, SatelliteLabels
from satfeed_frontend.metrics import FrontendMetrics
from satfeed_frontend.pass_table import Followed, PassRow, pass_rows
from satfeed_frontend.sky_plot import TRACKS_UP_TO, LivePoint, SkyTrack

log = logging.getLogger(__name__)

WINDOW_STEP: Final = timedelta(minutes=10)
LOOK_BACK: Final = timedelta(minutes=30)
"""Longer than a low orbit's pass, so one in progress starts inside the window."""
PLAN_EVERY_S: Final = 5.0
"""How often the thread looks for work when nothing changed (a pass ending, the window)."""
SKY_TRACK_POINTS: Final = 120
SKY_TRACK_MIN_STEP: Final = timedelta(seconds=5)

ElementsOf = Callable[[tuple[str, str]], Elements | None]
Wanted = tuple[KnownStation, list[tuple[Followed, Elements]], datetime, datetime]
"""A station, the Satellites it follows with their elements, and its window."""


@dataclass(frozen=True)
class StationPlan:
    station: KnownStation
    start: datetime
    end: datetime
    predictions: tuple[tuple[Followed, PassPrediction], ...]
    failures: tuple[tuple[Followed, str], ...]
    elements: Mapping[str, Elements]
    """The followed Satellites' elements by name, for live look angles."""
    colour_index: Mapping[str, int]
    """Each followed Satellite's colour on the sky plot, by name."""
    sky_tracks: tuple[SkyTrack, ...]
    version: str
    predicted_in_s: float = 0.0
    """CPU time the last prediction of this station's new passes took."""
    drawn_passes: tuple[tuple[str, datetime], ...] = field(default=())
    """(Satellite, first time) of the passes :attr:`sky_tracks` draw."""

    def rows(self, now: datetime) -> list[PassRow]:
        return pass_rows(self.predictions, now)

    def follows(self, satellite: str) -> bool:
        return satellite in self.elements


def window(now: datetime, look_ahead: timedelta) -> tuple[datetime, datetime]:
    step = WINDOW_STEP.total_seconds()
    floor = datetime.fromtimestamp(now.timestamp() // step * step, UTC)
    return floor - LOOK_BACK, floor + look_ahead


def followed_satellites(
    station: KnownStation, labels: Mapping[str, Mapping[str, str]], elements_of: ElementsOf
) -> list[tuple[Followed, Elements]]:
    """The Satellites of the station's namespace its selector chooses and whose elements
    are known, by name."""
    namespace = station.key[0]
    chosen = []
    for name in sorted(labels):
        if not station.spec.selector.matches(labels[name]):
            continue
        elements = elements_of((namespace, name))
        if elements is None:
            continue
        chosen.append(
            (
                Followed(name, elements.name or name, station.spec.downlinks_hz.get(name)),
                elements,
            )
        )
    return chosen


def sky_track(
    elements: Elements, station: Station, start: datetime, end: datetime, label: str, colour: int
) -> SkyTrack:
    """A pass's path across the sky from ``start`` to ``end`` (AOS to LOS)."""
    step = max(SKY_TRACK_MIN_STEP, (end - start) / SKY_TRACK_POINTS)
    count = int((end - start) / step) + 1
    times = [start + step * i for i in range(count)]
    if times[-1] < end:
        times.append(end)
    seen = look_angles(elements, station, times)
    usable = np.isfinite(seen.azimuth_deg) & np.isfinite(seen.elevation_deg)
    return SkyTrack(
        label=label,
        colour_index=colour,
        azimuth_deg=[float(x) for x in seen.azimuth_deg[usable]],
        elevation_deg=[float(x) for x in seen.elevation_deg[usable]],
        aos_text=f"AOS {start.astimezone(UTC):%H:%M}",
    )


def live_look(elements: Elements, station: Station, now: datetime) -> SkyPoint | None:
    """Where a satellite is in a station's sky at ``now`` (None where SGP4 fails)."""
    seen = look_angles(elements, station, [now])
    if not np.isfinite(seen.elevation_deg[0]):
        return None
    return SkyPoint(
        time=now,
        azimuth_deg=float(seen.azimuth_deg[0]),
        elevation_deg=float(seen.elevation_deg[0]),
        range_km=float(seen.range_km[0]),
        range_rate_km_s=float(seen.range_rate_km_s[0]),
        sunlit=bool(seen.sunlit[0]),
    )


CacheKey = tuple[Station, Elements, datetime, datetime]


class PassPlanner:
    """Keeps a :class:`StationPlan` per GroundStation, in a thread of its own."""

    def __init__(
        self,
        stations: GroundStations,
        labels: SatelliteLabels,
        elements_of: ElementsOf,
        elements_version: Callable[[], int],
        metrics: FrontendMetrics,
    ) -> None:
        self._stations = stations
        self._labels = labels
        self._elements_of = elements_of
        self._elements_version = elements_version
        self._metrics = metrics
        self._lock = threading.Lock()
        self._plans: dict[str, StationPlan] = {}
        self._cache: dict[CacheKey, PassPrediction | str] = {}
        self._looks_second = 0
        self._looks: dict[tuple[str, str], SkyPoint | None] = {}
        """Live look angles of the current second, by (station, Satellite)."""
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def look(self, plan: StationPlan, satellite: str, now: datetime) -> SkyPoint | None:
        """Where a followed satellite is in the plan's station's sky, as of ``now``'s whole
        second: computed once per second for every page that asks (None: not followed, or
        SGP4 fails)."""
        elements = plan.elements.get(satellite)
        if elements is None:
            return None
        second = int(now.timestamp())
        key = (plan.station.value, satellite)
        with self._lock:
            if self._looks_second != second:
                self._looks_second, self._looks = second, {}
            if key in self._looks:
                return self._looks[key]
        point = live_look(elements, plan.station.spec.station, datetime.fromtimestamp(second, UTC))
        with self._lock:
            if self._looks_second == second:
                self._looks[key] = point
        return point

    def live_points(self, plan: StationPlan, now: datetime) -> list[LivePoint]:
        """The satellites in a pass over the plan's station now, where they are in its sky."""
        points = []
        for row in plan.rows(now):
            if not row.in_progress(now):
                continue
            point = self.look(plan, row.satellite, now)
            if point is not None:
                points.append(
                    LivePoint(
                        row.label, plan.colour_index[row.satellite], point.azimuth_deg,
                        point.elevation_deg,
                    )
                )  # fmt: skip
        return points

    def plan(self, station: str) -> StationPlan | None:
        """The latest plan of a station (``namespace/name``), None before its first."""
        with self._lock:
            return self._plans.get(station)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="pass-planner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)

    def _inputs(self) -> tuple[int, int, int]:
        return self._stations.version, self._labels.version, self._elements_version()

    def _run(self) -> None:
        while not self._stopping.is_set():
            seen = self._inputs()
            try:
                self.update(datetime.now(UTC))
            except Exception:  # a bug must not end the station panel of every page
                log.exception("predicting the ground stations' passes failed")
            # New stations, labels or elements are taken up within a second; otherwise
            # the plans are looked at every PLAN_EVERY_S (a pass ending, the window moving).
            for _ in range(int(PLAN_EVERY_S)):
                if self._stopping.wait(1.0) or self._inputs() != seen:
                    break

    def update(self, now: datetime) -> None:
        """Every station's plan as of ``now``: cached predictions reused, missing ones made."""
        stations = self._stations.all()
        wanted: dict[str, Wanted] = {}
        for station in stations:
            labels = self._labels.in_namespace(station.key[0])
            followed = followed_satellites(station, labels, self._elements_of)
            start, end = window(now, station.spec.look_ahead)
            wanted[station.value] = (station, followed, start, end)
        spent = self._predict_missing(wanted.values())
        plans = {}
        for value, (station, followed, start, end) in wanted.items():
            plans[value] = self._station_plan(station, followed, start, end, now, spent)
        used = {
            (station.spec.station, elements, start, end)
            for station, followed, start, end in wanted.values()
            for _, elements in followed
        }
        with self._lock:
            self._plans = plans
            self._cache = {key: value for key, value in self._cache.items() if key in used}

    def _predict_missing(self, wanted: Iterable[Wanted]) -> dict[str, float]:
        """Predicts what the cache lacks, each satellite once for all its stations; returns
        the CPU seconds spent per station."""
        missing: dict[tuple[Elements, datetime, datetime], list[KnownStation]] = {}
        for station, followed, start, end in wanted:
            for _, elements in followed:
                if (station.spec.station, elements, start, end) not in self._cache:
                    missing.setdefault((elements, start, end), []).append(station)
        spent: dict[str, float] = {}
        for (elements, start, end), stations in missing.items():
            began = time.thread_time()
            sites = [each.spec.station for each in stations]
            try:
                found: list[PassPrediction | str] = list(
                    predict_passes_many(elements, sites, start, end)
                )
            except PassPredictionError as error:
                found = [str(error)] * len(sites)
            took = time.thread_time() - began
            self._metrics.pass_prediction_seconds.observe(took)
            for station, result in zip(stations, found, strict=True):
                self._cache[(station.spec.station, elements, start, end)] = result
                spent[station.value] = spent.get(station.value, 0.0) + took / len(stations)
        return spent

    def _station_plan(
        self,
        station: KnownStation,
        followed: list[tuple[Followed, Elements]],
        start: datetime,
        end: datetime,
        now: datetime,
        spent: Mapping[str, float],
    ) -> StationPlan:
        predictions, failures = [], []
        for each, elements in followed:
            result = self._cache[(station.spec.station, elements, start, end)]
            if isinstance(result, str):
                failures.append((each, result))
            else:
                predictions.append((each, result))
        elements_by_name = {each.satellite: elements for each, elements in followed}
        colours = {each.satellite: index for index, (each, _) in enumerate(followed)}
        rows = pass_rows(predictions, now, TRACKS_UP_TO)
        drawn = tuple((row.satellite, row.aos or start) for row in rows)
        previous = self.plan(station.value)
        digest = hashlib.blake2b(digest_size=8)
        digest.update(repr((station, start, [e for _, e in followed], drawn)).encode())
        version = digest.hexdigest()
        if previous is not None and previous.version == version:
            return previous
        tracks = []
        for row in rows:
            elements = elements_by_name[row.satellite]
            first = row.aos or start
            last = row.los or end
            tracks.append(
                sky_track(
                    elements, station.spec.station, first, last, row.label,
                    colours[row.satellite],
                )
            )  # fmt: skip
        return StationPlan(
            station=station,
            start=start,
            end=end,
            predictions=tuple(predictions),
            failures=tuple(failures),
            elements=elements_by_name,
            colour_index=colours,
            sky_tracks=tuple(tracks),
            version=version,
            predicted_in_s=spent.get(station.value, 0.0),
            drawn_passes=drawn,
        )
