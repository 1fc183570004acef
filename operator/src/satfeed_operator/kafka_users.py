"""A producer's Kafka identity: the Strimzi KafkaUser the operator declares for each Satellite
and each SatelliteGroup, and how the producer pod gets its credentials. Pure.

Strimzi's User Operator turns the KafkaUser into SCRAM-SHA-512 credentials (a Secret of the
same name, key ``password``) and ACLs in Kafka. The ACLs allow the producer its own topic
only: Write to publish, Describe for metadata, Read for the start-up probe that finds the
newest record already there, so that a restarted producer neither repeats nor skips a
sample. Brokers trust nothing else; the pod trusts the brokers through the cluster CA
(``<cluster>-cluster-ca-cert``), which must be in the Satellite's namespace.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from satfeed_core import contract
from satfeed_core.kafka_security import SASL_SSL
from satfeed_core.labels import STRIMZI_CLUSTER_KEY

from satfeed_operator.conditions import FALSE, UNKNOWN, Condition

KAFKAUSER_API_VERSION: Final = "kafka.strimzi.io/v1"
KAFKAUSER_KIND: Final = "KafkaUser"
PRODUCER_OPERATIONS: Final = ("Describe", "Read", "Write")
CREDENTIALS_DIR: Final = "/etc/satfeed/kafka-user"
CLUSTER_CA_DIR: Final = "/etc/satfeed/kafka-ca"
CREDENTIALS_ANNOTATION: Final = "satfeed.io/credentials-checksum"
"""On the producer's pod template: changes when the password or the cluster CA does, so a
rotated credential rolls the producer (a mounted Secret changes under a running client,
which would keep its old session until the broker drops it)."""


def cluster_ca_secret_name(cluster: str) -> str:
    """Strimzi's Secret of the cluster CA certificate that clients trust."""
    return f"{cluster}-cluster-ca-cert"


def build_kafkauser(metadata: Mapping[str, Any], cluster: str, topic_name: str) -> dict[str, Any]:
    """The KafkaUser of one producer (``metadata``: its name, namespace, labels, owner).

    The owner's labels go on the Secret too (``template``), so the operator sees the
    Secret change through its label-filtered watch and rolls the producer.
    """
    labels = dict(metadata.get("labels") or {})
    return {
        "apiVersion": KAFKAUSER_API_VERSION,
        "kind": KAFKAUSER_KIND,
        "metadata": {**metadata, "labels": {**labels, STRIMZI_CLUSTER_KEY: cluster}},
        "spec": {
            "authentication": {"type": "scram-sha-512"},
            "authorization": {
                "type": "simple",
                "acls": [
                    {
                        "resource": {
                            "type": "topic",
                            "name": topic_name,
                            "patternType": "literal",
                        },
                        "operations": list(PRODUCER_OPERATIONS),
                    }
                ],
            },
            "template": {"secret": {"metadata": {"labels": labels}}},
        },
    }


@dataclass(frozen=True)
class Credentials:
    """What a producer pod needs to connect as its KafkaUser, once it exists."""

    username: str
    cluster: str
    checksum: str

    def env(self) -> dict[str, str]:
        return {
            contract.ENV_KAFKA_SECURITY_PROTOCOL: SASL_SSL,
            contract.ENV_KAFKA_SASL_USERNAME: self.username,
            contract.ENV_KAFKA_SASL_PASSWORD_FILE: (
                f"{CREDENTIALS_DIR}/{contract.KAFKA_USER_PASSWORD_KEY}"
            ),
            contract.ENV_KAFKA_CA_FILE: f"{CLUSTER_CA_DIR}/{contract.KAFKA_CLUSTER_CA_CERT_KEY}",
        }

    def mounts(self) -> list[dict[str, Any]]:
        return [
            {"name": "kafka-user", "mountPath": CREDENTIALS_DIR, "readOnly": True},
            {"name": "kafka-ca", "mountPath": CLUSTER_CA_DIR, "readOnly": True},
        ]

    def volumes(self) -> list[dict[str, Any]]:
        def secret(name: str, key: str) -> dict[str, Any]:
            return {"secretName": name, "items": [{"key": key, "path": key}]}

        return [
            {
                "name": "kafka-user",
                "secret": secret(self.username, contract.KAFKA_USER_PASSWORD_KEY),
            },
            {
                "name": "kafka-ca",
                "secret": secret(
                    cluster_ca_secret_name(self.cluster), contract.KAFKA_CLUSTER_CA_CERT_KEY
                ),
            },
        ]

    def annotations(self) -> dict[str, str]:
        return {CREDENTIALS_ANNOTATION: self.checksum}


def credentials(
    kafkauser: Mapping[str, Any] | None,
    user_secret: Mapping[str, Any] | None,
    ca_secret: Mapping[str, Any] | None,
    cluster: str,
    namespace: str,
    condition_type: str,
) -> Credentials | Condition:
    """The producer's credentials, or why it cannot have them yet: a ``condition_type``
    condition (ProducerReady, ShardsReady) saying what to do."""
    name = str((kafkauser or {}).get("metadata", {}).get("name") or "")
    if not _ready(kafkauser):
        why = _not_ready_message(kafkauser)
        return Condition(
            condition_type,
            UNKNOWN,
            "WaitingForCredentials",
            f"the producer starts once Strimzi's User Operator has made KafkaUser "
            f"{namespace}/{name} Ready ({why}); a User Operator must watch namespace "
            f"{namespace}",
        )
    password = (user_secret or {}).get("data", {}).get(contract.KAFKA_USER_PASSWORD_KEY)
    if not password:
        return Condition(
            condition_type,
            UNKNOWN,
            "WaitingForCredentials",
            f"KafkaUser {namespace}/{name} is Ready but its Secret {name} (key "
            f"{contract.KAFKA_USER_PASSWORD_KEY}) is not there yet",
        )
    ca_name = cluster_ca_secret_name(cluster)
    ca = (ca_secret or {}).get("data", {}).get(contract.KAFKA_CLUSTER_CA_CERT_KEY)
    if not ca:
        return Condition(
            condition_type,
            FALSE,
            "ClusterCAMissing",
            f"Secret {namespace}/{ca_name} (key {contract.KAFKA_CLUSTER_CA_CERT_KEY}) is "
            f"missing: the producer could not verify the brokers. Copy it from the Kafka "
            f"cluster's namespace: kubectl get secret {ca_name} -n <kafka-namespace> -o "
            f"json | jq 'del(.metadata.namespace,.metadata.uid,.metadata.resourceVersion,"
            f".metadata.ownerReferences,.metadata.creationTimestamp)' | kubectl apply -n "
            f"{namespace} -f -",
        )
    # A digest, never the secrets themselves, goes into the pod template.
    checksum = hashlib.sha256(f"{password}\n{ca}".encode()).hexdigest()[:16]
    return Credentials(name, cluster, checksum)


def _ready(kafkauser: Mapping[str, Any] | None) -> bool:
    if kafkauser is None:
        return False
    status = kafkauser.get("status") or {}
    generation = kafkauser.get("metadata", {}).get("generation")
    if status.get("observedGeneration") not in (None, generation):
        return False  # its latest spec (ACLs) not applied yet
    return any(
        each.get("type") == "Ready" and each.get("status") == "True"
        for each in status.get("conditions") or []
    )


def _not_ready_message(kafkauser: Mapping[str, Any] | None) -> str:
    if kafkauser is None:
        return "it is being created"
    for each in (kafkauser.get("status") or {}).get("conditions") or []:
        if each.get("type") in ("Ready", "NotReady") and each.get("message"):
            return f"it says: {each['message']}"
    return "not reconciled yet"
