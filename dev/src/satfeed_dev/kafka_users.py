"""TEST-ONLY: Strimzi KafkaUsers on the test bed, as a platform team hands them out.

Strimzi's real User Operator (one per test namespace, :mod:`satfeed_dev.entity_operators`)
turns each KafkaUser into SCRAM-SHA-512 credentials in a Secret and ACLs in the broker. A
client outside the cluster reads its password from that Secret; a pod mounts it. The
cluster CA Secret is put into a namespace as a user copies it from the Kafka namespace.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from satfeed_core import contract
from satfeed_core.kafka_security import SASL_SSL
from satfeed_core.pass_events import TOPIC_PREFIX as PASSES_PREFIX

from .testbed import KAFKA_CLUSTER, TestBed
from .waiting import wait_for

OPERATOR_USER = "satfeed-operator"


def kafkauser(name: str, namespace: str, acls: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "KafkaUser",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"strimzi.io/cluster": KAFKA_CLUSTER},
        },
        "spec": {
            "authentication": {"type": "scram-sha-512"},
            "authorization": {"type": "simple", "acls": acls},
        },
    }


def topic_acl(name: str, operations: list[str], pattern: str = "literal") -> dict[str, Any]:
    return {
        "resource": {"type": "topic", "name": name, "patternType": pattern},
        "operations": operations,
    }


def ready(testbed: TestBed, name: str, namespace: str) -> bool:
    user = testbed.kube.get_json("get", "kafkauser", name, "-n", namespace)
    conditions = (user.get("status") or {}).get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def password(testbed: TestBed, name: str, namespace: str) -> str:
    """The KafkaUser's password, once the User Operator made it."""
    wait_for(lambda: ready(testbed, name, namespace), 90, f"KafkaUser {name} Ready")
    secret = testbed.kube.get_json("get", "secret", name, "-n", namespace)
    return base64.b64decode(secret["data"][contract.KAFKA_USER_PASSWORD_KEY]).decode()


def password_file(testbed: TestBed, name: str, namespace: str, directory: Path) -> Path:
    """The KafkaUser's password in a file of its own, as a mounted Secret is."""
    path = directory / f"{name}.password"
    path.write_text(password(testbed, name, namespace))
    path.chmod(0o600)
    return path


def rotate_password(testbed: TestBed, name: str, namespace: str, mounted: Path) -> str:
    """Strimzi's way to rotate a SCRAM password: delete the Secret, and the User Operator
    makes a new one; then ``mounted`` is rewritten in place (an atomic rename), as the
    kubelet rewrites a mounted Secret. Returns the new password."""
    old = mounted.read_text()
    testbed.kube.kubectl_ok("delete", "secret", name, "-n", namespace)

    def made() -> str | None:
        if not ready(testbed, name, namespace):
            return None
        if testbed.kube.kubectl("get", "secret", name, "-n", namespace).returncode != 0:
            return None
        fresh = password(testbed, name, namespace)
        return fresh if fresh != old else None

    new: str = wait_for(made, 90, f"the User Operator to make {name} a new password")
    staged = mounted.with_name(mounted.name + ".new")
    staged.write_text(new)
    staged.replace(mounted)
    return new


def mounted_env(
    directory: Path,
    username: str,
    secret: str = "s3cret-Pa55",  # noqa: S107 (a test value)
) -> dict[str, str]:
    """A KafkaUser's Secret and the cluster CA written into ``directory`` as a pod sees them
    mounted, and the variables that point a satfeed client at them."""
    (directory / "password").write_text(secret + "\n")
    (directory / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\n")
    return {
        contract.ENV_KAFKA_SECURITY_PROTOCOL: SASL_SSL,
        contract.ENV_KAFKA_SASL_USERNAME: username,
        contract.ENV_KAFKA_SASL_PASSWORD_FILE: str(directory / "password"),
        contract.ENV_KAFKA_CA_FILE: str(directory / "ca.crt"),
    }


def install_cluster_ca(testbed: TestBed, namespace: str) -> None:
    """``<cluster>-cluster-ca-cert`` in ``namespace``, as a user copies it there."""
    certificate = base64.b64encode(testbed.kafka.ca_cert.read_bytes()).decode()
    testbed.kube.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": f"{KAFKA_CLUSTER}-cluster-ca-cert", "namespace": namespace},
            "data": {contract.KAFKA_CLUSTER_CA_CERT_KEY: certificate},
        }
    )


def operator_env(
    testbed: TestBed, namespace: str, directory: Path, *, publishes: bool = True
) -> dict[str, str]:
    """The operator with an authenticating Kafka: the SCRAM over TLS listener, where its
    producers get KafkaUsers too. With ``publishes`` it has a KafkaUser of its own (it
    writes pass events only); without, a placeholder password (a test with no station)."""
    install_cluster_ca(testbed, namespace)
    if publishes:
        acl = topic_acl(PASSES_PREFIX, ["Write", "Describe"], "prefix")
        testbed.kube.apply(kafkauser(OPERATOR_USER, namespace, [acl]))
        password = password_file(testbed, OPERATOR_USER, namespace, directory)
    else:
        password = directory / "placeholder.password"
        password.write_text("never-used\n")
    return {
        "KAFKA_BOOTSTRAP_SERVERS": testbed.kafka.sasl_ssl_bootstrap_servers,
        contract.ENV_KAFKA_SECURITY_PROTOCOL: SASL_SSL,
        contract.ENV_KAFKA_SASL_USERNAME: OPERATOR_USER,
        contract.ENV_KAFKA_SASL_PASSWORD_FILE: str(password),
        contract.ENV_KAFKA_CA_FILE: str(testbed.kafka.ca_cert),
    }
