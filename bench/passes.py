"""Pass prediction (satfeed_core.passes) against skyfield: accuracy, missed passes, speed.

Reference set: 30 objects of the bundled catalogue (low orbits with the ISS and the Chinese
station, Sun-synchronous, MEO, Molniya-type, quasi-zenith and inclined geosynchronous,
XMM-Newton's 48 h orbit, geostationary) over 6 stations from Svalbard to McMurdo, 48 h
from 2026-08-23 00:00 UTC (the catalogue's snapshot is 2026-08-23 11:46 UTC), minimum
elevation 0°.

(a) Events: every AOS, culmination and LOS against skyfield's ``find_events`` (which
    stops refining at 0.5 s), and against the same events refined on skyfield's own
    altitudes (bisection to 0.1 ms, golden-section search to 1 ms), once as skyfield has
    the Earth turn (UT1, 0.09 s after UTC here) and once with UT1 = UTC as our model does;
    maximum elevation against skyfield's at its refined culmination.
(b) Look angles every 20 s through every pass: azimuth, elevation, range, range rate
    against ``(sat - topos).at(t).altaz()`` and ``frame_latlon_and_rates``; sunlit at every
    reported point against skyfield's ``is_sunlit`` with JPL DE421 (skyfield-data).
(c) Missed passes: the same search on a grid 16 times finer; never-rises / never-sets
    against skyfield's altitude every minute of the 48 h.
(d) Speed: 30 satellites x 6 stations x 48 h, CPU seconds, against skyfield's
    ``find_events`` for the same pairs in the same run.

Run from the repository root:  uv run --frozen python bench/passes.py
Results go to docs/benchmarks.md (section "Passes") by hand, with the machine's load.
"""

from __future__ import annotations

import math
import os
import platform
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import satfeed_core.passes as passes_module
from numpy.typing import NDArray
from satfeed_core.elements import Elements, load_elements
from satfeed_core.passes import PassPrediction, Visibility, look_angles, predict_passes_many
from satfeed_core.stations import Station
from satfeed_dev.sample_data import CATALOGUE, tle_file
from skyfield.api import EarthSatellite, Loader, load, wgs84
from skyfield_data import get_skyfield_data_path

START = datetime(2026, 8, 23, tzinfo=UTC)
HOURS = 48
END = START + timedelta(hours=HOURS)
LOOK_STEP_S = 20.0
CPU_TARGET_S = 1.0
FINER = 16

SATELLITES = (
    # low orbits
    "ISS (ZARYA)", "CSS (TIANHE)", "HST", "TERRA", "AQUA", "SENTINEL-2A", "SENTINEL-2B",
    "METOP-B", "SWARM A", "TERRASAR-X", "IRIDIUM 106", "ONEWEB-0012",
    # medium Earth orbit (GALILEO 5 was left in an eccentric orbit)
    "GSAT0201 (GALILEO 5)", "GSAT0203 (GALILEO 7)",
    # highly elliptical: Molniya-type, quasi-zenith, inclined geosynchronous, XMM-Newton
    "MERIDIAN 7", "MERIDIAN 8", "MERIDIAN 10", "QZS-2 (MICHIBIKI-2)", "QZS-3 (MICHIBIKI-3)",
    "BEIDOU-3 IGSO-1", "XMM-NEWTON", "TDRS 3",
    # geostationary
    "GOES 16", "GOES 18", "METEOSAT-11 (MSG-4)", "INTELSAT 36 (IS-36)", "ASTRA 1KR",
    "ELEKTRO-L 2", "EXPRESS-AMU1", "LUCH-5A",
)  # fmt: skip

STATIONS = (
    Station(78.2297, 15.4078, 500.0, name="Svalbard"),
    Station(64.8587, -147.8576, 150.0, name="Fairbanks"),
    Station(49.8700, 8.6500, 144.0, name="Darmstadt"),
    Station(1.3521, 103.8198, 20.0, name="Singapore"),
    Station(-25.8872, 27.7075, 1415.0, name="Hartebeesthoek"),
    Station(-77.8463, 166.6682, 10.0, name="McMurdo"),
)

RISE, CULMINATE, SET = 0, 1, 2
TIMESCALE = load.timescale()
GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


@dataclass
class Differences:
    """Largest absolute differences, and counts, by what was compared."""

    worst: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)

    def add(self, key: str, values: Sequence[float] | NDArray[np.float64], label: str) -> None:
        magnitudes = np.abs(np.asarray(values, dtype=np.float64))
        if magnitudes.size == 0:
            return
        self.counts[key] = self.counts.get(key, 0) + magnitudes.size
        worst = float(np.max(magnitudes))
        if worst > self.worst.get(key, -1.0):
            self.worst[key] = worst
            self.where[key] = label

    def count(self, key: str, label: str = "") -> None:
        self.tally(key, 1)
        if label:
            self.where[key] = label

    def tally(self, key: str, number: int) -> None:
        self.counts[key] = self.counts.get(key, 0) + number


def pick(catalogue: list[Elements]) -> list[Elements]:
    by_name = {each.name: each for each in catalogue}
    missing = [name for name in SATELLITES if name not in by_name]
    assert not missing, f"not in the catalogue: {missing}"
    return [by_name[name] for name in SATELLITES]


def skyfield_satellite(elements: Elements) -> Any:
    assert elements.tle_lines is not None
    return EarthSatellite(*elements.tle_lines, elements.name, TIMESCALE)


def topos(station: Station) -> Any:
    return wgs84.latlon(station.latitude_deg, station.longitude_deg, station.altitude_m)


def seconds_of(when: datetime) -> float:
    return (when - START).total_seconds()


def skyfield_time(seconds: float | NDArray[np.float64], ut1_is_utc: bool = False) -> Any:
    """skyfield's time; with ``ut1_is_utc`` the Earth turns by UTC as in our model (UT1 -
    UTC is 0.09 s here), and skyfield works in the Earth-fixed frame, as its own
    find_events does (precession and nutation cancel out of look angles)."""
    when = TIMESCALE.utc(2026, 8, 23, 0, 0, seconds)
    if ut1_is_utc:
        when.ut1_fraction = when.tai_fraction - when._leap_seconds() / 86400.0
        when.gast = when.tt * 0.0
        when.M = when.MT = np.identity(3)
    return when


def bisect(function: Callable[[float], float], low: float, high: float, tol: float) -> float:
    f_low = function(low)
    while high - low > tol:
        middle = 0.5 * (low + high)
        f_middle = function(middle)
        if (f_middle > 0) == (f_low > 0):
            low, f_low = middle, f_middle
        else:
            high = middle
    return 0.5 * (low + high)


def golden_maximum(
    function: Callable[[float], float], low: float, high: float, tol: float
) -> tuple[float, float]:
    left, right = high - GOLDEN * (high - low), low + GOLDEN * (high - low)
    f_left, f_right = function(left), function(right)
    while high - low > tol:
        if f_left > f_right:
            high, right, f_right = right, left, f_left
            left = high - GOLDEN * (high - low)
            f_left = function(left)
        else:
            low, left, f_left = left, right, f_right
            right = low + GOLDEN * (high - low)
            f_right = function(right)
    middle = 0.5 * (low + high)
    return middle, function(middle)


class SkyfieldReference:
    """One satellite over one station, as skyfield sees it."""

    def __init__(self, elements: Elements, station: Station) -> None:
        self.satellite = skyfield_satellite(elements)
        self.topos = topos(station)
        self.difference = self.satellite - self.topos

    def altitude(self, seconds: float, ut1_is_utc: bool = False) -> float:
        return float(self.difference.at(skyfield_time(seconds, ut1_is_utc)).altaz()[0].degrees)

    def events(self) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        times, kinds = self.satellite.find_events(
            self.topos, skyfield_time(0.0), skyfield_time(HOURS * 3600.0), altitude_degrees=0.0
        )
        seconds = (times.tt - skyfield_time(0.0).tt) * 86400.0
        return np.asarray(seconds, dtype=np.float64), np.asarray(kinds, dtype=np.int64)

    def crosses(self, seconds: float, within: float) -> bool:
        """Whether skyfield's altitude changes sign within ``within`` seconds of a time."""
        return self.altitude(seconds - within) * self.altitude(seconds + within) <= 0.0

    def refined_crossing(self, seconds: float, ut1_is_utc: bool = False) -> float:
        window = 3.0  # find_events is good to 0.5 s; UT1 moves slow risers by a second

        def altitude(at: float) -> float:
            return self.altitude(at, ut1_is_utc)

        low, high = seconds - window, seconds + window
        if altitude(low) * altitude(high) > 0:
            return seconds
        return bisect(altitude, low, high, 1e-4)

    def refined_culmination(self, seconds: float, ut1_is_utc: bool = False) -> tuple[float, float]:
        return golden_maximum(
            lambda at: self.altitude(at, ut1_is_utc), seconds - 10.0, seconds + 10.0, 1e-3
        )


def nearest(target: float, candidates: NDArray[np.float64]) -> float | None:
    if candidates.size == 0:
        return None
    return float(candidates[np.argmin(np.abs(candidates - target))])


def orbit_class(elements: Elements) -> str:
    return "low orbits" if elements.period_minutes < 225.0 else "higher orbits"


def compare_events(
    prediction: PassPrediction, reference: SkyfieldReference, found: Differences, label: str
) -> None:
    kind = orbit_class(prediction.elements)
    seconds, kinds = reference.events()
    rises, sets = seconds[kinds == RISE], seconds[kinds == SET]
    culminations = seconds[kinds == CULMINATE]
    ours_rises = [seconds_of(each.aos.time) for each in prediction.passes if each.aos]
    ours_sets = [seconds_of(each.los.time) for each in prediction.passes if each.los]
    found.tally("skyfield rises and sets", len(rises) + len(sets))
    found.tally("our rises and sets", len(ours_rises) + len(ours_sets))
    for ours, theirs, name in ((ours_rises, rises, "AOS"), (ours_sets, sets, "LOS")):
        for mine in ours:
            # What skyfield says at our time: the elevation error behind a time difference.
            at_ours = reference.altitude(mine)
            found.add(f"{kind}: skyfield's elevation at our {name}, deg", [at_ours], label)
            match = nearest(mine, theirs)
            if match is None or abs(match - mine) > 60.0:
                # find_events can miss a set and rise between two maxima (a Molniya orbit's
                # perigee dip): does skyfield's own altitude cross the horizon there?
                verdict = "its altitude crosses" if reference.crosses(mine, 5.0) else "NOT SO"
                where = f"{label} at {START + timedelta(seconds=mine)}"
                found.count(f"{name}s find_events misses ({verdict})", where)
                continue
            crossing = reference.refined_crossing(match)
            crossing_utc = reference.refined_crossing(match, ut1_is_utc=True)
            found.add(f"{kind}: {name} vs find_events, s", [mine - match], label)
            found.add(f"{kind}: {name} vs skyfield refined, s", [mine - crossing], label)
            found.add(f"{kind}: {name} vs refined, UT1 = UTC, s", [mine - crossing_utc], label)
            if abs(mine - crossing) > 1.0:
                found.count(f"{name}s more than 1 s from skyfield refined", label)
    for each in prediction.passes:
        if each.aos is None or each.los is None:
            continue  # cut by the window: its highest point may be an end
        aos_s, los_s = seconds_of(each.aos.time), seconds_of(each.los.time)
        inside = culminations[(culminations > aos_s) & (culminations < los_s)]
        if inside.size == 0:
            found.count("culminations find_events misses", label)
            continue
        refined = [reference.refined_culmination(float(each_s)) for each_s in inside]
        best_s, best_elevation = refined[int(np.argmax([pair[1] for pair in refined]))]
        utc_s, utc_elevation = reference.refined_culmination(best_s, ut1_is_utc=True)
        mine_s, mine_elevation = seconds_of(each.culmination.time), each.culmination.elevation_deg
        closest = inside[np.argmin(np.abs(inside - mine_s))]
        found.add(f"{kind}: culmination vs find_events, s", [mine_s - closest], label)
        found.add(f"{kind}: culmination vs skyfield refined, s", [mine_s - best_s], label)
        found.add(f"{kind}: culmination vs refined, UT1 = UTC, s", [mine_s - utc_s], label)
        found.add(f"{kind}: max elevation, deg", [mine_elevation - best_elevation], label)
        found.add(f"{kind}: max elevation, UT1 = UTC, deg", [mine_elevation - utc_elevation], label)


def angle_between(az1: Any, el1: Any, az2: Any, el2: Any) -> NDArray[np.float64]:
    """Great-circle angle between two look directions, degrees."""
    a1, e1, a2, e2 = (np.radians(np.asarray(each, float)) for each in (az1, el1, az2, el2))
    cosine = np.sin(e1) * np.sin(e2) + np.cos(e1) * np.cos(e2) * np.cos(a1 - a2)
    return np.asarray(np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0))), dtype=np.float64)


def compare_look_angles(
    prediction: PassPrediction,
    reference: SkyfieldReference,
    ephemeris: Any,
    found: Differences,
    label: str,
) -> None:
    spans = [(seconds_of(one.first.time), seconds_of(one.last.time)) for one in prediction.passes]
    if prediction.visibility is Visibility.NEVER_SETS:
        spans = [(0.0, HOURS * 3600.0)]
    if not spans:
        return
    sample_s = np.concatenate([np.arange(first, last, LOOK_STEP_S) for first, last in spans])
    offsets = np.rint(sample_s * 1e6).astype("timedelta64[us]")
    times = np.datetime64(START.replace(tzinfo=None), "us") + offsets
    ours = look_angles(prediction.elements, prediction.station, times)
    for ut1_is_utc, prefix in ((False, "look"), (True, "look, UT1 = UTC")):
        at = reference.difference.at(skyfield_time(sample_s, ut1_is_utc))
        altitude, azimuth, distance = at.altaz()
        direction = angle_between(
            ours.azimuth_deg, ours.elevation_deg, azimuth.degrees, altitude.degrees
        )
        found.add(f"{prefix}: direction (angle between), deg", direction, label)
        found.add(f"{prefix}: elevation, deg", ours.elevation_deg - altitude.degrees, label)
        low = altitude.degrees < 80.0  # the azimuth turns fast near the zenith
        az_diff = (ours.azimuth_deg - azimuth.degrees + 180.0) % 360.0 - 180.0
        found.add(f"{prefix}: azimuth below 80° elevation, deg", az_diff[low], label)
        found.add(f"{prefix}: range, km", ours.range_km - distance.km, label)
        if not ut1_is_utc:
            rate = at.frame_latlon_and_rates(reference.topos)[5].km_per_s
            found.add(f"{prefix}: range rate, m/s", (ours.range_rate_km_s - rate) * 1e3, label)
    # Sunlit at every point reported.
    points = [
        point for one in prediction.passes for point in (one.first, one.culmination, one.last)
    ]
    if not points:
        return
    event_s = np.array([seconds_of(point.time) for point in points])
    theirs = reference.satellite.at(skyfield_time(event_s)).is_sunlit(ephemeris)
    mine = np.array([point.sunlit for point in points])
    found.tally("sunlit compared", len(points))
    disagree = np.flatnonzero(mine != theirs)
    found.tally("sunlit disagreements", len(disagree))
    for index in disagree:
        # How far from the shadow's edge: the nearest change of skyfield's verdict.
        around = event_s[index] + np.arange(-60.0, 60.5, 0.5)
        flags = reference.satellite.at(skyfield_time(around)).is_sunlit(ephemeris)
        edges = around[1:][flags[1:] != flags[:-1]]
        distance_s = float(np.min(np.abs(edges - event_s[index]))) if edges.size else 60.0
        found.add("sunlit disagreements: time from the shadow's edge, s", [distance_s], label)


def compare_visibility(
    prediction: PassPrediction, reference: SkyfieldReference, found: Differences, label: str
) -> None:
    minutes = np.arange(0.0, HOURS * 3600.0 + 1.0, 60.0)
    altitude = reference.difference.at(skyfield_time(minutes)).altaz()[0].degrees
    truth = "rises-and-sets"
    if (altitude > 0).all():
        truth = "never-sets"
    elif (altitude <= 0).all():
        truth = "never-rises"
    ours = prediction.visibility.value
    no_pass = prediction.visibility is Visibility.RISES_AND_SETS and not prediction.passes
    if ours == truth or (truth == "never-rises" and no_pass):
        found.count(f"visibility agrees: {ours}" + (", no pass" if no_pass else ""), label)
    else:
        found.count(f"visibility DIFFERS: ours {ours}, skyfield {truth}", label)


def grid_differences(satellites: list[Elements], coarse: list[list[PassPrediction]]) -> int:
    """Passes that a grid FINER times denser finds differently (missed or extra)."""
    steps, longest = passes_module.GRID_STEPS_PER_ORBIT, passes_module.MAX_GRID_STEP_S
    passes_module.GRID_STEPS_PER_ORBIT = steps * FINER  # type: ignore[misc]
    passes_module.MAX_GRID_STEP_S = longest / FINER  # type: ignore[misc]
    try:
        fine = [predict_passes_many(each, STATIONS, START, END) for each in satellites]
    finally:
        passes_module.GRID_STEPS_PER_ORBIT = steps  # type: ignore[misc]
        passes_module.MAX_GRID_STEP_S = longest  # type: ignore[misc]
    differing = 0
    for ours, theirs in zip(coarse, fine, strict=True):
        for one, other in zip(ours, theirs, strict=True):
            if len(one.passes) != len(other.passes) or one.visibility != other.visibility:
                differing += abs(len(one.passes) - len(other.passes)) or 1
                print(f"    {one.elements.name} over {one.station.name}: {len(one.passes)} "
                      f"passes, {len(other.passes)} on the finer grid")  # fmt: skip
    return differing


def cpu_seconds(run: Callable[[], object], repeats: int) -> float:
    best = math.inf
    for _ in range(repeats):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    # One core, as the target is stated; numpy's element-wise work is single-threaded anyway.
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    load_before = os.getloadavg()
    print(f"python {platform.python_version()}, numpy {np.__version__}, load {load_before}")
    with warnings.catch_warnings():
        # skyfield-data warns that its finals2000A.all is out of date; only DE421 is read.
        warnings.simplefilter("ignore", RuntimeWarning)
        ephemeris = Loader(get_skyfield_data_path(), verbose=False)("de421.bsp")
    satellites = pick(load_elements(tle_file(CATALOGUE)))
    print(f"{len(satellites)} satellites x {len(STATIONS)} stations, {HOURS} h from {START}")

    predictions = [predict_passes_many(each, STATIONS, START, END) for each in satellites]
    found = Differences()
    total_passes = 0
    for per_station in predictions:
        for prediction in per_station:
            label = f"{prediction.elements.name} over {prediction.station.name}"
            total_passes += len(prediction.passes)
            reference = SkyfieldReference(prediction.elements, prediction.station)
            compare_events(prediction, reference, found, label)
            compare_look_angles(prediction, reference, ephemeris, found, label)
            compare_visibility(prediction, reference, found, label)
    print(f"passes: {total_passes}")
    print("(a, b) largest differences from skyfield (ours - skyfield), n compared, worst case:")
    for key in sorted(found.worst):
        print(f"    {key:50} {found.worst[key]:9.4f} n={found.counts[key]:6}  {found.where[key]}")
    print("    counts:")
    for key in sorted(set(found.counts) - set(found.worst)):
        where = f"  (e.g. {found.where[key]})" if key in found.where else ""
        print(f"    {key:60} {found.counts[key]:5}{where}")

    print(f"(c) passes found differently by a grid {FINER}x finer:")
    print(f"    {grid_differences(satellites, predictions)}")

    pairs = [(skyfield_satellite(each), topos(where)) for each in satellites for where in STATIONS]
    t0, t1 = skyfield_time(0.0), skyfield_time(HOURS * 3600.0)
    ours_s = cpu_seconds(
        lambda: [predict_passes_many(each, STATIONS, START, END) for each in satellites], 5
    )
    theirs_s = cpu_seconds(lambda: [sat.find_events(at, t0, t1, 0.0) for sat, at in pairs], 2)
    verdict = "meets" if ours_s < CPU_TARGET_S else "MISSES"
    print(f"(d) {len(satellites)} satellites x {len(STATIONS)} stations x {HOURS} h, CPU s:")
    print(f"    satfeed_core.passes, 1 ms tolerance:    {ours_s:.3f} s "
          f"({verdict} the target of {CPU_TARGET_S:g} s)")  # fmt: skip
    print(f"    skyfield find_events, 0.5 s tolerance:  {theirs_s:.3f} s")
    print(f"    ratio skyfield / satfeed: {theirs_s / ours_s:.1f}")
    print(f"load before {load_before}, after {os.getloadavg()}")


if __name__ == "__main__":
    main()
