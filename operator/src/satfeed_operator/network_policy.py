"""The NetworkPolicy of a producer's pods (a Satellite's, or a group's shards). Pure.

A producer talks to nobody but Kafka: out, only the cluster's DNS and the Kafka cluster's
broker pods on the bootstrap ports; in, only its HTTP port (probes and Prometheus). Where
the network plugin enforces policies, a compromised producer can reach nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from satfeed_core.labels import STRIMZI_CLUSTER_KEY

from satfeed_operator.consts import HTTP_PORT

DNS_PEER: Final = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}
"""CoreDNS as kubeadm, kind and minikube label it."""


def bootstrap_ports(bootstrap_servers: str) -> list[int]:
    """The ports of a ``host:port[,host:port...]`` list (the brokers listen on the
    bootstrap port: Strimzi's per-broker addresses share it)."""
    ports = set()
    for server in bootstrap_servers.split(","):
        _, _, port = server.strip().rpartition(":")
        if port.isdigit():
            ports.add(int(port))
    return sorted(ports)


def build_producer_networkpolicy(
    metadata: Mapping[str, Any],
    pod_selector: Mapping[str, str],
    cluster: str,
    bootstrap_servers: str,
) -> dict[str, Any]:
    """The policy of the pods ``pod_selector`` selects (``metadata``: name, labels, owner)."""
    kafka = {
        "to": [
            {
                "namespaceSelector": {},  # the Kafka cluster may be in another namespace
                "podSelector": {
                    "matchLabels": {STRIMZI_CLUSTER_KEY: cluster, "strimzi.io/kind": "Kafka"}
                },
            }
        ],
        "ports": [{"port": port, "protocol": "TCP"} for port in bootstrap_ports(bootstrap_servers)],
    }
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": dict(metadata),
        "spec": {
            "podSelector": {"matchLabels": dict(pod_selector)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"ports": [{"port": HTTP_PORT, "protocol": "TCP"}]}],
            "egress": [
                {
                    "to": [DNS_PEER],
                    "ports": [
                        {"port": 53, "protocol": "UDP"},
                        {"port": 53, "protocol": "TCP"},
                    ],
                },
                kafka,
            ],
        },
    }
