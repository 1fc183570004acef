"""A real Kubernetes control plane on loopback: etcd, kube-apiserver (RBAC on) and
kube-controller-manager with the controllers satfeed relies on.

By default there is no node: pods are created and scheduled nowhere, which is all the
operator's tests need (Deployments get ReplicaSets, owners' children get
garbage-collected, namespaces get finalized). With ``node_ip`` set it also serves a
node (see :mod:`satfeed_dev.node`): it listens on ``address`` (the host end of the
node's network) so pods reach it, authorizes kubelets with the Node authorizer, runs
kube-scheduler and the EndpointSlice controller, and issues the node components' client
and serving certificates.
"""

from __future__ import annotations

import functools
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
from .toolchain import GoTools, go_tools, node_tools
from .waiting import wait_for

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
# What a node adds: Services get endpoints (the frontend's Service), and the node loses
# its not-ready taint once its kubelet reports Ready.
NODE_CONTROLLERS = ("endpointslice-controller", "node-lifecycle-controller")
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"
SERVICE_SUBNET = "10.96.0.0/16"
"""The apiserver's ``--service-cluster-ip-range``."""
NODE_NAME = "satfeed-node"
"""The node's name (its kubelet's client certificate says ``system:node:<name>``)."""


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


COREDNS_USER = "satfeed-testbed:coredns"
KUBE_ROUTER_USER = "satfeed-testbed:kube-router"
APISERVER_NODE_PORT = 6443
"""The apiserver's port when the test bed has a node: kubeadm's and kind's, one of the
ports the charts' NetworkPolicies allow toward the apiserver (the node enforces them)."""
APISERVER_KUBELET_CLIENT = "kube-apiserver-kubelet-client"
# What Kubernetes' bootstrap roles do not already grant: the apiserver's calls into the
# kubelet (logs, port-forward) and CoreDNS's watch of Services and EndpointSlices (the
# rules of CoreDNS's own deployment manifest, minus pods: "pods insecure" needs none).
NODE_RBAC = """
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "satfeed-testbed:apiserver-kubelet-client"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:kubelet-api-admin"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: kube-apiserver-kubelet-client}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "satfeed-testbed:coredns"}
rules:
  - apiGroups: [""]
    resources: [services, namespaces]
    verbs: [list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "satfeed-testbed:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "satfeed-testbed:coredns"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "satfeed-testbed:coredns"}]
---
# kube-router's network policy controller: what it watches to build its rules.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "satfeed-testbed:kube-router"}
rules:
  - apiGroups: [""]
    resources: [pods, namespaces, nodes, services, endpoints]
    verbs: [get, list, watch]
  - apiGroups: [networking.k8s.io]
    resources: [networkpolicies]
    verbs: [get, list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "satfeed-testbed:kube-router"}
roleRef:
  {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "satfeed-testbed:kube-router"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "satfeed-testbed:kube-router"}]
"""


@dataclass
class ControlPlane:
    run_dir: Path
    tools: GoTools | None = None
    address: str = "127.0.0.1"
    """Where the apiserver listens and what it advertises (the ``kubernetes`` Service)."""
    node_ip: str | None = None
    """The node's address when the test bed has a node; None: control plane only."""

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
        return f"https://{self.address}:{self._ports()['apiserver']}"

    @property
    def ca_cert(self) -> Path:
        return self.pki_dir / "ca.crt"

    def processes(self) -> list[ManagedProcess]:
        """etcd, kube-apiserver, kube-controller-manager (and kube-scheduler), in start order."""
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
                f"--bind-address={self.address}",
                f"--advertise-address={self.address}",
                f"--secure-port={ports['apiserver']}",
                f"--cert-dir={self.run_dir / 'apiserver-certs'}",
                f"--tls-cert-file={pki / 'apiserver.crt'}",
                f"--tls-private-key-file={pki / 'apiserver.key'}",
                f"--client-ca-file={pki / 'ca.crt'}",
                f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
                f"--service-account-key-file={pki / 'sa.pub'}",
                f"--service-account-signing-key-file={pki / 'sa.key'}",
                f"--service-cluster-ip-range={SERVICE_SUBNET}",
                *self._node_apiserver_flags(),
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
                f"--controllers={','.join(self.controllers)}",
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
        processes = [etcd, apiserver, controller_manager]
        if self.node_ip is not None:
            processes.append(self._scheduler(ports["scheduler"]))
        return processes

    @property
    def controllers(self) -> tuple[str, ...]:
        return CONTROLLERS + (NODE_CONTROLLERS if self.node_ip else ())

    def _node_apiserver_flags(self) -> list[str]:
        if self.node_ip is None:
            return ["--authorization-mode=RBAC"]
        pki = self.pki_dir
        return [
            # A kubelet may touch only its own node and the pods bound to it.
            "--authorization-mode=Node,RBAC",
            "--enable-admission-plugins=NodeRestriction",
            # logs, exec and port-forward go from the apiserver to the kubelet over TLS,
            # with the kubelet's serving certificate checked against the test bed's CA.
            f"--kubelet-client-certificate={pki / 'apiserver-kubelet-client.crt'}",
            f"--kubelet-client-key={pki / 'apiserver-kubelet-client.key'}",
            f"--kubelet-certificate-authority={pki / 'ca.crt'}",
            "--kubelet-preferred-address-types=InternalIP",
        ]

    def _scheduler(self, port: int) -> ManagedProcess:
        kubeconfig = self.run_dir / "scheduler.kubeconfig"
        return ManagedProcess(
            name="kube-scheduler",
            argv=[
                str(node_tools(build=False).kube_scheduler),
                f"--kubeconfig={kubeconfig}",
                f"--authentication-kubeconfig={kubeconfig}",
                f"--authorization-kubeconfig={kubeconfig}",
                "--authentication-skip-lookup=true",
                f"--client-ca-file={self.pki_dir / 'ca.crt'}",
                "--bind-address=127.0.0.1",
                f"--secure-port={port}",
                "--leader-elect=false",
                "--profiling=false",
            ],
            run_dir=self.run_dir,
        )

    def configure(self) -> None:
        """Free ports, per-run certificates and kubeconfigs."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        names = ["etcd", "etcd_peer", "apiserver", "controller_manager"]
        if self.node_ip is not None:
            names.append("scheduler")
        ports = {name: free_port() for name in names}
        if self.node_ip is not None:
            # Only the node's run binds this address (one node per machine at a time).
            ports["apiserver"] = APISERVER_NODE_PORT
        self._state_path.write_text(json.dumps(ports))
        ca = CertificateAuthority(self.pki_dir)
        ca.issue(
            "apiserver",
            "kube-apiserver",
            server_names=(
                "127.0.0.1",
                self.address,
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
        if self.node_ip is not None:
            self._issue_node_credentials(ca, self.node_ip)

    def _issue_node_credentials(self, ca: CertificateAuthority, node_ip: str) -> None:
        """Certificates and kubeconfigs of the scheduler and the node's components."""
        clients = {
            "scheduler": ca.issue("scheduler", "system:kube-scheduler"),
            "kubelet": ca.issue("kubelet", f"system:node:{NODE_NAME}", organization="system:nodes"),
            "kube-proxy": ca.issue("kube-proxy", "system:kube-proxy"),
            "coredns": ca.issue("coredns", COREDNS_USER),
            "kube-router": ca.issue("kube-router", KUBE_ROUTER_USER),
        }
        for name, pair in clients.items():
            self._client_kubeconfig(self.run_dir / f"{name}.kubeconfig", pair)
        ca.issue("apiserver-kubelet-client", APISERVER_KUBELET_CLIENT)
        ca.issue("kubelet-serving", f"system:node:{NODE_NAME}", server_names=(node_ip,))

    def node_kubeconfig(self, component: str) -> Path:
        """The kubeconfig of a node component: kubelet, kube-proxy, coredns or kube-router."""
        return self.run_dir / f"{component}.kubeconfig"

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
        etcd, apiserver, controller_manager = self.processes()[:3]
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
            for process in self.processes()[3:]:  # kube-scheduler, with a node
                process.start()
                process.wait_until(
                    lambda: (
                        self._get(f"https://127.0.0.1:{ports['scheduler']}/healthz", None, None)
                        == 200
                    ),
                    timeout,
                    "did not become healthy (/healthz)",
                )
            if self.node_ip is not None:
                self.apply(NODE_RBAC)
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

    def install_crds(self, *paths: Path, timeout: float = 60) -> None:
        """Apply CRD files and wait until each is Established and its resource is served.

        Polled, not ``kubectl wait``: that errors out when it looks before the new CRD has
        any status, and Established comes a moment before discovery serves the resource.
        """
        crds = []
        for path in paths:
            self.kubectl_ok("apply", "--server-side", "-f", str(path))
            crd = yaml.safe_load(path.read_text())
            crds.append(
                (crd["metadata"]["name"], crd["spec"]["names"]["plural"], crd["spec"]["group"])
            )

        def served(name: str, plural: str, group: str) -> bool:
            conditions = self.get_json("get", "crd", name).get("status", {}).get("conditions", [])
            established = any(
                c["type"] == "Established" and c["status"] == "True" for c in conditions
            )
            return established and self.kubectl("get", f"{plural}.{group}", "-A").returncode == 0

        for name, plural, group in crds:
            wait_for(functools.partial(served, name, plural, group), timeout, f"CRD {name} served")

    def service_account_kubeconfig(self, namespace: str, name: str) -> Path:
        """A kubeconfig that acts as ServiceAccount ``namespace/name`` (short-lived token)."""
        token = self.kubectl_ok("create", "token", name, "-n", namespace, "--duration=1h").strip()
        return write_kubeconfig(
            self.run_dir / f"sa-{namespace}-{name}.kubeconfig",
            self.server,
            self.ca_cert,
            {"token": token},
        )
