"""The children as the builders make them: the contracts with Strimzi, the producer and the
frontend, and the pod's security settings."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from satfeed_operator.api import Satellite, parse_satellite
from satfeed_operator.config import OperatorConfig, parse_config
from satfeed_operator.objects import (
    ProducerPlan,
    already_applied,
    build_configmap,
    build_deployment,
    build_kafkatopic,
)

LINE1 = "1 25994U 99068A   26234.60019697  .00000275  00000+0  64813-4 0  9995"
LINE2 = "2 25994  97.9406 281.4964 0003021  47.3925 112.8934 14.61146993419305"


def satellite(**spec: Any) -> Satellite:
    return parse_satellite(
        {
            "metadata": {"name": "terra", "namespace": "eo", "uid": "uid-1", "generation": 3},
            "spec": {"elements": {"tle": {"line1": LINE1, "line2": LINE2}}, **spec},
        }
    )


@pytest.fixture
def config() -> OperatorConfig:
    return parse_config(
        [], {"SATFEED_KAFKA_CLUSTER": "prod", "KAFKA_BOOTSTRAP_SERVERS": "kafka:9092"}
    )


def plan(**changes: Any) -> ProducerPlan:
    values: dict[str, Any] = {
        "topic_name": "satfeed.positions.eo.terra",
        "bootstrap_servers": "kafka:9092",
        "display_name": "TERRA",
        "norad_id": 25994,
        "elements_text": f"{LINE1}\n{LINE2}\n",
    }
    return ProducerPlan(**{**values, **changes})


def env(deployment: dict[str, Any]) -> dict[str, str]:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {item["name"]: item["value"] for item in container["env"]}


def checksum(deployment: dict[str, Any]) -> str:
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    return str(annotations["satfeed.io/producer-checksum"])


def test_every_child_is_owned_labelled_and_named(config: OperatorConfig) -> None:
    sat = satellite()
    for child in (
        build_kafkatopic(sat, "t", "prod", "TERRA", None),
        build_configmap(sat, "elements", "TERRA"),
        build_deployment(sat, plan(), 1, config),
    ):
        metadata = child["metadata"]
        assert metadata["namespace"] == "eo"
        assert metadata["labels"]["app.kubernetes.io/part-of"] == "satfeed"
        assert metadata["labels"]["satfeed.io/satellite"] == "terra"
        assert metadata["annotations"]["satfeed.io/display-name"] == "TERRA"
        assert metadata["ownerReferences"] == [
            {
                "apiVersion": "satfeed.io/v1alpha1",
                "kind": "Satellite",
                "name": "terra",
                "uid": "uid-1",
                "controller": True,
            }
        ]


def test_the_kafkatopic_is_what_strimzi_and_the_frontend_look_for() -> None:
    topic = build_kafkatopic(
        satellite(topic={"partitions": 3, "retention": "6h"}), "positions", "prod", "TERRA", 3
    )
    assert topic["apiVersion"] == "kafka.strimzi.io/v1"
    assert topic["metadata"]["name"] == "terra"
    assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "prod"
    assert topic["metadata"]["labels"]["satfeed.io/stream"] == "positions"
    assert topic["spec"] == {
        "topicName": "positions",
        "partitions": 3,
        "replicas": 3,
        "config": {"retention.ms": 6 * 3_600_000, "cleanup.policy": "delete"},
    }


def test_replicas_default_to_the_cluster_unless_configured() -> None:
    assert "replicas" not in build_kafkatopic(satellite(), "t", "c", "d", None)["spec"]
    assert (
        build_kafkatopic(satellite(topic={"replicas": 2}), "t", "c", "d", 3)["spec"]["replicas"]
        == 2
    )


def test_the_producer_env_is_the_contract(config: OperatorConfig) -> None:
    deployment = build_deployment(satellite(intervalSeconds=0.5), plan(), 1, config)
    assert env(deployment) == {
        "KAFKA_BOOTSTRAP_SERVERS": "kafka:9092",
        "SATFEED_TOPIC": "satfeed.positions.eo.terra",
        "SATFEED_SATELLITE_ID": "terra",
        "SATFEED_DISPLAY_NAME": "TERRA",
        "SATFEED_NORAD_ID": "25994",
        "SATFEED_ELEMENTS_FILE": "/etc/satfeed/elements/elements",
        "SATFEED_INTERVAL": "0.5",
        "SATFEED_BACKFILL": "180",
        "SATFEED_HTTP_PORT": "8080",
        "SATFEED_LOG_FORMAT": "json",
    }
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["command"] == ["satfeed-producer"]
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert {"name": "elements", "mountPath": "/etc/satfeed/elements", "readOnly": True} in (
        container["volumeMounts"]
    )
    assert {"name": "elements", "configMap": {"name": "terra-elements"}} in pod["volumes"]


def test_the_producer_pod_is_locked_down(config: OperatorConfig) -> None:
    pod = build_deployment(satellite(), plan(), 1, config)["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["automountServiceAccountToken"] is False
    assert {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}} in pod["volumes"]
    # The producer flushes for up to 10 s on SIGTERM: the grace period leaves room for it.
    assert pod["terminationGracePeriodSeconds"] >= 15
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}


def test_resources_come_from_the_spec_else_the_operator(config: OperatorConfig) -> None:
    container = build_deployment(satellite(), plan(), 1, config)["spec"]["template"]["spec"][
        "containers"
    ][0]
    assert container["resources"] == config.producer_resources
    custom = {"requests": {"cpu": "10m"}, "limits": {"memory": "1Gi"}}
    container = build_deployment(satellite(producer={"resources": custom}), plan(), 1, config)[
        "spec"
    ]["template"]["spec"]["containers"][0]
    assert container["resources"] == custom


def test_the_checksum_rolls_the_pod_on_elements_and_spec_changes(config: OperatorConfig) -> None:
    base = checksum(build_deployment(satellite(), plan(), 1, config))
    assert checksum(build_deployment(satellite(), plan(), 1, config)) == base
    assert checksum(build_deployment(satellite(), plan(elements_text="new"), 1, config)) != base
    assert checksum(build_deployment(satellite(intervalSeconds=2), plan(), 1, config)) != base
    # Scaling is not a change of the pod.
    assert checksum(build_deployment(satellite(), plan(), 0, config)) == base


def test_one_producer_at_a_time(config: OperatorConfig) -> None:
    spec = build_deployment(satellite(), plan(), 0, config)["spec"]
    assert spec["replicas"] == 0
    # Two producers of one satellite would publish every sample twice.
    assert spec["strategy"] == {"type": "Recreate"}
    assert spec["selector"]["matchLabels"] == {
        "satfeed.io/satellite": "terra",
        "app.kubernetes.io/component": "producer",
    }


def test_an_apply_that_would_change_nothing_is_recognised(config: OperatorConfig) -> None:
    desired = build_deployment(satellite(), plan(), 1, config)
    live = copy.deepcopy(desired)
    # What the apiserver adds (defaults, status, bookkeeping) does not count...
    live["metadata"]["resourceVersion"] = "42"
    live["spec"]["progressDeadlineSeconds"] = 600
    live["spec"]["template"]["spec"]["containers"][0]["terminationMessagePath"] = "/dev/x"
    live["status"] = {"availableReplicas": 0}
    assert already_applied(desired, live)
    # ...a changed or missing field of the operator's does.
    edited = copy.deepcopy(live)
    edited["spec"]["template"]["spec"]["containers"][0]["env"][6]["value"] = "60"
    assert not already_applied(desired, edited)
    del edited["spec"]["template"]["spec"]["containers"][0]["env"][6]
    assert not already_applied(desired, edited)
    unlabelled = copy.deepcopy(live)
    del unlabelled["metadata"]["labels"]["satfeed.io/satellite"]
    assert not already_applied(desired, unlabelled)
