"""Strimzi's real Topic and User Operators for every test-bed namespace that needs one.

Strimzi's entity operators each watch exactly one namespace (``STRIMZI_NAMESPACE``), which
is how a Strimzi cluster runs them, and how Strimzi runs them standalone for any other
namespace. The test suite gives every test a fresh namespace, so the test bed runs this
supervisor: whenever a KafkaTopic (KafkaUser) labelled ``strimzi.io/cluster: <cluster>``
appears in a namespace that has no Topic (User) Operator yet, it starts one for that
namespace; once the namespace is being deleted and none of those resources is left in it
(the operator has removed their finalizers), or is gone, it stops it.

Each operator is a host process (a JVM, ``io.strimzi.operator.{topic,user}.Main``) in a
network namespace of its own (:mod:`satfeed_dev.netjail`), because it binds its health
server to a fixed port (8080, 8081): there each has its own, and reaches only Kafka and the
apiserver, through forwarded ports. Its health endpoint is exposed on a free loopback port,
written to ``<run>/<kind>/<namespace>/health.port``; its log is
``<run>/<kind>/<namespace>/<kind>.log`` (kind: ``topic-operator``, ``user-operator``).

Run: ``python -m satfeed_dev.entity_operators`` with ``SATFEED_RUN_DIR``, ``KUBECONFIG``
(admin), ``KAFKA_BOOTSTRAP_SERVERS``, ``STRIMZI_CLUSTER``, ``STRIMZI_JAVA``,
``STRIMZI_TOPIC_OPERATOR_LIB`` and ``SATFEED_HEALTH_PORT_FILE``; optional
``STRIMZI_USER_OPERATOR_LIB`` (and ``STRIMZI_CA_NAMESPACE``, where the clients CA Secrets
are) and ``STRIMZI_FULL_RECONCILIATION_INTERVAL_MS``. SIGTERM stops every operator, then it.
"""

from __future__ import annotations

import http.server
import json
import logging
import os
import signal
import ssl
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .procs import ManagedProcess

log = logging.getLogger("entity-operators")

JVM_OPTIONS = (
    # Start-up dominates a Topic Operator's CPU in the test bed (one per test namespace).
    "-XX:TieredStopAtLevel=1",
    "-XX:+UseSerialGC",
    "-Xss512k",
    "-Xmx192m",
)
_POLL_S = 0.25
_RESTART_AFTER_S = 5.0


@dataclass(frozen=True)
class Settings:
    run_dir: Path
    kubeconfig: Path
    bootstrap_servers: str
    cluster: str
    java: str
    topic_operator_lib: Path
    user_operator_lib: Path | None
    """None: no User Operators."""
    ca_namespace: str
    """Where the clients CA Secrets are (``<cluster>-clients-ca-cert``, ``-clients-ca``)."""
    full_reconciliation_ms: str

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            run_dir=Path(env["SATFEED_RUN_DIR"]),
            kubeconfig=Path(env["KUBECONFIG"]),
            bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"],
            cluster=env["STRIMZI_CLUSTER"],
            java=env["STRIMZI_JAVA"],
            topic_operator_lib=Path(env["STRIMZI_TOPIC_OPERATOR_LIB"]),
            user_operator_lib=(
                Path(env["STRIMZI_USER_OPERATOR_LIB"])
                if "STRIMZI_USER_OPERATOR_LIB" in env
                else None
            ),
            ca_namespace=env.get("STRIMZI_CA_NAMESPACE", "default"),
            full_reconciliation_ms=env.get("STRIMZI_FULL_RECONCILIATION_INTERVAL_MS", "120000"),
        )


class Api:
    """GETs against the apiserver as the kubeconfig's (admin) user."""

    def __init__(self, kubeconfig: Path) -> None:
        config = yaml.safe_load(kubeconfig.read_text())
        cluster = config["clusters"][0]["cluster"]
        user = config["users"][0]["user"]
        self.server: str = cluster["server"]
        self.context = ssl.create_default_context(cafile=cluster["certificate-authority"])
        self.context.load_cert_chain(user["client-certificate"], user["client-key"])
        self.config = config

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(  # noqa: S310 (the test bed's apiserver)
            self.server + path, context=self.context, timeout=10
        ) as response:
            return json.load(response)

    def names(self, path: str) -> set[tuple[str, str]]:
        """(namespace, name) of every item of a list ``path``."""
        items = self.get(path)["items"]
        return {(i["metadata"].get("namespace", ""), i["metadata"]["name"]) for i in items}


@dataclass(frozen=True)
class Kind:
    """One of Strimzi's entity operators: what it serves and how it runs."""

    name: str
    """``topic-operator`` or ``user-operator``: its log and run folder."""
    title: str
    plural: str
    """The custom resources it serves (``kafkatopics``): it runs where there are some."""
    main_class: str
    health_port: int
    """Fixed in Strimzi's code: 8080 for the Topic Operator, 8081 for the User Operator."""


TOPIC_OPERATOR = Kind(
    "topic-operator", "Topic Operator", "kafkatopics", "io.strimzi.operator.topic.Main", 8080
)
USER_OPERATOR = Kind(
    "user-operator", "User Operator", "kafkausers", "io.strimzi.operator.user.Main", 8081
)


@dataclass
class Supervisor:
    settings: Settings
    api: Api
    running: dict[tuple[str, str], ManagedProcess] = field(default_factory=dict)
    """(kind, namespace) -> the operator process."""
    started_at: dict[tuple[str, str], float] = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)

    def kinds(self) -> list[Kind]:
        return [TOPIC_OPERATOR] + ([USER_OPERATOR] if self.settings.user_operator_lib else [])

    def jail_kubeconfig(self) -> tuple[Path, int, str]:
        """A copy of the kubeconfig that reaches the apiserver at 127.0.0.1 (forwarded)."""
        url = urllib.parse.urlsplit(self.api.server)
        host, port = url.hostname or "127.0.0.1", url.port or 443
        config = json.loads(json.dumps(self.api.config))
        config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{port}"
        path = self.settings.run_dir / "entity-operators" / "jail.kubeconfig"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        path.chmod(0o600)
        return path, port, host

    def operator(self, kind: Kind, namespace: str) -> ManagedProcess:
        kubeconfig, api_port, api_host = self.jail_kubeconfig()
        run_dir = self.settings.run_dir / kind.name / namespace
        kafka_host, _, kafka_port = self.settings.bootstrap_servers.rpartition(":")
        settings = self.settings
        lib = settings.topic_operator_lib if kind is TOPIC_OPERATOR else settings.user_operator_lib
        argv = [
            sys.executable, "-m", "satfeed_dev.netjail",
            "--forward", f"{kafka_port}={kafka_host}:{kafka_port}",
            "--forward", f"{api_port}={api_host}:{api_port}",
            "--expose", f"{kind.health_port}={run_dir / 'health.port'}",
            "--", settings.java, *JVM_OPTIONS, "-cp", f"{lib}/*", kind.main_class,
        ]  # fmt: skip
        env = {
            **os.environ,
            "KUBECONFIG": str(kubeconfig),
            "STRIMZI_NAMESPACE": namespace,
            "STRIMZI_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{kafka_port}",
            "STRIMZI_FULL_RECONCILIATION_INTERVAL_MS": settings.full_reconciliation_ms,
        }
        if kind is TOPIC_OPERATOR:
            env["STRIMZI_RESOURCE_LABELS"] = f"strimzi.io/cluster={settings.cluster}"
        else:
            # As Strimzi's entity operator runs it: the clients CA from the cluster's Secrets.
            env["STRIMZI_LABELS"] = f"strimzi.io/cluster={settings.cluster}"
            env["STRIMZI_CA_NAMESPACE"] = settings.ca_namespace
            env["STRIMZI_CA_CERT_NAME"] = f"{settings.cluster}-clients-ca-cert"
            env["STRIMZI_CA_KEY_NAME"] = f"{settings.cluster}-clients-ca"
        return ManagedProcess(name=kind.name, argv=argv, run_dir=run_dir, env=env)

    def step(self) -> None:
        selector = urllib.parse.quote(f"strimzi.io/cluster={self.settings.cluster}")
        phases = {
            item["metadata"]["name"]: (item.get("status") or {}).get("phase")
            for item in self.api.get("/api/v1/namespaces")["items"]
        }
        now = time.monotonic()
        for kind in self.kinds():
            served = self.api.names(
                f"/apis/kafka.strimzi.io/v1/{kind.plural}?labelSelector={selector}"
            )
            for namespace in sorted({namespace for namespace, _ in served}):
                self.ensure(kind, namespace, now)  # also while terminating: finalizers
            # In a namespace being deleted, an operator is needed only while a resource of
            # its kind is left (it removes their finalizers); then its JVM can go at once.
            remaining = {
                namespace
                for namespace, _ in self.api.names(f"/apis/kafka.strimzi.io/v1/{kind.plural}")
            }
            for key in sorted(key for key in self.running if key[0] == kind.name):
                namespace = key[1]
                if namespace not in phases:
                    log.info("namespace %s is gone: stopping its %s", namespace, kind.title)
                elif phases[namespace] != "Active" and namespace not in remaining:
                    log.info(
                        "namespace %s is being deleted and has no %s left: stopping its %s",
                        namespace,
                        kind.plural,
                        kind.title,
                    )
                else:
                    continue
                self.running.pop(key).stop()

    def ensure(self, kind: Kind, namespace: str, now: float) -> None:
        key = (kind.name, namespace)
        process = self.running.get(key)
        if process is not None and process.running():
            return
        if process is not None and now - self.started_at[key] < _RESTART_AFTER_S:
            return  # it just exited: give it a moment rather than a restart loop
        if process is not None:
            log.warning("the %s of %s exited; restarting it", kind.title, namespace)
            process.stop()
        process = self.operator(kind, namespace)
        log.info("starting a %s for namespace %s", kind.title, namespace)
        process.start()
        self.running[key] = process
        self.started_at[key] = now

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.step()
            except (OSError, urllib.error.URLError, KeyError, ValueError) as exc:
                log.warning("cannot read the custom resources or namespaces: %s", exc)
            self.stopping.wait(_POLL_S)
        for (name, namespace), process in sorted(self.running.items()):
            log.info("stopping the %s of %s", name, namespace)
            process.stop()


def _serve_health(supervisor: Supervisor, port_file: Path) -> None:
    """``/healthz`` (this process) and ``/operators`` (``kind/namespace`` -> health port)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/operators":
                ports = {}
                for (name, namespace), process in list(supervisor.running.items()):
                    port_path = process.run_dir / "health.port"
                    if process.running() and port_path.exists():
                        ports[f"{name}/{namespace}"] = int(port_path.read_text())
                body = json.dumps(ports).encode()
            elif self.path == "/healthz":
                body = b"ok"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_file.write_text(str(server.server_address[1]))
    threading.Thread(target=server.serve_forever, daemon=True).start()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings.from_env()
    supervisor = Supervisor(settings, Api(settings.kubeconfig))
    signal.signal(signal.SIGTERM, lambda *_: supervisor.stopping.set())
    signal.signal(signal.SIGINT, lambda *_: supervisor.stopping.set())
    _serve_health(supervisor, Path(os.environ["SATFEED_HEALTH_PORT_FILE"]))
    supervisor.run()


if __name__ == "__main__":
    main()
