"""The node test bed's pieces that are not pytest fixtures: the charts' namespace, the test
bed with its node and tools, the stand-in for Strimzi's bootstrap Service, and what to show
about pods that are not Ready (for ``tests/node`` and ``bench/pod_latency.py``)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from satfeed_core.labels import STRIMZI_CLUSTER_KEY

from .kafka import KafkaBroker
from .kafka_users import install_cluster_ca
from .node import STAND_IN_LABEL, stand_in_pod
from .testbed import KAFKA_CLUSTER, TestBed

NAMESPACE = "satfeed"
"""deploy/'s namespace: the charts' defaults then point at ``satfeed-kafka-bootstrap``."""


@dataclass
class NodeBed:
    bed: TestBed
    bin_dir: Path
    """kubectl and helm of the test bed, for deploy/cluster.sh."""
    report: dict[str, object] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PATH": f"{self.bin_dir}:{os.environ['PATH']}",
            "KUBECONFIG": str(self.bed.kube.kubeconfig),
            "NAMESPACE": NAMESPACE,
            "WAIT": "240s",
        }


def kafka_bootstrap_service(kafka: KafkaBroker) -> list[dict[str, object]]:
    """What Strimzi's ``<cluster>-kafka-bootstrap`` Service is, for the host's broker: its
    plain port 9092 and its SCRAM over TLS port 9093."""
    host, plain = kafka.pods_bootstrap_servers.rsplit(":", 1)
    tls = kafka.pods_tls_bootstrap_servers.rsplit(":", 1)[1]
    names = (("tcp-clients", 9092, int(plain)), ("tcp-clientstls", 9093, int(tls)))
    return [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "satfeed-kafka-bootstrap", "namespace": NAMESPACE},
            "spec": {
                "ports": [
                    {"name": name, "port": port, "targetPort": target}
                    for name, port, target in names
                ]
            },
        },
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": "satfeed-kafka-bootstrap-testbed",
                "namespace": NAMESPACE,
                "labels": {
                    "kubernetes.io/service-name": "satfeed-kafka-bootstrap",
                    "endpointslice.kubernetes.io/managed-by": "satfeed-testbed",
                },
            },
            "addressType": "IPv4",
            "ports": [
                {"name": name, "port": target, "protocol": "TCP"} for name, _, target in names
            ],
            "endpoints": [{"addresses": [host]}],
        },
    ]


def prepare_kafka_namespace(bed: TestBed) -> None:
    """deploy/'s namespace as Strimzi would leave it for satfeed: the Kafka cluster's
    bootstrap Service (for the host's broker), a stand-in for its broker pod (labelled as
    Strimzi labels it, at the host's address: the NetworkPolicies' Kafka rules name broker
    pods, and the node enforces them) and its cluster CA Secret."""
    bed.kube.kubectl_ok("create", "namespace", NAMESPACE)
    for manifest in kafka_bootstrap_service(bed.kafka):
        bed.kube.apply(manifest)
    host = bed.kafka.pods_bootstrap_servers.rsplit(":", 1)[0]
    labels = {STRIMZI_CLUSTER_KEY: KAFKA_CLUSTER, "strimzi.io/kind": "Kafka"}
    stand_in_pod(bed.kube, f"{KAFKA_CLUSTER}-kafka-testbed", NAMESPACE, labels, host)
    install_cluster_ca(bed, NAMESPACE)


def pod_diagnostics(bed: TestBed) -> str:
    """``kubectl describe`` and logs of every pod that is not Ready or has restarted (a
    crash-looping container is Ready for a moment between its crashes); stand-ins, never
    run, are left out."""
    proc = bed.kube.kubectl("get", "pods", "-A", "-o", "json")
    if proc.returncode != 0:
        return f"(kubectl get pods failed: {proc.stderr.strip()})"
    parts = []
    for pod in json.loads(proc.stdout)["items"]:
        status = pod.get("status", {})
        ready = any(
            c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions", [])
        )
        restarted = any(c.get("restartCount", 0) for c in status.get("containerStatuses", []))
        stand_in = STAND_IN_LABEL in pod["metadata"].get("labels", {})
        if (ready and not restarted) or status.get("phase") == "Succeeded" or stand_in:
            continue
        namespace, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        describe = bed.kube.kubectl("describe", "pod", name, "-n", namespace)
        logs = bed.kube.kubectl("logs", name, "-n", namespace, "--all-containers", "--tail=40")
        previous = bed.kube.kubectl(
            "logs", name, "-n", namespace, "--all-containers", "--previous", "--tail=40"
        )
        parts.append(
            f"=== pod {namespace}/{name}\n{describe.stdout}{describe.stderr}"
            f"--- logs\n{logs.stdout}{logs.stderr}"
            f"--- logs of the previous container\n{previous.stdout}{previous.stderr}"
        )
    return "\n".join(parts) or "(every pod is Ready and none restarted)"
