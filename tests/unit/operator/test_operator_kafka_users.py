"""A producer's KafkaUser and credentials as the operator builds them: its own topic only,
the Secrets mounted where the producer reads them, a new password rolling the pod, and
each missing piece named in the condition."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from satfeed_core.kafka_security import SASL_SSL
from satfeed_operator.conditions import Condition
from satfeed_operator.config import OperatorConfig, parse_config
from satfeed_operator.kafka_users import Credentials, credentials
from satfeed_operator.objects import (
    build_deployment,
    build_networkpolicy,
    build_producer_kafkauser,
)

from tests.unit.operator.test_operator_objects import env, plan, satellite

NS = "eo"


def kafkauser(ready: bool = True, generation: int = 1, observed: int = 1) -> dict[str, Any]:
    condition = {"type": "Ready", "status": "True"} if ready else {"type": "NotReady",
        "status": "True", "message": "SCRAM credentials not created yet"}  # fmt: skip
    return {
        "metadata": {"name": "terra-producer", "namespace": NS, "generation": generation},
        "status": {"observedGeneration": observed, "conditions": [condition]},
    }


def secret(**data: str) -> dict[str, Any]:
    return {"data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}


def found(**overrides: Any) -> Credentials | Condition:
    values: dict[str, Any] = {
        "kafkauser": kafkauser(),
        "user_secret": secret(password="pa55"),
        "ca_secret": secret(**{"ca.crt": "-----BEGIN CERTIFICATE-----"}),
    }
    values.update(overrides)
    return credentials(
        values["kafkauser"], values["user_secret"], values["ca_secret"], "prod", NS,
        "ProducerReady",
    )  # fmt: skip


@pytest.fixture
def config() -> OperatorConfig:
    return parse_config(
        [], {"SATFEED_KAFKA_CLUSTER": "prod", "KAFKA_BOOTSTRAP_SERVERS": "kafka:9092"}
    )


def test_the_kafkauser_may_use_its_own_topic_and_nothing_else() -> None:
    user = build_producer_kafkauser(satellite(), plan(), "prod")
    assert user["kind"] == "KafkaUser"
    assert user["metadata"]["name"] == "terra-producer"
    assert user["metadata"]["labels"]["strimzi.io/cluster"] == "prod"
    assert user["metadata"]["ownerReferences"][0]["uid"] == "uid-1"  # deleted with it
    assert user["spec"]["authentication"] == {"type": "scram-sha-512"}
    (acl,) = user["spec"]["authorization"]["acls"]
    assert acl["resource"] == {
        "type": "topic",
        "name": "satfeed.positions.eo.terra",
        "patternType": "literal",
    }
    assert sorted(acl["operations"]) == ["Describe", "Read", "Write"]
    # Its Secret carries the owner's label: the operator's watch sees it change.
    secret_labels = user["spec"]["template"]["secret"]["metadata"]["labels"]
    assert secret_labels["satfeed.io/satellite"] == "terra"


def test_the_producer_mounts_its_password_and_the_cluster_ca(config: OperatorConfig) -> None:
    creds = found()
    assert isinstance(creds, Credentials)
    deployment = build_deployment(satellite(), plan(credentials=creds), 1, config)
    variables = env(deployment)
    assert variables["KAFKA_SECURITY_PROTOCOL"] == SASL_SSL
    assert variables["KAFKA_SASL_USERNAME"] == "terra-producer"
    pod = deployment["spec"]["template"]["spec"]
    mounts = {m["name"]: m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    secrets = {v["name"]: v["secret"] for v in pod["volumes"] if "secret" in v}
    assert secrets["kafka-user"]["secretName"] == "terra-producer"
    assert secrets["kafka-ca"]["secretName"] == "prod-cluster-ca-cert"
    assert variables["KAFKA_SASL_PASSWORD_FILE"] == f"{mounts['kafka-user']}/password"
    assert variables["KAFKA_SSL_CA_FILE"] == f"{mounts['kafka-ca']}/ca.crt"
    # The password itself is nowhere in the Deployment.
    assert "pa55" not in str(deployment)
    assert base64.b64encode(b"pa55").decode() not in str(deployment)


def test_a_new_password_or_ca_rolls_the_producer(config: OperatorConfig) -> None:
    def template(**overrides: Any) -> dict[str, Any]:
        creds = found(**overrides)
        assert isinstance(creds, Credentials)
        built = build_deployment(satellite(), plan(credentials=creds), 1, config)
        return dict(built["spec"]["template"]["metadata"]["annotations"])

    before = template()
    assert template() == before
    assert template(user_secret=secret(password="n3w")) != before
    assert template(ca_secret=secret(**{"ca.crt": "-----BEGIN CERTIFICATE-----2"})) != before


@pytest.mark.parametrize(
    ("overrides", "status", "reason", "says"),
    [
        ({"kafkauser": None}, "Unknown", "WaitingForCredentials", "being created"),
        (
            {"kafkauser": kafkauser(ready=False)},
            "Unknown",
            "WaitingForCredentials",
            "SCRAM credentials not created yet",
        ),
        (  # its ACLs changed and not yet applied
            {"kafkauser": kafkauser(generation=2, observed=1)},
            "Unknown",
            "WaitingForCredentials",
            "KafkaUser eo/terra-producer Ready",
        ),
        ({"user_secret": None}, "Unknown", "WaitingForCredentials", "Secret terra-producer"),
        (
            {"ca_secret": None},
            "False",
            "ClusterCAMissing",
            "kubectl get secret prod-cluster-ca-cert -n <kafka-namespace>",
        ),
    ],
)
def test_what_is_missing_is_named(
    overrides: dict[str, Any], status: str, reason: str, says: str
) -> None:
    condition = found(**overrides)
    assert isinstance(condition, Condition)
    assert (condition.type, condition.status, condition.reason) == ("ProducerReady", status, reason)
    assert says in condition.message


def test_the_operator_gives_its_producers_kafkausers_only_with_sasl_ssl(
    tmp_path: Any, config: OperatorConfig
) -> None:
    assert not config.kafka_users  # plaintext: development only
    (tmp_path / "password").write_text("x")
    (tmp_path / "ca.crt").write_text("x")
    secured = parse_config(
        [],
        {
            "SATFEED_KAFKA_CLUSTER": "prod",
            "KAFKA_BOOTSTRAP_SERVERS": "kafka:9093",
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_USERNAME": "satfeed-operator",
            "KAFKA_SASL_PASSWORD_FILE": str(tmp_path / "password"),
            "KAFKA_SSL_CA_FILE": str(tmp_path / "ca.crt"),
        },
    )
    assert secured.kafka_users
    assert secured.kafka_security.describe() == "SCRAM-SHA-512 over TLS as satfeed-operator"


def test_the_producer_network_policy_allows_dns_and_the_brokers_only() -> None:
    policy = build_networkpolicy(satellite(), plan(bootstrap_servers="k-0:9093,k-1:9093"), "prod")
    spec = policy["spec"]
    assert spec["podSelector"]["matchLabels"] == {
        "satfeed.io/satellite": "terra",
        "app.kubernetes.io/component": "producer",
    }
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert spec["ingress"] == [{"ports": [{"port": 8080, "protocol": "TCP"}]}]
    dns, kafka = spec["egress"]
    assert dns["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    assert kafka["to"][0]["podSelector"]["matchLabels"] == {
        "strimzi.io/cluster": "prod",
        "strimzi.io/kind": "Kafka",
    }
    assert kafka["ports"] == [{"port": 9093, "protocol": "TCP"}]
    assert policy["metadata"]["ownerReferences"][0]["uid"] == "uid-1"
