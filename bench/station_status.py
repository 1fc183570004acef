"""What GroundStations cost the operator: 100 Satellites followed by 10 stations.

For each station the operator predicts the passes of every Satellite it follows over its
look-ahead window (24 h) when the spec or an element set changes, or hourly
(``station_forecast.forecast``), and between those only rebuilds the status as passes go
by (``station_forecast.station_status``) at each notice, AOS and LOS. Measured here, in CPU
seconds of this process:

(a) one forecast of 100 Satellites for each of 10 stations (what a change of elements or
    the hourly refresh costs), against the baseline of one ``predict_passes_many`` call per
    Satellite over all 10 stations at once (one propagation shared by the stations: the
    least the same answers can cost);
(b) the status rebuild at each wake-up, and how many wake-ups a day the stations need;
(c) the status's size (JSON bytes) the apiserver stores and every watcher receives;
(d) one Satellite's new elements (CelesTrak refreshes each Satellite every 2 h, at its own
    time): only that Satellite is predicted again, against the full forecast of (a).

The 100 Satellites are the first 100 low-Earth-orbit objects (period under 128 min) of the
bundled catalogue; the stations spread from Svalbard to McMurdo. Elements and window start
at the catalogue's epoch (2026-08-23).

Run from the repository root:  uv run --frozen python bench/station_status.py
Results go to docs/benchmarks.md (section "Ground station status") by hand, with the load.
"""

from __future__ import annotations

import json
import os
import platform
import time
from datetime import UTC, datetime, timedelta

from satfeed_core.elements import Elements, load_elements
from satfeed_core.ground_station import GroundStationSpec, parse_ground_station
from satfeed_core.passes import predict_passes_many
from satfeed_dev.sample_data import CATALOGUE, tle_file
from satfeed_operator import station_forecast as sf

START = datetime(2026, 8, 23, tzinfo=UTC)
SATELLITES = 100
STATIONS = (
    ("svalbard", 78.23, 15.39),
    ("kiruna", 67.86, 20.96),
    ("darmstadt", 49.87, 8.65),
    ("wallops", 37.94, -75.46),
    ("maspalomas", 27.76, -15.63),
    ("kourou", 5.25, -52.80),
    ("malindi", -2.99, 40.19),
    ("alice-springs", -23.76, 133.88),
    ("punta-arenas", -52.94, -70.85),
    ("mcmurdo", -77.84, 166.67),
)


def leo(count: int) -> list[Elements]:
    found = [
        each
        for each in load_elements(tle_file(CATALOGUE))
        if 1440 / each.mean_motion_rev_per_day < 128 and each.eccentricity < 0.05
    ]
    return found[:count]


def specs() -> list[GroundStationSpec]:
    return [
        parse_ground_station(name, {"latitude": lat, "longitude": lon, "minElevation": 5})
        for name, lat, lon in STATIONS
    ]


def cpu(work: object) -> tuple[float, object]:
    started = time.process_time()
    result = work() if callable(work) else None
    return time.process_time() - started, result


def main() -> None:
    elements = leo(SATELLITES)
    followed = [sf.FollowedSatellite(f"sat-{each.norad_id}", each) for each in elements]
    stations = specs()
    end = START + timedelta(hours=24)
    print(f"# {platform.node()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")

    baseline_s, _ = cpu(
        lambda: [
            predict_passes_many(each, [s.station for s in stations], START, end)
            for each in elements
        ]
    )
    forecast_s, forecasts = cpu(lambda: [sf.forecast(s, followed, START, end) for s in stations])
    assert isinstance(forecasts, list)
    print(
        f"(a) forecast, {SATELLITES} satellites x {len(stations)} stations x 24 h: "
        f"{forecast_s:.2f} CPU-s ({forecast_s / len(stations):.3f} per station); baseline one "
        f"propagation for all stations {baseline_s:.2f} CPU-s; ratio {forecast_s / baseline_s:.2f}"
    )

    wakes = 0
    rebuild_s = 0.0
    sizes = []
    for spec, each in zip(stations, forecasts, strict=True):
        moment = START
        while moment < START + timedelta(hours=1):  # the first hour, at every wake-up
            took, status = cpu(lambda: sf.station_status(spec, each, moment))  # noqa: B023
            rebuild_s += took
            sizes.append(len(json.dumps(status)))
            wakes += 1
            moment = sf.next_wake(spec, each, moment)
    passes = sum(len(s.passes) for f in forecasts for s in f.satellites)
    print(
        f"(b) wake-ups in the first hour: {wakes} for {len(stations)} stations; status rebuild "
        f"{rebuild_s / wakes * 1000:.2f} ms CPU each; {passes} passes in 24 h "
        f"({passes * 3 / 24:.0f} pass events an hour)"
    )
    print(
        f"(c) status size: median {sorted(sizes)[len(sizes) // 2]} bytes, max {max(sizes)} bytes "
        f"(at most {sf.MAX_STATUS_PASSES} passes listed)"
    )
    one_changed = [sf.FollowedSatellite("renamed", followed[0].elements), *followed[1:]]
    partial_s, _ = cpu(
        lambda: [
            sf.forecast(s, one_changed, START, end, previous=f)
            for s, f in zip(stations, forecasts, strict=True)
        ]
    )
    print(
        f"(d) one Satellite's new elements, re-predicted for {len(stations)} stations: "
        f"{partial_s * 1000:.0f} ms CPU; ratio to a full forecast {partial_s / forecast_s:.3f}"
    )

    print(f"# load at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
