"""The operator crashing, being absent, or serving the whole cluster."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml
from satfeed_dev.operator_bed import (
    OperatorProcess,
    assert_no_rbac_refusal,
    condition,
    example,
    get,
    grant_clusterwide,
    renamed,
    revoke_clusterwide,
    wait_condition,
)
from satfeed_dev.testbed import TestBed
from satfeed_dev.waiting import wait_for

from tests.integration.operator.conftest import StartOperator

pytestmark = pytest.mark.integration

SATELLITE_LABEL = "satfeed.io/satellite"


def owners_of(testbed: TestBed, kind: str, namespace: str) -> Counter[str]:
    """How many objects of ``kind`` each Satellite owns."""
    items = testbed.kube.get_json("get", kind, "-n", namespace, "-l", SATELLITE_LABEL)["items"]
    return Counter(item["metadata"]["labels"][SATELLITE_LABEL] for item in items)


def test_a_killed_operator_converges_with_one_of_each_child(
    testbed: TestBed, namespace: str, start_operator: StartOperator
) -> None:
    kube = testbed.kube
    names = [f"sat-{index:02d}" for index in range(20)]
    operator = start_operator()
    kube.apply(yaml.safe_dump_all([renamed(example("terra", namespace), name) for name in names]))
    wait_for(
        lambda: owners_of(testbed, "deployments", namespace),
        30,
        "the first producer",
        interval=0.05,
    )
    operator.kill()  # part-way: the 20 take a few seconds

    start_operator()
    for name in names:
        wait_condition(kube, namespace, name, "TopicReady", "True", timeout=60)
    expected = Counter(dict.fromkeys(names, 1))
    for kind in ("kafkatopics", "configmaps", "deployments"):
        assert owners_of(testbed, kind, namespace) == expected, kind
    # One pod template each: nothing was rolled twice by the restart.
    assert owners_of(testbed, "replicasets", namespace) == expected


def test_deleting_needs_no_operator(
    testbed: TestBed, namespace: str, operator: OperatorProcess
) -> None:
    kube = testbed.kube
    kube.apply(example("terra", namespace))
    wait_condition(kube, namespace, "terra", "TopicReady", "True")
    operator.stop()

    kube.kubectl_ok("delete", "satellite", "terra", "-n", namespace, "--timeout=10s")
    wait_for(
        lambda: (
            not any(
                get(kube, kind, namespace, name)
                for kind, name in (
                    ("kafkatopic", "terra"),
                    ("configmap", "terra-elements"),
                    ("deployment", "terra-producer"),
                )
            )
        ),
        60,
        "the garbage collector to delete the children without the operator",
    )


def test_cluster_wide_with_the_cluster_role(
    testbed: TestBed,
    satellite_crd: None,
    namespace: str,
    other_namespace: str,
    run_root: Path,
) -> None:
    kube = testbed.kube
    kubeconfig = grant_clusterwide(kube, namespace)
    operator = OperatorProcess(testbed, run_root / "operator" / "cluster-wide", kubeconfig, ())
    try:
        operator.start()
        kube.apply(example("aqua", namespace))
        kube.apply(example("aura", other_namespace))
        for ns, name in ((namespace, "aqua"), (other_namespace, "aura")):
            satellite = wait_condition(kube, ns, name, "TopicReady", "True")
            assert condition(satellite, "ElementsValid") is not None
    finally:
        operator.stop()
        revoke_clusterwide(kube, namespace)
    assert_no_rbac_refusal(operator)
