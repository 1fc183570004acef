"""The producer as a Strimzi KafkaUser: SCRAM-SHA-512 over TLS against the test bed's
broker, with the ACLs Strimzi's real User Operator put into Kafka."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import NewTopic
from satfeed_dev.procs import ManagedProcess, free_port
from satfeed_dev.sample_data import tle_file
from satfeed_dev.services import producer_argv
from satfeed_dev.testbed import KAFKA_CLUSTER, TestBed
from satfeed_dev.waiting import wait_for

pytestmark = pytest.mark.integration

# What a producer needs on its own topic: Write to publish, Read and Describe for the
# start-up probe that finds the newest sample already there (the backfill).
PRODUCER_OPERATIONS = ["Write", "Read", "Describe"]


def _create_topic(testbed: TestBed) -> str:
    name = f"positions-{uuid.uuid4().hex[:8]}"
    admin = testbed.kafka.admin()  # the test bed's own listener: a super user
    admin.create_topics([NewTopic(name, 1, 1)])[name].result(30)
    return name


def _count(testbed: TestBed, topic: str) -> int:
    """Records in the topic's one partition, read on the test bed's own listener."""
    consumer = Consumer(
        {"bootstrap.servers": testbed.kafka.bootstrap_servers, "group.id": "satfeed-count"}
    )
    try:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    finally:
        consumer.close()
    return int(high - low)


def _kafkauser(name: str, namespace: str, topic: str) -> dict[str, Any]:
    return {
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "KafkaUser",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"strimzi.io/cluster": KAFKA_CLUSTER},
        },
        "spec": {
            "authentication": {"type": "scram-sha-512"},
            "authorization": {
                "type": "simple",
                "acls": [
                    {
                        "resource": {"type": "topic", "name": topic, "patternType": "literal"},
                        "operations": PRODUCER_OPERATIONS,
                    }
                ],
            },
        },
    }


def _password_file(testbed: TestBed, name: str, namespace: str, directory: Path) -> Path:
    """The KafkaUser's password, once the User Operator made it, as a mounted Secret is."""

    def ready() -> bool:
        user = testbed.kube.get_json("get", "kafkauser", name, "-n", namespace)
        conditions = (user.get("status") or {}).get("conditions", [])
        return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)

    wait_for(ready, 90, f"KafkaUser {name} Ready")
    secret = testbed.kube.get_json("get", "secret", name, "-n", namespace)
    path = directory / "password"
    path.write_bytes(base64.b64decode(secret["data"]["password"]))
    return path


@pytest.fixture
def producers(run_root: Path) -> Iterator[list[ManagedProcess]]:
    started: list[ManagedProcess] = []
    try:
        yield started
    finally:
        for process in started:
            process.stop()


def _start(
    testbed: TestBed, topic: str, password_file: Path, run_dir: Path, started: list[ManagedProcess]
) -> tuple[ManagedProcess, int]:
    port = free_port()
    argv = producer_argv(
        testbed.kafka.sasl_ssl_bootstrap_servers, topic, "terra", port,
        "--elements-file", str(tle_file("earth-observation.tle")), "--norad-id", "25994",
        "--interval", "0.5", "--backfill", "4",
        "--kafka-security-protocol", "SASL_SSL", "--kafka-sasl-username", "terra-producer",
        "--kafka-sasl-password-file", str(password_file),
        "--kafka-ca-file", str(testbed.kafka.ca_cert),
    )  # fmt: skip
    process = ManagedProcess(name=f"producer-{uuid.uuid4().hex[:6]}", argv=argv, run_dir=run_dir)
    process.start()
    started.append(process)
    return process, port


def test_a_producer_writes_its_topic_as_its_kafkauser_and_is_refused_another(
    testbed: TestBed, namespace: str, run_root: Path, producers: list[ManagedProcess]
) -> None:
    ours, theirs = _create_topic(testbed), _create_topic(testbed)
    testbed.kube.apply(_kafkauser("terra-producer", namespace, ours))
    run_dir = run_root / "artifacts" / f"producer-security-{namespace}"
    run_dir.mkdir(parents=True)
    password_file = _password_file(testbed, "terra-producer", namespace, run_dir)

    process, _ = _start(testbed, ours, password_file, run_dir, producers)

    def records(topic: str) -> int:
        return _count(testbed, topic)

    wait_for(lambda: records(ours) >= 6, 60, f"records in {ours} from the producer")
    log = process.log_path.read_text()
    assert "SCRAM-SHA-512 over TLS as terra-producer" in log
    assert password_file.read_text().strip() not in log

    # Its credentials, another satellite's topic: the broker refuses, nothing is written,
    # and the producer says why.
    refused, _ = _start(testbed, theirs, password_file, run_dir, producers)
    wait_for(
        lambda: "TOPIC_AUTHORIZATION_FAILED" in refused.log_path.read_text(),
        60,
        "the producer to report the refusal",
    )
    assert "refuses SCRAM-SHA-512 over TLS as terra-producer access" in refused.log_path.read_text()
    assert records(theirs) == 0
