"""A real Kubernetes control plane on loopback: etcd, kube-apiserver (RBAC on) and
kube-controller-manager with the controllers satfeed relies on.

There is no node: pods are created and scheduled nowhere, which is all the operator's
tests need (Deployments get ReplicaSets, owners' children get garbage-collected,
namespaces get finalized). A later step can add a kubelet next to it.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .pki import CertificateAuthority, CertPair, service_account_keys
from .procs import ManagedProcess, free_port
from .toolchain import GoTools, go_tools

# Only the controllers satfeed's behaviour depends on; the rest would cost CPU for nothing.
CONTROLLERS = (
    "garbage-collector-controller",
    "deployment-controller",
    "replicaset-controller",
    "namespace-controller",
    "serviceaccount-controller",
    # Pods mount kube-root-ca.crt; the built-in admin/edit/view roles are aggregated.
    "root-ca-certificate-publisher-controller",
    "clusterrole-aggregation-controller",
)
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"


def write_kubeconfig(path: Path, server: str, ca: Path, user: dict[str, str]) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "satfeed-testbed",
                "cluster": {"server": server, "certificate-authority": str(ca)},
            }
        ],
        "users": [{"name": "user", "user": user}],
        "contexts": [
            {"name": "satfeed-testbed", "context": {"cluster": "satfeed-testbed", "user": "user"}}
        ],
        "current-context": "satfeed-testbed",
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)
    return path


@dataclass
class ControlPlane:
    run_dir: Path
    tools: GoTools | None = None

    def __post_init__(self) -> None:
        if self.tools is None:
            self.tools = go_tools(build=False)

    @property
    def _tools(self) -> GoTools:
        assert self.tools is not None
        return self.tools

    @property
    def pki_dir(self) -> Path:
        return self.run_dir / "pki"

    @property
    def kubeconfig(self) -> Path:
        """Admin kubeconfig (group system:masters)."""
        return self.run_dir / "admin.kubeconfig"

    @property
    def _state_path(self) -> Path:
        return self.run_dir / "ports.json"

    def _ports(self) -> dict[str, int]:
        ports: dict[str, int] = json.loads(self._state_path.read_text())
        return ports

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self._ports()['apiserver']}"

    @property
    def ca_cert(self) -> Path:
        return self.pki_dir / "ca.crt"

    def processes(self) -> list[ManagedProcess]:
        """etcd, kube-apiserver, kube-controller-manager, in start order."""
        ports = self._ports()
        pki = self.pki_dir
        tools = self._tools
        etcd = ManagedProcess(
            name="etcd",
            argv=[
                str(tools.etcd),
                "--name=testbed",
                f"--data-dir={self.run_dir / 'etcd'}",
                f"--listen-client-urls=http://127.0.0.1:{ports['etcd']}",
                f"--advertise-client-urls=http://127.0.0.1:{ports['etcd']}",
                f"--listen-peer-urls=http://127.0.0.1:{ports['etcd_peer']}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{ports['etcd_peer']}",
                f"--initial-cluster=testbed=http://127.0.0.1:{ports['etcd_peer']}",
                # A throwaway test store: durability across power loss buys nothing here.
                "--unsafe-no-fsync",
                "--log-level=warn",
            ],
            run_dir=self.run_dir,
        )
        apiserver = ManagedProcess(
            name="kube-apiserver",
            argv=[
                str(tools.kube_apiserver),
                f"--etcd-servers=http://127.0.0.1:{ports['etcd']}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={ports['apiserver']}",
                f"--cert-dir={self.run_dir / 'apiserver-certs'}",
                f"--tls-cert-file={pki / 'apiserver.crt'}",
                f"--tls-private-key-file={pki / 'apiserver.key'}",
                f"--client-ca-file={pki / 'ca.crt'}",
                f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
                f"--service-account-key-file={pki / 'sa.pub'}",
                f"--service-account-signing-key-file={pki / 'sa.key'}",
                "--service-cluster-ip-range=10.96.0.0/16",
                "--authorization-mode=RBAC",
                "--anonymous-auth=false",
                "--profiling=false",
                "--enable-priority-and-fairness=false",
            ],
            run_dir=self.run_dir,
        )
        controller_manager = ManagedProcess(
            name="kube-controller-manager",
            argv=[
                str(tools.kube_controller_manager),
                f"--kubeconfig={self.run_dir / 'controller-manager.kubeconfig'}",
                f"--authentication-kubeconfig={self.run_dir / 'controller-manager.kubeconfig'}",
                f"--authorization-kubeconfig={self.run_dir / 'controller-manager.kubeconfig'}",
                f"--controllers={','.join(CONTROLLERS)}",
                f"--root-ca-file={pki / 'ca.crt'}",
                "--bind-address=127.0.0.1",
                f"--secure-port={ports['controller_manager']}",
                f"--cert-dir={self.run_dir / 'controller-manager-certs'}",
                # Each controller acts as its own ServiceAccount with its bootstrap role, as
                # in a real cluster (the manager's own identity holds too little).
                "--use-service-account-credentials=true",
                # Our clients present certificates from one CA; no request-header proxy.
                "--authentication-skip-lookup=true",
                f"--client-ca-file={pki / 'ca.crt'}",
                "--leader-elect=false",
                "--profiling=false",
            ],
            run_dir=self.run_dir,
        )
        return [etcd, apiserver, controller_manager]

    def configure(self) -> None:
        """Free ports, per-run certificates and kubeconfigs."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        ports = {
            name: free_port() for name in ("etcd", "etcd_peer", "apiserver", "controller_manager")
        }
        self._state_path.write_text(json.dumps(ports))
        ca = CertificateAuthority(self.pki_dir)
        ca.issue(
            "apiserver",
            "kube-apiserver",
            server_names=(
                "127.0.0.1",
                "localhost",
                "10.96.0.1",
                "kubernetes",
                "kubernetes.default",
                "kubernetes.default.svc",
                "kubernetes.default.svc.cluster.local",
            ),
        )
        service_account_keys(self.pki_dir)
        admin = ca.issue("admin", "satfeed-testbed-admin", organization="system:masters")
        controller_manager = ca.issue("controller-manager", "system:kube-controller-manager")
        for path, pair in (
            (self.kubeconfig, admin),
            (self.run_dir / "controller-manager.kubeconfig", controller_manager),
        ):
            self._client_kubeconfig(path, pair)

    def _client_kubeconfig(self, path: Path, pair: CertPair) -> Path:
        return write_kubeconfig(
            path,
            self.server,
            self.ca_cert,
            {"client-certificate": str(pair.cert), "client-key": str(pair.key)},
        )

    def _get(self, url: str, client: CertPair | None, ca: Path | None) -> int:
        context = ssl.create_default_context(cafile=str(ca) if ca else None)
        if ca is None:  # the controller-manager serves a self-signed certificate
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if client is not None:
            context.load_cert_chain(str(client.cert), str(client.key))
        with urllib.request.urlopen(url, context=context, timeout=3) as response:  # noqa: S310
            status: int = response.status
            return status

    def start(self, timeout: float = 120) -> None:
        if not self._state_path.exists():
            self.configure()
        etcd, apiserver, controller_manager = self.processes()
        ports = self._ports()
        admin = CertPair(self.pki_dir / "admin.crt", self.pki_dir / "admin.key")
        try:
            etcd.start()
            etcd.wait_until(
                lambda: self._get(f"http://127.0.0.1:{ports['etcd']}/health", None, None) == 200,
                timeout,
                "did not report healthy",
            )
            apiserver.start()
            apiserver.wait_until(
                lambda: self._get(f"{self.server}/readyz", admin, self.ca_cert) == 200,
                timeout,
                "did not become ready (/readyz)",
            )
            controller_manager.start()
            controller_manager.wait_until(
                lambda: (
                    self._get(
                        f"https://127.0.0.1:{ports['controller_manager']}/healthz", None, None
                    )
                    == 200
                ),
                timeout,
                "did not become healthy (/healthz)",
            )
            # Pods need their namespace's default ServiceAccount; wait for the controller.
            controller_manager.wait_until(
                lambda: (
                    self.kubectl("get", "serviceaccount", "default", "-n", "default").returncode
                    == 0
                ),
                timeout,
                "did not create the default ServiceAccount",
            )
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for process in reversed(self.processes()):
            process.stop()

    def running(self) -> bool:
        return self._state_path.exists() and all(p.running() for p in self.processes())

    def kubectl(
        self, *args: str, kubeconfig: Path | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run kubectl against this control plane (admin unless ``kubeconfig`` is given)."""
        return subprocess.run(
            [str(self._tools.kubectl), f"--kubeconfig={kubeconfig or self.kubeconfig}", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def kubectl_ok(self, *args: str, stdin: str | None = None) -> str:
        proc = self.kubectl(*args, stdin=stdin)
        if proc.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)} failed: {proc.stderr.strip()}")
        return proc.stdout

    def get_json(self, *args: str) -> Any:
        """``kubectl <args> -o json``, parsed."""
        return json.loads(self.kubectl_ok(*args, "-o", "json"))

    def apply(self, manifest: dict[str, Any] | str) -> str:
        text = manifest if isinstance(manifest, str) else yaml.safe_dump(manifest)
        return self.kubectl_ok("apply", "--server-side", "-f", "-", stdin=text)

    def service_account_kubeconfig(self, namespace: str, name: str) -> Path:
        """A kubeconfig that acts as ServiceAccount ``namespace/name`` (short-lived token)."""
        token = self.kubectl_ok("create", "token", name, "-n", namespace, "--duration=1h").strip()
        return write_kubeconfig(
            self.run_dir / f"sa-{namespace}-{name}.kubeconfig",
            self.server,
            self.ca_cert,
            {"token": token},
        )
