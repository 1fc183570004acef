"""Smoke tests that prove each part of the test bed is the real thing."""

from __future__ import annotations

import functools
import json
import subprocess
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import NewTopic
from playwright.sync_api import sync_playwright
from satfeed_dev.browser import CHROMIUM_ARGS, chromium_path
from satfeed_dev.kafka import KafkaBroker, read_messages
from satfeed_dev.kafka_users import kafkauser, password, topic_acl
from satfeed_dev.testbed import KAFKA_CLUSTER, TestBed
from satfeed_dev.waiting import wait_for

pytestmark = pytest.mark.integration

RESOURCES = Path(__file__).parents[1] / "resources"


def _create_topic(broker: KafkaBroker, name: str) -> None:
    admin = broker.admin()  # kept referenced: a collected client cancels its futures
    admin.create_topics([NewTopic(name, 1, 1)])[name].result(30)


def _produce(bootstrap: str, topic: str, key: bytes, value: bytes) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    delivered: list[object] = []
    producer.produce(
        topic, key=key, value=value, on_delivery=lambda err, msg: delivered.append(err)
    )
    assert producer.flush(30) == 0
    assert delivered == [None]


def _consume_all(bootstrap: str, topic: str, expected: int) -> list[tuple[bytes, bytes]]:
    return [(m.key() or b"", m.value() or b"") for m in read_messages(bootstrap, topic, expected)]


def test_kafka_round_trip_and_no_auto_create(testbed: TestBed) -> None:
    topic = f"smoke-{uuid.uuid4().hex[:8]}"
    _create_topic(testbed.kafka, topic)
    _produce(testbed.kafka.bootstrap_servers, topic, b"terra", b'{"lat": 1.5}')
    assert _consume_all(testbed.kafka.bootstrap_servers, topic, 1) == [(b"terra", b'{"lat": 1.5}')]

    # As in a Strimzi-managed cluster, producing to an undeclared topic creates nothing.
    producer = Producer(
        {"bootstrap.servers": testbed.kafka.bootstrap_servers, "message.timeout.ms": 3000}
    )
    errors: list[object] = []
    producer.produce("never-declared", value=b"x", on_delivery=lambda err, msg: errors.append(err))
    producer.flush(10)
    assert errors
    assert errors[0] is not None
    assert "never-declared" not in testbed.kafka.admin().list_topics(timeout=10).topics


@pytest.fixture
def own_broker(run_root: Path) -> Iterator[KafkaBroker]:
    """A broker of this test's own, so stopping it disturbs no other test."""
    broker = KafkaBroker(run_root / f"kafka-{uuid.uuid4().hex[:6]}")
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


def test_broker_restart_keeps_records(own_broker: KafkaBroker) -> None:
    _create_topic(own_broker, "durable")
    _produce(own_broker.bootstrap_servers, "durable", b"aqua", b"before restart")
    own_broker.stop()
    assert not own_broker.running()
    with pytest.raises(KafkaException):
        own_broker.admin().list_topics(timeout=2)
    own_broker.start()
    assert _consume_all(own_broker.bootstrap_servers, "durable", 1) == [
        (b"aqua", b"before restart")
    ]


def test_apiserver_reports_its_real_version(testbed: TestBed) -> None:
    version = json.loads(testbed.kube.kubectl_ok("version", "-o", "json"))
    assert version["serverVersion"]["gitVersion"] == "v1.36.3"
    assert version["clientVersion"]["gitVersion"] == "v1.36.3"


def test_crd_and_custom_resource(testbed: TestBed, namespace: str) -> None:
    testbed.kube.install_crds(RESOURCES / "widget-crd.yaml")
    widget: dict[str, Any] = {
        "apiVersion": "testbed.satfeed.io/v1",
        "kind": "Widget",
        "metadata": {"name": "w1", "namespace": namespace},
        "spec": {"size": 3},
    }
    testbed.kube.apply(widget)
    assert testbed.kube.get_json("get", "widget", "w1", "-n", namespace)["spec"] == {"size": 3}
    # The schema is enforced by the real apiserver.
    widget["metadata"]["name"] = "w2"
    widget["spec"] = {"size": 0}
    with pytest.raises(RuntimeError, match=r"spec.size"):
        testbed.kube.apply(widget)


def test_garbage_collector_removes_owned_configmap(testbed: TestBed, namespace: str) -> None:
    testbed.kube.install_crds(RESOURCES / "widget-crd.yaml")
    owner = {
        "apiVersion": "testbed.satfeed.io/v1",
        "kind": "Widget",
        "metadata": {"name": "owner", "namespace": namespace},
        "spec": {"size": 1},
    }
    testbed.kube.apply(owner)
    uid = testbed.kube.get_json("get", "widget", "owner", "-n", namespace)["metadata"]["uid"]
    testbed.kube.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": "child",
                "namespace": namespace,
                "ownerReferences": [
                    {
                        "apiVersion": "testbed.satfeed.io/v1",
                        "kind": "Widget",
                        "name": "owner",
                        "uid": uid,
                        "controller": True,
                    }
                ],
            },
            "data": {"k": "v"},
        }
    )
    testbed.kube.kubectl_ok("delete", "widget", "owner", "-n", namespace)
    # The garbage collector notices new resource types on its discovery resync (30 s).
    wait_for(
        lambda: testbed.kube.kubectl("get", "configmap", "child", "-n", namespace).returncode != 0,
        120,
        "the garbage collector to delete the owned ConfigMap",
    )


def test_deployment_gets_a_replicaset(testbed: TestBed, namespace: str) -> None:
    testbed.kube.kubectl_ok(
        "create", "deployment", "web", "--image=example.invalid/web:1", "-n", namespace
    )
    replicasets = wait_for(
        lambda: testbed.kube.get_json("get", "replicasets", "-n", namespace, "-l", "app=web")[
            "items"
        ],
        60,
        "the deployment controller to create a ReplicaSet",
    )
    assert replicasets[0]["metadata"]["ownerReferences"][0]["name"] == "web"


def test_restricted_service_account_is_denied(testbed: TestBed, namespace: str) -> None:
    kube = testbed.kube
    kube.kubectl_ok("create", "serviceaccount", "reader", "-n", namespace)
    kube.kubectl_ok(
        "create", "role", "configmap-reader", "--verb=get,list", "--resource=configmaps",
        "-n", namespace,
    )  # fmt: skip
    kube.kubectl_ok(
        "create", "rolebinding", "reader", "--role=configmap-reader",
        f"--serviceaccount={namespace}:reader", "-n", namespace,
    )  # fmt: skip
    as_reader = kube.service_account_kubeconfig(namespace, "reader")
    allowed = kube.kubectl("get", "configmaps", "-n", namespace, kubeconfig=as_reader)
    assert allowed.returncode == 0, allowed.stderr
    denied = kube.kubectl("get", "secrets", "-n", namespace, kubeconfig=as_reader)
    assert denied.returncode != 0
    assert "forbidden" in denied.stderr.lower()
    assert f"system:serviceaccount:{namespace}:reader" in denied.stderr


def _kafkatopic(name: str, namespace: str, **spec: object) -> dict[str, object]:
    return {
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "KafkaTopic",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"strimzi.io/cluster": KAFKA_CLUSTER},
        },
        "spec": {"partitions": 2, "replicas": 1, **spec},
    }


def _ready(testbed: TestBed, name: str, namespace: str) -> dict[str, Any] | None:
    topic = testbed.kube.get_json("get", "kafkatopic", name, "-n", namespace)
    status = topic.get("status") or {}
    conditions = {c["type"]: c for c in status.get("conditions", [])}
    if conditions.get("Ready", {}).get("status") == "True":
        return dict(status)
    return None


def test_kafkatopic_becomes_ready_and_exists_in_kafka(testbed: TestBed, namespace: str) -> None:
    kafka_name = f"positions.{namespace}"
    testbed.kube.apply(_kafkatopic("terra", namespace, topicName=kafka_name))
    status = wait_for(lambda: _ready(testbed, "terra", namespace), 60, "KafkaTopic Ready")
    assert status["topicName"] == kafka_name
    metadata = testbed.kafka.admin().list_topics(timeout=10)
    assert len(metadata.topics[kafka_name].partitions) == 2

    # A second KafkaTopic for the same Kafka topic is refused, as Strimzi does.
    testbed.kube.apply(_kafkatopic("terra-copy", namespace, topicName=kafka_name))

    def conflict() -> bool:
        topic = testbed.kube.get_json("get", "kafkatopic", "terra-copy", "-n", namespace)
        conditions = (topic.get("status") or {}).get("conditions", [])
        return any(c.get("reason") == "ResourceConflict" for c in conditions)

    wait_for(conflict, 60, "ResourceConflict on the duplicate KafkaTopic")
    testbed.kube.kubectl_ok("delete", "kafkatopic", "terra-copy", "-n", namespace)
    assert kafka_name in testbed.kafka.admin().list_topics(timeout=10).topics

    testbed.kube.kubectl_ok("delete", "kafkatopic", "terra", "-n", namespace, "--timeout=60s")
    wait_for(
        lambda: kafka_name not in testbed.kafka.admin().list_topics(timeout=10).topics,
        60,
        "the Kafka topic to be deleted with its KafkaTopic",
    )


def test_helm_install_tiny_chart(testbed: TestBed, namespace: str) -> None:
    helm = testbed.kube.tools.helm if testbed.kube.tools else None
    assert helm is not None
    proc = subprocess.run(
        [
            str(helm),
            "install",
            "tiny",
            str(RESOURCES / "charts" / "tiny"),
            "--namespace",
            namespace,
            "--kubeconfig",
            str(testbed.kube.kubeconfig),
            "--set",
            "greeting=bonjour",
            "--wait",
            "--timeout=60s",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    configmap = testbed.kube.get_json("get", "configmap", "tiny-tiny", "-n", namespace)
    assert configmap["data"] == {"greeting": "bonjour"}
    assert configmap["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm"


@pytest.fixture
def loopback_site(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "index.html").write_text(
        "<!doctype html><title>satfeed smoke</title><h1 id='hello'>Hello from loopback</h1>"
    )

    class Quiet(SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(tmp_path), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_chromium_loads_a_loopback_page(loopback_site: str, run_root: Path) -> None:
    screenshot = run_root / "artifacts" / "smoke-page.png"
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_path()), args=list(CHROMIUM_ARGS)
        )
        try:
            page = browser.new_page()
            page.goto(loopback_site)
            assert page.text_content("#hello") == "Hello from loopback"
            page.screenshot(path=str(screenshot))
        finally:
            browser.close()
    assert screenshot.read_bytes().startswith(b"\x89PNG")


def _operator_ports(testbed: TestBed) -> dict[str, int]:
    port = (testbed.run_dir / "entity-operators" / "health.port").read_text()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/operators", timeout=5) as response:
        ports: dict[str, int] = json.load(response)
    return ports


def test_each_namespace_gets_strimzis_real_topic_operator_with_its_own_port_8080(
    testbed: TestBed, namespace: str, other_namespace: str
) -> None:
    for ns in (namespace, other_namespace):
        testbed.kube.apply(_kafkatopic("terra", ns, topicName=f"positions.{ns}"))
    for ns in (namespace, other_namespace):
        wait_for(functools.partial(_ready, testbed, "terra", ns), 90, f"KafkaTopic Ready in {ns}")

    # Two Topic Operators at once, each with its health server on its own port 8080 ...
    ports = _operator_ports(testbed)
    for ns in (namespace, other_namespace):
        port = ports[f"topic-operator/{ns}"]
        assert port != 8080
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=5) as response:
            assert response.status == 200
        # ... and each is Strimzi's own build, watching only its namespace.
        log = testbed.topic_operator_log(ns).read_text()
        assert "TopicOperator 1.2.0 is starting" in log
        assert f"watchedNamespace='{ns}'" in log


def test_kafkauser_with_scram_gets_its_secret_from_strimzis_user_operator(
    testbed: TestBed, namespace: str
) -> None:
    testbed.kube.apply(
        {
            "apiVersion": "kafka.strimzi.io/v1",
            "kind": "KafkaUser",
            "metadata": {
                "name": "terra-producer",
                "namespace": namespace,
                "labels": {"strimzi.io/cluster": KAFKA_CLUSTER},
            },
            "spec": {"authentication": {"type": "scram-sha-512"}},
        }
    )

    def ready() -> dict[str, Any] | None:
        user = testbed.kube.get_json("get", "kafkauser", "terra-producer", "-n", namespace)
        status = user.get("status") or {}
        conditions = {c["type"]: c for c in status.get("conditions", [])}
        return dict(status) if conditions.get("Ready", {}).get("status") == "True" else None

    status = wait_for(ready, 90, "KafkaUser Ready")
    assert status["username"] == "terra-producer"
    assert status["secret"] == "terra-producer"
    secret = testbed.kube.get_json("get", "secret", "terra-producer", "-n", namespace)
    assert set(secret["data"]) >= {"password", "sasl.jaas.config"}
    # The SCRAM credential is in Kafka, as the broker will check it.
    admin = testbed.kafka.admin()  # kept referenced: a collected client cancels its futures
    users = admin.describe_user_scram_credentials(["terra-producer"])
    assert isinstance(users, dict)
    assert users["terra-producer"].result(10).scram_credential_infos


def _produce_as(
    testbed: TestBed, user: str, password: str, topic: str
) -> tuple[KafkaError | None, list[KafkaError]]:
    """Produce one record over SCRAM-SHA-512 + TLS: (delivery error, client errors)."""
    errors: list[KafkaError] = []
    producer = Producer(
        {
            "bootstrap.servers": testbed.kafka.sasl_ssl_bootstrap_servers,
            "security.protocol": "SASL_SSL",
            "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.username": user,
            "sasl.password": password,
            "ssl.ca.location": str(testbed.kafka.ca_cert),
            "message.timeout.ms": 10000,
            "error_cb": errors.append,
        }
    )
    delivered: list[KafkaError | None] = []
    producer.produce(topic, value=b"x", on_delivery=lambda err, msg: delivered.append(err))
    producer.flush(20)
    return (delivered[0] if delivered else None), errors


def test_kafkauser_acls_are_enforced_by_the_broker_over_scram_and_tls(
    testbed: TestBed, namespace: str
) -> None:
    ours, theirs = f"ours.{namespace}", f"theirs.{namespace}"
    for name, topic in (("ours", ours), ("theirs", theirs)):
        testbed.kube.apply(_kafkatopic(name, namespace, topicName=topic))
    for name in ("ours", "theirs"):
        wait_for(functools.partial(_ready, testbed, name, namespace), 90, f"KafkaTopic {name}")
    testbed.kube.apply(kafkauser("writer", namespace, [topic_acl(ours, ["Write", "Describe"])]))
    secret = password(testbed, "writer", namespace)

    error, _ = _produce_as(testbed, "writer", secret, ours)
    assert error is None
    error, _ = _produce_as(testbed, "writer", secret, theirs)
    assert error is not None
    assert error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED
    # A wrong password gets no further than authentication.
    error, client_errors = _produce_as(testbed, "writer", secret + "x", ours)
    assert error is not None
    assert any(e.code() == KafkaError._AUTHENTICATION for e in client_errors)
    # Only the one record that was allowed is in Kafka.
    assert len(_consume_all(testbed.kafka.bootstrap_servers, ours, 1)) == 1
