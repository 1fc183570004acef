"""Position records and KafkaTopics for the frontend's unit tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from satfeed_core.labels import DISPLAY_NAME_ANNOTATION
from satfeed_core.record import PositionRecord
from satfeed_frontend.data.feed import FeedState, TopicInfo, TrackView
from satfeed_frontend.figures import PredictedTrack

T0 = datetime(2026, 8, 22, 18, 0, tzinfo=UTC)


def position(
    satellite: str = "terra",
    second: float = 0,
    lon: float = 10.0,
    lat: float = 20.0,
    name: str = "TERRA",
    norad_id: int = 25994,
    elements_age: timedelta = timedelta(days=2),
) -> PositionRecord:
    return PositionRecord(
        satellite=satellite,
        name=name,
        norad_id=norad_id,
        time=T0 + timedelta(seconds=second),
        lon=lon,
        lat=lat,
        alt_km=705.0 + second / 100,
        speed_km_s=7.5,
        elements_epoch=T0 - elements_age,  # the same element set for every second
    )


def kafkatopic(
    name: str = "terra",
    namespace: str = "space",
    ready: bool | None = True,
    spec_topic: str | None = None,
    status_topic: str | None = None,
    display_name: str | None = None,
    deleting: bool = False,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": namespace, "resourceVersion": "1"}
    if display_name is not None:
        metadata["annotations"] = {DISPLAY_NAME_ANNOTATION: display_name}
    if deleting:
        metadata["deletionTimestamp"] = "2026-08-22T18:00:00Z"
    obj: dict[str, Any] = {"metadata": metadata, "spec": {"partitions": 1}}
    if spec_topic is not None:
        obj["spec"]["topicName"] = spec_topic
    if ready is not None or status_topic is not None:
        status: dict[str, Any] = {}
        if ready is not None:
            status["conditions"] = [{"type": "Ready", "status": "True" if ready else "False"}]
        if status_topic is not None:
            status["topicName"] = status_topic
        obj["status"] = status
    return obj


def no_predictions(tracks: Sequence[TrackView], now: datetime) -> Mapping[str, PredictedTrack]:
    """A prediction source that knows no elements."""
    return {}


def sample_tracks(
    count: int, samples: int, capacity: int = 180
) -> tuple[FeedState, tuple[TrackView, ...]]:
    """``count`` satellites ``s0``, ``s1``... (topics ``t0``, ``t1``...) with a record each
    second from :data:`T0` on, moving east from 170° W."""
    feed = FeedState(capacity)
    feed.set_topics(TopicInfo(f"t{i}", f"KafkaTopic ns/s{i}") for i in range(count))
    for second in range(samples):
        for i in range(count):
            feed.add(f"t{i}", position(f"s{i}", second, lon=-170 + second, norad_id=1000 + i))
    return feed, feed.snapshot().tracks
