"""The whole stack as real pods on the node, driven as a user drives it on kind.

The charts are installed and checked by deploy/cluster.sh, the same script behind
``make deploy``, ``make satellites`` and ``make e2e-cluster`` on kind and minikube. The
tests run in file order: each one starts from the state the previous one left.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, TopicPartition
from satfeed_core.batch import decode_batch
from satfeed_core.record import decode_record
from satfeed_dev.browser import launch_chromium
from satfeed_dev.kafka import read_messages
from satfeed_dev.node_bed import NAMESPACE, NodeBed
from satfeed_dev.procs import free_port, port_open
from satfeed_dev.sample_data import tle_file
from satfeed_dev.toolchain import REPO_ROOT
from satfeed_dev.waiting import wait_for

# The first test also builds the images and starts the node (minutes when cold).
pytestmark = [pytest.mark.node, pytest.mark.timeout(1800)]

CLUSTER_SH = REPO_ROOT / "deploy" / "cluster.sh"
SATELLITES = {"terra": 25994, "aqua": 27424, "aura": 28376}


def cluster_sh(node_bed: NodeBed, target: str) -> str:
    proc = subprocess.run(
        ["bash", str(CLUSTER_SH), target],
        env=node_bed.env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, f"deploy/cluster.sh {target} failed:\n{proc.stdout}{proc.stderr}"
    return proc.stdout


def kubectl_json(node_bed: NodeBed, *args: str) -> Any:
    return node_bed.bed.kube.get_json(*args, "-n", NAMESPACE)


def topic_name(node_bed: NodeBed, satellite: str) -> str:
    status = kubectl_json(node_bed, "get", "satellite", satellite)["status"]
    return str(status["topicName"])


def records_in(node_bed: NodeBed, topic: str) -> int:
    consumer = Consumer(
        {"bootstrap.servers": node_bed.bed.kafka.bootstrap_servers, "group.id": "e2e-watermarks"}
    )
    try:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=5)
        return int(high - low)
    finally:
        consumer.close()


def producer_pods(node_bed: NodeBed, satellite: str) -> list[dict[str, Any]]:
    pods = kubectl_json(node_bed, "get", "pods", "-l", f"satfeed.io/satellite={satellite}")
    return list(pods["items"])


def running_pods(node_bed: NodeBed, satellite: str) -> list[str]:
    return [
        p["metadata"]["name"]
        for p in producer_pods(node_bed, satellite)
        if p["status"].get("phase") == "Running" and "deletionTimestamp" not in p["metadata"]
    ]


@pytest.fixture(scope="module")
def deployed(node_bed: NodeBed) -> NodeBed:
    """Both charts installed from charts/ with the images built here (``make deploy``)."""
    cluster_sh(node_bed, "deploy")
    return node_bed


def test_charts_install_and_their_pods_run_from_the_local_images(deployed: NodeBed) -> None:
    for name in ("satfeed-operator", "satfeed-frontend"):
        deployment = kubectl_json(deployed, "get", "deployment", name)
        assert deployment["status"].get("availableReplicas") == 1, name
        (pod,) = kubectl_json(deployed, "get", "pods", "-l", f"app.kubernetes.io/name={name}")[
            "items"
        ]
        assert pod["spec"]["nodeName"] == "satfeed-node"
        # Each talks to the apiserver in-cluster, as its own ServiceAccount (the chart's RBAC).
        assert pod["spec"]["serviceAccountName"] == name
        (container,) = pod["spec"]["containers"]
        assert container["image"] == f"{name}:0.1.0"
        assert container["imagePullPolicy"] == "IfNotPresent"
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert pod["spec"]["securityContext"]["runAsNonRoot"] is True


def test_satellites_publish_records_of_the_schema_from_their_producer_pods(
    deployed: NodeBed,
) -> None:
    # `make satellites` applies the three examples and waits until they are Ready; the
    # first record of each is timed from the apply, while that runs.
    applied = time.monotonic()
    satellites = subprocess.Popen(
        ["bash", str(CLUSTER_SH), "satellites"],
        env=deployed.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    first_record: dict[str, float] = {}

    def all_publishing() -> bool:
        for satellite in SATELLITES:
            if satellite not in first_record and records_in(
                deployed, topic_name(deployed, satellite)
            ):
                first_record[satellite] = time.monotonic() - applied
        return len(first_record) == len(SATELLITES)

    try:
        wait_for(all_publishing, 240, "a record in every satellite's topic", interval=0.2)
    finally:
        output, _ = satellites.communicate(timeout=300)
    assert satellites.returncode == 0, f"deploy/cluster.sh satellites failed:\n{output}"
    deployed.report["satellite_applied_to_first_record_seconds"] = {
        name: round(seconds, 1) for name, seconds in first_record.items()
    }
    deployed.report["satellites_applied_to_all_ready_seconds"] = round(
        time.monotonic() - applied, 1
    )
    for satellite, norad_id in SATELLITES.items():
        assert len(running_pods(deployed, satellite)) == 1
        messages = read_messages(
            deployed.bed.kafka.bootstrap_servers, topic_name(deployed, satellite), 3
        )
        for message in messages:
            record = decode_record(message.value() or b"")
            assert record.satellite == satellite
            assert record.norad_id == norad_id
            assert message.key() == satellite.encode()
            assert -90 <= record.lat <= 90
            assert 600 < record.alt_km < 800
    deployed.report["node_memory_mib_with_three_satellites"] = round(
        deployed.bed.node.memory_bytes() / 2**20  # type: ignore[union-attr]
    )


@dataclass
class PortForward:
    process: subprocess.Popen[str]
    url: str


@pytest.fixture(scope="module")
def dashboard(deployed: NodeBed) -> Iterator[PortForward]:
    """``kubectl port-forward svc/satfeed-frontend`` (``make dashboard``), on a free port."""
    port = free_port()
    kube = deployed.bed.kube
    assert kube.tools is not None
    process = subprocess.Popen(
        [
            str(kube.tools.kubectl),
            f"--kubeconfig={kube.kubeconfig}",
            "port-forward",
            "-n",
            NAMESPACE,
            "svc/satfeed-frontend",
            f"{port}:80",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(lambda: port_open(port), 30, "kubectl port-forward to listen")
        yield PortForward(process, f"http://127.0.0.1:{port}/")
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def page(dashboard: PortForward, run_root: Path) -> Iterator[Any]:
    with launch_chromium() as browser:
        opened = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        opened.on("pageerror", lambda error: errors.append(str(error)))
        opened.goto(dashboard.url)
        yield opened
        assert errors == [], f"the page raised: {errors}"


def cards(page: Any) -> list[str]:
    shown: list[str] = page.eval_on_selector_all(".card", "cs => cs.map(c => c.dataset.satellite)")
    return sorted(shown)


def card_values(page: Any, satellite: str) -> str:
    return str(page.inner_text(f'.card[data-satellite="{satellite}"] .card-values'))


def test_the_frontend_pod_shows_three_satellites_updating_through_port_forward(
    deployed: NodeBed, page: Any, run_root: Path
) -> None:
    wait_for(lambda: cards(page) == sorted(SATELLITES), 60, "a card per satellite")
    for satellite in SATELLITES:
        before = card_values(page, satellite)
        wait_for(
            partial(lambda shown, name: card_values(page, name) != shown, before, satellite),
            10,
            f"{satellite}'s card to update",
        )

    # The chart lets the frontend read the operator's elements ConfigMaps: each satellite
    # gets its predicted track on the map (one orbit ahead, a point every 30 s), drawn on
    # longitude/latitude axes (x, y) since the map became one WebGL scene (issue 14).
    def predicted_points() -> dict[str, int]:
        traces: list[dict[str, Any]] = page.evaluate(
            """() => (document.querySelector('#map .js-plotly-plot')?.data || [])
                .map(t => ({name: t.name || '', points: (t.x || t.lon || []).length}))"""
        )
        return {t["name"]: t["points"] for t in traces if t["name"].endswith("(predicted)")}

    wait_for(
        lambda: len(predicted_points()) == 3 and min(predicted_points().values()) > 100,
        60,
        "a predicted track per satellite",
    )
    screenshot = run_root / "artifacts" / "node-dashboard.png"
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshot), full_page=True)


def test_deleting_a_satellite_removes_its_pod_topic_and_card(deployed: NodeBed, page: Any) -> None:
    topic = topic_name(deployed, "aura")
    deployed.bed.kube.kubectl_ok("delete", "satellite", "aura", "-n", NAMESPACE, "--wait=true")
    wait_for(lambda: not producer_pods(deployed, "aura"), 90, "aura's producer pod to go")
    wait_for(
        lambda: (
            not kubectl_json(deployed, "get", "kafkatopics", "-l", "satfeed.io/satellite=aura")[
                "items"
            ]
        ),
        60,
        "aura's KafkaTopic to go",
    )
    admin = deployed.bed.kafka.admin()
    wait_for(
        lambda: topic not in admin.list_topics(timeout=5).topics, 60, f"{topic} to leave Kafka"
    )
    wait_for(lambda: cards(page) == ["aqua", "terra"], 30, "aura to leave the page")


def test_changing_the_interval_rolls_the_producer_pod(deployed: NodeBed) -> None:
    (before,) = running_pods(deployed, "terra")
    deployed.bed.kube.kubectl_ok(
        "patch",
        "satellite",
        "terra",
        "-n",
        NAMESPACE,
        "--type=merge",
        "-p",
        '{"spec":{"intervalSeconds":2}}',
    )
    wait_for(
        lambda: (pods := running_pods(deployed, "terra")) and pods != [before] and len(pods) == 1,
        120,
        "a new terra producer pod to replace the old one",
    )
    (pod,) = [p for p in producer_pods(deployed, "terra") if p["metadata"]["name"] != before]
    env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0].get("env", [])}
    assert env["SATFEED_INTERVAL"] == "2.0"  # exactly what spec.intervalSeconds says


def test_a_killed_operator_pod_comes_back_and_nothing_is_duplicated(deployed: NodeBed) -> None:
    selector = "app.kubernetes.io/name=satfeed-operator"
    (old,) = kubectl_json(deployed, "get", "pods", "-l", selector)["items"]
    deployed.bed.kube.kubectl_ok(
        "delete", "pod", old["metadata"]["name"], "-n", NAMESPACE, "--grace-period=0", "--force"
    )

    def replaced() -> bool:
        pods = kubectl_json(deployed, "get", "pods", "-l", selector)["items"]
        return any(
            p["metadata"]["uid"] != old["metadata"]["uid"]
            and any(
                c["type"] == "Ready" and c["status"] == "True"
                for c in p["status"].get("conditions", [])
            )
            for p in pods
        )

    wait_for(replaced, 120, "a new operator pod to be Ready")
    # The new operator reconciles everything again: still exactly one of each child.
    deployed.bed.kube.kubectl_ok(
        "wait", "satellites", "--all", "-n", NAMESPACE, "--for=condition=Ready", "--timeout=120s"
    )
    for satellite in ("terra", "aqua"):
        for kind in ("deployments", "kafkatopics", "configmaps"):
            items = kubectl_json(deployed, "get", kind, "-l", f"satfeed.io/satellite={satellite}")[
                "items"
            ]
            assert len(items) == 1, f"{satellite} has {len(items)} {kind}"
        assert len(running_pods(deployed, satellite)) == 1


def test_the_cluster_checks_and_helm_test_pass(deployed: NodeBed) -> None:
    """``make e2e-cluster``: Satellites and topics Ready, frontend rolled out, helm test."""
    out = cluster_sh(deployed, "e2e")
    assert "satfeed-frontend:80/readyz 200" in out


def test_a_satellite_group_publishes_every_member_once_per_tick_from_its_shard_pods(
    deployed: NodeBed,
) -> None:
    kube = deployed.bed.kube
    elements = tle_file("earth-observation.tle").read_text()
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "eo", "namespace": NAMESPACE},
            "data": {"elements": elements},
        }
    )
    kube.apply(
        {
            "apiVersion": "satfeed.io/v1alpha1",
            "kind": "SatelliteGroup",
            "metadata": {"name": "eo", "namespace": NAMESPACE},
            "spec": {"source": {"configMaps": [{"name": "eo"}]}, "shards": 2},
        }
    )

    def ready() -> dict[str, Any] | None:
        group = kubectl_json(deployed, "get", "satellitegroup", "eo")
        status = group.get("status") or {}
        return (
            group if status.get("shardsReady") == 2 and status.get("phase") == "Running" else None
        )

    group = wait_for(ready, 240, "both shards of group eo publishing")
    usable = group["status"]["members"]["usable"]
    assert usable == 25

    # Every member exactly once in each whole tick, from the two shards' batches together.
    messages = read_messages(deployed.bed.kafka.bootstrap_servers, group["status"]["topicName"], 12)
    ticks: dict[int, list[int]] = {}
    shards_of: dict[int, set[int]] = {}
    for message in messages:
        batch = decode_batch(message.value() or b"")
        ticks.setdefault(batch.time_ms, []).extend(int(each) for each in batch.norad_id)
        shards_of.setdefault(batch.time_ms, set()).add(batch.shard)
        assert message.partition() == batch.shard
    whole = [time_ms for time_ms, shards in shards_of.items() if shards == {0, 1}]
    assert len(whole) >= 3
    for time_ms in whole:
        assert sorted(ticks[time_ms]) == sorted(set(ticks[time_ms]))
        assert len(ticks[time_ms]) == usable
    kube.kubectl_ok("delete", "satellitegroup", "eo", "-n", NAMESPACE)
    wait_for(
        lambda: (
            not kubectl_json(deployed, "get", "deployments", "-l", "satfeed.io/satellite-group=eo")[
                "items"
            ]
        ),
        60,
        "the group's shards gone with it",
    )
