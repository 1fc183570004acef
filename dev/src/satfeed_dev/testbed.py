"""The whole test bed: Kafka, the Kubernetes control plane, Strimzi's KafkaTopic CRD and
the KafkaTopic operator stand-in, started together and stopped together; with
``with_node`` also a real node (:mod:`satfeed_dev.node`) that runs pods."""

from __future__ import annotations

import concurrent.futures
import hashlib
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .kafka import KafkaBroker
from .kube import ControlPlane
from .node import HOST_IP, NETNS_PREFIX, NODE_IP, Node, NodeNetwork
from .procs import ManagedProcess, free_port, http_ok, pid_files, stop_pid_file
from .toolchain import strimzi_crd

KAFKA_CLUSTER = "satfeed"
"""The ``strimzi.io/cluster`` label value the test bed's topic operator serves."""


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
    def topic_operator(self) -> ManagedProcess:
        port_file = self.run_dir / "topic-operator" / "liveness.port"
        port = port_file.read_text().strip() if port_file.exists() else "0"
        return ManagedProcess(
            name="topic-operator",
            argv=[sys.executable, "-m", "satfeed_dev.topic_operator"],
            run_dir=self.run_dir / "topic-operator",
            env={
                **os.environ,
                "KUBECONFIG": str(self.kube.kubeconfig),
                "KAFKA_BOOTSTRAP_SERVERS": self.kafka.bootstrap_servers,
                "STRIMZI_CLUSTER": KAFKA_CLUSTER,
                "LIVENESS": f"http://127.0.0.1:{port}/healthz",
            },
        )

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
            self.install_strimzi_crd()
            self.start_topic_operator()
            if self.node is not None:
                self.node.start(node_images or [])
        except BaseException:
            self.stop()
            raise

    def install_strimzi_crd(self) -> None:
        self.kube.install_crds(strimzi_crd("KafkaTopic"))

    def start_topic_operator(self, timeout: float = 60) -> None:
        run_dir = self.run_dir / "topic-operator"
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "liveness.port").write_text(str(free_port()))
        process = self.topic_operator
        process.start()
        url = process.env["LIVENESS"] if process.env else ""

        process.wait_until(lambda: http_ok(url), timeout, "did not answer its liveness probe")

    def stop(self) -> None:
        """Stop every process this test bed started (by its pid files), newest first."""
        if self.node is not None:
            self.node.stop()
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
