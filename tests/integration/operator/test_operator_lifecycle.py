"""A Satellite's life as a user sees it: apply, change, pause, tamper with, delete.

The test bed has no node, so producer pods are created but never run: ProducerReady stays
False ("Unavailable") and so does Ready; everything before the pod is checked for real.
"""

from __future__ import annotations

from typing import Any

import pytest
from satfeed_core.labels import (
    PART_OF_KEY,
    PART_OF_VALUE,
    POSITIONS_STREAM,
    SATELLITE_KEY,
    STREAM_KEY,
    STRIMZI_CLUSTER_KEY,
)
from satfeed_dev.operator_bed import (
    OperatorProcess,
    condition,
    env_of,
    example,
    get,
    wait_condition,
    with_spec,
)
from satfeed_dev.testbed import KAFKA_CLUSTER, TestBed
from satfeed_dev.tle_edit import shifted_epoch
from satfeed_dev.waiting import wait_for

pytestmark = pytest.mark.integration

EXAMPLES = {"terra": (25994, "TERRA"), "aqua": (27424, "AQUA"), "aura": (28376, "AURA")}
NOTICED_S = 15
"""How soon a referenced ConfigMap's creation, change or deletion must show: far below the
60 s retry, which would otherwise be the first to notice."""


def children(testbed: TestBed, namespace: str, name: str) -> dict[str, dict[str, Any] | None]:
    kube = testbed.kube
    return {
        "kafkatopic": get(kube, "kafkatopic", namespace, name),
        "configmap": get(kube, "configmap", namespace, f"{name}-elements"),
        "deployment": get(kube, "deployment", namespace, f"{name}-producer"),
    }


def all_children(testbed: TestBed, namespace: str, name: str) -> dict[str, dict[str, Any]]:
    """Every child of the Satellite, or nothing while one is missing."""
    found = {kind: obj for kind, obj in children(testbed, namespace, name).items() if obj}
    return found if len(found) == 3 else {}


def kafka_topics(testbed: TestBed) -> set[str]:
    admin = testbed.kafka.admin()
    return set(admin.list_topics(timeout=10).topics)


def test_examples_get_topic_configmap_and_producer(
    testbed: TestBed, namespace: str, operator: OperatorProcess
) -> None:
    kube = testbed.kube
    for name in EXAMPLES:
        kube.apply(example(name, namespace))

    for name, (norad_id, display_name) in EXAMPLES.items():
        satellite = wait_condition(kube, namespace, name, "TopicReady", "True")

        def children_with_producer_started() -> dict[str, Any] | None:
            children = all_children(testbed, namespace, name)  # noqa: B023 (called at once)
            started = children and children["deployment"]["spec"]["replicas"] == 1
            return children if started else None

        # The producer is scaled up once the topic is Ready, in a reconcile of its own.
        found = wait_for(children_with_producer_started, 30, f"the children of {name}")
        topic = satellite["status"]["topicName"]
        assert topic == f"satfeed.positions.{namespace}.{name}"
        assert satellite["status"]["elements"]["noradId"] == norad_id
        # Deleting a Satellite must never wait for the operator.
        assert not satellite["metadata"].get("finalizers")

        for kind, child in found.items():
            labels = child["metadata"]["labels"]
            assert labels[PART_OF_KEY] == PART_OF_VALUE, kind
            assert labels[SATELLITE_KEY] == name, kind
            (owner,) = child["metadata"]["ownerReferences"]
            assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == (
                "Satellite",
                name,
                satellite["metadata"]["uid"],
                True,
            ), kind
            assert child["metadata"]["annotations"]["satfeed.io/display-name"] == display_name

        kafkatopic = found["kafkatopic"]
        assert kafkatopic["metadata"]["labels"][STREAM_KEY] == POSITIONS_STREAM
        assert kafkatopic["metadata"]["labels"][STRIMZI_CLUSTER_KEY] == KAFKA_CLUSTER
        assert kafkatopic["status"]["topicName"] == topic

        deployment = found["deployment"]
        assert env_of(deployment) == {
            "KAFKA_BOOTSTRAP_SERVERS": testbed.kafka.bootstrap_servers,
            "SATFEED_TOPIC": topic,
            "SATFEED_SATELLITE_ID": name,
            "SATFEED_DISPLAY_NAME": display_name,
            "SATFEED_NORAD_ID": str(norad_id),
            "SATFEED_ELEMENTS_FILE": "/etc/satfeed/elements/elements",
            "SATFEED_INTERVAL": "1.0",
            "SATFEED_BACKFILL": "180",
            "SATFEED_HTTP_PORT": "8080",
            "SATFEED_LOG_FORMAT": "json",
        }
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["command"] == ["satfeed-producer"]
        assert container["securityContext"] == {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        }
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        elements = found["configmap"]["data"]["elements"].splitlines()
        assert [line[2:7] for line in elements] == [f"{norad_id:05d}"] * 2
        assert deployment["spec"]["replicas"] == 1  # the topic is Ready, so it may write

    assert {f"satfeed.positions.{namespace}.{name}" for name in EXAMPLES} <= kafka_topics(testbed)
    # Without a node the pod never runs: Ready says so rather than pretending.
    satellite = wait_condition(kube, namespace, "terra", "ProducerReady", "False", "Unavailable")
    ready = condition(satellite, "Ready")
    assert ready is not None
    assert (ready["status"], ready["reason"]) == ("False", "Unavailable")
    assert "0 of 1 producer pod(s) available" in ready["message"]
    assert satellite["status"]["phase"] == "Pending"


def test_spec_changes_reach_the_children(
    testbed: TestBed, namespace: str, operator: OperatorProcess
) -> None:
    kube = testbed.kube
    terra = example("terra", namespace)
    kube.apply(terra)
    wait_condition(kube, namespace, "terra", "TopicReady", "True")
    before = get(kube, "deployment", namespace, "terra-producer")
    assert before is not None
    before_checksum = before["spec"]["template"]["metadata"]["annotations"]

    kube.apply(with_spec(terra, intervalSeconds=5, topic={"partitions": 3}))

    def rolled() -> dict[str, Any] | None:
        deployment = get(kube, "deployment", namespace, "terra-producer")
        if deployment and env_of(deployment)["SATFEED_INTERVAL"] == "5.0":
            return deployment
        return None

    after = wait_for(rolled, 30, "the interval to reach the producer")
    # A new pod template means a new ReplicaSet: the producer pod is replaced.
    assert after["spec"]["template"]["metadata"]["annotations"] != before_checksum
    wait_for(
        lambda: (
            len(
                kube.get_json(
                    "get", "replicasets", "-n", namespace, "-l", "satfeed.io/satellite=terra"
                )["items"]
            )
            == 2
        ),
        30,
        "a second ReplicaSet for the new pod template",
    )

    topic = f"satfeed.positions.{namespace}.terra"

    def partitions() -> int:
        return len(testbed.kafka.admin().list_topics(topic, timeout=10).topics[topic].partitions)

    wait_for(lambda: partitions() == 3, 30, f"{topic} to grow to 3 partitions")


def test_a_referenced_configmap_is_noticed_within_seconds(
    testbed: TestBed, namespace: str, operator: OperatorProcess
) -> None:
    kube = testbed.kube
    terra = example("terra", namespace)
    tle = [
        "TERRA",
        terra["spec"]["elements"]["tle"]["line1"],
        terra["spec"]["elements"]["tle"]["line2"],
    ]

    def elements_configmap(lines: list[str]) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "eos", "namespace": namespace},
            "data": {"elements": "\n".join(lines)},
        }

    def producer_elements(lines: list[str]) -> bool:
        """The producer's ConfigMap holds this element set (its line 1 has the epoch)."""
        child = get(kube, "configmap", namespace, "terra-elements")
        return child is not None and lines[1] in child["data"]["elements"]

    # The Satellite first, its ConfigMap after: no 60 s wait for the retry.
    kube.apply(with_spec(terra, elements={"configMapRef": {"name": "eos"}}))
    wait_condition(kube, namespace, "terra", "ElementsValid", "False", "ConfigMapNotFound")
    kube.apply(elements_configmap(tle))
    satellite = wait_condition(kube, namespace, "terra", "ElementsValid", "True", timeout=NOTICED_S)
    assert satellite["status"]["elements"]["epoch"] == "2026-08-22T14:24:17Z"
    wait_for(lambda: producer_elements(tle), NOTICED_S, "the elements in terra-elements")

    # New elements in the ConfigMap reach the producer's ConfigMap.
    later = shifted_epoch(tle, 1.0)
    kube.apply(elements_configmap(later))
    wait_for(lambda: producer_elements(later), NOTICED_S, "the new epoch in terra-elements")
    wait_for(
        lambda: (
            (get(kube, "satellite", namespace, "terra") or {})["status"]["elements"]["epoch"]
            == "2026-08-23T14:24:17Z"
        ),
        NOTICED_S,
        "the new epoch in terra's status",
    )

    # Deleting it is reported; the producer keeps the last good elements.
    kube.kubectl_ok("delete", "configmap", "eos", "-n", namespace)
    wait_condition(
        kube, namespace, "terra", "ElementsValid", "False", "ConfigMapNotFound", timeout=NOTICED_S
    )
    assert producer_elements(later)


def test_pause_scales_to_zero_and_keeps_the_topic(
    testbed: TestBed, namespace: str, operator: OperatorProcess
) -> None:
    kube = testbed.kube
    aqua = example("aqua", namespace)
    kube.apply(aqua)
    wait_condition(kube, namespace, "aqua", "TopicReady", "True")

    kube.apply(with_spec(aqua, paused=True))
    satellite = wait_condition(kube, namespace, "aqua", "Ready", "False", "Paused")
    assert satellite["status"]["phase"] == "Paused"
    deployment = get(kube, "deployment", namespace, "aqua-producer")
    assert deployment is not None
    assert deployment["spec"]["replicas"] == 0
    assert f"satfeed.positions.{namespace}.aqua" in kafka_topics(testbed)
    assert get(kube, "kafkatopic", namespace, "aqua") is not None

    kube.apply(with_spec(aqua, paused=False))
    wait_for(
        lambda: (
            (get(kube, "deployment", namespace, "aqua-producer") or {})["spec"]["replicas"] == 1
        ),
        30,
        "the producer to be scaled up again",
    )


def test_delete_removes_children_and_the_kafka_topic(
    testbed: TestBed, namespace: str, operator: OperatorProcess
) -> None:
    kube = testbed.kube
    kube.apply(example("aura", namespace))
    wait_condition(kube, namespace, "aura", "TopicReady", "True")
    topic = f"satfeed.positions.{namespace}.aura"
    assert topic in kafka_topics(testbed)

    kube.kubectl_ok("delete", "satellite", "aura", "-n", namespace, "--wait=true", "--timeout=10s")
    # The garbage collector notices new owner kinds with a delay of up to ~30 s.
    wait_for(
        lambda: not any(children(testbed, namespace, "aura").values()),
        60,
        "the garbage collector to delete aura's children",
    )
    wait_for(lambda: topic not in kafka_topics(testbed), 30, f"Kafka topic {topic} to go")


def test_children_deleted_or_edited_by_hand_are_restored(
    testbed: TestBed, namespace: str, operator: OperatorProcess
) -> None:
    kube = testbed.kube
    kube.apply(example("terra", namespace))
    original = wait_for(
        lambda: all_children(testbed, namespace, "terra"), 30, "the children of terra"
    )

    for kind, name in (
        ("deployment", "terra-producer"),
        ("configmap", "terra-elements"),
        ("kafkatopic", "terra"),
    ):
        kube.kubectl_ok("delete", kind, name, "-n", namespace, "--wait=true", "--timeout=30s")

        def restored(kind: str = kind, name: str = name) -> dict[str, Any] | None:
            found = get(kube, kind, namespace, name)
            uid = original[kind]["metadata"]["uid"]
            return found if found and found["metadata"]["uid"] != uid else None

        wait_for(restored, 30, f"{kind} {name} to be re-created")

    kube.kubectl_ok(
        "patch",
        "deployment",
        "terra-producer",
        "-n",
        namespace,
        "--type=json",
        "-p",
        '[{"op": "replace", "path": "/spec/template/spec/containers/0/env/6/value", '
        '"value": "60"}]',
    )
    wait_for(
        lambda: (
            env_of(get(kube, "deployment", namespace, "terra-producer") or {})["SATFEED_INTERVAL"]
            == "1.0"
        ),
        30,
        "the hand-edited interval to be put back",
    )
    kube.kubectl_ok(
        "patch", "configmap", "terra-elements", "-n", namespace, "-p", '{"data":{"elements":"x"}}'
    )
    wait_for(
        lambda: (
            (get(kube, "configmap", namespace, "terra-elements") or {})["data"]["elements"]
            == original["configmap"]["data"]["elements"]
        ),
        30,
        "the hand-edited elements to be put back",
    )
