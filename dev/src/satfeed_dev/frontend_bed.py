"""Running satfeed-frontend against the test bed, and feeding and reading it (for the
frontend's integration tests and ``make screenshot``).

The frontend is the real console script's module in a subprocess, acting as a ServiceAccount
that may only get, list and watch KafkaTopics in the namespaces it is granted, as its chart
will run it. Records come from the real producer, or are written directly with the shared
encoder (and deliberately broken, for the bad-input tests).
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from confluent_kafka import Producer
from satfeed_core.contract import ELEMENTS_KEY, GROUP_ELEMENTS_CHUNK_BYTES
from satfeed_core.elements import Elements, elements_text
from satfeed_core.labels import (
    DISPLAY_NAME_ANNOTATION,
    ENCODING_BATCH_V2,
    ENCODING_KEY,
    POSITIONS_STREAM,
    SATELLITE_GROUP_KEY,
    SATELLITE_KEY,
    STREAM_KEY,
    child_labels,
    group_child_labels,
)
from satfeed_core.record import PositionRecord, encode_record

from .kube import ControlPlane
from .procs import ManagedProcess, free_port
from .services import frontend_argv, producer_argv
from .testbed import KAFKA_CLUSTER, TestBed
from .toolchain import REPO_ROOT
from .waiting import wait_for

SERVICE_ACCOUNT = "satfeed-frontend"
READER_RULES = [
    {
        "apiGroups": ["kafka.strimzi.io"],
        "resources": ["kafkatopics"],
        "verbs": ["get", "list", "watch"],
    }
]


ELEMENTS_RULE = {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}
FRONTEND_RBAC_RULES = REPO_ROOT / "charts" / "satfeed-frontend" / "files" / "rbac-rules.yaml"


def station_rules() -> list[dict[str, Any]]:
    """The rules the frontend's chart grants for ground stations (GroundStations and the
    Satellites' labels), from the chart's own file."""
    rules: list[dict[str, Any]] = yaml.safe_load(FRONTEND_RBAC_RULES.read_text())["groundstations"]
    return rules


def grant_reader(
    kube: ControlPlane, namespace: str, *, elements: bool = False, stations: bool = False
) -> Path:
    """The frontend's ServiceAccount in ``namespace``, allowed to read KafkaTopics there
    (and ConfigMaps, with ``elements``; GroundStations and Satellites, with ``stations``)
    only; returns a kubeconfig acting as it."""
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": SERVICE_ACCOUNT, "namespace": namespace},
        }
    )
    kube.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": SERVICE_ACCOUNT, "namespace": namespace},
            "rules": [
                *READER_RULES,
                *([ELEMENTS_RULE] if elements else []),
                *(station_rules() if stations else []),
            ],
        }
    )
    kube.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": SERVICE_ACCOUNT, "namespace": namespace},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": SERVICE_ACCOUNT,
            },
            "subjects": [
                {"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": namespace}
            ],
        }
    )
    return kube.service_account_kubeconfig(namespace, SERVICE_ACCOUNT)


def kafkatopic(
    name: str,
    namespace: str,
    *,
    labelled: bool = True,
    display_name: str | None = None,
    partitions: int = 1,
    satellite: str | None = None,
) -> dict[str, Any]:
    """A KafkaTopic the test bed's Topic Operator stand-in makes Ready; labelled for the
    frontend unless ``labelled`` is False. Its Kafka topic is unique per namespace."""
    labels = {"strimzi.io/cluster": KAFKA_CLUSTER}
    if labelled:
        labels[STREAM_KEY] = POSITIONS_STREAM
    if satellite:
        labels[SATELLITE_KEY] = satellite  # as the operator labels a Satellite's children
    metadata: dict[str, Any] = {"name": name, "namespace": namespace, "labels": labels}
    if display_name:
        metadata["annotations"] = {DISPLAY_NAME_ANNOTATION: display_name}
    return {
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "KafkaTopic",
        "metadata": metadata,
        "spec": {
            "topicName": f"satfeed.positions.{namespace}.{name}",
            "partitions": partitions,
            "replicas": 1,
        },
    }


def group_kafkatopic(
    group: str, namespace: str, *, partitions: int = 2, display_name: str | None = None
) -> dict[str, Any]:
    """A SatelliteGroup's KafkaTopic as the operator labels it: position batches (v2)."""
    manifest = kafkatopic(group, namespace, display_name=display_name, partitions=partitions)
    manifest["metadata"]["labels"].update(
        {ENCODING_KEY: ENCODING_BATCH_V2, SATELLITE_GROUP_KEY: group}
    )
    return manifest


def group_elements_configmaps(
    group: str, namespace: str, members: Sequence[Elements]
) -> list[dict[str, Any]]:
    """The ConfigMaps the operator keeps a group's members' elements in:
    ``<group>-elements-<k>``, each at most ``GROUP_ELEMENTS_CHUNK_BYTES`` of text."""
    chunks: list[str] = []
    current = ""
    for member in members:
        text = elements_text(member)
        if current and len(current) + len(text) > GROUP_ELEMENTS_CHUNK_BYTES:
            chunks.append(current)
            current = ""
        current += text
    chunks += [current] if current else []
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": f"{group}-elements-{k}",
                "namespace": namespace,
                "labels": group_child_labels(group),
            },
            "data": {ELEMENTS_KEY: text},
        }
        for k, text in enumerate(chunks)
    ]


def elements_configmap(satellite: str, namespace: str, elements: str) -> dict[str, Any]:
    """The ConfigMap the operator keeps a Satellite's elements in."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"{satellite}-elements",
            "namespace": namespace,
            "labels": child_labels(satellite),
        },
        "data": {ELEMENTS_KEY: elements},
    }


def create_ready_topic(testbed: TestBed, manifest: dict[str, Any]) -> str:
    """Apply a KafkaTopic, wait until it is Ready; returns its Kafka topic."""
    testbed.kube.apply(manifest)
    name, namespace = manifest["metadata"]["name"], manifest["metadata"]["namespace"]

    def ready() -> str | None:
        status = (
            testbed.kube.get_json("get", "kafkatopic", name, "-n", namespace).get("status") or {}
        )
        conditions = {c["type"]: c["status"] for c in status.get("conditions", [])}
        return str(status["topicName"]) if conditions.get("Ready") == "True" else None

    return wait_for(ready, 60, f"KafkaTopic {namespace}/{name} to be Ready")


def produce(
    bootstrap: str, topic: str, values: Iterable[PositionRecord | bytes], key: bytes = b"terra"
) -> None:
    """Write records (encoded) or raw bytes (as they are), each timestamped with its sample
    time where it has one, as the producer does."""
    producer = Producer({"bootstrap.servers": bootstrap})
    for value in values:
        if isinstance(value, PositionRecord):
            timestamp = int(value.time.timestamp() * 1000)
            producer.produce(
                topic, key=value.satellite.encode(), value=encode_record(value), timestamp=timestamp
            )
        else:
            producer.produce(topic, key=key, value=value)
    if producer.flush(30) != 0:
        raise RuntimeError("records were not delivered")


@dataclass
class RunningFrontend:
    process: ManagedProcess
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def get(self, path: str) -> tuple[int, str]:
        try:
            url = f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def metric(self, name: str, **labels: str) -> float:
        """A sample's value from /metrics; 0 when the sample is not there (yet)."""
        wanted = name + (
            "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}" if labels else ""
        )
        for line in self.get("/metrics")[1].splitlines():
            if line.startswith(wanted + " "):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def log(self) -> str:
        return self.process.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.process.stop()


@dataclass
class FrontendRunner:
    """Starts frontends (and producers) for one test and stops them all afterwards."""

    testbed: TestBed
    run_dir: Path
    started: list[ManagedProcess] = field(default_factory=list)
    bootstrap_servers: str = ""
    """Kafka for what this runner starts: the test bed's unless a test sets its own."""

    def __post_init__(self) -> None:
        self.bootstrap_servers = self.bootstrap_servers or self.testbed.kafka.bootstrap_servers

    def start(
        self, *args: str, kubeconfig: Path | None = None, namespaces: Iterable[str] = ()
    ) -> RunningFrontend:
        port = free_port()
        argv = frontend_argv(self.bootstrap_servers, port)
        if kubeconfig is not None:
            argv += ["--kubeconfig", str(kubeconfig)]
        if namespaces:
            argv += ["--namespaces", ",".join(namespaces)]
        process = ManagedProcess(
            name=f"frontend-{uuid.uuid4().hex[:6]}", argv=[*argv, *args], run_dir=self.run_dir
        )
        process.start()
        self.started.append(process)
        frontend = RunningFrontend(process, port)
        process.wait_until(lambda: frontend.get("/healthz")[0] == 200, 60, "did not serve /healthz")
        return frontend

    def start_producer(
        self, topic: str, satellite: str, elements_file: Path, *args: str
    ) -> ManagedProcess:
        process = ManagedProcess(
            name=f"producer-{satellite}-{uuid.uuid4().hex[:6]}",
            argv=producer_argv(
                self.bootstrap_servers,
                topic,
                satellite,
                0,
                "--elements-file",
                str(elements_file),
                "--interval",
                "1",
                *args,
            ),
            run_dir=self.run_dir,
        )
        process.start()
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.started):
            process.stop()


def count_lines(text: str, pattern: str) -> int:
    return len(re.findall(pattern, text))
