"""With an authenticating Kafka, every producer connects as a KafkaUser of its own.

Real parts throughout: Strimzi's User Operator turns the operator's KafkaUsers into SCRAM
credentials and ACLs; the broker's StandardAuthorizer enforces them on its SCRAM over TLS
listener; the pod runner plays the kubelet, mounting the Secrets as the Deployment says.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from confluent_kafka.admin import (
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    ResourcePatternType,
    ResourceType,
)
from satfeed_core.record import decode_record
from satfeed_dev.catalogue import catalogue_configmaps
from satfeed_dev.kafka import read_messages
from satfeed_dev.kafka_users import operator_env
from satfeed_dev.operator_bed import (
    OperatorProcess,
    env_of,
    example,
    get,
)
from satfeed_dev.pod_runner import pod_runner
from satfeed_dev.procs import ManagedProcess
from satfeed_dev.sample_data import tle_file
from satfeed_dev.testbed import TestBed
from satfeed_dev.waiting import wait_for

from tests.integration.operator.conftest import StartOperator
from tests.integration.operator.test_operator_rbac import group as group_manifest

pytestmark = pytest.mark.integration

CREDENTIALS_ANNOTATION = "satfeed.io/credentials-checksum"


@pytest.fixture
def operator(
    start_operator: StartOperator, testbed: TestBed, namespace: str, run_root: Path
) -> OperatorProcess:
    directory = run_root / "kafka-users" / namespace
    directory.mkdir(parents=True)
    return start_operator(**operator_env(testbed, namespace, directory))


@pytest.fixture
def pods(run_root: Path, namespace: str) -> Iterator[list[ManagedProcess]]:
    started: list[ManagedProcess] = []
    try:
        yield started
    finally:
        for pod in started:
            pod.stop()


def _run_pod(
    testbed: TestBed, deployment: dict[str, Any], root: Path, pods: list[ManagedProcess]
) -> ManagedProcess:
    pod = pod_runner(testbed, deployment, root / f"pod-{len(pods)}")
    pods.append(pod)
    pod.start()
    return pod


def _secured_deployment(testbed: TestBed, namespace: str, name: str) -> dict[str, Any]:
    """The producer Deployment once it carries its KafkaUser's credentials and runs."""

    def secured() -> dict[str, Any] | None:
        found = get(testbed.kube, "deployment", namespace, f"{name}-producer")
        template = ((found or {}).get("spec") or {}).get("template", {})
        annotations = template.get("metadata", {}).get("annotations") or {}
        replicas = ((found or {}).get("spec") or {}).get("replicas")
        return found if CREDENTIALS_ANNOTATION in annotations and replicas == 1 else None

    found: dict[str, Any] = wait_for(secured, 120, f"{name}'s producer with its credentials")
    return found


def _topic(testbed: TestBed, namespace: str, name: str) -> str:
    satellite = get(testbed.kube, "satellite", namespace, name) or {}
    return str(satellite["status"]["topicName"])


def _acls_of(testbed: TestBed, user: str) -> list[tuple[str, str]]:
    """(topic, operation) the broker grants ``user``, read as the test bed's super user."""
    any_name: Any = None  # None matches every resource name and host
    wanted = AclBindingFilter(
        ResourceType.ANY, any_name, ResourcePatternType.ANY, f"User:{user}", any_name,
        AclOperation.ANY, AclPermissionType.ANY,
    )  # fmt: skip
    admin = testbed.kafka.admin()  # kept until the answer is in: its handle goes with it
    bindings = admin.describe_acls(wanted).result(timeout=30)
    return sorted((each.name, each.operation.name) for each in bindings)


def _wait_for_own_topic_acls(testbed: TestBed, user: str, topic: str) -> None:
    """Until the User Operator has put ``user``'s ACLs into Kafka: its own topic only."""
    wanted = [(topic, op) for op in ("DESCRIBE", "READ", "WRITE")]
    wait_for(lambda: _acls_of(testbed, user) == wanted, 60, f"{user}'s ACLs: {wanted}")


def test_each_producer_writes_its_own_topic_as_its_own_kafkauser(
    testbed: TestBed,
    namespace: str,
    operator: OperatorProcess,
    run_root: Path,
    pods: list[ManagedProcess],
) -> None:
    kube = testbed.kube
    for name in ("terra", "aqua"):
        kube.apply(example(name, namespace))
    terra = _secured_deployment(testbed, namespace, "terra")
    terra_topic, aqua_topic = (
        _topic(testbed, namespace, "terra"),
        _topic(testbed, namespace, "aqua"),
    )

    # The KafkaUser grants its own topic only, and the broker enforces exactly that.
    user = get(kube, "kafkauser", namespace, "terra-producer")
    assert user is not None
    assert user["metadata"]["ownerReferences"][0]["name"] == "terra"
    _wait_for_own_topic_acls(testbed, "terra-producer", terra_topic)
    env = env_of(terra)
    assert env["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert env["KAFKA_SASL_USERNAME"] == "terra-producer"
    secrets = {
        v["secret"]["secretName"]
        for v in terra["spec"]["template"]["spec"]["volumes"]
        if "secret" in v
    }
    assert secrets == {"terra-producer", "satfeed-cluster-ca-cert"}

    # Its pods may reach DNS and the brokers only, on the bootstrap port.
    policy = get(kube, "networkpolicy", namespace, "terra-producer")
    assert policy is not None
    assert policy["spec"]["podSelector"]["matchLabels"] == terra["spec"]["selector"]["matchLabels"]
    dns, brokers = policy["spec"]["egress"]
    assert {p["port"] for p in dns["ports"]} == {53}
    port = int(testbed.kafka.sasl_ssl_bootstrap_servers.rpartition(":")[2])
    assert brokers["ports"] == [{"port": port, "protocol": "TCP"}]

    pod = _run_pod(testbed, terra, run_root / "pods" / namespace, pods)
    records = read_messages(testbed.kafka.bootstrap_servers, terra_topic, 3)
    assert {decode_record(m.value() or b"").satellite for m in records} == {"terra"}
    assert "SCRAM-SHA-512 over TLS as terra-producer" in pod.log_path.read_text()

    # terra's credentials pointed at aqua's topic: the broker refuses, nothing is written.
    hijacked = yaml.safe_load(yaml.safe_dump(terra))
    for item in hijacked["spec"]["template"]["spec"]["containers"][0]["env"]:
        if item["name"] == "SATFEED_TOPIC":
            item["value"] = aqua_topic
    intruder = _run_pod(testbed, hijacked, run_root / "pods" / f"{namespace}-intruder", pods)
    wait_for(
        lambda: "TOPIC_AUTHORIZATION_FAILED" in intruder.log_path.read_text(),
        60,
        "the hijacked producer to be refused",
    )
    assert testbed.kafka.records_in(aqua_topic) == 0


def test_hand_edited_acls_are_restored_and_a_deleted_satellite_takes_its_user_along(
    testbed: TestBed, namespace: str, operator: OperatorProcess
) -> None:
    kube = testbed.kube
    kube.apply(example("terra", namespace))
    _secured_deployment(testbed, namespace, "terra")
    topic = _topic(testbed, namespace, "terra")
    kube.kubectl_ok(
        "patch", "kafkauser", "terra-producer", "-n", namespace, "--type=json", "-p",
        '[{"op": "replace", "path": "/spec/authorization/acls/0/resource",'
        ' "value": {"type": "topic", "name": "*", "patternType": "literal"}}]',
    )  # fmt: skip

    def restored() -> bool:
        user = get(kube, "kafkauser", namespace, "terra-producer") or {}
        acls = user.get("spec", {}).get("authorization", {}).get("acls") or []
        return [acl["resource"]["name"] for acl in acls] == [topic]

    wait_for(restored, 30, "the operator to restore terra-producer's ACLs")

    kube.kubectl_ok("delete", "satellite", "terra", "-n", namespace)
    wait_for(
        lambda: get(kube, "kafkauser", namespace, "terra-producer") is None,
        60,
        "the garbage collector to delete the KafkaUser",
    )
    wait_for(
        lambda: _acls_of(testbed, "terra-producer") == [],
        90,
        "the User Operator to take terra-producer's ACLs out of Kafka",
    )


def test_a_rotated_password_rolls_the_producer_without_losing_or_repeating_a_record(
    testbed: TestBed,
    namespace: str,
    operator: OperatorProcess,
    run_root: Path,
    pods: list[ManagedProcess],
) -> None:
    kube = testbed.kube
    kube.apply(example("terra", namespace))  # one record a second
    before = _secured_deployment(testbed, namespace, "terra")
    topic = _topic(testbed, namespace, "terra")
    first = _run_pod(testbed, before, run_root / "pods" / namespace, pods)
    read_messages(testbed.kafka.bootstrap_servers, topic, 5)

    # Strimzi's way to rotate a SCRAM password: delete the Secret; the User Operator makes
    # a new password. Until it has, the producer is reported waiting for credentials.
    old = before["spec"]["template"]["metadata"]["annotations"][CREDENTIALS_ANNOTATION]
    kube.kubectl_ok("delete", "secret", "terra-producer", "-n", namespace)

    def rolled() -> dict[str, Any] | None:
        found = get(kube, "deployment", namespace, "terra-producer") or {}
        annotations = found.get("spec", {}).get("template", {}).get("metadata", {})
        now = (annotations.get("annotations") or {}).get(CREDENTIALS_ANNOTATION)
        return found if now not in (None, old) else None

    after = wait_for(rolled, 120, "the producer's pod template to change with the password")
    first.stop()  # the Deployment rolls: Recreate stops the old pod first
    second = _run_pod(testbed, after, run_root / "pods" / f"{namespace}-rolled", pods)
    wait_for(
        lambda: "SCRAM-SHA-512 over TLS as terra-producer" in second.log_path.read_text(),
        30,
        "the rolled producer to connect with the new password",
    )
    count = testbed.kafka.records_in(topic)
    messages = read_messages(testbed.kafka.bootstrap_servers, topic, count + 3)
    times = [decode_record(m.value() or b"").time for m in messages]
    steps = {(b - a).total_seconds() for a, b in itertools.pairwise(times)}
    assert steps == {1.0}, "a sample lost or repeated across the rotation"


def test_a_groups_shards_connect_as_the_groups_kafkauser(
    testbed: TestBed, namespace: str, operator: OperatorProcess
) -> None:
    kube = testbed.kube
    sources = catalogue_configmaps(tle_file("catalog-large.tle"), "part", namespace)[:1]
    for configmap in sources:
        kube.apply(configmap)
    refs = [{"name": each["metadata"]["name"]} for each in sources]
    kube.apply(group_manifest(namespace, source={"configMaps": refs}, shards=2))

    def shards() -> list[dict[str, Any]] | None:
        found = kube.get_json(
            "get", "deployments", "-n", namespace, "-l", "satfeed.io/satellite-group=part"
        )["items"]
        secured = [d for d in found if "KAFKA_SASL_USERNAME" in env_of(d)]
        return secured if len(secured) == 2 else None

    for shard in wait_for(shards, 120, "two shards with the group's credentials"):
        assert env_of(shard)["KAFKA_SASL_USERNAME"] == "part-producer"
    group = get(kube, "satellitegroup", namespace, "part") or {}
    topic = group["status"]["topicName"]
    _wait_for_own_topic_acls(testbed, "part-producer", topic)
