"""Satellites come and go with their KafkaTopics, and a restart brings the history back."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from confluent_kafka import Consumer, TopicPartition
from satfeed_core.record import PositionRecord
from satfeed_dev.frontend_bed import (
    FrontendRunner,
    create_ready_topic,
    elements_configmap,
    grant_reader,
    kafkatopic,
    produce,
)
from satfeed_dev.testbed import TestBed
from satfeed_dev.waiting import wait_for

from tests.integration.frontend.conftest import WatchedPage

pytestmark = pytest.mark.integration

APPEAR_WITHIN_S = 5.0


def topic_end(bootstrap: str, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "frontend-tests"})
    try:
        return int(consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1])
    finally:
        consumer.close()


def history(start: datetime, count: int, satellite: str = "terra") -> list[PositionRecord]:
    """One record a second ending just before ``start``, moving east along the equator."""
    return [
        PositionRecord(
            satellite=satellite,
            name=satellite.upper(),
            norad_id=25994,
            time=start - timedelta(seconds=count - i),
            lon=-179.0 + i * 0.5,
            lat=0.0,
            alt_km=705.0,
            speed_km_s=7.5,
            elements_epoch=start - timedelta(days=1),
        )
        for i in range(count)
    ]


def test_a_labelled_topic_is_shown_within_5_s_and_leaves_with_its_kafkatopic(
    testbed: TestBed,
    namespace: str,
    frontends: FrontendRunner,
    elements_file: Callable[[str], Path],
    open_page: Callable[[str], WatchedPage],
) -> None:
    bootstrap = testbed.kafka.bootstrap_servers
    frontend = frontends.start(
        kubeconfig=grant_reader(testbed.kube, namespace), namespaces=[namespace]
    )
    page = open_page(frontend.url)
    unlabelled = create_ready_topic(testbed, kafkatopic("aqua", namespace, labelled=False))
    frontends.start_producer(unlabelled, "aqua", elements_file("AQUA"), "--backfill", "5")

    topic = create_ready_topic(
        testbed, kafkatopic("terra", namespace, display_name="Terra (EOS AM-1)")
    )
    frontends.start_producer(topic, "terra", elements_file("TERRA"), "--backfill", "0")
    wait_for(
        lambda: topic_end(bootstrap, topic) > 0, 60, "the producer's first record", interval=0.05
    )
    first_record = time.monotonic()
    card = '.card[data-satellite="terra"]'
    page.page.wait_for_selector(card, timeout=APPEAR_WITHIN_S * 1000)
    assert time.monotonic() - first_record <= APPEAR_WITHIN_S
    assert "Terra (EOS AM-1)" in page.page.inner_text(card)

    # The unlabelled topic has records too, and is not read at all.
    wait_for(lambda: topic_end(bootstrap, unlabelled) >= 5, 30, "records in the unlabelled topic")
    assert page.satellites_shown() == ["terra"]
    assert frontend.metric("satfeed_frontend_assigned_partitions") == 1

    # The producer goes first, then the KafkaTopic (so Kafka cannot recreate the topic).
    frontends.started[-1].stop()
    testbed.kube.kubectl_ok("delete", "kafkatopic", "terra", "-n", namespace, "--wait=false")
    page.page.wait_for_selector(card, state="detached", timeout=15_000)
    wait_for(
        lambda: frontend.metric("satfeed_frontend_assigned_partitions") == 0,
        10,
        "the frontend to stop reading the deleted topic",
    )
    assert page.console_errors == []


def drawn_points(page: WatchedPage, satellite: str, newest: PositionRecord) -> int | None:
    """Points of the satellite's past track on the map, once its newest record is shown."""
    if newest.time.strftime("%H:%M:%S.%f")[:-3] not in page.card_values(satellite):
        return None
    tracks = [t for t in page.graph_traces("map") if t["name"] == satellite.upper()]
    return int(str(tracks[0]["points"]))


def test_a_restarted_frontend_backfills_the_last_n_records(
    testbed: TestBed,
    namespace: str,
    frontends: FrontendRunner,
    open_page: Callable[[str], WatchedPage],
) -> None:
    topic = create_ready_topic(testbed, kafkatopic("terra", namespace))
    records = history(datetime.now(UTC), 300)
    produce(testbed.kafka.bootstrap_servers, topic, records)
    kubeconfig = grant_reader(testbed.kube, namespace)

    for attempt in ("first start", "after a restart"):
        frontend = frontends.start(
            "--history", "120", kubeconfig=kubeconfig, namespaces=[namespace]
        )
        page = open_page(frontend.url)
        points = wait_for(
            partial(drawn_points, page, "terra", records[-1]),
            30,
            f"the backfilled track ({attempt})",
        )
        assert points == 120, attempt
        assert frontend.metric("satfeed_frontend_records_consumed_total") == 120
        frontend.stop()


def test_a_time_window_backfills_by_sample_time(
    testbed: TestBed,
    namespace: str,
    frontends: FrontendRunner,
    open_page: Callable[[str], WatchedPage],
) -> None:
    topic = create_ready_topic(testbed, kafkatopic("aqua", namespace))
    records = history(datetime.now(UTC), 300, satellite="aqua")
    produce(testbed.kafka.bootstrap_servers, topic, records)
    started = datetime.now(UTC)
    frontend = frontends.start(
        "--history-seconds", "60",
        kubeconfig=grant_reader(testbed.kube, namespace), namespaces=[namespace],
    )  # fmt: skip
    page = open_page(frontend.url)
    points = wait_for(
        lambda: drawn_points(page, "aqua", records[-1]), 30, "the last minute's track"
    )
    # Records' Kafka timestamps are their sample times: the window reaches 60 s back from
    # when the frontend looked, a few seconds after the newest record was written.
    assert 60 - (datetime.now(UTC) - started).total_seconds() <= points <= 60


def test_the_map_predicts_the_next_orbit_from_the_satellites_elements(
    testbed: TestBed,
    namespace: str,
    frontends: FrontendRunner,
    elements_file: Callable[[str], Path],
    open_page: Callable[[str], WatchedPage],
) -> None:
    tle = elements_file("TERRA")
    testbed.kube.apply(elements_configmap("terra", namespace, tle.read_text()))
    topic = create_ready_topic(testbed, kafkatopic("terra", namespace, satellite="terra"))
    frontends.start_producer(topic, "terra", tle, "--backfill", "10")
    frontend = frontends.start(
        kubeconfig=grant_reader(testbed.kube, namespace, elements=True), namespaces=[namespace]
    )
    page = open_page(frontend.url)

    def predicted_points() -> int:
        # The catalogue, then terra's past track, its prediction and its marker.
        traces = page.graph_traces("map")
        return int(str(traces[2]["points"])) if len(traces) == 1 + 3 else 0

    # TERRA circles the Earth in 99 minutes: a point every 30 s.
    assert wait_for(predicted_points, 30, "the predicted track") >= 190
    assert page.console_errors == []
