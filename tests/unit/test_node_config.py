"""The node's configuration files, as its components read them (no node started)."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import pytest
import yaml
from satfeed_dev.kube import ControlPlane
from satfeed_dev.node import (
    NODE_IP,
    POD_SUBNET,
    Node,
    NodeNetwork,
    NodeUnavailable,
    check_node_prerequisites,
)
from satfeed_dev.toolchain import GoTools, NodeTools


@pytest.fixture
def node(tmp_path: Path) -> Node:
    fake = tmp_path / "bin" / "absent"
    kube = ControlPlane(tmp_path / "kube", tools=GoTools(fake, fake, fake, fake, fake, fake, fake))
    node = Node(
        tmp_path / "node",
        kube,
        NodeNetwork("satfeed-node-test"),
        "localhost/satfeed-pause:v1.36.3",
        tools=NodeTools(fake, fake, fake, fake, fake, fake),
    )
    node.configure()
    return node


def test_kubelet_runs_on_cgroup_v1_with_cgroupfs_and_the_cluster_dns(node: Node) -> None:
    config = yaml.safe_load((node.run_dir / "config" / "kubelet.yaml").read_text())
    assert config["failCgroupV1"] is False  # kubelet 1.35+ refuses cgroup v1 otherwise
    assert config["cgroupDriver"] == "cgroupfs"
    assert config["cgroupRoot"] == "/satfeed-node-test"
    assert config["clusterDNS"] == [NODE_IP]
    assert config["authentication"]["anonymous"]["enabled"] is False
    assert config["authorization"]["mode"] == "Webhook"
    assert config["readOnlyPort"] == 0
    # Imported images cannot be pulled again: never garbage-collect them.
    assert config["imageGCHighThresholdPercent"] == 100
    assert config["containerRuntimeEndpoint"] == f"unix://{node.containerd_socket}"


def test_containerd_keeps_its_state_in_the_run_and_never_lowers_oom_scores(node: Node) -> None:
    config = tomllib.loads((node.run_dir / "config" / "containerd.toml").read_text())
    assert config["root"].startswith(str(node.run_dir))
    assert config["state"].startswith(str(node.run_dir))
    assert config["grpc"]["address"] == str(node.containerd_socket)
    cri = config["plugins"]["io.containerd.grpc.v1.cri"]
    assert cri["restrict_oom_score_adj"] is True
    assert cri["sandbox_image"] == "localhost/satfeed-pause:v1.36.3"
    assert cri["cni"]["conf_dir"].startswith(str(node.run_dir))
    runc = cri["containerd"]["runtimes"]["runc"]
    assert runc["options"]["SystemdCgroup"] is False


def test_pods_get_addresses_from_the_pod_subnet_through_the_bridge(node: Node) -> None:
    (conflist,) = (node.run_dir / "cni" / "net.d").glob("*.conflist")
    config = json.loads(conflist.read_text())
    bridge = config["plugins"][0]
    assert bridge["type"] == "bridge"
    assert bridge["isGateway"] is True
    assert bridge["ipam"]["ranges"] == [[{"subnet": POD_SUBNET, "gateway": "10.234.0.1"}]]
    assert bridge["ipam"]["dataDir"].startswith(str(node.run_dir))


def test_kube_proxy_and_coredns_serve_on_the_node_address(node: Node) -> None:
    proxy = yaml.safe_load((node.run_dir / "config" / "kube-proxy.yaml").read_text())
    assert proxy["mode"] == "iptables"
    assert proxy["clusterCIDR"] == POD_SUBNET
    assert proxy["conntrack"]["maxPerCore"] == 0  # the host's conntrack sysctls stay as they are
    corefile = (node.run_dir / "config" / "Corefile").read_text()
    assert f"bind {NODE_IP}" in corefile
    assert "kubernetes cluster.local" in corefile


def test_kube_router_runs_only_its_network_policy_controller_in_the_node(node: Node) -> None:
    (kube_router,) = [p for p in node.components() if p.name == "kube-router"]
    argv = list(kube_router.argv)
    assert argv[:2] == ["nsenter", "--target=0"]  # the node's namespaces once it runs
    assert {"--net", "--mount", "--pid"} <= set(argv)
    for flag in (
        "--run-firewall=true",
        "--run-router=false",
        "--run-service-proxy=false",
        "--enable-cni=false",
        "--hostname-override=satfeed-node",
        "--service-cluster-ip-range=10.96.0.0/16",
    ):
        assert flag in argv


def test_a_missing_runtime_is_named_with_the_package_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if os.geteuid() != 0:
        pytest.skip("the check asks for root first")
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on PATH
    with pytest.raises(NodeUnavailable) as failure:
        check_node_prerequisites()
    assert "'containerd' (apt-get install containerd)" in str(failure.value)
    assert "'runc' (apt-get install runc)" in str(failure.value)
