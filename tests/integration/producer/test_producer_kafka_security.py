"""The producer as a Strimzi KafkaUser: SCRAM-SHA-512 over TLS against the test bed's
broker, with the ACLs Strimzi's real User Operator put into Kafka."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka.admin import NewTopic
from satfeed_dev.kafka_users import kafkauser, password_file, topic_acl
from satfeed_dev.procs import ManagedProcess, free_port
from satfeed_dev.sample_data import tle_file
from satfeed_dev.services import producer_argv
from satfeed_dev.testbed import TestBed
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
    testbed.kube.apply(
        kafkauser("terra-producer", namespace, [topic_acl(ours, PRODUCER_OPERATIONS)])
    )
    run_dir = run_root / "artifacts" / f"producer-security-{namespace}"
    run_dir.mkdir(parents=True)
    password = password_file(testbed, "terra-producer", namespace, run_dir)

    process, _ = _start(testbed, ours, password, run_dir, producers)

    def records(topic: str) -> int:
        return testbed.kafka.records_in(topic)

    wait_for(lambda: records(ours) >= 6, 60, f"records in {ours} from the producer")
    log = process.log_path.read_text()
    assert "SCRAM-SHA-512 over TLS as terra-producer" in log
    assert password.read_text().strip() not in log

    # Its credentials, another satellite's topic: the broker refuses, nothing is written,
    # and the producer says why.
    refused, _ = _start(testbed, theirs, password, run_dir, producers)
    wait_for(
        lambda: "TOPIC_AUTHORIZATION_FAILED" in refused.log_path.read_text(),
        60,
        "the producer to report the refusal",
    )
    assert "refuses SCRAM-SHA-512 over TLS as terra-producer access" in refused.log_path.read_text()
    assert records(theirs) == 0
