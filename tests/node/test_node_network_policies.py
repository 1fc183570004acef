"""The NetworkPolicies hold on the node, which enforces them (kube-router's network policy
controller, see satfeed_dev.node): what the operator gives a producer lets it publish and
nothing else.

Each probe is a pod that stays up, so that a connection is tried only once kube-router has
made the pod's firewall chain (a connection made before it would pass unfiltered); each
try is ``kubectl exec`` of a TCP connect with a deadline. The probe that the producer's
policy selects and the one it does not differ only in their labels: what one reaches and
the other does not, the policy refused.
"""

from __future__ import annotations

from typing import Any

import pytest
from satfeed_dev.node_bed import NAMESPACE, NodeBed
from satfeed_dev.toolchain import REPO_ROOT
from satfeed_dev.waiting import wait_for

from tests.node.test_node_e2e import cluster_sh, kubectl_json, records_in, topic_name

pytestmark = [pytest.mark.node, pytest.mark.timeout(1200)]

SATELLITE = "aqua"
CONNECT = """
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
try:
    socket.create_connection((host, port), timeout=3).close()
except OSError as exc:
    print(f"{host}:{port} {exc!r}")
    sys.exit(1)
print(f"{host}:{port} connected")
"""


@pytest.fixture(scope="module")
def deployed(node_bed: NodeBed) -> NodeBed:
    """Both charts installed (``make deploy``; a no-op after tests/node/test_node_e2e.py)
    and one Satellite's producer Ready."""
    cluster_sh(node_bed, "deploy")
    node_bed.bed.kube.kubectl_ok(
        "apply", "-n", NAMESPACE, "-f", str(REPO_ROOT / "examples" / "satellites" / "aqua.yaml")
    )
    node_bed.bed.kube.kubectl_ok(
        "wait", "satellite", SATELLITE, "-n", NAMESPACE, "--for=condition=Ready", "--timeout=240s"
    )
    return node_bed


def ready_pod(bed: NodeBed, selector: str) -> dict[str, Any]:
    def one_ready() -> dict[str, Any] | None:
        pods = [
            p
            for p in kubectl_json(bed, "get", "pods", "-l", selector)["items"]
            if "deletionTimestamp" not in p["metadata"]
            and any(
                c["type"] == "Ready" and c["status"] == "True"
                for c in p["status"].get("conditions", [])
            )
        ]
        return pods[0] if len(pods) == 1 else None

    return wait_for(one_ready, 120, f"one Ready pod of {selector}")


def wait_enforced(bed: NodeBed, pod: str) -> None:
    node = bed.bed.node
    assert node is not None
    wait_for(
        lambda: node.enforces_policies_for(NAMESPACE, pod),
        60,
        f"kube-router's firewall chain for pod {pod}",
    )


def start_probe(bed: NodeBed, name: str, labels: dict[str, str], image: str) -> str:
    """A pod that idles (in the producer's image, which has Python) until deleted."""
    bed.bed.kube.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": NAMESPACE, "labels": labels},
            "spec": {
                "automountServiceAccountToken": False,
                "enableServiceLinks": False,
                "terminationGracePeriodSeconds": 0,
                "containers": [
                    {
                        "name": "probe",
                        "image": image,
                        "imagePullPolicy": "Never",
                        "command": [
                            "python3",
                            "-c",
                            "import signal; signal.pthread_sigmask(signal.SIG_BLOCK, "
                            "{signal.SIGTERM}); signal.sigwait({signal.SIGTERM})",
                        ],
                    }
                ],
            },
        }
    )
    bed.bed.kube.kubectl_ok(
        "wait", "pod", name, "-n", NAMESPACE, "--for=condition=Ready", "--timeout=120s"
    )
    wait_enforced(bed, name)
    return name


def connects(bed: NodeBed, probe: str, host: str, port: int) -> bool:
    proc = bed.bed.kube.kubectl(
        "exec", probe, "-n", NAMESPACE, "--", "python3", "-c", CONNECT, host, str(port)
    )
    assert proc.returncode in (0, 1), f"kubectl exec failed: {proc.stdout}{proc.stderr}"
    return proc.returncode == 0


def test_a_producer_publishes_and_a_pod_its_policy_selects_reaches_only_dns_and_kafka(
    deployed: NodeBed,
) -> None:
    producer = ready_pod(deployed, f"satfeed.io/satellite={SATELLITE}")
    wait_enforced(deployed, producer["metadata"]["name"])
    # Under its policy, the producer still resolves the bootstrap Service and publishes:
    # with its connections forgotten, every packet of theirs is filtered again.
    assert deployed.bed.node is not None
    deployed.bed.node.forget_connections(producer["status"]["podIP"])
    topic = topic_name(deployed, SATELLITE)
    before = records_in(deployed, topic)
    wait_for(lambda: records_in(deployed, topic) > before + 2, 60, f"new records in {topic}")

    policy = kubectl_json(deployed, "get", "networkpolicy", f"{SATELLITE}-producer")
    selected_labels = policy["spec"]["podSelector"]["matchLabels"]
    frontend = ready_pod(deployed, "app.kubernetes.io/name=satfeed-frontend")
    targets = {
        "kafka": ("satfeed-kafka-bootstrap", 9093),
        "frontend pod": (frontend["status"]["podIP"], 8050),
        "apiserver": ("kubernetes.default.svc.cluster.local", 443),
    }
    image = producer["spec"]["containers"][0]["image"]
    probes = {
        "selected": start_probe(deployed, "policy-probe-selected", selected_labels, image),
        "unselected": start_probe(deployed, "policy-probe-unselected", {}, image),
    }
    try:
        reached = {
            (probe, target): connects(deployed, name, *address)
            for probe, name in probes.items()
            for target, address in targets.items()
        }
    finally:
        for name in probes.values():
            deployed.bed.kube.kubectl("delete", "pod", name, "-n", NAMESPACE, "--wait=false")
    assert reached == {
        # Its policy lets the producer's pods reach Kafka (and DNS: the names resolved) ...
        ("selected", "kafka"): True,
        # ... and nothing else, though the frontend accepts anyone on its HTTP port ...
        ("selected", "frontend pod"): False,
        ("selected", "apiserver"): False,
        # ... as the same pod without the producer's labels shows.
        ("unselected", "kafka"): True,
        ("unselected", "frontend pod"): True,
        ("unselected", "apiserver"): True,
    }
