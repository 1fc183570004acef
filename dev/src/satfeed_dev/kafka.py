"""A real Apache Kafka broker: one KRaft process that is broker and controller at once.

Configured like a Strimzi-managed cluster where it matters to satfeed: topics are never
auto-created. Ports are picked per run and kept in the config, so the same broker can be
stopped and started again on the same data.
"""

from __future__ import annotations

import base64
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Message, TopicPartition
from confluent_kafka.admin import AdminClient
from cryptography.hazmat.primitives import serialization

from .pki import CertificateAuthority
from .procs import ManagedProcess, free_port
from .toolchain import find_java, maven_libs
from .waiting import wait_for

_client_log = logging.getLogger("satfeed_dev.kafka.client")

_LOG4J2 = """\
status = warn
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.console.ref = console
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
"""


BOOTSTRAP_SERVICE_NAMES = (
    "satfeed-kafka-bootstrap",
    "satfeed-kafka-bootstrap.satfeed",
    "satfeed-kafka-bootstrap.satfeed.svc",
    "satfeed-kafka-bootstrap.satfeed.svc.cluster.local",
)
"""Strimzi's bootstrap Service of deploy/'s cluster, as the node's pods may name it."""


def _cluster_id() -> str:
    """A Kafka cluster id: a random UUID in Kafka's url-safe base64 form.

    Like Kafka's own ``Uuid.randomUuid``, never one starting with '-', which the storage
    tool's command line would take for an option.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


@dataclass
class KafkaBroker:
    run_dir: Path
    """Config, data and log of this broker; kept across restarts."""
    heap: str = "384m"
    pods_address: str | None = None
    """With a node: a second listener (PODS) on this address, the one pods can reach."""

    @property
    def config_path(self) -> Path:
        return self.run_dir / "server.properties"

    @property
    def data_dir(self) -> Path:
        return self.run_dir / "data"

    @property
    def process(self) -> ManagedProcess:
        libs = maven_libs("kafka")
        return ManagedProcess(
            name="kafka",
            argv=[
                str(find_java(17)),
                "-Xms128m",
                f"-Xmx{self.heap}",
                "-XX:+UseSerialGC",
                "-Djava.awt.headless=true",
                f"-Dlog4j2.configurationFile={self.run_dir / 'log4j2.properties'}",
                "-cp",
                f"{libs}/*",
                "kafka.Kafka",
                str(self.config_path),
            ],
            run_dir=self.run_dir,
        )

    def _advertised(self) -> dict[str, str]:
        for line in self.config_path.read_text().splitlines():
            if line.startswith("advertised.listeners="):
                entries = line.split("=", 1)[1].split(",")
                return dict(entry.split("://", 1) for entry in entries)
        raise RuntimeError(f"{self.config_path} has no advertised.listeners")

    @property
    def bootstrap_servers(self) -> str:
        """The loopback listener, for clients on this machine."""
        return self._advertised()["PLAINTEXT"]

    @property
    def pods_bootstrap_servers(self) -> str:
        """The plain listener pods reach (only with ``pods_address``)."""
        return self._advertised()["PODS"]

    @property
    def pods_tls_bootstrap_servers(self) -> str:
        """The SCRAM over TLS listener pods reach (only with ``pods_address``)."""
        return self._advertised()["PODS_TLS"]

    def configure(self) -> None:
        """Write a fresh config with free ports and format the storage (first start only)."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        port, controller_port = free_port(), free_port()
        listeners = [f"PLAINTEXT://127.0.0.1:{port}", f"SASL_SSL://127.0.0.1:{free_port()}"]
        keystore = self._write_tls()
        if self.pods_address is not None:
            # What pods reach, on Strimzi's internal listeners' ports: plain 9092 and SCRAM
            # over TLS 9093 (the one satfeed uses by default), so that the NetworkPolicies'
            # Kafka rules (bootstrap ports) hold on the node, which enforces them. Only the
            # node's run binds this address (one node per machine at a time).
            listeners.append(f"PODS://{self.pods_address}:9092")
            listeners.append(f"PODS_TLS://{self.pods_address}:9093")
        tls_listeners = ("sasl_ssl", "pods_tls") if self.pods_address else ("sasl_ssl",)
        self.config_path.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.bootstrap.servers=127.0.0.1:{controller_port}",
                    f"listeners={','.join(listeners)},CONTROLLER://127.0.0.1:{controller_port}",
                    f"advertised.listeners={','.join(listeners)}",
                    "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=PLAINTEXT",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,PODS:PLAINTEXT,"
                    "CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL,PODS_TLS:SASL_SSL",
                    # SASL_SSL (and PODS_TLS) are the listeners Strimzi's clients use with a
                    # KafkaUser's credentials: SCRAM-SHA-512 over TLS, with the per-run
                    # cluster CA.
                    "sasl.enabled.mechanisms=SCRAM-SHA-512",
                    *(
                        line
                        for name in tls_listeners
                        for line in (
                            f"listener.name.{name}.scram-sha-512.sasl.jaas.config="
                            "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                            f"listener.name.{name}.ssl.keystore.type=PEM",
                            f"listener.name.{name}.ssl.keystore.location={keystore}",
                        )
                    ),
                    f"log.dirs={self.data_dir}",
                    # As in a Strimzi-managed cluster: topics exist only when declared.
                    "auto.create.topics.enable=false",
                    "num.partitions=1",
                    "default.replication.factor=1",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=4",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    # One test consumer group should not wait 3 s for imaginary peers.
                    "group.initial.rebalance.delay.ms=0",
                    # Kafka's ACLs, as with Strimzi's 'authorization: simple': a KafkaUser may
                    # do what its ACLs allow and nothing else.
                    "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                    "allow.everyone.if.no.acl.found=false",
                    # The PLAINTEXT listener is the test bed's own (Strimzi's entity operators,
                    # the tests' own clients, producers run as plain processes): clients there
                    # are a super user, as Strimzi's entity operators are on its internal one.
                    "super.users=User:ANONYMOUS",
                    "",
                ]
            )
        )
        (self.run_dir / "log4j2.properties").write_text(_LOG4J2)
        libs = maven_libs("kafka")
        format_proc = ManagedProcess(
            name="kafka-format",
            argv=[
                str(find_java(17)),
                "-Xmx128m",
                f"-Dlog4j2.configurationFile={self.run_dir / 'log4j2.properties'}",
                "-cp",
                f"{libs}/*",
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                "-t",
                _cluster_id(),
                "-c",
                str(self.config_path),
            ],
            run_dir=self.run_dir,
        )
        format_proc.run_to_completion(timeout=120)

    @property
    def ca_cert(self) -> Path:
        """The cluster CA that signed the SASL_SSL listener's certificate (PEM)."""
        return self.run_dir / "tls" / "ca.crt"

    @property
    def sasl_ssl_bootstrap_servers(self) -> str:
        """The SCRAM-SHA-512 over TLS listener, where KafkaUsers' ACLs apply."""
        return self._advertised()["SASL_SSL"]

    def _write_tls(self) -> Path:
        """A cluster CA and the listener's certificate; the PEM keystore Kafka reads."""
        ca = CertificateAuthority(self.run_dir / "tls")
        # The names clients verify: loopback, and for pods the node's address (advertised)
        # and Strimzi's bootstrap Service (which they dial first).
        names: tuple[str, ...] = ("127.0.0.1", "localhost", *BOOTSTRAP_SERVICE_NAMES)
        if self.pods_address is not None:
            names = (*names, self.pods_address)
        pair = ca.issue("broker", "satfeed-kafka", server_names=names)
        key = serialization.load_pem_private_key(pair.key.read_bytes(), password=None)
        keystore = self.run_dir / "tls" / "keystore.pem"
        # Kafka's PEM keystores take PKCS#8 keys only.
        pkcs8 = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        keystore.write_bytes(pkcs8 + pair.cert.read_bytes())
        keystore.chmod(0o600)
        return keystore

    def records_in(self, topic: str) -> int:
        """Records in the topic (all partitions), read on the test bed's own listener."""
        consumer = Consumer(
            {"bootstrap.servers": self.bootstrap_servers, "group.id": "satfeed-count"}
        )
        try:
            partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
            marks = [
                consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                for p in partitions
            ]
        finally:
            consumer.close()
        return sum(int(high - low) for low, high in marks)

    def admin(self) -> AdminClient:
        # librdkafka's connection errors go to Python logging (captured by pytest),
        # not straight to stderr.
        config: dict[str, Any] = {
            "bootstrap.servers": self.bootstrap_servers,
            "logger": _client_log,
        }
        return AdminClient(config)

    def start(self, timeout: float = 90) -> None:
        if not self.config_path.exists():
            self.configure()
        process = self.process
        process.start()
        admin = self.admin()

        def answers() -> bool:
            return len(admin.list_topics(timeout=2).brokers) > 0

        process.wait_until(answers, timeout, "did not answer an AdminClient")

    def stop(self) -> None:
        self.process.stop(timeout=30)

    def running(self) -> bool:
        return self.process.running()


def read_messages(bootstrap: str, topic: str, count: int, timeout: float = 60) -> list[Message]:
    """The first ``count`` records of ``topic`` (from the start), read by a fresh consumer."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"testbed-reader-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "logger": _client_log,
        }
    )
    consumer.subscribe([topic])
    messages: list[Message] = []

    def enough() -> bool:
        message = consumer.poll(1.0)
        if message is not None and message.error() is None:
            messages.append(message)
        return len(messages) >= count

    try:
        wait_for(enough, timeout, f"{count} records in {topic}", interval=0)
    finally:
        consumer.close()
    return messages
