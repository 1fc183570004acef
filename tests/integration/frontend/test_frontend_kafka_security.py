"""The frontend as a Strimzi KafkaUser: SCRAM-SHA-512 over TLS against the test bed's broker,
with the ACLs the frontend chart gives it and nothing more (Read and Describe on topics
prefixed ``satfeed.positions.``, Describe on groups prefixed ``satfeed-frontend-``, which
the client's coordinator lookup needs although it joins no group; nothing writable), put
into Kafka by Strimzi's real User Operator."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest
from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from satfeed_core.kafka_security import SASL_SSL, KafkaSecurity
from satfeed_dev.frontend_bed import FrontendRunner, produce
from satfeed_dev.kafka_users import kafkauser, password_file, rotate_password, topic_acl
from satfeed_dev.testbed import TestBed
from satfeed_dev.waiting import wait_for
from satfeed_frontend.data.consumer import GROUP_PREFIX

from tests.integration.frontend.test_frontend_discovery import history

pytestmark = pytest.mark.integration

USER = "satfeed-frontend"
# What charts/satfeed-frontend/templates/055-KafkaUser-frontend.yaml grants.
CHART_ACLS = [
    topic_acl("satfeed.positions.", ["Read", "Describe"], "prefix"),
    {
        "resource": {"type": "group", "name": GROUP_PREFIX, "patternType": "prefix"},
        "operations": ["Describe"],
    },
]


def test_the_frontend_reads_as_its_kafkauser_and_can_write_nothing(
    testbed: TestBed, namespace: str, run_root: Path, frontends: FrontendRunner
) -> None:
    ours = f"satfeed.positions.{namespace}.terra"
    theirs = f"other.{namespace}.aqua"  # outside the prefix: not even its name is visible
    admin = testbed.kafka.admin()  # the test bed's own listener: a super user
    for name, future in admin.create_topics([NewTopic(ours, 1, 1), NewTopic(theirs, 1, 1)]).items():
        future.result(30)
        produce(testbed.kafka.bootstrap_servers, name, history(datetime.now(UTC), 5))
    testbed.kube.apply(kafkauser(USER, namespace, CHART_ACLS))
    run_dir = run_root / "artifacts" / f"frontend-security-{uuid.uuid4().hex[:6]}"
    run_dir.mkdir(parents=True)
    password = password_file(testbed, USER, namespace, run_dir)

    frontends.bootstrap_servers = testbed.kafka.sasl_ssl_bootstrap_servers
    frontend = frontends.start(
        "--topics", f"{ours},{theirs}",
        "--kafka-security-protocol", "SASL_SSL", "--kafka-sasl-username", USER,
        "--kafka-sasl-password-file", str(password), "--kafka-ca-file", str(testbed.kafka.ca_cert),
    )  # fmt: skip

    wait_for(
        lambda: frontend.metric("satfeed_frontend_records_consumed_total") >= 5,
        60,
        "the frontend to read the backfill of its topic",
    )
    wait_for(lambda: frontend.get("/readyz")[0] == 200, 30, "the frontend to be ready")
    log = frontend.log()
    assert "SCRAM-SHA-512 over TLS as satfeed-frontend" in log
    assert password.read_text().strip() not in log
    # Without Describe on it, another topic is as good as absent; nothing was refused (the
    # group lookup neither: without Describe on the group it logs "Group authorization
    # failed").
    assert f"topic '{theirs}' of --topics does not exist in Kafka" in log
    assert "authorization" not in log.lower()
    assert frontend.metric("satfeed_frontend_records_consumed_total") == 5

    # The same credentials can neither write its topics nor create one.
    settings: dict[str, str | int | float | bool] = {
        "bootstrap.servers": testbed.kafka.sasl_ssl_bootstrap_servers,
        **KafkaSecurity(SASL_SSL, USER, password, testbed.kafka.ca_cert).client_settings(),
    }
    writer = Producer({**settings, "message.timeout.ms": 10000})
    delivered: list[KafkaError | None] = []
    writer.produce(ours, value=b"forged", on_delivery=lambda error, _: delivered.append(error))
    writer.flush(20)
    assert [error.code() if error else None for error in delivered] == [
        KafkaError.TOPIC_AUTHORIZATION_FAILED
    ]
    creator = AdminClient(settings)
    with pytest.raises(KafkaException) as refused:
        creator.create_topics([NewTopic(f"satfeed.positions.{namespace}.new", 1, 1)])[
            f"satfeed.positions.{namespace}.new"
        ].result(30)
    assert refused.value.args[0].code() in (
        KafkaError.TOPIC_AUTHORIZATION_FAILED,
        KafkaError.CLUSTER_AUTHORIZATION_FAILED,
    )
    assert frontend.metric("satfeed_frontend_records_consumed_total") == 5  # nothing forged


def test_a_rotated_password_is_taken_up_without_a_restart(
    testbed: TestBed, namespace: str, run_root: Path, frontends: FrontendRunner
) -> None:
    topic = f"satfeed.positions.{namespace}.terra"
    admin = testbed.kafka.admin()
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    now = datetime.now(UTC)
    produce(testbed.kafka.bootstrap_servers, topic, history(now, 5))
    testbed.kube.apply(kafkauser(USER, namespace, CHART_ACLS))
    run_dir = run_root / "artifacts" / f"frontend-rotation-{uuid.uuid4().hex[:6]}"
    run_dir.mkdir(parents=True)
    mounted = password_file(testbed, USER, namespace, run_dir)
    old = mounted.read_text()
    frontends.bootstrap_servers = testbed.kafka.sasl_ssl_bootstrap_servers
    frontend = frontends.start(
        "--topics", topic,
        "--kafka-security-protocol", "SASL_SSL", "--kafka-sasl-username", USER,
        "--kafka-sasl-password-file", str(mounted), "--kafka-ca-file", str(testbed.kafka.ca_cert),
    )  # fmt: skip
    consumed = partial(frontend.metric, "satfeed_frontend_records_consumed_total")
    wait_for(lambda: consumed() == 5, 60, "the frontend to read its topic's backfill")

    new = rotate_password(testbed, USER, namespace, mounted)
    wait_for(
        lambda: "password was rotated" in frontend.log(), 30, "the frontend to follow the rotation"
    )

    # Only a client with the new password can read on: the old one is refused by the broker.
    produce(testbed.kafka.bootstrap_servers, topic, history(datetime.now(UTC), 3))
    wait_for(lambda: consumed() == 8, 60, "the records written after the rotation to be read")
    log = frontend.log()
    assert "authentication" not in log.lower()
    assert new not in log
    assert old not in log
