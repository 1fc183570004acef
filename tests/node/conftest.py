"""The node test bed: the charts and images running as real pods.

One node test bed per session (control plane, Kafka, KafkaTopic stand-in and a node),
with the project's images built by buildah and imported into the node's containerd.

When this machine cannot run a node (not root, a system package missing, or a node
component failing to start) the suite is skipped with the reason, which names the
component and shows its last log lines; ``SATFEED_REQUIRE_NODE=1`` (set by CI) turns
that skip into a failure. When a test fails, ``kubectl describe`` and the container logs
of every pod that is not Ready or has restarted are attached to its report. What is not a
fixture (``NodeBed``, the bootstrap Service, the diagnostics) is in ``satfeed_dev.node_bed``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from satfeed_dev import images
from satfeed_dev.node import HOST_IP, check_node_prerequisites
from satfeed_dev.node_bed import NodeBed, pod_diagnostics, prepare_kafka_namespace
from satfeed_dev.procs import ServiceError
from satfeed_dev.testbed import TestBed
from satfeed_dev.toolchain import SetupError, ensure_all, node_tools

_beds: list[TestBed] = []


def _unavailable(reason: str) -> None:
    message = f"the node test bed cannot run here: {reason}"
    if os.environ.get("SATFEED_REQUIRE_NODE") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def node_bed(run_root: Path) -> Iterator[NodeBed]:
    try:
        check_node_prerequisites()
        ensure_all()
        node_tools(build=True)
        started = time.monotonic()
        built = images.build_all()
        archives = [images.archive(image.reference) for image in built if image.name != "base"]
        build_seconds = time.monotonic() - started
    except SetupError as exc:
        _unavailable(str(exc))
    pause = next(image.reference for image in built if image.name == "pause")
    bed = TestBed(run_root / "node-testbed", with_node=True, pause_image=pause)
    _beds.append(bed)
    started = time.monotonic()
    try:
        bed.start(node_images=archives)
    except (ServiceError, SetupError) as exc:
        _unavailable(str(exc))
    node_start = time.monotonic() - started
    bin_dir = run_root / "node-bin"
    bin_dir.mkdir(exist_ok=True)
    tools = bed.kube.tools
    assert tools is not None
    for tool in (tools.kubectl, tools.helm):
        (bin_dir / tool.name).symlink_to(tool)
    prepare_kafka_namespace(bed)
    node_bed = NodeBed(bed, bin_dir)
    node_bed.report.update(
        {
            "images": {
                image.name: {
                    "reference": image.reference,
                    "build_seconds": round(image.seconds, 1),
                    "bytes": images.image_size(image.reference),
                }
                for image in built
            },
            "images_and_archives_seconds": round(build_seconds, 1),
            "testbed_with_node_start_seconds": round(node_start, 1),
            "pods_reach_kafka_at": HOST_IP,
        }
    )
    try:
        yield node_bed
    finally:
        (run_root / "node-e2e-report.json").write_text(json.dumps(node_bed.report, indent=2))
        bed.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed and report.when == "call":
        for bed in _beds:
            if bed.node is not None and bed.node.init.running():
                report.sections.append(("pods not Ready or restarted", pod_diagnostics(bed)))
                report.sections.append(("node components", bed.node.logs()))
    return report
