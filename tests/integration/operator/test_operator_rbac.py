"""The chart's RBAC rules are exactly what the operator needs.

A missing permission fails every other test of the operator (their teardown looks for
refusals in its log). Here each granted verb is taken away in turn, and the operator must
then be refused something while it handles an ordinary Satellite and a SatelliteGroup that
shrinks (its shards past the new count and its element chunks past the new members are
deleted): a verb it can do without is one the chart should not grant.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from satfeed_dev.catalogue import catalogue_configmaps
from satfeed_dev.kafka_users import operator_env
from satfeed_dev.operator_bed import (
    SERVICE_ACCOUNT,
    OperatorProcess,
    example,
    grant_namespaced,
    rbac_rules,
    refusals,
    with_spec,
)
from satfeed_dev.sample_data import tle_file
from satfeed_dev.testbed import TestBed
from satfeed_dev.waiting import wait_for

pytestmark = pytest.mark.integration


def _each_verb() -> list[tuple[int, str]]:
    return [(index, verb) for index, rule in enumerate(rbac_rules()) for verb in rule["verbs"]]


def _describe(case: tuple[int, str]) -> str:
    index, verb = case
    rule = rbac_rules()[index]
    groups = ",".join(group or "core" for group in rule["apiGroups"])
    return f"{verb}-{'+'.join(rule['resources'])}.{groups}"


def group(namespace: str, **spec: Any) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "satfeed.io/v1alpha1",
            "kind": "SatelliteGroup",
            "metadata": {"name": "part", "namespace": namespace},
            "spec": spec,
        }
    )


def without(index: int, verb: str) -> list[dict[str, Any]]:
    rules = copy.deepcopy(rbac_rules())
    rules[index]["verbs"].remove(verb)
    return [rule for rule in rules if rule["verbs"]]


@pytest.mark.parametrize("case", _each_verb(), ids=_describe)
def test_every_granted_verb_is_needed(
    testbed: TestBed, satellite_crd: None, namespace: str, run_root: Any, case: tuple[int, str]
) -> None:
    kube = testbed.kube
    kubeconfig = grant_namespaced(kube, namespace)
    kube.apply(
        yaml.safe_dump(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": {"name": SERVICE_ACCOUNT, "namespace": namespace},
                "rules": without(*case),
            }
        )
    )
    run_dir = run_root / "operator" / f"rbac-{_describe(case)}"
    run_dir.mkdir(parents=True)
    # With an authenticating Kafka, so that the producers' KafkaUsers are made too.
    secured = operator_env(testbed, namespace, run_dir, publishes=False)
    operator = OperatorProcess(
        testbed,
        run_dir,
        kubeconfig,
        (namespace,),
        {"SATFEED_RESHARD_LEAD_SECONDS": "1", **secured},
    )
    try:
        operator.start()
        # Creating, pausing (an event) and tampering with a child (restoring it), then a
        # group shrinking, use every permission the chart grants.
        kube.apply(with_spec(example("terra", namespace), paused=True))
        kube.kubectl("delete", "configmap", "terra-elements", "-n", namespace, "--wait=false")
        sources = catalogue_configmaps(tle_file("catalog-large.tle"), "part", namespace)[:2]
        for configmap in sources:
            kube.apply(configmap)
        refs = [{"name": each["metadata"]["name"]} for each in sources]
        kube.apply(group(namespace, source={"configMaps": refs}, shards=2))

        def group_built() -> bool:
            found = kube.get_json("get", "satellitegroup", "part", "-n", namespace)
            shards = kube.get_json(
                "get", "deployments", "-n", namespace, "-l", "satfeed.io/satellite-group=part"
            )["items"]
            # Both shards exist (made once the group's KafkaUser is Ready), so that the
            # shrink below has one to delete.
            chunks = (found.get("status") or {}).get("elements", {}).get("chunks")
            return bool(chunks == 2 and len(shards) == 2)

        wait_for(
            lambda: refusals(operator) or group_built(), 90, "the group in two chunks, two shards"
        )
        kube.apply(
            group(namespace, source={"configMaps": refs}, shards=1, members={"noradIds": [25994]})
        )
        wait_for(
            lambda: refusals(operator),
            20,
            f"a refusal without {_describe(case)} (if none comes, the chart grants it needlessly)",
        )
    finally:
        operator.stop()
