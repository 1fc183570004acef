"""The charts' NetworkPolicies: accepted by the real apiserver, selecting exactly the pods
they are for, and letting through only the ports docs/operations.md lists.

What is checked here is the policy as written and as the apiserver stores it; that the
packets obey them is tests/node/test_node_network_policies.py's (the node enforces them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from satfeed_dev.testbed import TestBed

from scripts.render_manifests import producer_objects
from tests.integration.deploy.test_charts import FRONTEND, OPERATOR, helm, render

pytestmark = pytest.mark.integration

DNS = {(53, "UDP"), (53, "TCP")}
API_SERVER = {(443, "TCP"), (6443, "TCP"), (8443, "TCP")}
KAFKA = {(9092, "TCP"), (9093, "TCP")}
CELESTRAK = {(443, "TCP")}


def _one(manifests: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    (found,) = [doc for doc in manifests if doc["kind"] == kind]
    return found


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert set(selector) == {"matchLabels"}, selector  # no expressions in these charts
    return all(labels.get(key) == value for key, value in selector["matchLabels"].items())


def _pod_templates(manifests: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every pod the chart makes, by name: Deployments' templates and bare Pods (helm test)."""
    pods = {}
    for doc in manifests:
        if doc["kind"] == "Deployment":
            pods[doc["metadata"]["name"]] = doc["spec"]["template"]
        elif doc["kind"] == "Pod":
            pods[doc["metadata"]["name"]] = doc
    return pods


def _ports(rule: dict[str, Any], container: dict[str, Any]) -> set[tuple[int, str]]:
    """A rule's (port, protocol) pairs, named ports resolved against the container's. A rule
    without ports would allow every port: no rule here may lack them."""
    assert rule.get("ports"), f"a rule that allows every port: {rule}"
    named = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    return {
        (named[p["port"]] if isinstance(p["port"], str) else p["port"], p["protocol"])
        for p in rule["ports"]
    }


def _dry_run(testbed: TestBed, namespace: str, manifests: list[dict[str, Any]]) -> dict[str, Any]:
    """The NetworkPolicy as the apiserver would store it, after applying the whole chart."""
    out = testbed.kube.kubectl_ok(
        "apply", "--dry-run=server", "-n", namespace, "-o", "json", "-f", "-",
        stdin=yaml.safe_dump_all(manifests),
    )  # fmt: skip
    answer = json.loads(out)
    items = answer["items"] if answer.get("kind") == "List" else [answer]
    return _one(items, "NetworkPolicy")


def test_frontend_policy_admits_only_its_http_port_and_reaches_only_dns_api_and_kafka(
    testbed: TestBed, namespace: str
) -> None:
    manifests = render(testbed, FRONTEND, namespace)
    policy = _dry_run(testbed, namespace, manifests)
    assert policy["metadata"]["name"] == "sat-satfeed-frontend"
    spec = policy["spec"]
    assert sorted(spec["policyTypes"]) == ["Egress", "Ingress"]  # both directions deny-by-default

    pods = _pod_templates(manifests)
    selected = {
        name
        for name, pod in pods.items()
        if _selects(spec["podSelector"], pod["metadata"]["labels"])
    }
    # The frontend's pods, not the helm test pod (the policy would cut it off from the Service).
    assert selected == {"sat-satfeed-frontend"}
    (container,) = pods["sat-satfeed-frontend"]["spec"]["containers"]

    (ingress,) = spec["ingress"]
    assert "from" not in ingress  # browsers, an ingress controller, Prometheus: any source
    assert _ports(ingress, container) == {(8050, "TCP")}

    dns, api, kafka = spec["egress"]
    assert _ports(dns, container) == DNS
    assert dns["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ]
    assert _ports(api, container) == API_SERVER
    assert api["to"] == [{"ipBlock": {"cidr": "0.0.0.0/0"}}]
    assert _ports(kafka, container) == KAFKA
    assert kafka["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
            "podSelector": {
                "matchLabels": {"strimzi.io/cluster": "satfeed", "strimzi.io/kind": "Kafka"}
            },
        }
    ]


def test_operator_policy_admits_only_health_and_metrics_and_reaches_the_elements_source(
    testbed: TestBed, namespace: str
) -> None:
    testbed.kube.kubectl_ok("apply", "--server-side", "-f", str(OPERATOR / "crds"))
    manifests = render(testbed, OPERATOR, namespace)
    policy = _dry_run(testbed, namespace, manifests)
    spec = policy["spec"]
    assert sorted(spec["policyTypes"]) == ["Egress", "Ingress"]
    pods = _pod_templates(manifests)
    assert {
        n for n, p in pods.items() if _selects(spec["podSelector"], p["metadata"]["labels"])
    } == {"sat-satfeed-operator"}
    # The producers it creates are someone else's policy's: this one must not cut them off.
    producers = [each for each in producer_objects() if each["kind"] == "Deployment"]
    for producer in producers:
        assert not _selects(spec["podSelector"], producer["spec"]["template"]["metadata"]["labels"])
    (container,) = pods["sat-satfeed-operator"]["spec"]["containers"]

    (ingress,) = spec["ingress"]
    assert "from" not in ingress
    assert _ports(ingress, container) == {(8080, "TCP"), (8081, "TCP")}  # health, metrics

    dns, api, kafka, elements = spec["egress"]
    assert _ports(dns, container) == DNS
    assert _ports(api, container) == API_SERVER
    assert _ports(kafka, container) == KAFKA
    assert kafka["to"][0]["podSelector"]["matchLabels"]["strimzi.io/cluster"] == "satfeed"
    assert _ports(elements, container) == CELESTRAK
    assert "to" not in elements  # CelesTrak's addresses are not fixed: narrowed by a value


def test_policy_values_narrow_and_extend_the_rules(testbed: TestBed, namespace: str) -> None:
    """A user's narrowing and extra rules reach the policy, and the apiserver takes them."""
    testbed.kube.kubectl_ok("apply", "--server-side", "-f", str(OPERATOR / "crds"))
    extra = [{"to": [{"ipBlock": {"cidr": "10.9.0.0/16"}}], "ports": [{"port": 9094}]}]
    manifests = render(
        testbed, OPERATOR, namespace,
        "--set", "celestrak.url=http://gp-mirror.elements.svc:8080",
        "--set-json", 'networkPolicy.elementsSource.cidrs=["10.96.0.0/12"]',
        "--set-json", 'networkPolicy.apiServer.cidrs=["172.18.0.2/32"]',
        "--set-json", "networkPolicy.apiServer.ports=[6443]",
        "--set", "networkPolicy.kafka.namespace=kafka",
        "--set", "metrics.port=0",
        "--set-json", f"networkPolicy.extraEgress={json.dumps(extra)}",
    )  # fmt: skip
    spec = _dry_run(testbed, namespace, manifests)["spec"]
    (ingress,) = spec["ingress"]
    assert [p["port"] for p in ingress["ports"]] == ["health"]  # no metrics port, no rule for it
    _dns, api, kafka, elements, added = spec["egress"]
    assert api["to"] == [{"ipBlock": {"cidr": "172.18.0.2/32"}}]
    assert [p["port"] for p in api["ports"]] == [6443]
    assert kafka["to"][0]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "kafka"
    }
    assert elements == {
        "ports": [{"port": 8080, "protocol": "TCP"}],
        "to": [{"ipBlock": {"cidr": "10.96.0.0/12"}}],
    }
    assert added["to"] == extra[0]["to"]


@pytest.mark.parametrize("chart", [FRONTEND, OPERATOR], ids=lambda p: p.name)
def test_policy_can_be_turned_off(testbed: TestBed, chart: Path) -> None:
    manifests = render(testbed, chart, "satfeed", "--set", "networkPolicy.enabled=false")
    assert not [doc for doc in manifests if doc["kind"] == "NetworkPolicy"]


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("networkPolicy.apiServer.cidrs[0]=anywhere", "/networkPolicy/apiServer/cidrs/0"),
        ("networkPolicy.kafka.ports[0]=70000", "/networkPolicy/kafka/ports/0"),
        ("networkPolicy.egress=[]", "egress"),
    ],
)
def test_policy_values_are_checked(testbed: TestBed, value: str, complaint: str) -> None:
    proc = helm(testbed, "template", "sat", str(FRONTEND), "--set", value)
    assert proc.returncode != 0
    assert complaint in proc.stderr
