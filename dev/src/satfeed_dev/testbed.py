"""The whole test bed: Kafka, the Kubernetes control plane, Strimzi's KafkaTopic and
KafkaUser CRDs and Strimzi's real Topic Operator (one per namespace with KafkaTopics, see
:mod:`satfeed_dev.entity_operators`), started together and stopped together; with
``with_node`` also a real node (:mod:`satfeed_dev.node`) that runs pods."""

from __future__ import annotations

import base64
import concurrent.futures
import hashlib
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from satfeed_core.labels import STRIMZI_CLUSTER_KEY

from .kafka import KafkaBroker
from .kube import ControlPlane
from .node import HOST_IP, NETNS_PREFIX, NODE_IP, Node, NodeNetwork
from .pki import clients_ca
from .procs import ManagedProcess, http_ok, pid_files, stop_pid_file
from .toolchain import strimzi_crd, strimzi_operators

KAFKA_CLUSTER = "satfeed"
"""The ``strimzi.io/cluster`` label value the test bed's Topic Operators serve."""
KAFKA_NAMESPACE = "satfeed-kafka"
"""Where the test bed keeps what Strimzi keeps in the Kafka cluster's namespace (the clients
CA Secrets)."""
FULL_RECONCILIATION_INTERVAL_MS = 10_000
"""How often each Topic Operator reconciles every KafkaTopic (Strimzi's default: 2 min).

Some things recover only then, e.g. a KafkaTopic in ``ResourceConflict`` whose rival was
deleted; 10 s keeps such tests short."""


@dataclass
class TestBed:
    __test__ = False  # not a pytest test class

    run_dir: Path
    with_node: bool = False
    """Also run a node: the apiserver and Kafka then listen where pods reach them."""
    pause_image: str = ""
    """The node's sandbox image (with a node)."""
    kafka: KafkaBroker = field(init=False)
    kube: ControlPlane = field(init=False)
    node: Node | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if not self.with_node:
            self.kafka = KafkaBroker(self.run_dir / "kafka")
            self.kube = ControlPlane(self.run_dir / "kube")
            return
        self.kafka = KafkaBroker(self.run_dir / "kafka", pods_address=HOST_IP)
        self.kube = ControlPlane(self.run_dir / "kube", address=HOST_IP, node_ip=NODE_IP)
        run_id = hashlib.sha256(str(self.run_dir.resolve()).encode()).hexdigest()[:8]
        self.node = Node(
            self.run_dir / "node", self.kube, NodeNetwork(NETNS_PREFIX + run_id), self.pause_image
        )

    @property
    def entity_operators(self) -> ManagedProcess:
        """The supervisor that runs a real Topic Operator for each namespace with topics."""
        run_dir = self.run_dir / "entity-operators"
        operators = strimzi_operators()
        return ManagedProcess(
            name="entity-operators",
            argv=[sys.executable, "-m", "satfeed_dev.entity_operators"],
            run_dir=run_dir,
            env={
                **os.environ,
                "SATFEED_RUN_DIR": str(self.run_dir),
                "SATFEED_HEALTH_PORT_FILE": str(run_dir / "health.port"),
                "KUBECONFIG": str(self.kube.kubeconfig),
                "KAFKA_BOOTSTRAP_SERVERS": self.kafka.bootstrap_servers,
                "STRIMZI_CLUSTER": KAFKA_CLUSTER,
                "STRIMZI_JAVA": str(operators.java),
                "STRIMZI_TOPIC_OPERATOR_LIB": str(operators.topic_operator),
                "STRIMZI_USER_OPERATOR_LIB": str(operators.user_operator),
                "STRIMZI_CA_NAMESPACE": KAFKA_NAMESPACE,
                "STRIMZI_FULL_RECONCILIATION_INTERVAL_MS": str(FULL_RECONCILIATION_INTERVAL_MS),
            },
        )

    def entity_operators_process(self) -> ManagedProcess:
        """The supervisor's process record alone (stopping needs no built operators)."""
        run_dir = self.run_dir / "entity-operators"
        return ManagedProcess(name="entity-operators", argv=(), run_dir=run_dir)

    def topic_operator_log(self, namespace: str) -> Path:
        """The log of the Topic Operator that serves ``namespace``."""
        return self.run_dir / "topic-operator" / namespace / "topic-operator.log"

    def env(self) -> dict[str, str]:
        return {
            "KUBECONFIG": str(self.kube.kubeconfig),
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka.bootstrap_servers,
            "SATFEED_KAFKA_CLUSTER": KAFKA_CLUSTER,
        }

    def start(self, node_images: list[Path] | None = None) -> None:
        """Start everything; on any failure stop what started and raise with its log.

        With a node, ``node_images`` (image archives) are imported into its runtime.
        """
        self.run_dir.mkdir(parents=True, exist_ok=True)
        try:
            if self.node is not None:
                self.node.network.create()
            # Kafka's JVM and the apiserver start faster side by side than one after another.
            with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
                futures = [pool.submit(self.kafka.start), pool.submit(self.kube.start)]
                for future in futures:
                    future.result()
            self.install_strimzi_crds()
            self.install_clients_ca()
            self.start_entity_operators()
            if self.node is not None:
                self.node.start(node_images or [])
        except BaseException:
            self.stop()
            raise

    def install_strimzi_crds(self) -> None:
        self.kube.install_crds(strimzi_crd("KafkaTopic"), strimzi_crd("KafkaUser"))

    def install_clients_ca(self) -> None:
        """The clients CA Secrets the User Operators read, as Strimzi's cluster operator
        makes them, in :data:`KAFKA_NAMESPACE`."""
        cert, key = clients_ca(f"cluster-ca {KAFKA_CLUSTER} clients")
        labels = {STRIMZI_CLUSTER_KEY: KAFKA_CLUSTER, "strimzi.io/kind": "Kafka"}
        self.kube.apply(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": KAFKA_NAMESPACE}}
        )
        for name, data in (
            (f"{KAFKA_CLUSTER}-clients-ca-cert", {"ca.crt": cert}),
            (f"{KAFKA_CLUSTER}-clients-ca", {"ca.key": key}),
        ):
            self.kube.apply(
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": {"name": name, "namespace": KAFKA_NAMESPACE, "labels": labels},
                    "data": {k: base64.b64encode(v).decode() for k, v in data.items()},
                }
            )

    def start_entity_operators(self, timeout: float = 60) -> None:
        process = self.entity_operators
        port_file = process.run_dir / "health.port"
        port_file.unlink(missing_ok=True)
        process.start()

        def healthy() -> bool:
            return port_file.exists() and http_ok(
                f"http://127.0.0.1:{port_file.read_text()}/healthz"
            )

        process.wait_until(healthy, timeout, "did not answer its health probe")

    def stop(self) -> None:
        """Stop every process this test bed started (by its pid files), newest first."""
        if self.node is not None:
            self.node.stop()
        # First, or it would restart the Topic Operators that the loop below stops.
        self.entity_operators_process().stop()
        for pid_file in reversed(sorted(pid_files(self.run_dir), key=lambda p: p.stat().st_mtime)):
            stop_pid_file(pid_file)
        if self.node is not None:
            self.node.network.delete()

    def write_env_file(self, path: Path) -> str:
        text = "".join(f"{key}={value}\n" for key, value in self.env().items())
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return text

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.run_dir, ignore_errors=True)
