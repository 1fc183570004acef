"""The consumer's handling of what it reads, without Kafka: position batches (schema v2) and
records (v1) told apart by their first bytes, bad batches counted and logged once per
episode, never fatal; and group elements ConfigMaps read for names."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pytest
from prometheus_client import generate_latest
from satfeed_core.batch import PositionBatch, encode_batch
from satfeed_core.contract import ELEMENTS_KEY
from satfeed_core.elements import elements_text, load_elements
from satfeed_core.labels import ENCODING_BATCH_V2, group_child_labels
from satfeed_core.record import encode_record
from satfeed_dev.sample_data import EARTH_OBSERVATION, tle_file
from satfeed_frontend.data.consumer import FeedConsumer
from satfeed_frontend.data.discovery import StaticTopics
from satfeed_frontend.data.elements import ElementsRegistry
from satfeed_frontend.data.feed import FeedState, TopicInfo
from satfeed_frontend.metrics import FrontendMetrics

from tests.unit.frontend.frontend_samples import T0, position

GROUP = TopicInfo("g.cat", "--group-topics", "Cat", encoding=ENCODING_BATCH_V2, group="cat")


@dataclass
class Message:
    """What the consumer reads of a Kafka message."""

    value_: bytes
    topic_: str = GROUP.topic
    offset_: int = 0

    def error(self) -> None:
        return None

    def topic(self) -> str:
        return self.topic_

    def value(self) -> bytes:
        return self.value_

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self.offset_


def good_batch(second: int) -> bytes:
    n = 3
    return encode_batch(
        PositionBatch(
            shard=0,
            time_ms=round(T0.timestamp() * 1000) + 1000 * second,
            norad_id=np.array([1, 2, 3], dtype=np.uint32),
            lon_deg=np.full(n, 1.0, dtype=np.float32),
            lat_deg=np.full(n, 2.0, dtype=np.float32),
            alt_km=np.full(n, 500.0, dtype=np.float32),
            speed_km_s=np.full(n, 7.6, dtype=np.float32),
            elements_epoch_s=np.full(n, int(T0.timestamp()), dtype=np.uint32),
        )
    )


def consumer() -> tuple[FeedConsumer, FrontendMetrics]:
    feed = FeedState(10)
    metrics = FrontendMetrics()
    source = StaticTopics(["t.terra"], ["Cat=g.cat"])
    reader = FeedConsumer("127.0.0.1:1", feed, source, metrics)  # never started
    infos = source.topics(set())
    reader._infos = {info.topic: info for info in infos}
    feed.set_topics(infos)
    reader.catalogue.set_topics(infos)
    return reader, metrics


def metric(metrics: FrontendMetrics, line: str) -> float:
    for each in generate_latest(metrics.registry).decode().splitlines():
        if each.startswith(line + " "):
            return float(each.rsplit(" ", 1)[1])
    return 0.0


def test_batches_and_records_are_told_apart_by_their_first_bytes() -> None:
    reader, metrics = consumer()
    reader._handle(Message(good_batch(0)))  # type: ignore[arg-type]
    reader._handle(Message(encode_record(position()), topic_="t.terra"))  # type: ignore[arg-type]
    assert reader.catalogue.count() == 4  # three members and terra
    assert metric(metrics, "satfeed_frontend_batches_consumed_total") == 1
    assert metric(metrics, "satfeed_frontend_records_consumed_total") == 2
    assert metric(metrics, "satfeed_frontend_positions_consumed_total") == 4


def test_bad_batches_are_counted_and_logged_once_per_episode(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="satfeed_frontend")
    reader, metrics = consumer()
    good = good_batch(0)
    broken = [
        good[:10],  # shorter than the header
        good[:-4],  # fewer bytes than the header says
        b"SFPB" + b"\x07\x00" + good[6:],  # a schema version this reader does not know
        good.replace(b"\x00\x00\xfaC", b"\x00\x00\xc0\x7f", 1),  # a height of NaN
    ]
    for offset, value in enumerate(broken):
        reader._handle(Message(value, offset_=offset))  # type: ignore[arg-type]
    assert metric(metrics, 'satfeed_frontend_records_malformed_total{field="batch"}') == 4
    assert caplog.text.count("skipping malformed position batches") == 1
    assert "offset 0" in caplog.text
    # A good batch ends the episode; the next bad one starts another, logged again.
    reader._handle(Message(good_batch(1), offset_=5))  # type: ignore[arg-type]
    assert "has good position batches again" in caplog.text
    reader._handle(Message(broken[0], offset_=6))  # type: ignore[arg-type]
    assert caplog.text.count("skipping malformed position batches") == 2
    assert reader.catalogue.count() == 3


def test_group_configmaps_name_the_members_by_norad_id() -> None:
    sets = load_elements(tle_file(EARTH_OBSERVATION))
    registry = ElementsRegistry()

    def chunk(name: str, text: str) -> dict[str, object]:
        return {
            "metadata": {
                "name": name,
                "namespace": "space",
                "labels": group_child_labels("eo"),
            },
            "data": {ELEMENTS_KEY: text},
        }

    first = chunk("eo-elements-0", "".join(elements_text(e) for e in sets[:10]))
    second = chunk("eo-elements-1", "".join(elements_text(e) for e in sets[10:]))
    registry.replace_group("space", [first, second, chunk("eo-shards", "")])
    assert all(registry.of_norad_id(e.norad_id) == e for e in sets)
    version = registry.version
    registry.apply_group("space", "DELETED", second)
    assert registry.version > version
    assert registry.of_norad_id(sets[-1].norad_id) is None
    assert registry.of_norad_id(sets[0].norad_id) == sets[0]
    # A chunk that does not parse names nobody, and breaks nothing else.
    registry.apply_group("space", "ADDED", chunk("eo-elements-2", "garbage"))
    assert registry.of_norad_id(sets[0].norad_id) == sets[0]


def test_a_batch_that_cannot_be_placed_is_counted_not_fatal(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader, metrics = consumer()

    def broken(topic: str, batch: object) -> None:
        raise IndexError("a bug")

    monkeypatch.setattr(reader.catalogue, "add_batch", broken)
    for offset in range(3):
        reader._handle(Message(good_batch(offset), offset_=offset))  # type: ignore[arg-type]
    assert metric(metrics, 'satfeed_frontend_records_malformed_total{field="batch"}') == 3
    assert caplog.text.count("could not be placed") == 1
