"""The operator's pass publisher as its chart runs it: a Strimzi KafkaUser (SCRAM-SHA-512
over TLS) allowed to write ``satfeed.passes.*``, against the test bed's broker and Strimzi's
real User Operator."""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path

import pytest
from confluent_kafka import KafkaError, Producer
from confluent_kafka.admin import NewTopic
from satfeed_core.kafka_security import SASL_SSL, KafkaSecurity
from satfeed_dev.kafka_users import kafkauser, password_file, rotate_password, topic_acl
from satfeed_dev.testbed import TestBed
from satfeed_operator.pass_publisher import PassPublisher

pytestmark = pytest.mark.integration

USER = "satfeed-operator"
# What charts/satfeed-operator/templates/055-KafkaUser-operator.yaml grants.
CHART_ACLS = [topic_acl("satfeed.passes.", ["Write", "Describe"], "prefix")]


def test_a_rotated_password_is_taken_up_by_the_next_publish(
    testbed: TestBed, namespace: str, run_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    topic = f"satfeed.passes.{namespace}.svalbard"
    admin = testbed.kafka.admin()  # kept: its futures end with the client
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    testbed.kube.apply(kafkauser(USER, namespace, CHART_ACLS))
    run_dir = run_root / "artifacts" / f"pass-publisher-{uuid.uuid4().hex[:6]}"
    run_dir.mkdir(parents=True)
    mounted = password_file(testbed, USER, namespace, run_dir)
    old = mounted.read_text()
    security = KafkaSecurity(SASL_SSL, USER, mounted, testbed.kafka.ca_cert)
    publisher = PassPublisher(security)
    bootstrap = testbed.kafka.sasl_ssl_bootstrap_servers

    async def publish(key: str) -> None:
        await publisher.publish(bootstrap, topic, [(key, b"{}")])

    asyncio.run(publish("before"))

    old_file = run_dir / "old.password"
    old_file.write_text(old)
    rotate_password(testbed, USER, namespace, mounted)
    # The broker now refuses the old password: a client made with it cannot write.
    old_security = KafkaSecurity(SASL_SSL, USER, old_file, testbed.kafka.ca_cert)
    assert _write_with(bootstrap, topic, old_security) == KafkaError._AUTHENTICATION

    with caplog.at_level(logging.INFO, logger="satfeed_operator.pass_publisher"):
        asyncio.run(publish("after"))
        asyncio.run(publisher.close())
    assert "password was rotated" in caplog.text
    assert testbed.kafka.records_in(topic) == 2


def _write_with(bootstrap: str, topic: str, security: KafkaSecurity) -> int | None:
    """The first error a client with these credentials meets writing one record."""
    errors: list[int] = []
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "message.timeout.ms": 10000,
            "error_cb": lambda error: errors.append(error.code()),
            **security.client_settings(),
        }
    )
    producer.produce(topic, value=b"{}")
    producer.flush(20)
    return errors[0] if errors else None
