"""Ground stations on the page, in Chromium, against the test bed: the station on the map,
its passes table as satfeed_core.passes predicts it from the same elements, its sky plot
with the satellite moving on it, look angles and Doppler on the cards, the station kept in
the URL; and a GroundStation whose spec does not parse leaves the page alone."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from satfeed_core.elements import load_elements
from satfeed_core.passes import predict_passes
from satfeed_core.propagation import position_at
from satfeed_core.stations import Station
from satfeed_dev.frontend_bed import (
    FrontendRunner,
    count_lines,
    create_ready_topic,
    elements_configmap,
    grant_reader,
    kafkatopic,
)
from satfeed_dev.operator_bed import example, install_crd
from satfeed_dev.testbed import TestBed
from satfeed_dev.waiting import wait_for
from satfeed_frontend.pass_planner import window

from tests.integration.frontend.conftest import WatchedPage

pytestmark = pytest.mark.integration

BANDS = {"terra": "x", "aqua": "s"}
"""The station follows the x-band Satellites: TERRA, not AQUA."""
TLE_NAMES = {"terra": "TERRA", "aqua": "AQUA"}
X_BAND_MHZ = 8212.5
LOOK_AHEAD_HOURS = 6


def ground_station(name: str, namespace: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "satfeed.io/v1alpha1",
        "kind": "GroundStation",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def sky_live(page: WatchedPage) -> dict[str, list[Any]]:
    """The sky plot's live points as plotly.js draws them: names and where."""
    found: dict[str, list[Any]] = page.page.evaluate(
        """() => {
            const live = (document.querySelector('#sky .js-plotly-plot')?.data || [])
                .find(t => t.uid === 'live') || {};
            return {text: Array.from(live.text || []), r: Array.from(live.r || []),
                    theta: Array.from(live.theta || [])};
        }"""
    )
    return found


def table_rows(page: WatchedPage) -> list[list[str]]:
    rows: list[list[str]] = page.page.eval_on_selector_all(
        ".passes-table tbody tr.pass",
        "rows => rows.map(row => Array.from(row.cells).map(cell => cell.innerText))",
    )
    return rows


def test_a_ground_station_with_its_passes_sky_and_look_angles(
    testbed: TestBed,
    namespace: str,
    frontends: FrontendRunner,
    elements_file: Callable[[str], Path],
    open_page: Callable[[str], WatchedPage],
) -> None:
    install_crd(testbed.kube)  # Satellites and GroundStations
    for satellite, tle_name in TLE_NAMES.items():
        path = elements_file(tle_name)
        testbed.kube.apply(elements_configmap(satellite, namespace, path.read_text()))
        manifest = example(satellite, namespace)
        manifest["metadata"]["labels"] = {"band": BANDS[satellite]}
        testbed.kube.apply(manifest)
        topic = create_ready_topic(
            testbed, kafkatopic(satellite, namespace, display_name=tle_name, satellite=satellite)
        )
        frontends.start_producer(topic, satellite, path, "--backfill", "30")
    # A station right under where TERRA will be in two minutes: a pass is in progress
    # throughout the test, high in the station's sky.
    (terra,) = load_elements(elements_file("TERRA"))
    below = position_at(terra, datetime.now(UTC) + timedelta(minutes=2))
    latitude, longitude = round(below.lat_deg, 4), round(below.lon_deg, 4)
    testbed.kube.apply(
        ground_station(
            "overhead",
            namespace,
            {
                "displayName": "Overhead",
                "latitude": latitude,
                "longitude": longitude,
                "satelliteSelector": {"matchLabels": {"band": "x"}},
                "lookAheadHours": LOOK_AHEAD_HOURS,
                "downlinks": [{"satellite": "terra", "frequencyMHz": X_BAND_MHZ}],
            },
        )
    )
    # The schema takes this one, the parser does not (In needs values).
    testbed.kube.apply(
        ground_station(
            "broken",
            namespace,
            {
                "latitude": 10.0,
                "longitude": 10.0,
                "satelliteSelector": {"matchExpressions": [{"key": "band", "operator": "In"}]},
            },
        )
    )
    kubeconfig = grant_reader(testbed.kube, namespace, elements=True, stations=True)
    frontend = frontends.start(kubeconfig=kubeconfig, namespaces=[namespace])
    page = open_page(f"{frontend.url}?station={namespace}/overhead")

    # The station's panel, from the link: its passes, with the one in progress first.
    wait_for(lambda: len(table_rows(page)) > 0, 60, "the passes table")
    assert "station-panel hidden" not in (page.page.get_attribute("#station-panel", "class") or "")
    assert f"station={namespace}%2Foverhead" in page.page.url or (
        f"station={namespace}/overhead" in page.page.url
    )
    rows = table_rows(page)
    assert {row[0] for row in rows} == {"TERRA"}  # AQUA is not selected
    # The same passes satfeed_core.passes predicts from the same elements (those well inside
    # the window: the page's window may have moved on by one step since).
    now = datetime.now(UTC)
    start, end = window(now, timedelta(hours=LOOK_AHEAD_HOURS))
    station = Station(latitude, longitude, name="Overhead")
    expected = [
        each
        for each in predict_passes(terra, station, start, end).passes
        if now < each.last.time < end - timedelta(hours=1)
    ]
    shown = rows[: len(expected)]
    assert [row[1] for row in shown] == [
        "(up)" if each.aos is None else f"{each.aos.time:%m-%d %H:%M:%S}" for each in expected
    ]
    assert [row[4] for row in shown] == [
        f"{each.culmination.elevation_deg:.1f}°" for each in expected
    ]
    assert [row[6] for row in shown] == [
        "(up)" if each.los is None else f"{each.los.time:%m-%d %H:%M:%S}" for each in expected
    ]
    assert float(rows[0][4].rstrip("°")) > 80  # overhead
    assert re.fullmatch(r"up, LOS in \d+ min \d\d s", rows[0][2]), rows[0][2]
    assert re.fullmatch(r"in \d+ h \d\d min", rows[1][2]), rows[1][2]
    assert rows[0][10].startswith("8212.5 MHz +")  # approaching at AOS: received higher

    # The sky plot: TERRA's live point, moving.
    wait_for(lambda: sky_live(page)["text"] == ["TERRA"], 20, "TERRA's live point on the sky")
    first = sky_live(page)
    assert 0 <= first["r"][0] < 80  # well above the horizon (the rim, at 90)
    wait_for(lambda: sky_live(page)["theta"] != first["theta"], 10, "the live point to move")

    # The cards: look angles from the station, the received downlink for TERRA.
    def look(satellite: str) -> str:
        return page.page.inner_text(f'.card[data-satellite="{satellite}"] .card-look')

    wait_for(lambda: look("terra").startswith("From Overhead: in view"), 20, "TERRA's look")
    assert re.search(r"rx 8212\.\d{4} MHz \([+-]\d+\.\d kHz\)", look("terra")), look("terra")
    assert look("aqua") == "From Overhead: not followed"

    # The map: the station's marker (the broken one is not there).
    stations = [t for t in page.graph_traces("map") if t["name"] == "ground stations"]
    assert [t["points"] for t in stations] == [1]
    assert page.page.inner_text(".station-bar").count("Overhead") >= 1

    # The broken station: logged once, with the parser's message, and nothing else.
    complaint = f"GroundStation {namespace}/broken is not shown"
    wait_for(lambda: count_lines(frontend.log(), complaint) == 1, 10, "the bad station logged")
    assert "spec.satelliteSelector.matchExpressions[0].values" in frontend.log()
    assert page.console_errors == []
