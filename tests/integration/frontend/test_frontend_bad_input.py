"""Bad input: the page keeps working, and the problem shows in the logs and the metrics."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from confluent_kafka.admin import NewTopic
from satfeed_core.record import PositionRecord, encode_record
from satfeed_dev.frontend_bed import (
    FrontendRunner,
    count_lines,
    create_ready_topic,
    grant_reader,
    kafkatopic,
    produce,
)
from satfeed_dev.kafka import KafkaBroker
from satfeed_dev.testbed import TestBed
from satfeed_dev.waiting import wait_for

from tests.integration.frontend.conftest import WatchedPage

pytestmark = pytest.mark.integration


def record_at(when: datetime, lat: float = 10.0) -> PositionRecord:
    return PositionRecord(
        satellite="terra",
        name="TERRA",
        norad_id=25994,
        time=when,
        lon=20.0,
        lat=lat,
        alt_km=705.0,
        speed_km_s=7.5,
        elements_epoch=when - timedelta(days=1),
    )


def broken(record: PositionRecord, **changes: object) -> bytes:
    """The record's JSON with fields changed (None: removed); NaN is written as JSON cannot."""
    document = json.loads(encode_record(record))
    for field, value in changes.items():
        if value is None:
            del document[field]
        else:
            document[field] = value
    return json.dumps(document, allow_nan=True).encode()


def shows_time(page: WatchedPage, record: PositionRecord) -> bool:
    return record.time.strftime("%H:%M:%S.%f")[:-3] in page.card_values("terra")


def test_malformed_records_are_skipped_counted_and_logged_once(
    testbed: TestBed,
    namespace: str,
    frontends: FrontendRunner,
    open_page: Callable[[str], WatchedPage],
) -> None:
    topic = create_ready_topic(testbed, kafkatopic("terra", namespace))
    frontend = frontends.start(
        kubeconfig=grant_reader(testbed.kube, namespace), namespaces=[namespace]
    )
    page = open_page(frontend.url)
    start = datetime.now(UTC)
    good = [record_at(start + timedelta(seconds=s)) for s in range(6)]
    newer_schema = broken(good[5], v=2, footprint_km=2500)  # tolerated: v1 fields all there
    produce(
        testbed.kafka.bootstrap_servers,
        topic,
        [
            good[0],
            b'{"v":1,"satellite":"terra",',  # not JSON
            good[1],
            broken(good[2], lat="north"),  # wrong type
            broken(good[2], lat=float("nan")),  # NaN
            broken(good[2], lat=91.5),  # out of range
            broken(good[2], lon=float("inf")),
            broken(good[2], norad_id=None),  # missing
            broken(good[2], alt_km=-50.0),  # valid JSON, but under the ground
            broken(good[2], alt_km=500_000.0),  # beyond the Moon: no Earth orbit
            good[2],
            good[3],
            b"\xff\xfe",  # not UTF-8
            good[4],
            newer_schema,
        ],
    )
    wait_for(lambda: shows_time(page, good[5]), 30, "the newest good record on the page")
    assert frontend.metric("satfeed_frontend_records_consumed_total") == 6
    malformed = {
        field: frontend.metric("satfeed_frontend_records_malformed_total", field=field)
        for field in ("record", "lat", "lon", "norad_id", "position")
    }
    assert malformed == {"record": 2, "lat": 3, "lon": 1, "norad_id": 1, "position": 2}
    assert count_lines(frontend.log(), "that no orbit could hold") == 1

    # More of the same: still skipped, and no new log lines for them.
    later = record_at(start + timedelta(seconds=10))
    produce(testbed.kafka.bootstrap_servers, topic, [broken(later, lat=-95.0), later])
    wait_for(lambda: shows_time(page, later), 30, "the page to keep updating")
    assert frontend.metric("satfeed_frontend_records_malformed_total", field="lat") == 4
    assert count_lines(frontend.log(), "skipping malformed records") == 1
    assert page.console_errors == []


def test_a_kafkatopic_whose_kafka_topic_does_not_exist(
    testbed: TestBed,
    namespace: str,
    frontends: FrontendRunner,
    open_page: Callable[[str], WatchedPage],
) -> None:
    # Not for the Topic Operator stand-in (no strimzi.io/cluster label), so nothing creates
    # its Kafka topic; its status claims Ready all the same.
    manifest = kafkatopic("ghost", namespace)
    del manifest["metadata"]["labels"]["strimzi.io/cluster"]
    ghost_topic = manifest["spec"]["topicName"]
    testbed.kube.apply(manifest)
    status = {
        "status": {"topicName": ghost_topic, "conditions": [{"type": "Ready", "status": "True"}]}
    }
    testbed.kube.kubectl_ok(
        "patch", "kafkatopic", "ghost", "-n", namespace,
        "--subresource=status", "--type=merge", "-p", json.dumps(status),
    )  # fmt: skip
    topic = create_ready_topic(testbed, kafkatopic("terra", namespace))
    frontend = frontends.start(
        kubeconfig=grant_reader(testbed.kube, namespace), namespaces=[namespace]
    )
    page = open_page(frontend.url)
    newest = record_at(datetime.now(UTC))
    produce(testbed.kafka.bootstrap_servers, topic, [newest])

    wait_for(lambda: shows_time(page, newest), 30, "terra on the page")
    wait_for(
        lambda: f"{ghost_topic}: does not exist in Kafka" in page.page.inner_text("#status"),
        10,
        "the missing topic named on the page",
    )
    assert frontend.metric("satfeed_frontend_missing_topics") == 1
    wait_for(lambda: "does not exist in Kafka" in frontend.log(), 10, "the log line")

    # Once the topic exists, it is read without a restart.
    admin = testbed.kafka.admin()  # kept: a collected client cancels its requests
    admin.create_topics([NewTopic(ghost_topic, 1, 1)])[ghost_topic].result(30)
    wait_for(
        lambda: (
            frontend.metric("satfeed_frontend_missing_topics") == 0
            and frontend.metric("satfeed_frontend_assigned_partitions") == 2
        ),
        15,
        "the frontend to find and read the new topic",
    )
    assert count_lines(frontend.log(), "does not exist in Kafka") == 1
    assert page.console_errors == []


def test_a_namespace_the_frontend_may_not_read(
    testbed: TestBed,
    namespace: str,
    other_namespace: str,
    frontends: FrontendRunner,
    open_page: Callable[[str], WatchedPage],
) -> None:
    allowed = create_ready_topic(testbed, kafkatopic("terra", namespace))
    create_ready_topic(testbed, kafkatopic("aqua", other_namespace))
    frontend = frontends.start(
        kubeconfig=grant_reader(testbed.kube, namespace),  # may read only the first
        namespaces=[namespace, other_namespace],
    )
    page = open_page(frontend.url)
    newest = record_at(datetime.now(UTC))
    produce(testbed.kafka.bootstrap_servers, allowed, [newest])

    wait_for(lambda: shows_time(page, newest), 30, "terra on the page")
    problem = f"forbidden to list KafkaTopics in namespace '{other_namespace}'"
    wait_for(lambda: problem in page.page.inner_text("#status"), 10, "the problem on the page")
    # Retried every 5 s, logged once.
    wait_for(
        lambda: (
            frontend.metric("satfeed_frontend_discovery_errors_total", namespace=other_namespace)
            >= 2
        ),
        20,
        "a retry of the forbidden namespace",
    )
    assert count_lines(frontend.log(), problem) == 1
    assert page.satellites_shown() == ["terra"]
    assert page.console_errors == []


def test_a_broker_outage_shows_stale_data_and_recovers_by_itself(
    run_root: Path,
    frontends: FrontendRunner,
    elements_file: Callable[[str], Path],
    open_page: Callable[[str], WatchedPage],
) -> None:
    broker = KafkaBroker(run_root / f"kafka-frontend-outage-{uuid.uuid4().hex[:6]}")
    broker.start()
    try:
        topic = f"positions-{uuid.uuid4().hex[:8]}"
        admin = broker.admin()  # kept: a collected client cancels its requests
        admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
        frontends.bootstrap_servers = broker.bootstrap_servers
        frontends.start_producer(topic, "terra", elements_file("TERRA"), "--backfill", "5")
        frontend = frontends.start("--topics", topic, "--stale-after", "3")
        page = open_page(frontend.url)
        wait_for(lambda: page.satellites_shown() == ["terra"], 30, "terra on the page")
        wait_for(lambda: frontend.get("/readyz")[0] == 200, 10, "ready")

        broker.stop()
        wait_for(
            lambda: page.page.inner_text("#status").startswith("Stale: Kafka is unreachable"),
            30,
            "the page to mark its data stale",
        )
        wait_for(lambda: "no data for" in page.card_values("terra"), 10, "a stale card")
        assert frontend.metric("satfeed_frontend_kafka_up") == 0
        assert frontend.get("/readyz")[0] == 503

        broker.start()
        wait_for(lambda: page.page.inner_text("#status").startswith("Live"), 60, "live again")
        wait_for(lambda: "no data for" not in page.card_values("terra"), 30, "fresh values")
        assert frontend.metric("satfeed_frontend_kafka_up") == 1
        assert count_lines(frontend.log(), "is unreachable") == 1
        assert "is reachable again" in frontend.log()
        assert page.console_errors == []
    finally:
        frontends.stop_all()
        broker.stop()
