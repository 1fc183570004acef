"""The Helm charts: lint, render, validate against the real apiserver, install, RBAC, security."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from satfeed_dev.testbed import TestBed
from satfeed_dev.toolchain import REPO_ROOT

pytestmark = pytest.mark.integration

CHARTS = sorted(p.parent for p in (REPO_ROOT / "charts").glob("*/values.schema.json"))
FRONTEND = REPO_ROOT / "charts" / "satfeed-frontend"
OPERATOR = REPO_ROOT / "charts" / "satfeed-operator"
RBAC_RULES = OPERATOR / "files" / "rbac-rules.yaml"


def helm(testbed: TestBed, *args: str) -> subprocess.CompletedProcess[str]:
    assert testbed.kube.tools is not None
    return subprocess.run(
        [str(testbed.kube.tools.helm), "--kubeconfig", str(testbed.kube.kubeconfig), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def render(testbed: TestBed, chart: Path, namespace: str, *sets: str) -> list[dict[str, Any]]:
    proc = helm(testbed, "template", "sat", str(chart), "--namespace", namespace, *sets)
    assert proc.returncode == 0, proc.stderr
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


@pytest.mark.parametrize("chart", CHARTS, ids=lambda p: p.name)
def test_helm_lint_strict(testbed: TestBed, chart: Path) -> None:
    proc = helm(testbed, "lint", "--strict", str(chart))
    assert proc.returncode == 0, proc.stdout + proc.stderr


NON_DEFAULT = (
    "--set", "discovery.allNamespaces=true", "--set", "service.type=NodePort",
    "--set", "ingress.enabled=true", "--set", "ingress.host=satfeed.example.org",
    "--set", "replicaCount=2", "--set", "image.tag=0.1.0-rc1",
)  # fmt: skip


@pytest.mark.parametrize("sets", [(), NON_DEFAULT], ids=["defaults", "non-defaults"])
def test_frontend_renders_valid_objects(
    testbed: TestBed, namespace: str, sets: tuple[str, ...]
) -> None:
    manifests = render(testbed, FRONTEND, namespace, *sets)
    text = yaml.safe_dump_all(manifests)
    out = testbed.kube.kubectl_ok(
        "apply", "--dry-run=server", "-n", namespace, "-f", "-", stdin=text
    )
    assert "deployment.apps/sat-satfeed-frontend created (server dry run)" in out


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("history=abc", "/history"),
        ("service.port=70000", "/service/port"),
        ("image.tag=latest", "/image/tag"),
        ("replicaCount=-1", "/replicaCount"),
        ("discovery.namespaces[0]=Not_A_Namespace", "/discovery/namespaces/0"),
        ("predictions.enabled=maybe", "/predictions/enabled"),
        ("kafka.securityProtocol=SSL", "/kafka/securityProtocol"),
        ("kafka.user.topicPrefixes[0]=no spaces", "/kafka/user/topicPrefixes/0"),
        ("colour=blue", "colour"),
    ],
)
def test_frontend_schema_rejects_bad_values(testbed: TestBed, value: str, complaint: str) -> None:
    proc = helm(testbed, "template", "sat", str(FRONTEND), "--set", value)
    assert proc.returncode != 0
    assert complaint in proc.stderr


def test_frontend_values_problems_are_reported_together(testbed: TestBed) -> None:
    proc = helm(
        testbed, "template", "sat", str(FRONTEND), "--set", "discovery.allNamespaces=true",
        "--set", "discovery.namespaces={a}", "--set", "ingress.enabled=true",
    )  # fmt: skip
    assert proc.returncode != 0
    assert "discovery.allNamespaces and discovery.namespaces exclude each other" in proc.stderr
    assert "ingress.host is required" in proc.stderr


OPERATOR_NON_DEFAULT = (
    "--set", "watchAllNamespaces=true", "--set", "kafka.clusterName=archive",
    "--set", "kafka.bootstrapServers=archive-kafka-bootstrap.kafka.svc:9092",
    "--set", "kafka.extraClusters.other=other-kafka-bootstrap.kafka.svc:9092",
    "--set", "kafka.topicReplicas=3", "--set", "logFormat=json",
)  # fmt: skip


@pytest.mark.parametrize("sets", [(), OPERATOR_NON_DEFAULT], ids=["defaults", "non-defaults"])
def test_operator_renders_valid_objects_with_the_crd(
    testbed: TestBed, namespace: str, sets: tuple[str, ...]
) -> None:
    testbed.kube.kubectl_ok("apply", "--server-side", "-f", str(OPERATOR / "crds"))
    manifests = render(testbed, OPERATOR, namespace, *sets)
    text = yaml.safe_dump_all(manifests)
    out = testbed.kube.kubectl_ok(
        "apply", "--dry-run=server", "-n", namespace, "-f", "-", stdin=text
    )
    assert "deployment.apps/sat-satfeed-operator created (server dry run)" in out
    env = {
        e["name"]: e.get("value")
        for doc in manifests
        if doc["kind"] == "Deployment"
        for e in doc["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    if sets:
        assert env["SATFEED_NAMESPACES"] == ""  # cluster-wide
        assert env["SATFEED_KAFKA_CLUSTER"] == "archive"
        assert env["SATFEED_TOPIC_REPLICAS"] == "3"
    else:
        assert env["SATFEED_NAMESPACES"] == namespace
        assert env["KAFKA_BOOTSTRAP_SERVERS"] == f"satfeed-kafka-bootstrap.{namespace}.svc:9093"
        assert env["SATFEED_PRODUCER_IMAGE"] == "satfeed-producer:0.1.0"


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("celestrak.refreshSeconds=60", "/celestrak/refreshSeconds"),
        ("kafka.clusterName=Bad_Name", "/kafka/clusterName"),
        ("producer.backfill=-1", "/producer/backfill"),
        ("producer.image=satfeed-producer:latest", "/producer/image"),
        ("watchNamespaces=oops", "/watchNamespaces"),
        ("kafka.securityProtocol=SASL_PLAINTEXT", "/kafka/securityProtocol"),
    ],
)
def test_operator_schema_rejects_bad_values(testbed: TestBed, value: str, complaint: str) -> None:
    proc = helm(testbed, "template", "sat", str(OPERATOR), "--set", value)
    assert proc.returncode != 0
    assert complaint in proc.stderr


# Each chart's KafkaUser (SASL_SSL, the default): its name, and exactly its ACLs.
KAFKA_USERS = {
    "satfeed-frontend": (
        "sat-satfeed-frontend",
        [
            ({"type": "topic", "name": "satfeed.positions.", "patternType": "prefix"},
             ["Read", "Describe"]),
            ({"type": "group", "name": "satfeed-frontend-", "patternType": "prefix"},
             ["Describe"]),
        ],
    ),
    "satfeed-operator": (
        "sat-satfeed-operator",
        [
            ({"type": "topic", "name": "satfeed.passes.", "patternType": "prefix"},
             ["Write", "Describe"]),
        ],
    ),
}  # fmt: skip


def _deployment(manifests: list[dict[str, Any]]) -> dict[str, Any]:
    (deployment,) = [d for d in manifests if d["kind"] == "Deployment"]
    pod: dict[str, Any] = deployment["spec"]["template"]["spec"]
    return pod


@pytest.mark.parametrize("chart", CHARTS, ids=lambda p: p.name)
def test_by_default_each_chart_connects_as_its_own_kafkauser(
    testbed: TestBed, namespace: str, chart: Path
) -> None:
    """A KafkaUser with exactly its ACLs (nothing writable for the frontend), validated by
    the apiserver against Strimzi's CRD; the pod mounts its Secret and the cluster CA and is
    told to use them, on the TLS listener."""
    manifests = render(testbed, chart, namespace)
    name, acls = KAFKA_USERS[chart.name]
    (user,) = [d for d in manifests if d["kind"] == "KafkaUser"]
    assert user["apiVersion"] == "kafka.strimzi.io/v1"
    assert user["metadata"]["name"] == name
    assert user["metadata"]["namespace"] == namespace
    assert user["metadata"]["labels"]["strimzi.io/cluster"] == "satfeed"
    assert user["spec"]["authentication"] == {"type": "scram-sha-512"}
    assert user["spec"]["authorization"]["type"] == "simple"
    granted = [(a["resource"], a["operations"]) for a in user["spec"]["authorization"]["acls"]]
    assert granted == acls
    out = testbed.kube.kubectl_ok(
        "apply", "--dry-run=server", "-n", namespace, "-f", "-", stdin=yaml.safe_dump(user)
    )
    assert f"kafkauser.kafka.strimzi.io/{name} created (server dry run)" in out

    pod = _deployment(manifests)
    (container,) = pod["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == f"satfeed-kafka-bootstrap.{namespace}.svc:9093"
    assert env["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert env["KAFKA_SASL_USERNAME"] == name
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    for volume, secret, key, variable in (
        ("kafka-user", name, "password", "KAFKA_SASL_PASSWORD_FILE"),
        ("kafka-ca", "satfeed-cluster-ca-cert", "ca.crt", "KAFKA_SSL_CA_FILE"),
    ):
        assert volumes[volume]["secret"] == {
            "secretName": secret,
            "items": [{"key": key, "path": key}],
        }
        assert mounts[volume]["readOnly"] is True
        assert env[variable] == f"{mounts[volume]['mountPath']}/{key}"


@pytest.mark.parametrize("chart", CHARTS, ids=lambda p: p.name)
def test_plaintext_is_for_development_no_kafkauser_no_mounts(
    testbed: TestBed, namespace: str, chart: Path
) -> None:
    manifests = render(testbed, chart, namespace, "--set", "kafka.securityProtocol=PLAINTEXT")
    assert not [d for d in manifests if d["kind"] == "KafkaUser"]
    pod = _deployment(manifests)
    (container,) = pod["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == f"satfeed-kafka-bootstrap.{namespace}.svc:9092"
    assert env["KAFKA_SECURITY_PROTOCOL"] == "PLAINTEXT"
    assert not {"KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD_FILE", "KAFKA_SSL_CA_FILE"} & set(env)
    assert [v["name"] for v in pod["volumes"]] == ["tmp"]
    assert [m["name"] for m in container["volumeMounts"]] == ["tmp"]


def test_the_frontend_reads_the_topic_prefixes_it_is_given(
    testbed: TestBed, namespace: str
) -> None:
    manifests = render(
        testbed, FRONTEND, namespace, "--set", "kafka.clusterName=archive",
        "--set", "kafka.user.topicPrefixes={satfeed.positions.,team-b.}",
    )  # fmt: skip
    (user,) = [d for d in manifests if d["kind"] == "KafkaUser"]
    assert user["metadata"]["labels"]["strimzi.io/cluster"] == "archive"
    topics = [
        (a["resource"]["name"], a["operations"])
        for a in user["spec"]["authorization"]["acls"]
        if a["resource"]["type"] == "topic"
    ]
    assert topics == [
        ("satfeed.positions.", ["Read", "Describe"]),
        ("team-b.", ["Read", "Describe"]),
    ]
    pod = _deployment(manifests)
    env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == f"archive-kafka-bootstrap.{namespace}.svc:9093"
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["kafka-ca"]["secret"]["secretName"] == "archive-cluster-ca-cert"
    (policy,) = [d for d in manifests if d["kind"] == "NetworkPolicy"]
    assert "archive" in yaml.safe_dump(policy)  # the broker pods of that cluster


def _workloads(manifests: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    pods = []
    for doc in manifests:
        if doc["kind"] == "Deployment":
            pods.append((doc["metadata"]["name"], doc["spec"]["template"]["spec"]))
        elif doc["kind"] == "Pod":
            pods.append((doc["metadata"]["name"], doc["spec"]))
    return pods


@pytest.mark.parametrize("chart", CHARTS, ids=lambda p: p.name)
def test_rendered_pods_are_locked_down(testbed: TestBed, chart: Path) -> None:
    pods = _workloads(render(testbed, chart, "satfeed"))
    assert pods
    for name, spec in pods:
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        for container in spec["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            assert container["resources"]["limits"]["memory"], name
            assert container["resources"]["requests"], name
            image = container["image"]
            assert ":" in image, image
            assert not image.endswith(":latest"), image


def test_helm_test_pod_mounts_no_api_token(testbed: TestBed) -> None:
    """It only calls the frontend's Service: a token would be a credential for nothing."""
    (pod,) = [d for d in render(testbed, FRONTEND, "satfeed") if d["kind"] == "Pod"]
    assert pod["spec"]["automountServiceAccountToken"] is False


def test_operator_is_ready_when_kopf_answers_its_liveness_endpoint(testbed: TestBed) -> None:
    (deployment,) = [d for d in render(testbed, OPERATOR, "satfeed") if d["kind"] == "Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["SATFEED_LIVENESS_ENDPOINT"].endswith(":8080/healthz")
    health = {"path": "/healthz", "port": "health"}
    assert container["readinessProbe"]["httpGet"] == health
    assert container["livenessProbe"]["httpGet"] == health
    assert {"name": "health", "containerPort": 8080, "protocol": "TCP"} in container["ports"]


def _can(testbed: TestBed, account: str, verb: str, resource: str, where: str) -> bool:
    answer = testbed.kube.kubectl("auth", "can-i", verb, resource, "-n", where, "--as", account)
    return answer.stdout.strip() == "yes"


def test_operator_install_grants_its_rules_in_its_namespace_only(
    testbed: TestBed, namespace: str, other_namespace: str
) -> None:
    proc = helm(testbed, "install", "sat", str(OPERATOR), "--namespace", namespace)
    assert proc.returncode == 0, proc.stderr
    assert "kubectl apply -n" in proc.stdout  # NOTES.txt: what to do next
    account = f"system:serviceaccount:{namespace}:sat-satfeed-operator"
    granted = yaml.safe_load(RBAC_RULES.read_text())
    for rule in granted:
        group = rule["apiGroups"][0]
        for resource in rule["resources"]:
            name = f"{resource}.{group}" if group else resource
            for verb in rule["verbs"]:
                assert _can(testbed, account, verb, name, namespace), f"{verb} {name}"
                assert not _can(testbed, account, verb, name, other_namespace), f"{verb} {name}"
    # Nothing beyond the rules: no topic deletes (owner references clean up; only a
    # SatelliteGroup's surplus shards and element chunks are deleted by the operator), no
    # writing of secrets (it reads the KafkaUsers' and the cluster CA's), no pods.
    not_granted = [
        ("delete", "kafkatopics.kafka.strimzi.io"),
        ("delete", "kafkausers.kafka.strimzi.io"),
        ("delete", "satellites.satfeed.io"),
        ("create", "secrets"),
        ("patch", "secrets"),
        ("create", "pods"),
        ("update", "satellites.satfeed.io"),
    ]
    for verb, name in not_granted:
        assert not _can(testbed, account, verb, name, namespace), f"{verb} {name}"


@pytest.mark.parametrize("predictions", [True, False], ids=["predictions", "no-predictions"])
def test_frontend_install_grants_exactly_its_reads(
    testbed: TestBed, namespace: str, other_namespace: str, predictions: bool
) -> None:
    """KafkaTopics read, always; ConfigMaps read (the operator's elements, for predicted
    tracks) with predictions.enabled only, and then the frontend is told to watch them; with
    them GroundStations and Satellites read (ground stations' passes, from those elements)."""
    sets = () if predictions else ("--set", "predictions.enabled=false")
    proc = helm(testbed, "install", "sat", str(FRONTEND), "--namespace", namespace, *sets)
    assert proc.returncode == 0, proc.stderr
    assert "kubectl port-forward" in proc.stdout  # NOTES.txt says how to reach it
    account = f"system:serviceaccount:{namespace}:sat-satfeed-frontend"

    def can(verb: str, resource: str, where: str) -> bool:
        return _can(testbed, account, verb, resource, where)

    for verb in ("get", "list", "watch"):
        assert can(verb, "kafkatopics.kafka.strimzi.io", namespace), verb
        assert can(verb, "configmaps", namespace) is predictions, verb
        for resource in ("groundstations.satfeed.io", "satellites.satfeed.io"):
            assert can(verb, resource, namespace) is predictions, (verb, resource)
    for verb in ("create", "update", "patch", "delete"):
        assert not can(verb, "kafkatopics.kafka.strimzi.io", namespace), verb
        assert not can(verb, "configmaps", namespace), verb
        assert not can(verb, "satellites.satfeed.io", namespace), verb
        assert not can(verb, "groundstations.satfeed.io", namespace), verb
    assert not can("list", "kafkatopics.kafka.strimzi.io", other_namespace)
    assert not can("list", "configmaps", other_namespace)
    assert not can("list", "groundstations.satfeed.io", other_namespace)
    for resource in ("secrets", "pods", "satellitegroups.satfeed.io"):
        assert not can("get", resource, namespace), resource
    deployment = testbed.kube.get_json("get", "deployment", "sat-satfeed-frontend", "-n", namespace)
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    env = {each["name"]: each["value"] for each in container["env"]}
    assert env["SATFEED_PREDICTIONS"] == str(predictions).lower()  # no ConfigMap watch when off
    assert env["SATFEED_GROUND_STATIONS"] == str(predictions).lower()


@pytest.mark.parametrize("predictions", [True, False], ids=["predictions", "no-predictions"])
def test_frontend_cluster_wide_reads_configmaps_only_with_predictions(
    testbed: TestBed, namespace: str, predictions: bool
) -> None:
    manifests = render(
        testbed, FRONTEND, namespace, "--set", "discovery.allNamespaces=true",
        "--set", f"predictions.enabled={str(predictions).lower()}",
    )  # fmt: skip
    granted = [
        (resource, tuple(rule["verbs"]))
        for doc in manifests
        if doc["kind"] in ("Role", "ClusterRole")
        for rule in doc["rules"]
        for resource in rule["resources"]
    ]
    reads = ("get", "list", "watch")
    assert ("kafkatopics", reads) in granted
    assert (("configmaps", reads) in granted) is predictions
    assert {doc["kind"] for doc in manifests if "Role" in doc["kind"]} == {
        "ClusterRole",
        "ClusterRoleBinding",
    }
