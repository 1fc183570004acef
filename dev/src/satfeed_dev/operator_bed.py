"""Running the satfeed operator against the test bed, as its chart will run it (for the
operator's integration tests and ``bench/operator_latency.py``).

The operator is the real console script in a subprocess, acting as a ServiceAccount that
holds exactly the rules of ``charts/satfeed-operator/files/rbac-rules.yaml`` (the rules the
chart grants), with its log in the run directory.
"""

from __future__ import annotations

import copy
import json
import os
import re
import sys
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .kube import ControlPlane
from .procs import ManagedProcess, free_port, log_tail
from .testbed import KAFKA_CLUSTER, TestBed
from .toolchain import REPO_ROOT
from .waiting import wait_for

CHART = REPO_ROOT / "charts" / "satfeed-operator"
CRDS = (
    CHART / "crds" / "satellites.satfeed.io.yaml",
    CHART / "crds" / "satellitegroups.satfeed.io.yaml",
    CHART / "crds" / "groundstations.satfeed.io.yaml",
)
RBAC_RULES = CHART / "files" / "rbac-rules.yaml"
EXAMPLES = REPO_ROOT / "examples" / "satellites"
SERVICE_ACCOUNT = "satfeed-operator"
NO_CELESTRAK = "http://127.0.0.1:9"
"""Tests never reach the real CelesTrak: without a test server, downloads fail at once."""


def install_crd(kube: ControlPlane) -> None:
    kube.install_crds(*CRDS)


def rbac_rules() -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = yaml.safe_load(RBAC_RULES.read_text())
    return rules


def grant_namespaced(kube: ControlPlane, namespace: str) -> Path:
    """A ServiceAccount with the chart's Role in ``namespace``; returns its kubeconfig."""
    _apply_all(
        kube,
        _service_account(namespace),
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": SERVICE_ACCOUNT, "namespace": namespace},
            "rules": rbac_rules(),
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": SERVICE_ACCOUNT, "namespace": namespace},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": SERVICE_ACCOUNT,
            },
            "subjects": _subjects(namespace),
        },
    )
    return kube.service_account_kubeconfig(namespace, SERVICE_ACCOUNT)


def grant_clusterwide(kube: ControlPlane, namespace: str) -> Path:
    """A ServiceAccount in ``namespace`` with the chart's ClusterRole; returns its kubeconfig."""
    name = f"{SERVICE_ACCOUNT}-{namespace}"
    _apply_all(
        kube,
        _service_account(namespace),
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": name},
            "rules": rbac_rules(),
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": name},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": name,
            },
            "subjects": _subjects(namespace),
        },
    )
    return kube.service_account_kubeconfig(namespace, SERVICE_ACCOUNT)


def revoke_clusterwide(kube: ControlPlane, namespace: str) -> None:
    name = f"{SERVICE_ACCOUNT}-{namespace}"
    kube.kubectl("delete", "clusterrolebinding", name, "--ignore-not-found")
    kube.kubectl("delete", "clusterrole", name, "--ignore-not-found")


def _service_account(namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": SERVICE_ACCOUNT, "namespace": namespace},
    }


def _subjects(namespace: str) -> list[dict[str, str]]:
    return [{"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": namespace}]


def _apply_all(kube: ControlPlane, *manifests: dict[str, Any]) -> None:
    kube.apply(yaml.safe_dump_all(manifests))


@dataclass
class OperatorProcess:
    """One satfeed-operator process; ``start`` returns once its liveness endpoint answers."""

    testbed: TestBed
    run_dir: Path
    kubeconfig: Path
    namespaces: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    liveness_port: int = field(default_factory=free_port)
    metrics_port: int = field(default_factory=free_port)

    @property
    def process(self) -> ManagedProcess:
        script = Path(sys.executable).parent / "satfeed-operator"
        return ManagedProcess(
            name="satfeed-operator",
            argv=[str(script)],
            run_dir=self.run_dir,
            env={
                **os.environ,
                "KUBECONFIG": str(self.kubeconfig),
                "KAFKA_BOOTSTRAP_SERVERS": self.testbed.kafka.bootstrap_servers,
                "SATFEED_KAFKA_CLUSTER": KAFKA_CLUSTER,
                "SATFEED_NAMESPACES": ",".join(self.namespaces),
                "SATFEED_LIVENESS_ENDPOINT": f"http://127.0.0.1:{self.liveness_port}/healthz",
                "SATFEED_METRICS_HOST": "127.0.0.1",
                "SATFEED_METRICS_PORT": str(self.metrics_port),
                "SATFEED_TOPIC_REPLICAS": "1",
                "SATFEED_CELESTRAK_URL": NO_CELESTRAK,
                **self.env,
            },
        )

    def start(self, timeout: float = 60) -> None:
        process = self.process
        process.start()

        def live() -> bool:
            url = f"http://127.0.0.1:{self.liveness_port}/healthz"
            with urllib.request.urlopen(url, timeout=2) as response:
                return bool(response.status == 200)

        process.wait_until(live, timeout, "did not answer its liveness probe")

    def stop(self) -> None:
        self.process.stop()

    def metrics(self) -> str:
        """The operator's ``/metrics`` page (Prometheus text format)."""
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode())

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would."""
        self.process.kill()

    def running(self) -> bool:
        return self.process.running()

    def log(self) -> str:
        path = self.process.log_path
        return path.read_text(errors="replace") if path.exists() else ""

    def tail(self) -> str:
        return log_tail(self.process.log_path, 60)


_RBAC_REFUSAL = re.compile(r'forbidden: User "[^"]+" cannot', re.IGNORECASE)


def refusals(operator: OperatorProcess) -> list[str]:
    """The requests of the operator that RBAC refused, as its log shows them."""
    found: list[str] = _RBAC_REFUSAL.findall(operator.log())
    return found


def assert_no_rbac_refusal(operator: OperatorProcess) -> None:
    """Every request the operator made was granted by the chart's rules."""
    if refusals(operator):
        raise AssertionError(f"the chart's RBAC rules lack a permission:\n{operator.tail()}")


# --- reading Satellites and their children -------------------------------------------------


def example(name: str, namespace: str) -> dict[str, Any]:
    """``examples/satellites/<name>.yaml`` placed in ``namespace``."""
    manifest: dict[str, Any] = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text())
    manifest["metadata"]["namespace"] = namespace
    return manifest


def with_spec(manifest: Mapping[str, Any], **spec: Any) -> dict[str, Any]:
    """``manifest`` with its spec fields replaced; None removes a field."""
    changed = copy.deepcopy(dict(manifest))
    changed["spec"].update(spec)
    changed["spec"] = {key: value for key, value in changed["spec"].items() if value is not None}
    return changed


def renamed(manifest: Mapping[str, Any], name: str) -> dict[str, Any]:
    changed = copy.deepcopy(dict(manifest))
    changed["metadata"]["name"] = name
    return changed


def get(kube: ControlPlane, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
    proc = kube.kubectl("get", kind, name, "-n", namespace, "-o", "json", "--ignore-not-found")
    if proc.returncode != 0:
        raise RuntimeError(f"kubectl get {kind} {name}: {proc.stderr.strip()}")
    found: dict[str, Any] | None = json.loads(proc.stdout) if proc.stdout.strip() else None
    return found


def condition(obj: Mapping[str, Any] | None, type_: str) -> dict[str, Any] | None:
    for found in ((obj or {}).get("status") or {}).get("conditions") or []:
        if found.get("type") == type_:
            return dict(found)
    return None


def wait_condition(
    kube: ControlPlane,
    namespace: str,
    name: str,
    type_: str,
    status: str,
    reason: str | None = None,
    timeout: float = 30,
    kind: str = "satellite",
) -> dict[str, Any]:
    """The Satellite (or ``kind``) once its condition ``type_`` has ``status`` (and ``reason``)."""

    def check() -> dict[str, Any] | None:
        satellite = get(kube, kind, namespace, name)
        found = condition(satellite, type_)
        if found and found["status"] == status and reason in (None, found.get("reason")):
            return satellite
        return None

    return wait_for(check, timeout, f"{type_}={status} ({reason}) on {kind} {namespace}/{name}")


def events_for(kube: ControlPlane, namespace: str, name: str) -> list[dict[str, Any]]:
    found = kube.get_json(
        "get",
        "events",
        "-n",
        namespace,
        "--field-selector",
        f"involvedObject.kind=Satellite,involvedObject.name={name}",
    )
    events: list[dict[str, Any]] = found["items"]
    return events


def env_of(deployment: Mapping[str, Any]) -> dict[str, str]:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {item["name"]: item["value"] for item in container["env"]}
