"""Ground stations on the page (satfeed_frontend.pass_planner, station_callbacks): what the
background prediction costs per station, and what a page with a station picked costs the
server each second.

(a) One station (Svalbard, 24 h look-ahead) following the 25 objects of
    data/tle/earth-observation.tle: the planner's first update (every prediction made) and
    an update with nothing new (all cached), thread CPU time.
(b) Six stations from Svalbard to McMurdo, each following the same 25: the first update
    (each Satellite propagated once for the six).
(c) The panel's once-a-second answer (``draw_station`` with the plan unchanged: the sky
    plot's live points and four cards' look angles), for the first page asking in a second
    (the look angles computed) and for the others (shared), and a whole panel (table and
    sky plot).

Run from the repository root:  uv run --frozen python bench/station_page.py
Results go to docs/benchmarks.md (section "Ground stations on the page") by hand.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from satfeed_core.contract import ELEMENTS_KEY
from satfeed_core.elements import elements_text, load_elements
from satfeed_core.labels import SATELLITE_KEY
from satfeed_dev.sample_data import tle_file
from satfeed_frontend.config import parse_config
from satfeed_frontend.data.elements import ElementsRegistry
from satfeed_frontend.service import FrontendService
from satfeed_frontend.station_callbacks import draw_station
from satfeed_frontend.station_service import StationService

NAMESPACE = "space"
START = datetime(2026, 8, 23, 6, tzinfo=UTC)
STATIONS = {
    "svalbard": (78.2297, 15.4078),
    "kiruna": (67.8571, 20.9644),
    "darmstadt": (49.8700, 8.6500),
    "hartebeesthoek": (-25.8872, 27.7077),
    "santiago": (-33.1500, -70.6667),
    "mcmurdo": (-77.8391, 166.6671),
}
CARDS = ["terra", "aqua", "noaa-19", "metop-b"]


def thread_seconds(work: Callable[[], object]) -> float:
    began = time.thread_time()
    work()
    return time.thread_time() - began


def service_with(stations: dict[str, tuple[float, float]]) -> FrontendService:
    config = parse_config(["--bootstrap-servers", "127.0.0.1:1", "--topics", "t"], environ={})
    service = FrontendService(config)
    elements = ElementsRegistry()
    satellites = []
    for each in load_elements(tle_file("earth-observation.tle")):
        name = each.name.lower().replace(" ", "-").replace("(", "").replace(")", "")
        name = {"noaa-19": "noaa-19", "metop-b": "metop-b"}.get(name, name)
        elements.apply(
            NAMESPACE,
            "ADDED",
            {
                "metadata": {"name": f"{name}-elements", "namespace": NAMESPACE,
                             "labels": {SATELLITE_KEY: name}},
                "data": {ELEMENTS_KEY: elements_text(each)},
            },
        )  # fmt: skip
        satellites.append({"metadata": {"name": name, "namespace": NAMESPACE, "labels": {}}})
    service.stations = StationService(None, [NAMESPACE], elements, service.metrics)
    service.stations.labels.replace(NAMESPACE, satellites)
    service.stations.stations.replace(
        NAMESPACE,
        [
            {
                "metadata": {"name": name, "namespace": NAMESPACE},
                "spec": {
                    "latitude": lat, "longitude": lon,
                    "downlinks": [{"satellite": "terra", "frequencyMHz": 8212.5}],
                },
            }
            for name, (lat, lon) in stations.items()
        ],
    )  # fmt: skip
    return service


def main() -> None:
    print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    one = service_with({"svalbard": STATIONS["svalbard"]})
    assert one.stations is not None
    planner = one.stations.planner
    first = thread_seconds(lambda: planner.update(START))
    cached = [thread_seconds(lambda: planner.update(START)) for _ in range(20)]
    plan = planner.plan(f"{NAMESPACE}/svalbard")
    assert plan is not None
    passes = sum(len(p.passes) for _, p in plan.predictions)
    print(
        f"(a) 1 station x {len(plan.predictions)} satellites x 24 h ({passes} passes): "
        f"first update {first * 1000:.0f} ms CPU, cached update median "
        f"{statistics.median(cached) * 1000:.1f} ms"
    )
    six = service_with(STATIONS)
    assert six.stations is not None
    planner6 = six.stations.planner
    first6 = thread_seconds(lambda: planner6.update(START))
    print(
        f"(b) {len(STATIONS)} stations x 25 satellites x 24 h: first update "
        f"{first6 * 1000:.0f} ms CPU ({first6 / len(STATIONS) * 1000:.0f} ms per station)"
    )
    value = f"{NAMESPACE}/svalbard"
    drawn: Any = draw_station(one, value, None, CARDS, START)[2]

    def tick_at(second: int) -> float:
        at = START + timedelta(seconds=second)
        return thread_seconds(lambda: draw_station(one, value, drawn, CARDS, at))

    first_in_second = [tick_at(second) for second in range(1, 51)]
    ticks = [
        thread_seconds(lambda: draw_station(one, value, drawn, CARDS, START)) for _ in range(50)
    ]
    whole = [
        thread_seconds(lambda: draw_station(one, value, None, CARDS, START)) for _ in range(20)
    ]
    print(
        f"(c) a page's answer each second (live points, {len(CARDS)} cards' look angles): "
        f"the first page in a second median {statistics.median(first_in_second) * 1000:.2f} "
        f"ms CPU, every other page in that second {statistics.median(ticks) * 1000:.2f} ms; "
        f"whole panel median "
        f"{statistics.median(whole) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
