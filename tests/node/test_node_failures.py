"""What a user sees when the node or a pod goes wrong (runs after the end-to-end tests)."""

from __future__ import annotations

import re

import pytest
from satfeed_dev.node_bed import NAMESPACE, NodeBed, pod_diagnostics
from satfeed_dev.procs import ServiceError
from satfeed_dev.waiting import wait_for

pytestmark = [pytest.mark.node, pytest.mark.timeout(600)]


def test_a_node_component_that_cannot_start_is_named_with_its_log(node_bed: NodeBed) -> None:
    node = node_bed.bed.node
    assert node is not None
    broken = node.component(
        "containerd-misconfigured", ["containerd", "--config=/nonexistent/containerd.toml"]
    )
    broken.start()
    with pytest.raises(ServiceError) as failure:
        broken.wait_until(lambda: False, 30, "did not answer")
    message = str(failure.value)
    assert message.startswith("containerd-misconfigured exited during start-up")
    assert "/nonexistent/containerd.toml" in message  # containerd's own complaint, quoted
    broken.stop()


def test_a_crash_looping_pod_is_reported_with_describe_and_its_logs(node_bed: NodeBed) -> None:
    kube = node_bed.bed.kube
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "crash-loop", "namespace": NAMESPACE},
            "spec": {
                "containers": [
                    {
                        "name": "main",
                        "image": "satfeed-operator:0.1.0",
                        "imagePullPolicy": "IfNotPresent",
                        "command": [
                            "python3",
                            "-c",
                            "print('bad config: no such satellite'); raise SystemExit(3)",
                        ],
                    }
                ]
            },
        }
    )
    try:

        def restarted() -> bool:
            pod = kube.get_json("get", "pod", "crash-loop", "-n", NAMESPACE)
            statuses = pod["status"].get("containerStatuses", [])
            return bool(statuses) and statuses[0]["restartCount"] >= 1

        wait_for(restarted, 120, "the crash-looping pod to be restarted")
        report = pod_diagnostics(node_bed.bed)
        section = report[report.index(f"=== pod {NAMESPACE}/crash-loop") :]
        assert re.search(r"Exit Code:\s+3\b", section), section
        assert "bad config: no such satellite" in section  # the container's own output
    finally:
        kube.kubectl("delete", "pod", "crash-loop", "-n", NAMESPACE, "--grace-period=0", "--force")
