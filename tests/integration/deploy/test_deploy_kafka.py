"""deploy/: the Kafka cluster satfeed installs on kind or minikube, checked against Strimzi's
real CRDs (generated from Strimzi's published API) by the test apiserver."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from satfeed_dev.testbed import TestBed
from satfeed_dev.toolchain import REPO_ROOT, strimzi_crd

pytestmark = pytest.mark.integration

KAFKA_MANIFEST = REPO_ROOT / "deploy" / "kafka" / "kafka.yaml"


@pytest.fixture(scope="module")
def strimzi_crds(testbed: TestBed) -> None:
    testbed.kube.install_crds(strimzi_crd("Kafka"), strimzi_crd("KafkaNodePool"))
    if testbed.kube.kubectl("get", "namespace", "satfeed").returncode != 0:
        testbed.kube.kubectl_ok("create", "namespace", "satfeed")


def test_kafka_manifest_is_valid_for_strimzi(testbed: TestBed, strimzi_crds: None) -> None:
    out = testbed.kube.kubectl_ok("apply", "--dry-run=server", "-f", str(KAFKA_MANIFEST))
    assert "kafka.kafka.strimzi.io/satfeed created (server dry run)" in out
    assert "kafkanodepool.kafka.strimzi.io/dual-role created (server dry run)" in out


def test_kafka_is_kraft_single_node_without_auto_create() -> None:
    documents = {d["kind"]: d for d in yaml.safe_load_all(KAFKA_MANIFEST.read_text())}
    pool, kafka = documents["KafkaNodePool"], documents["Kafka"]
    assert pool["apiVersion"] == kafka["apiVersion"] == "kafka.strimzi.io/v1"
    assert sorted(pool["spec"]["roles"]) == ["broker", "controller"]
    assert pool["spec"]["replicas"] == 1
    assert pool["spec"]["storage"]["type"] == "ephemeral"
    assert pool["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
    assert kafka["spec"]["kafka"]["config"]["auto.create.topics.enable"] is False
    assert "topicOperator" in kafka["spec"]["entityOperator"]


def test_a_misspelt_field_is_rejected(testbed: TestBed, strimzi_crds: None, tmp_path: Path) -> None:
    # Proves the dry run validates: Strimzi's schema knows its fields.
    bad = KAFKA_MANIFEST.read_text().replace("replicas: 1", "replicas: many")
    (tmp_path / "bad.yaml").write_text(bad)
    proc = testbed.kube.kubectl("apply", "--dry-run=server", "-f", str(tmp_path / "bad.yaml"))
    assert proc.returncode != 0
    assert "spec.replicas" in proc.stderr


def test_clients_must_authenticate_and_are_authorized_by_acl() -> None:
    kafka = {d["kind"]: d for d in yaml.safe_load_all(KAFKA_MANIFEST.read_text())}["Kafka"]
    listeners = {each["name"]: each for each in kafka["spec"]["kafka"]["listeners"]}
    # What satfeed's charts connect to by default: SCRAM-SHA-512 over TLS on 9093.
    assert listeners["tls"]["port"] == 9093
    assert listeners["tls"]["tls"] is True
    assert listeners["tls"]["authentication"] == {"type": "scram-sha-512"}
    assert kafka["spec"]["kafka"]["authorization"] == {"type": "simple"}
    assert "userOperator" in kafka["spec"]["entityOperator"]
