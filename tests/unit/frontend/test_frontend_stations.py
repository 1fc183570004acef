"""Ground stations on the page: the passes table, the sky plot, the look angles on a card,
and the planner that predicts them in the background (pure parts; the watch is I/O)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dash import Patch, no_update
from satfeed_core.contract import ELEMENTS_KEY
from satfeed_core.elements import Elements, load_elements
from satfeed_core.labels import SATELLITE_KEY
from satfeed_core.passes import (
    PassPrediction,
    SkyPoint,
    Visibility,
    look_angles,
    predict_passes,
)
from satfeed_core.stations import Station
from satfeed_dev.sample_data import tle_file
from satfeed_frontend.data.elements import ElementsRegistry
from satfeed_frontend.data.ground_stations import GroundStations, SatelliteLabels
from satfeed_frontend.look_angles import look_text
from satfeed_frontend.metrics import FrontendMetrics
from satfeed_frontend.pass_planner import PassPlanner, window
from satfeed_frontend.pass_table import Followed, countdown, notes, pass_rows, table
from satfeed_frontend.service import FrontendService
from satfeed_frontend.sky_plot import LIVE_TRACE_UID, LivePoint, SkyTrack, sky_figure
from satfeed_frontend.station_callbacks import draw_station
from satfeed_frontend.station_service import StationService

ELEMENTS = {each.name: each for each in load_elements(tle_file("earth-observation.tle"))}
TERRA, AQUA, ISS = ELEMENTS["TERRA"], ELEMENTS["AQUA"], ELEMENTS["ISS (ZARYA)"]
START = datetime(2026, 8, 23, tzinfo=UTC)
SVALBARD = Station(78.2297, 15.4078, 500.0, name="Svalbard")
SOUTH_POLE = Station(-89.99, 0.0, name="South Pole")
X_BAND_HZ = 8212.5e6


def svalbard_terra() -> PassPrediction:
    return predict_passes(TERRA, SVALBARD, START, START + timedelta(hours=12))


# -- the passes table -----------------------------------------------------------------------


def test_rows_are_the_predicted_passes_in_time_order_with_their_numbers() -> None:
    terra, aqua = (
        svalbard_terra(),
        predict_passes(AQUA, SVALBARD, START, START + timedelta(hours=12)),
    )
    rows = pass_rows([(Followed("terra", "TERRA"), terra), (Followed("aqua", "AQUA"), aqua)], START)
    assert len(rows) == len(terra.passes) + len(aqua.passes) > 10  # polar orbiters, each orbit
    starts = [row.aos or START for row in rows]  # None: up at the window's start
    assert starts == sorted(starts)
    first = next(row for row in rows if row.satellite == "terra" and row.aos)
    expected = next(each for each in terra.passes if each.aos)
    assert expected.aos is not None
    assert expected.los is not None
    assert (first.aos, first.los) == (expected.aos.time, expected.los.time)
    assert first.max_elevation_deg == expected.culmination.elevation_deg
    assert first.max_elevation_azimuth_deg == expected.culmination.azimuth_deg
    assert (first.aos_azimuth_deg, first.los_azimuth_deg) == (
        expected.aos.azimuth_deg,
        expected.los.azimuth_deg,
    )
    assert first.duration == expected.duration
    assert first.sunlit == expected.sunlit


def test_passes_that_are_over_are_dropped_and_the_one_in_progress_is_marked() -> None:
    prediction = svalbard_terra()
    second = prediction.passes[2]
    assert second.aos is not None
    assert second.los is not None
    during = second.aos.time + (second.los.time - second.aos.time) / 2
    rows = pass_rows([(Followed("terra", "TERRA"), prediction)], during)
    assert rows[0].aos == second.aos.time  # the first passes are over
    assert rows[0].in_progress(during)
    assert not rows[1].in_progress(during)
    body = table(rows, [], during).children[0].children[1].children
    assert body[0].className == "pass up"
    assert body[1].className == "pass"


def test_a_downlink_is_shown_doppler_shifted_higher_at_aos_lower_at_los() -> None:
    rows = pass_rows([(Followed("terra", "TERRA", X_BAND_HZ), svalbard_terra())], START)
    assert rows[1].doppler_hz is not None
    at_aos, _, at_los = rows[1].doppler_hz
    assert at_aos > X_BAND_HZ > at_los  # approaching, then receding
    assert 100e3 < at_aos - X_BAND_HZ < 200e3  # about 7 km/s towards the station at 8 GHz
    assert pass_rows([(Followed("terra", "TERRA"), svalbard_terra())], START)[0].doppler_hz is None


def test_satellites_that_never_rise_or_never_set_are_listed_as_such() -> None:
    iss = predict_passes(ISS, SOUTH_POLE, START, START + timedelta(hours=12))
    assert iss.visibility is Visibility.NEVER_RISES
    point = SkyPoint(START, 180.0, 30.0, 36_000.0, 0.0, True)
    geostationary = PassPrediction(
        elements=ISS, station=SVALBARD, start=START, end=START + timedelta(hours=1),
        visibility=Visibility.NEVER_SETS, passes=(), reason="", at_start=point,
        sampled_elevation_range_deg=(29.9, 30.1),
    )  # fmt: skip
    listed = notes(
        [(Followed("iss", "ISS"), iss), (Followed("geo", "GEO"), geostationary)],
        [(Followed("old", "OLD"), "its elements decayed")],
    )
    assert [(note.label, note.what) for note in listed] == [
        ("ISS", "never rises"),
        ("GEO", "never sets"),
        ("OLD", "no prediction"),
    ]
    assert "azimuth 180.0°" in listed[1].why
    assert pass_rows([(Followed("iss", "ISS"), iss)], START) == []


@pytest.mark.parametrize(
    ("seconds_to_aos", "pass_seconds", "text"),
    [
        (3725, 600, "in 1 h 02 min"),
        (245, 600, "in 4 min 05 s"),
        (9, 600, "in 9 s"),
        (-10, 200, "up, LOS in 3 min 10 s"),
        (-700, 600, "over"),
    ],
)
def test_countdown_wording(seconds_to_aos: int, pass_seconds: int, text: str) -> None:
    aos = START + timedelta(seconds=seconds_to_aos)
    assert countdown(START, aos, aos + timedelta(seconds=pass_seconds)) == text


# -- the sky plot ---------------------------------------------------------------------------


def test_sky_plot_has_north_up_east_right_and_the_zenith_at_the_centre() -> None:
    track = SkyTrack("TERRA", 0, [350.0, 90.0, 170.0], [0.0, 60.0, 0.0], "AOS 12:03")
    figure = sky_figure("Svalbard", [track], [LivePoint("TERRA", 0, 90.0, 60.0)])
    polar = figure["layout"]["polar"]
    assert polar["angularaxis"]["rotation"] == 90
    assert polar["angularaxis"]["direction"] == "clockwise"
    assert polar["radialaxis"]["range"] == [0, 90]
    line = figure["data"][0]
    assert line["r"] == [90.0, 30.0, 90.0]
    assert line["theta"] == [350.0, 90.0, 170.0]
    live = figure["data"][-1]
    assert live["uid"] == LIVE_TRACE_UID
    assert (live["r"], live["theta"], live["text"]) == ([30.0], [90.0], ["TERRA"])


def test_live_points_below_the_horizon_are_left_out() -> None:
    figure = sky_figure("Svalbard", [], [LivePoint("AQUA", 1, 10.0, -3.0)])
    assert figure["data"][-1]["r"] == []


# -- look angles on a card ------------------------------------------------------------------


def test_look_angles_on_a_card_name_the_station_and_the_received_frequency() -> None:
    approaching = SkyPoint(START, 123.45, 12.34, 1234.5, -5.0, True)
    text = look_text("Svalbard", approaching, X_BAND_HZ)
    assert text.splitlines() == [
        "From Svalbard: in view",
        "az 123.5°  el 12.3°",
        "range 1,234 km  -5.00 km/s",
        "rx 8212.6370 MHz (+137.0 kHz)",
    ]
    below = SkyPoint(START, 10.0, -20.0, 5000.0, 3.0, True)
    assert look_text("Svalbard", below, None).splitlines()[0] == "From Svalbard: below the horizon"
    assert look_text("Svalbard", None, None) == "From Svalbard: not followed"


# -- the planner ----------------------------------------------------------------------------


def ground_station(name: str, spec: dict[str, Any], namespace: str = "space") -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": namespace}, "spec": spec}


def satellite(name: str, labels: dict[str, str], namespace: str = "space") -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": namespace, "labels": labels}}


def planner_for(
    stations: list[dict[str, Any]], elements: dict[str, Elements], labels: dict[str, dict[str, str]]
) -> tuple[PassPlanner, FrontendMetrics, dict[str, Elements]]:
    registry = GroundStations()
    registry.replace("space", stations)
    satellites = SatelliteLabels()
    satellites.replace("space", [satellite(name, each) for name, each in labels.items()])
    metrics = FrontendMetrics()
    known = dict(elements)
    planner = PassPlanner(
        registry,
        satellites,
        lambda ref: known.get(ref[1]) if ref[0] == "space" else None,
        lambda: 0,
        metrics,
    )
    return planner, metrics, known


def predictions_made(metrics: FrontendMetrics) -> float:
    value = metrics.registry.get_sample_value("satfeed_frontend_pass_prediction_seconds_count")
    return value or 0.0


SVALBARD_SPEC = {
    "displayName": "Svalbard",
    "latitude": 78.2297,
    "longitude": 15.4078,
    "altitudeMeters": 500,
    "satelliteSelector": {"matchLabels": {"band": "x"}},
    "lookAheadHours": 12,
    "downlinks": [{"satellite": "terra", "frequencyMHz": 8212.5}],
}


def test_the_planner_predicts_only_the_satellites_a_station_selects() -> None:
    planner, metrics, _ = planner_for(
        [ground_station("svalbard", SVALBARD_SPEC)],
        {"terra": TERRA, "aqua": AQUA, "iss": ISS},
        {"terra": {"band": "x"}, "aqua": {"band": "x"}, "iss": {"band": "s"}},
    )
    planner.update(START)
    plan = planner.plan("space/svalbard")
    assert plan is not None
    assert [followed.satellite for followed, _ in plan.predictions] == ["aqua", "terra"]
    assert predictions_made(metrics) == 2
    start, end = window(START, timedelta(hours=12))
    expected = predict_passes(TERRA, SVALBARD, start, end)
    rows = [row for row in plan.rows(START) if row.satellite == "terra"]
    assert [row.aos for row in rows] == [p.aos.time for p in expected.passes if p.aos]
    assert rows[0].downlink_hz == 8212.5e6
    assert plan.sky_tracks
    assert plan.sky_tracks[0].elevation_deg


def test_the_planner_reuses_its_predictions_until_elements_or_the_window_change() -> None:
    planner, metrics, known = planner_for(
        [ground_station("svalbard", SVALBARD_SPEC)], {"terra": TERRA}, {"terra": {"band": "x"}}
    )
    planner.update(START)
    plan = planner.plan("space/svalbard")
    assert plan is not None
    aos = next(row.aos for row in plan.rows(START) if row.aos)
    # A minute into a window step, well before that AOS: the next 30 s change nothing.
    quiet = window(aos - timedelta(minutes=9), timedelta(0))[1] + timedelta(minutes=1)
    planner.update(quiet)
    first = planner.plan("space/svalbard")
    assert predictions_made(metrics) == 2  # the window moved on
    planner.update(quiet + timedelta(seconds=30))
    assert predictions_made(metrics) == 2  # the same elements, station and window
    assert planner.plan("space/svalbard") is first
    known["terra"] = AQUA  # new elements
    planner.update(quiet + timedelta(seconds=40))
    assert predictions_made(metrics) == 3


def test_the_sky_plot_shows_a_satellite_in_a_pass_where_it_is_now() -> None:
    planner, _, _ = planner_for(
        [ground_station("svalbard", SVALBARD_SPEC)], {"terra": TERRA}, {"terra": {"band": "x"}}
    )
    planner.update(START)
    plan = planner.plan("space/svalbard")
    assert plan is not None
    row = next(each for each in plan.rows(START) if each.aos)
    assert row.aos is not None
    during = (row.aos + timedelta(minutes=2)).replace(microsecond=0)  # look: whole seconds
    (point,) = planner.live_points(plan, during)
    seen = look_angles(TERRA, SVALBARD, [during])
    assert point.azimuth_deg == pytest.approx(float(seen.azimuth_deg[0]))
    assert point.elevation_deg == pytest.approx(float(seen.elevation_deg[0]))
    assert point.elevation_deg > 0
    assert planner.live_points(plan, row.aos - timedelta(minutes=1)) == []


def test_a_bad_station_is_left_out_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    bad = ground_station("nowhere", {"latitude": 91, "longitude": 0})
    caplog.set_level(logging.WARNING)
    planner, _, _ = planner_for(
        [bad, ground_station("svalbard", SVALBARD_SPEC)], {"terra": TERRA}, {"terra": {"band": "x"}}
    )
    registry = planner._stations
    registry.apply("space", "MODIFIED", bad)
    planner.update(START)
    assert planner.plan("space/nowhere") is None
    assert planner.plan("space/svalbard") is not None
    complaints = [r.getMessage() for r in caplog.records if "nowhere" in r.getMessage()]
    assert len(complaints) == 1
    assert "spec.latitude" in complaints[0]


# -- the panel's callback -------------------------------------------------------------------


def test_the_panel_is_drawn_whole_once_then_only_its_live_points_and_look_angles(
    service: FrontendService,
) -> None:
    elements = ElementsRegistry()
    terra_text = "\n".join(tle_file("earth-observation.tle").read_text().splitlines()[:3])
    elements.apply(
        "space",
        "ADDED",
        {
            "metadata": {"name": "terra-elements", "namespace": "space",
                         "labels": {SATELLITE_KEY: "terra"}},
            "data": {ELEMENTS_KEY: terra_text},
        },
    )  # fmt: skip
    service.stations = StationService(None, ["space"], elements, service.metrics)
    service.stations.stations.replace("space", [ground_station("svalbard", SVALBARD_SPEC)])
    service.stations.labels.replace("space", [satellite("terra", {"band": "x"})])
    assert draw_station(service, "space/svalbard", None, ["terra"], START)[-1].endswith(
        "predicting its passes…"
    )
    service.stations.planner.update(START)
    passes, sky, drawn, looks, timer_off, panel, status = draw_station(
        service, "space/svalbard", None, ["terra", "aqua"], START
    )
    assert panel == "station-panel"
    plan = service.stations.planner.plan("space/svalbard")
    assert plan is not None
    assert len(passes.children[0].children[1].children) == len(plan.rows(START)) > 5
    assert timer_off is False
    assert sky["data"][-1]["uid"] == LIVE_TRACE_UID
    assert looks[0].startswith("From Svalbard: ")
    assert "rx 8212." in looks[0]  # TERRA's downlink, Doppler-shifted
    assert looks[1] == "From Svalbard: not followed"
    assert "1 satellites (band=x)" in status
    row = next(each for each in plan.rows(START) if each.aos)
    assert row.aos is not None
    during = row.aos + timedelta(minutes=2)
    again = draw_station(service, "space/svalbard", drawn, ["terra"], during)
    assert again[0] is no_update  # the table stays
    assert isinstance(again[1], Patch)  # only the live points move
    assert again[2] == f"{plan.version}:1"  # TERRA in the sky
    before = row.aos - timedelta(minutes=1)
    gone = draw_station(service, "space/svalbard", again[2], ["terra"], before)
    assert isinstance(gone[1], Patch)  # TERRA's point taken off
    quiet = draw_station(service, "space/svalbard", gone[2], ["terra"], before)
    assert quiet[1] is no_update  # nobody in the sky, as before: the plot is left alone
    assert quiet[3][0].startswith("From Svalbard: below the horizon")
    assert draw_station(service, None, drawn, ["terra"], START)[5] == "station-panel hidden"
