"""Predicted ground tracks: elements from the operator's ConfigMaps, one orbit ahead."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest
from satfeed_core.elements import load_elements
from satfeed_core.propagation import position_at
from satfeed_dev.sample_data import tle_file
from satfeed_frontend.config import parse_config
from satfeed_frontend.data.elements import ElementsRegistry, satellite_ref
from satfeed_frontend.data.feed import FeedState, TopicInfo
from satfeed_frontend.prediction import predicted_track
from satfeed_frontend.service import FrontendService
from satfeed_frontend.ticks import REDRAW, UpdateSettings, draw, update

from tests.unit.frontend.frontend_samples import kafkatopic, position

TERRA_TLE = tle_file("earth-observation.tle").read_text().splitlines()[:3]


def elements_configmap(
    satellite: str = "terra", text: str = "\n".join(TERRA_TLE)
) -> dict[str, Any]:
    return {
        "metadata": {
            "name": f"{satellite}-elements",
            "namespace": "space",
            "labels": {"app.kubernetes.io/part-of": "satfeed", "satfeed.io/satellite": satellite},
        },
        "data": {"elements": text},
    }


def test_a_kafkatopic_finds_its_satellite_by_label() -> None:
    topic = kafkatopic()
    assert satellite_ref(topic) is None
    topic["metadata"]["labels"] = {"satfeed.io/satellite": "terra"}
    assert satellite_ref(topic) == ("space", "terra")


def test_registry_follows_configmaps_and_skips_bad_elements() -> None:
    registry = ElementsRegistry()
    registry.replace("space", [elements_configmap(), elements_configmap("bad", "not a TLE")])
    terra = registry.get(("space", "terra"))
    assert terra is not None
    assert terra.norad_id == 25994
    assert registry.get(("space", "bad")) is None
    version = registry.version
    registry.apply("space", "DELETED", elements_configmap())
    assert registry.get(("space", "terra")) is None
    assert registry.version > version


def test_the_prediction_covers_one_orbit_from_the_newest_position() -> None:
    (terra,) = load_elements(tle_file("earth-observation.tle"))[:1]
    start = terra.epoch + timedelta(hours=3)
    track = predicted_track(terra, start)
    period = timedelta(days=1) / terra.mean_motion_rev_per_day  # about 99 minutes
    assert len(track.lon) == math.ceil(period / timedelta(seconds=30)) + 1  # the period, covered
    now = position_at(terra, start)
    assert track.lon[0] == pytest.approx(now.lon_deg, abs=1e-3)
    assert track.lat[0] == pytest.approx(now.lat_deg, abs=1e-3)
    # After one period the satellite is back at the same latitude, the Earth having turned.
    assert track.lat[-1] == pytest.approx(now.lat_deg, abs=2)


def test_pages_draw_predictions_and_redraw_them_when_the_key_changes() -> None:
    (terra,) = load_elements(tle_file("earth-observation.tle"))[:1]
    feed = FeedState(10)
    feed.set_topics([TopicInfo("t", "KafkaTopic space/terra", satellite_ref=("space", "terra"))])
    feed.add("t", position())
    latest = feed.snapshot().tracks[0].latest.record

    def predict(tracks: Any, now: Any) -> Any:
        return {track.key: predicted_track(terra, latest.time) for track in tracks}

    settings = UpdateSettings("one", timedelta(seconds=5), 10, predict)
    drawn = draw(feed, settings, [], latest.time, "v1")
    predicted = drawn.map_figure["data"][2]  # after the catalogue and the past track
    assert predicted["name"] == "TERRA (predicted)"
    assert len([x for x in predicted["x"] if x is not None]) > 100
    cursor = drawn.cursor.to_store()
    assert update(feed, settings, cursor, [], latest.time, "v1") is None  # nothing new
    assert update(feed, settings, cursor, [], latest.time, "v2") is REDRAW


@pytest.mark.parametrize(
    ("argv", "environ", "watched"),
    [
        # Satellites' elements, and groups' members' elements (names, predicted orbits).
        ([], {}, ["KafkaTopics", "ConfigMaps", "ConfigMaps"]),
        (["--predictions", "false"], {}, ["KafkaTopics"]),
        ([], {"SATFEED_PREDICTIONS": "false"}, ["KafkaTopics"]),  # the chart's way
    ],
)
def test_without_predictions_no_configmap_is_watched(
    argv: list[str], environ: dict[str, str], watched: list[str]
) -> None:
    config = parse_config(["--bootstrap-servers", "127.0.0.1:1", *argv], environ=environ)
    service = FrontendService(config, kube_api=object())  # never started: no request made
    try:
        assert [watch.target.what for watch in service.watches] == watched
        if watched == ["KafkaTopics"]:
            service.feed.set_topics(
                [TopicInfo("t", "KafkaTopic space/terra", satellite_ref=("space", "terra"))]
            )
            service.feed.add("t", position())
            now = service.feed.snapshot().tracks[0].latest.record.time
            assert service.predictions(service.feed.snapshot().tracks, now) == {}
            assert service.prediction_key(now) == ""  # never a redraw for predictions
    finally:
        service.stop()


def test_without_kubernetes_an_elements_file_draws_the_predictions() -> None:
    """``make demo``'s way: static topics, and the producers' elements file for predictions."""
    config = parse_config(
        [
            "--bootstrap-servers",
            "127.0.0.1:1",
            "--topics",
            "t",
            "--elements-file",
            str(tle_file("earth-observation.tle")),
        ],
        environ={},
    )
    service = FrontendService(config)
    try:
        assert service.watches == []
        service.feed.set_topics([TopicInfo("t", "topic t")])
        service.feed.add("t", position(norad_id=25994))
        tracks = service.feed.snapshot().tracks
        predicted = service.predictions(tracks, tracks[0].latest.record.time)
        assert len(predicted[tracks[0].key].lon) > 100
        assert service.prediction_key(tracks[0].latest.record.time) != ""
    finally:
        service.stop()
