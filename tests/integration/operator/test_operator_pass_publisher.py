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
from satfeed_dev.kafka_users import kafkauser, password, password_file, ready, topic_acl
from satfeed_dev.testbed import TestBed
from satfeed_dev.waiting import wait_for
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

    # Strimzi's way to rotate: delete the Secret, the User Operator makes a new password;
    # the kubelet rewrites the mounted file in place.
    testbed.kube.kubectl_ok("delete", "secret", USER, "-n", namespace)

    def rotated() -> str | None:
        if not ready(testbed, USER, namespace):
            return None
        if testbed.kube.kubectl("get", "secret", USER, "-n", namespace).returncode != 0:
            return None
        fresh = password(testbed, USER, namespace)
        return fresh if fresh != old else None

    new = wait_for(rotated, 90, "the User Operator to make a new password")
    staged = run_dir / "password.new"
    staged.write_text(new)
    staged.replace(mounted)
    # The broker now refuses the old password: a client made with it cannot write.
    assert _write_with(bootstrap, topic, old, testbed) == KafkaError._AUTHENTICATION

    with caplog.at_level(logging.INFO, logger="satfeed_operator.pass_publisher"):
        asyncio.run(publish("after"))
        asyncio.run(publisher.close())
    assert "password was rotated" in caplog.text
    assert testbed.kafka.records_in(topic) == 2


def _write_with(bootstrap: str, topic: str, secret: str, testbed: TestBed) -> int | None:
    errors: list[int] = []
    settings = {
        "bootstrap.servers": bootstrap,
        "security.protocol": SASL_SSL,
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": USER,
        "sasl.password": secret,
        "ssl.ca.location": str(testbed.kafka.ca_cert),
        "message.timeout.ms": 10000,
        "error_cb": lambda error: errors.append(error.code()),
    }
    producer = Producer(settings)
    delivered: list[KafkaError | None] = []
    producer.produce(topic, value=b"{}", on_delivery=lambda error, _: delivered.append(error))
    producer.flush(20)
    return errors[0] if errors else None
