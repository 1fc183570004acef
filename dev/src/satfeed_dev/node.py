"""A real Kubernetes node for the test bed: containerd, runc, CNI, kubelet, kube-proxy,
CoreDNS and kube-router's network policy controller, in namespaces of its own so it
leaves nothing behind.

Layout (addresses are fixed: one node per machine at a time)::

    host                               node network namespace ("satfeed-<run>")
    10.233.0.1  <---- veth pair ---->  10.233.0.2 (eth0): kubelet :10250, CoreDNS :53
    apiserver, Kafka's PODS listener   cni0 bridge 10.234.0.1/24 -> pods 10.234.0.x

Every node process runs in the node's network namespace and in one PID and mount
namespace whose PID 1 is :mod:`satfeed_dev.nodeinit`. Stopping the node stops that
process: the kernel then kills whatever is left (shims, containers) and drops every
mount; deleting the network namespace removes the veth, the bridge, the iptables rules
of kube-proxy, CNI and kube-router, and kube-router's ipsets (both are per network
namespace). Pod cgroups live under one cgroup root per run, removed last.

The node enforces NetworkPolicies: kube-router runs with its network policy controller
only (no routing, no service proxy, no CNI), which filters the pods' traffic with
iptables and ipsets, as it does on a cluster that uses it for policies alone. Policies
name their peers by pod labels, and two of satfeed's peers are not pods here: CoreDNS
runs on the node (at its address) and Kafka on the host. Each gets a stand-in Pod object,
with the labels a real cluster's pods have and the address the service really answers
on, that no kubelet runs (:func:`stand_in_pod`); kube-router puts its address into the
peer sets as it would a real pod's.

This machine's cgroup layout is v1 (cpu, memory, pids, ... are v1 hierarchies; only
hugetlb is on the unified v2 mount). Kubelet 1.35+ refuses cgroup v1 unless its
configuration sets ``failCgroupV1: false``, which this one does; containerd and runc use
the cgroupfs driver (there is no systemd here). Root on these machines lacks
CAP_SYS_RESOURCE, so negative OOM scores are refused: containerd keeps pods at its own
score (``restrict_oom_score_adj``) and kubelet logs that it could not lower its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .kube import NODE_NAME, SERVICE_SUBNET, ControlPlane
from .procs import ManagedProcess, ServiceError, http_ok, log_tail
from .toolchain import NodeTools, SetupError, node_tools
from .waiting import wait_for

HOST_IP = "10.233.0.1"
NODE_IP = "10.233.0.2"
NODE_NET_PREFIX = 30
POD_SUBNET = "10.234.0.0/24"
POD_GATEWAY = "10.234.0.1"
CLUSTER_DOMAIN = "cluster.local"
CNI_BIN_DIR = Path("/usr/lib/cni")
NETNS_PREFIX = "satfeed-node-"

KUBE_ROUTER_HEALTH_PORT = 20244
STAND_IN_SCHEDULER = "satfeed-testbed-none"
"""No scheduler has this name: a stand-in pod is never bound to the node."""
STAND_IN_LABEL = "satfeed.io/testbed-stand-in"

SYSTEM_TOOLS = {
    "containerd": "apt-get install containerd",
    "ctr": "apt-get install containerd",
    "containerd-shim-runc-v2": "apt-get install containerd",
    "runc": "apt-get install runc",
    "iptables": "apt-get install iptables",
    "conntrack": "apt-get install conntrack",
    "ip": "apt-get install iproute2",
    "ipset": "apt-get install ipset",
    "nsenter": "apt-get install util-linux",
    "unshare": "apt-get install util-linux",
}


class NodeUnavailable(SetupError):
    """This machine cannot run the node; the message says what is missing."""


def check_node_prerequisites() -> None:
    """Raise :class:`NodeUnavailable` naming what the node needs and this machine lacks."""
    if os.geteuid() != 0:
        raise NodeUnavailable("the node needs root (network namespaces, mounts, cgroups)")
    missing = [
        f"'{tool}' ({hint})" for tool, hint in SYSTEM_TOOLS.items() if not shutil.which(tool)
    ]
    for plugin in ("bridge", "host-local", "loopback", "portmap"):
        if not (CNI_BIN_DIR / plugin).exists():
            missing.append(
                f"CNI plugin {CNI_BIN_DIR / plugin} (apt-get install containernetworking-plugins)"
            )
    if missing:
        raise NodeUnavailable("the node needs: " + ", ".join(missing))
    if (
        not Path("/sys/fs/cgroup/memory").is_dir()
        and not Path("/sys/fs/cgroup/cgroup.controllers").exists()
    ):
        raise NodeUnavailable("no cgroup hierarchy with the memory controller is mounted")


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


def _in_netns(netns: str, *argv: str) -> None:
    subprocess.run(["ip", "netns", "exec", netns, *argv], check=True, capture_output=True)


@dataclass
class NodeNetwork:
    """The node's network namespace and the veth pair joining it to the host."""

    name: str

    @property
    def path(self) -> Path:
        return Path("/run/netns") / self.name

    @property
    def host_link(self) -> str:
        return "sfh" + self.name[-12:]  # interface names are at most 15 characters

    def exists(self) -> bool:
        return self.path.exists()

    def create(self) -> None:
        remove_stale_networks(keep=None)
        _ip("netns", "add", self.name)
        try:
            _ip(
                "link",
                "add",
                self.host_link,
                "type",
                "veth",
                "peer",
                "name",
                "eth0",
                "netns",
                self.name,
            )
            _ip("addr", "add", f"{HOST_IP}/{NODE_NET_PREFIX}", "dev", self.host_link)
            _ip("link", "set", self.host_link, "up")
            _ip("-n", self.name, "link", "set", "lo", "up")
            _ip("-n", self.name, "addr", "add", f"{NODE_IP}/{NODE_NET_PREFIX}", "dev", "eth0")
            _ip("-n", self.name, "link", "set", "eth0", "up")
            _ip("-n", self.name, "route", "add", "default", "via", HOST_IP)
            # The host answers pods directly (no NAT needed for replies).
            _ip("route", "add", POD_SUBNET, "via", NODE_IP)
            # Routing between pods, the node and the host; bridged pod-to-Service-to-pod
            # traffic must pass kube-proxy's iptables rules. Both are per network namespace.
            _in_netns(self.name, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
            _in_netns(self.name, "sysctl", "-q", "-w", "net.bridge.bridge-nf-call-iptables=1")
        except BaseException:
            self.delete()
            raise

    def delete(self) -> None:
        """Remove the namespace: its veth (and the host end), bridge and rules go with it."""
        if self.exists():
            subprocess.run(["ip", "netns", "del", self.name], check=False, capture_output=True)
        subprocess.run(["ip", "link", "del", self.host_link], check=False, capture_output=True)


def remove_stale_networks(keep: str | None) -> list[str]:
    """Delete what nodes of runs that are gone left (one node at a time): their network
    namespaces and their cgroup roots (empty once their processes are gone)."""
    removed = []
    netns_dir = Path("/run/netns")
    for path in sorted(netns_dir.glob(f"{NETNS_PREFIX}*")) if netns_dir.is_dir() else []:
        if path.name != keep:
            NodeNetwork(path.name).delete()
            removed.append(path.name)
    for top in sorted(Path("/sys/fs/cgroup").glob(f"*/{NETNS_PREFIX}*")):
        if top.name != keep:
            _remove_cgroup_tree(top)
    return removed


def _remove_cgroup_tree(top: Path) -> None:
    """rmdir a cgroup and its children, deepest first (fails quietly while one is in use)."""
    children = [p for p in top.rglob("*") if p.is_dir()]
    for path in [*sorted(children, key=lambda p: -len(p.parts)), top]:
        with contextlib.suppress(OSError):
            path.rmdir()


@dataclass
class Node:
    """kubelet, containerd, kube-proxy and CoreDNS for ``control_plane``."""

    run_dir: Path
    control_plane: ControlPlane
    network: NodeNetwork
    pause_image: str
    tools: NodeTools = field(default_factory=lambda: node_tools(build=False))

    @property
    def cgroup_root(self) -> str:
        return "/" + self.network.name

    # -- paths ---------------------------------------------------------------------------
    @property
    def containerd_socket(self) -> Path:
        return self.run_dir / "containerd" / "containerd.sock"

    @property
    def _ready_file(self) -> Path:
        return self.run_dir / "init.ready"

    # -- processes -----------------------------------------------------------------------
    @property
    def init(self) -> ManagedProcess:
        return ManagedProcess(
            name="node-init",
            argv=[
                "nsenter",
                f"--net={self.network.path}",
                "unshare",
                "--pid",
                "--fork",
                "--mount",
                "--propagation=private",
                "--mount-proc",
                shutil.which("python3") or "python3",
                "-m",
                "satfeed_dev.nodeinit",
                str(self._ready_file),
            ],
            run_dir=self.run_dir,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
        )

    def _init_pid(self) -> int:
        unshare_pid = self.init.pid
        if unshare_pid is None:
            raise ServiceError(self.init.failure("is not running"))
        children = Path(f"/proc/{unshare_pid}/task/{unshare_pid}/children").read_text().split()
        if not children:
            raise ServiceError(self.init.failure("has no namespace init process"))
        return int(children[0])

    def component(self, name: str, argv: list[str]) -> ManagedProcess:
        """A node process: entered into the node's network, mount and PID namespaces."""
        target = self._init_pid() if self.init.running() else 0
        return ManagedProcess(
            name=name,
            argv=["nsenter", f"--target={target}", "--net", "--mount", "--pid", "--", *argv],
            run_dir=self.run_dir,
        )

    def components(self) -> list[ManagedProcess]:
        """containerd, kubelet, kube-proxy, CoreDNS, kube-router, in start order."""
        config = self.run_dir / "config"
        return [
            self.component("containerd", ["containerd", f"--config={config / 'containerd.toml'}"]),
            self.component(
                "kubelet",
                [
                    str(self.tools.kubelet),
                    f"--config={config / 'kubelet.yaml'}",
                    f"--kubeconfig={self.control_plane.node_kubeconfig('kubelet')}",
                    f"--root-dir={self.run_dir / 'kubelet'}",
                    f"--cert-dir={self.run_dir / 'kubelet' / 'pki'}",
                    f"--hostname-override={NODE_NAME}",
                    f"--node-ip={NODE_IP}",
                    "--v=1",
                ],
            ),
            self.component(
                "kube-proxy",
                [str(self.tools.kube_proxy), f"--config={config / 'kube-proxy.yaml'}", "--v=1"],
            ),
            self.component("coredns", [str(self.tools.coredns), "-conf", str(config / "Corefile")]),
            self.component(
                "kube-router",
                [
                    str(self.tools.kube_router),
                    f"--kubeconfig={self.control_plane.node_kubeconfig('kube-router')}",
                    f"--hostname-override={NODE_NAME}",
                    # The network policy controller only: the bridge CNI, host-local IPAM
                    # and kube-proxy keep doing the rest.
                    "--run-firewall=true",
                    "--run-router=false",
                    "--run-service-proxy=false",
                    "--enable-cni=false",
                    f"--service-cluster-ip-range={SERVICE_SUBNET}",
                    f"--health-port={KUBE_ROUTER_HEALTH_PORT}",
                    "--v=1",
                ],
            ),
        ]

    # -- configuration -------------------------------------------------------------------
    def configure(self) -> None:
        config = self.run_dir / "config"
        config.mkdir(parents=True, exist_ok=True)
        for sub in (
            "containerd/root",
            "containerd/state",
            "cni/net.d",
            "cni/ipam",
            "kubelet",
            "pods-logs",
        ):
            (self.run_dir / sub).mkdir(parents=True, exist_ok=True)
        pki = self.control_plane.pki_dir
        (config / "containerd.toml").write_text(self._containerd_toml())
        (self.run_dir / "cni" / "net.d" / "10-satfeed.conflist").write_text(
            json.dumps(self._cni_conflist(), indent=2)
        )
        (config / "resolv.conf").write_text("# pods resolve through the cluster DNS only\n")
        kubelet = {
            "apiVersion": "kubelet.config.k8s.io/v1beta1",
            "kind": "KubeletConfiguration",
            "address": NODE_IP,
            "port": 10250,
            "readOnlyPort": 0,
            "healthzBindAddress": "127.0.0.1",
            "healthzPort": 10248,
            "authentication": {
                "anonymous": {"enabled": False},
                "webhook": {"enabled": True},
                "x509": {"clientCAFile": str(pki / "ca.crt")},
            },
            "authorization": {"mode": "Webhook"},
            "tlsCertFile": str(pki / "kubelet-serving.crt"),
            "tlsPrivateKeyFile": str(pki / "kubelet-serving.key"),
            "containerRuntimeEndpoint": f"unix://{self.containerd_socket}",
            "cgroupDriver": "cgroupfs",
            "cgroupRoot": self.cgroup_root,
            # This machine mounts cgroup v1 (see the module docstring).
            "failCgroupV1": False,
            "failSwapOn": False,
            "clusterDNS": [NODE_IP],
            "clusterDomain": CLUSTER_DOMAIN,
            "resolvConf": str(config / "resolv.conf"),
            "podLogsDir": str(self.run_dir / "pods-logs"),
            # Images are imported, never pulled: garbage-collecting one would lose it.
            "imageGCHighThresholdPercent": 100,
            "imageGCLowThresholdPercent": 99,
            "evictionHard": {
                "memory.available": "100Mi",
                "nodefs.available": "1%",
                "imagefs.available": "1%",
            },
            "maxPods": 40,
            "serializeImagePulls": False,
            "registerNode": True,
        }
        (config / "kubelet.yaml").write_text(yaml.safe_dump(kubelet))
        kube_proxy = {
            "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
            "kind": "KubeProxyConfiguration",
            "mode": "iptables",
            "clientConnection": {
                "kubeconfig": str(self.control_plane.node_kubeconfig("kube-proxy"))
            },
            "hostnameOverride": NODE_NAME,
            "bindAddress": NODE_IP,
            "clusterCIDR": POD_SUBNET,
            "healthzBindAddress": f"{NODE_IP}:10256",
            "metricsBindAddress": "127.0.0.1:10249",
            # The conntrack table is the host kernel's; leave its sysctls alone.
            "conntrack": {
                "maxPerCore": 0,
                "min": 0,
                "tcpEstablishedTimeout": "0s",
                "tcpCloseWaitTimeout": "0s",
            },
        }
        (config / "kube-proxy.yaml").write_text(yaml.safe_dump(kube_proxy))
        (config / "Corefile").write_text(
            f""".:53 {{
    bind {NODE_IP}
    errors
    ready {NODE_IP}:8181
    kubernetes {CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {{
        kubeconfig {self.control_plane.node_kubeconfig("coredns")}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }}
    cache 5
}}
"""
        )

    def _containerd_toml(self) -> str:
        root = self.run_dir / "containerd"
        return f"""version = 2
root = "{root / "root"}"
state = "{root / "state"}"
# Only what the CRI plugin needs; no other snapshotters probing the disks.
disabled_plugins = [
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.tracing.processor.v1.otlp",
]

[grpc]
  address = "{self.containerd_socket}"

[ttrpc]
  address = "{self.containerd_socket}.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "{root / "opt"}"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{self.pause_image}"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  # Root here lacks CAP_SYS_RESOURCE, so no process may lower its oom_score_adj: keep
  # sandboxes and containers at containerd's own score instead of Kubernetes' -998.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{CNI_BIN_DIR}"
    conf_dir = "{self.run_dir / "cni" / "net.d"}"
"""

    def _cni_conflist(self) -> dict[str, object]:
        return {
            "cniVersion": "1.0.0",
            "name": "satfeed",
            "plugins": [
                {
                    "type": "bridge",
                    "bridge": "cni0",
                    "isGateway": True,
                    "ipMasq": True,
                    "hairpinMode": True,
                    "ipam": {
                        "type": "host-local",
                        "ranges": [[{"subnet": POD_SUBNET, "gateway": POD_GATEWAY}]],
                        "routes": [{"dst": "0.0.0.0/0"}],
                        "dataDir": str(self.run_dir / "cni" / "ipam"),
                    },
                },
                {"type": "portmap", "capabilities": {"portMappings": True}},
            ],
        }

    # -- cgroups -------------------------------------------------------------------------
    def _cgroup_dirs(self) -> list[Path]:
        base = Path("/sys/fs/cgroup")
        mounts = [p for p in base.iterdir() if p.is_dir() and p.name != "unified"]
        return [m / self.cgroup_root.lstrip("/") for m in mounts]

    def _create_cgroup_root(self) -> None:
        for path in self._cgroup_dirs():
            path.mkdir(exist_ok=True)
            # A new v1 cpuset starts with no CPUs or memory nodes: inherit the parent's.
            for name in ("cpuset.cpus", "cpuset.mems"):
                if (path / name).exists() and not (path / name).read_text().strip():
                    (path / name).write_text((path.parent / name).read_text())

    def _remove_cgroup_root(self) -> None:
        for top in self._cgroup_dirs():
            if top.exists():
                _remove_cgroup_tree(top)

    # -- lifecycle -----------------------------------------------------------------------
    def ctr(self, *args: str, timeout: float = 300) -> str:
        proc = subprocess.run(
            ["ctr", f"--address={self.containerd_socket}", "--namespace=k8s.io", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if proc.returncode != 0:
            raise ServiceError(f"ctr {' '.join(args)} failed: {proc.stderr.strip()}")
        return proc.stdout

    def import_images(self, archives: list[Path]) -> None:
        for archive in archives:
            self.ctr("images", "import", str(archive))

    def start(self, images: list[Path], timeout: float = 180) -> None:
        """Start the node with ``images`` (OCI/Docker archives) imported into containerd."""
        check_node_prerequisites()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.configure()
        try:
            self._create_cgroup_root()
            self._ready_file.unlink(missing_ok=True)
            init = self.init
            init.start()
            init.wait_until(self._ready_file.exists, 30, "did not set up its namespaces")
            containerd, kubelet, kube_proxy, coredns, kube_router = self.components()
            containerd.start()
            containerd.wait_until(
                lambda: bool(self.ctr("version", timeout=5)), 60, "did not answer"
            )
            self.import_images([*images])
            kubelet.start()
            kubelet.wait_until(self._node_ready, timeout, "did not report the node Ready")
            kube_proxy.start()
            kube_proxy.wait_until(
                lambda: http_ok(f"http://{NODE_IP}:10256/healthz"), 60, "did not become healthy"
            )
            coredns.start()
            coredns.wait_until(
                lambda: http_ok(f"http://{NODE_IP}:8181/ready"), 60, "did not become ready"
            )
            # CoreDNS is not a pod here: its stand-in makes policies' DNS rules reach it.
            stand_in_pod(
                self.control_plane,
                "coredns-testbed",
                "kube-system",
                {"k8s-app": "kube-dns"},
                NODE_IP,
            )
            kube_router.start()
            kube_router.wait_until(
                lambda: http_ok(f"http://{NODE_IP}:{KUBE_ROUTER_HEALTH_PORT}/healthz"),
                60,
                "did not become healthy",
            )
        except BaseException:
            self.stop()
            raise

    def _node_ready(self) -> bool:
        node = self.control_plane.get_json("get", "node", NODE_NAME)
        return any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in node.get("status", {}).get("conditions", [])
        )

    def stop(self) -> None:
        """Stop everything the node started; idempotent."""
        for process in reversed(self.components()):
            process.stop(timeout=15)
        self.init.stop(timeout=15)
        self._remove_cgroup_root()

    def running(self) -> bool:
        return self.init.running() and all(p.running() for p in self.components())

    def memory_bytes(self) -> int:
        """Resident memory of every process on the node: its components, shims and pods."""
        node_pid_ns = os.readlink(f"/proc/{self._init_pid()}/ns/pid")
        total = 0
        for entry in Path("/proc").iterdir():
            with contextlib.suppress(OSError, ValueError):
                if entry.name.isdigit() and _on_node(int(entry.name), node_pid_ns):
                    for line in (entry / "status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1]) * 1024
        return total

    def logs(self) -> str:
        """The last lines of every node component's log, for failure messages."""
        parts = []
        for name in ("node-init", "containerd", "kubelet", "kube-proxy", "coredns", "kube-router"):
            path = self.run_dir / f"{name}.log"
            if path.exists():
                parts.append(f"--- {name} ({path})\n{log_tail(path)}")
        return "\n".join(parts)

    def filter_rules(self) -> str:
        """The node's iptables filter table (kube-proxy's and kube-router's rules)."""
        proc = subprocess.run(
            ["ip", "netns", "exec", self.network.name, "iptables-save", "-t", "filter"],
            capture_output=True,
            text=True,
            check=True,
        )
        return proc.stdout

    def enforces_policies_for(self, namespace: str, pod: str) -> bool:
        """Whether kube-router has made the firewall chain of a pod on this node (every
        pod's traffic passes it, whether or not a policy selects the pod)."""
        return f"traffic from POD name:{pod} namespace: {namespace} " in self.filter_rules()

    def forget_connections(self, ip: str) -> None:
        """Drop the node's conntrack entries of ``ip``'s connections: the next packet of
        each is filtered afresh (policies let established connections through)."""
        for direction in ("--orig-src", "--orig-dst"):
            subprocess.run(
                ["ip", "netns", "exec", self.network.name, "conntrack", "-D", direction, ip],
                capture_output=True,
                check=False,  # exit 1 when there is none
            )


def stand_in_pod(
    kube: ControlPlane, name: str, namespace: str, labels: dict[str, str], ip: str
) -> None:
    """A Pod object standing in for a service that is not a pod in the test bed: running,
    with ``labels`` and the address ``ip`` where the service answers, never scheduled
    (no scheduler has its scheduler name) and so never run by a kubelet. Network
    policy controllers take its address as a pod's with those labels."""
    # A pod is admitted only once its namespace's default ServiceAccount exists.
    wait_for(
        lambda: kube.kubectl("get", "serviceaccount", "default", "-n", namespace).returncode == 0,
        60,
        f"the default ServiceAccount of {namespace}",
    )
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": {**labels, STAND_IN_LABEL: "true"},
            },
            "spec": {
                "schedulerName": STAND_IN_SCHEDULER,
                "automountServiceAccountToken": False,
                "containers": [{"name": "stand-in", "image": "satfeed-testbed/stand-in"}],
            },
        }
    )
    status = {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]}
    kube.kubectl_ok(
        "patch",
        "pod",
        name,
        "-n",
        namespace,
        "--subresource=status",
        "--type=merge",
        "-p",
        json.dumps({"status": status}),
    )


def _on_node(pid: int, node_pid_ns: str) -> bool:
    """Whether ``pid`` or an ancestor is in the node's PID namespace (containers have
    namespaces of their own, nested in the node's)."""
    while pid > 1:
        if os.readlink(f"/proc/{pid}/ns/pid") == node_pid_ns:
            return True
        pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    return False
