"""The full chain: Satellite -> operator -> pod template -> producer -> records in Kafka.

The test bed has no node, so a TEST-ONLY pod runner plays the kubelet: it starts the
container's command with its env, and writes the ConfigMap volumes out as files. This
proves that the Deployment the operator writes runs as written.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest
from satfeed_core.record import PositionRecord, decode_record
from satfeed_dev.kafka import read_messages
from satfeed_dev.operator_bed import (
    OperatorProcess,
    example,
    get,
    wait_condition,
)
from satfeed_dev.pod_runner import pod_runner
from satfeed_dev.testbed import TestBed
from satfeed_dev.waiting import wait_for

pytestmark = pytest.mark.integration


def read_records(bootstrap: str, topic: str, count: int) -> list[tuple[bytes, PositionRecord]]:
    messages = read_messages(bootstrap, topic, count)
    return [(m.key() or b"", decode_record(m.value() or b"")) for m in messages]


def test_the_producer_runs_as_the_deployment_says(
    testbed: TestBed, namespace: str, operator: OperatorProcess, run_root: Path
) -> None:
    kube = testbed.kube
    kube.apply(example("terra", namespace))
    satellite = wait_condition(kube, namespace, "terra", "TopicReady", "True")
    deployment = wait_for(
        lambda: get(kube, "deployment", namespace, "terra-producer"), 30, "the producer"
    )
    kafkatopic = get(kube, "kafkatopic", namespace, "terra")
    assert kafkatopic is not None
    topic = kafkatopic["status"]["topicName"]
    assert topic == satellite["status"]["topicName"]

    pod = pod_runner(testbed, deployment, run_root / "pods" / namespace)
    pod.start()
    try:
        records = read_records(testbed.kafka.bootstrap_servers, topic, 5)
        url = f"http://127.0.0.1:{(pod.env or {})['SATFEED_HTTP_PORT']}/healthz"
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.status == 200
    finally:
        pod.stop()
    for key, record in records:
        assert key == b"terra"
        assert (record.satellite, record.name, record.norad_id) == ("terra", "TERRA", 25994)
    assert "flushing" in pod.log_path.read_text()
