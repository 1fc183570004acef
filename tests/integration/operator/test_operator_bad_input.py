"""Bad input: refused by the apiserver where the schema can tell, otherwise reported on the
Satellite (Ready=False, a reason, a message saying what to do, an event), without crashing
the operator or retrying in a loop."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from satfeed_dev.operator_bed import (
    OperatorProcess,
    condition,
    env_of,
    events_for,
    example,
    get,
    renamed,
    wait_condition,
    with_spec,
)
from satfeed_dev.testbed import KAFKA_CLUSTER, TestBed
from satfeed_dev.tle_edit import checksum
from satfeed_dev.waiting import wait_for

pytestmark = pytest.mark.integration


def terra(namespace: str, **spec: Any) -> dict[str, Any]:
    return with_spec(example("terra", namespace), **spec)


def refusal(testbed: TestBed, manifest: dict[str, Any]) -> str:
    """The apiserver's error for ``manifest`` (the test fails if it is accepted)."""
    proc = testbed.kube.kubectl("apply", "--server-side", "-f", "-", stdin=yaml.safe_dump(manifest))
    assert proc.returncode != 0, f"accepted: {manifest}"
    return proc.stderr


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"intervalSeconds": 0}, "spec.intervalSeconds must be 0.1 to 3600 seconds"),
        ({"intervalSeconds": 3601}, "spec.intervalSeconds"),
        ({"elements": None, "noradId": None}, "give spec.noradId"),
        (
            {"elements": {"tle": {"line1": "1 25994U", "line2": "2 25994"}}},
            "spec.elements.tle.line1",
        ),
        (
            {"elements": {"celestrak": {}, "configMapRef": {"name": "x"}}},
            "exactly one of tle, omm, celestrak, configMapRef",
        ),
        ({"noradId": 0}, "spec.noradId"),
        ({"topic": {"retention": "10s"}}, "spec.topic.retention must be at least 1m"),
    ],
    ids=[
        "interval-0",
        "interval-3601",
        "no-source",
        "tle-shape",
        "two-sources",
        "norad-0",
        "retention",
    ],
)
def test_the_schema_refuses_what_it_can_check(
    testbed: TestBed,
    satellite_crd: None,
    namespace: str,
    change: dict[str, Any],
    expected: str,
) -> None:
    assert expected in refusal(testbed, terra(namespace, **change))


def test_a_retention_that_is_no_duration_gets_one_error_saying_the_format(
    testbed: TestBed, satellite_crd: None, namespace: str
) -> None:
    message = refusal(testbed, terra(namespace, topic={"retention": "forever"}))
    assert message.count("Invalid value") == 1, message
    assert "spec.topic.retention: Invalid value" in message
    assert "must be a duration: numbers with units ms, s, m or h, such as 24h" in message
    assert "Duration" not in message, message  # nothing from CEL's duration() on the bad value


def test_the_schema_refuses_a_name_too_long_for_the_children(
    testbed: TestBed, satellite_crd: None, namespace: str
) -> None:
    manifest = renamed(terra(namespace), "t" * 55)
    assert "metadata.name must be at most 54 characters" in refusal(testbed, manifest)
    testbed.kube.apply(renamed(terra(namespace), "t" * 54))  # the longest name that fits


def test_the_schema_refuses_changes_kafka_cannot_make(
    testbed: TestBed, satellite_crd: None, namespace: str
) -> None:
    testbed.kube.apply(terra(namespace, topic={"name": "terra-a", "partitions": 2}))
    message = refusal(testbed, terra(namespace, topic={"name": "terra-b", "partitions": 1}))
    assert "spec.topic.name cannot change" in message
    assert "spec.topic.partitions can only grow" in message
    message = refusal(testbed, terra(namespace, kafkaCluster="other"))
    assert "spec.kafkaCluster cannot be added, removed or changed" in message


def assert_reported(
    testbed: TestBed, namespace: str, name: str, type_: str, reason: str, *fragments: str
) -> dict[str, Any]:
    """``type_`` and Ready are False with ``reason``; a warning event says the same."""
    kube = testbed.kube
    satellite = wait_condition(kube, namespace, name, type_, "False", reason)
    found = condition(satellite, type_)
    assert found is not None
    for fragment in fragments:
        assert fragment in found["message"]
    ready = condition(satellite, "Ready")
    assert ready is not None
    assert (ready["status"], ready["reason"]) == ("False", reason)
    assert satellite["status"]["phase"] == "Error"
    wait_for(
        lambda: [
            e
            for e in events_for(kube, namespace, name)
            if (e["type"], e["reason"]) == ("Warning", reason)
        ],
        15,
        f"a Warning event {reason} on {name}",
    )
    return satellite


def assert_quiet(testbed: TestBed, namespace: str, name: str, operator: OperatorProcess) -> None:
    """No retry loop: while other Satellites are handled start to end, the reported one is
    not written again and its handler ran once."""
    kube = testbed.kube

    def handle_another(witness: str) -> None:
        kube.apply(renamed(example("aura", namespace), witness))
        wait_condition(kube, namespace, witness, "TopicReady", "True")

    handle_another("witness-1")  # by then kopf has finished with the reported Satellite
    before = get(kube, "satellite", namespace, name)
    handle_another("witness-2")
    after = get(kube, "satellite", namespace, name)
    assert before is not None
    assert after is not None
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert operator.log().count(f"[{namespace}/{name}] Handler 'on_satellite_change'") == 1


def test_an_invalid_tle_checksum_is_reported_once(
    testbed: TestBed, namespace: str, operator: OperatorProcess
) -> None:
    manifest = terra(namespace)
    line1 = manifest["spec"]["elements"]["tle"]["line1"]
    manifest["spec"]["elements"]["tle"]["line1"] = line1[:68] + str((int(line1[68]) + 1) % 10)
    testbed.kube.apply(manifest)

    assert_reported(
        testbed,
        namespace,
        "terra",
        "ElementsValid",
        "InvalidElements",
        "spec.elements.tle.line1",
        "checksum",
    )
    assert not any(children for children in _children(testbed, namespace, "terra"))
    assert_quiet(testbed, namespace, "terra", operator)

    # Fixing the spec is all it takes.
    testbed.kube.apply(terra(namespace))
    wait_condition(testbed.kube, namespace, "terra", "TopicReady", "True")


def test_elements_of_another_satellite_are_reported(
    testbed: TestBed, namespace: str, operator: OperatorProcess
) -> None:
    testbed.kube.apply(terra(namespace, noradId=27424))
    assert_reported(
        testbed,
        namespace,
        "terra",
        "ElementsValid",
        "InvalidElements",
        "no element set for NORAD 27424",
    )


def test_an_unknown_kafka_cluster_is_reported(
    testbed: TestBed, namespace: str, operator: OperatorProcess
) -> None:
    testbed.kube.apply(terra(namespace, kafkaCluster="nowhere"))
    assert_reported(
        testbed,
        namespace,
        "terra",
        "TopicReady",
        "UnknownKafkaCluster",
        "'nowhere'",
        KAFKA_CLUSTER,
    )
    assert not any(_children(testbed, namespace, "terra"))
    assert_quiet(testbed, namespace, "terra", operator)
    # One problem, one event, though it fails TopicReady, ProducerReady and Ready; and no
    # other event repeats it.
    about_it = [
        (e["type"], e["reason"])
        for e in events_for(testbed.kube, namespace, "terra")
        if "'nowhere'" in e["message"]
    ]
    assert about_it == [("Warning", "UnknownKafkaCluster")]


def test_a_foreign_kafkatopic_of_the_same_name_is_left_alone(
    testbed: TestBed, namespace: str, operator: OperatorProcess
) -> None:
    kube = testbed.kube
    foreign: dict[str, Any] = {
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "KafkaTopic",
        "metadata": {
            "name": "terra",
            "namespace": namespace,
            "labels": {"strimzi.io/cluster": KAFKA_CLUSTER, "team": "other"},
        },
        "spec": {"partitions": 1, "replicas": 1},
    }
    kube.apply(foreign)
    kube.apply(terra(namespace))

    assert_reported(
        testbed, namespace, "terra", "TopicReady", "KafkaTopicNameTaken", "does not belong"
    )
    kafkatopic = get(kube, "kafkatopic", namespace, "terra")
    assert kafkatopic is not None
    assert kafkatopic["metadata"]["labels"] == foreign["metadata"]["labels"]
    assert not kafkatopic["metadata"].get("ownerReferences")
    deployment = get(kube, "deployment", namespace, "terra-producer")
    assert deployment is not None
    assert deployment["spec"]["replicas"] == 0  # never write into someone else's topic


def test_a_kafka_topic_managed_by_another_kafkatopic_is_a_conflict(
    testbed: TestBed, namespace: str, operator: OperatorProcess
) -> None:
    kube = testbed.kube
    taken = f"taken-{namespace}"
    kube.apply(
        {
            "apiVersion": "kafka.strimzi.io/v1",
            "kind": "KafkaTopic",
            "metadata": {
                "name": "someone-elses",
                "namespace": namespace,
                "labels": {"strimzi.io/cluster": KAFKA_CLUSTER},
            },
            "spec": {"topicName": taken, "partitions": 1, "replicas": 1},
        }
    )
    wait_for(
        lambda: condition(get(kube, "kafkatopic", namespace, "someone-elses"), "Ready"),
        30,
        "the other KafkaTopic to be Ready",
    )
    kube.apply(terra(namespace, topic={"name": taken}))

    assert_reported(testbed, namespace, "terra", "TopicReady", "ResourceConflict", "someone-elses")
    deployment = get(kube, "deployment", namespace, "terra-producer")
    assert deployment is not None
    assert deployment["spec"]["replicas"] == 0

    # Once the other KafkaTopic is gone (and its topic with it), Strimzi's Topic Operator
    # takes this one up at its next full reconciliation (10 s in the test bed), with no
    # event on it; the Satellite follows and its producer starts.
    kube.kubectl_ok("delete", "kafkatopic", "someone-elses", "-n", namespace, "--timeout=60s")
    wait_condition(kube, namespace, "terra", "TopicReady", "True", timeout=120)
    wait_for(
        lambda: (
            ((get(kube, "deployment", namespace, "terra-producer") or {}).get("spec") or {}).get(
                "replicas"
            )
            == 1
        ),
        60,
        "the producer to be scaled up again",
    )


def test_a_topic_rename_is_refused_and_the_old_topic_kept(
    testbed: TestBed, namespace: str, operator: OperatorProcess
) -> None:
    kube = testbed.kube
    kube.apply(terra(namespace))
    wait_condition(kube, namespace, "terra", "TopicReady", "True")
    old_topic = f"satfeed.positions.{namespace}.terra"

    # From the default name to an explicit one: the schema cannot see this is a rename.
    kube.apply(terra(namespace, topic={"name": "terra-renamed"}))
    assert_reported(
        testbed, namespace, "terra", "TopicReady", "TopicRenameRefused", "cannot be renamed"
    )
    kafkatopic = get(kube, "kafkatopic", namespace, "terra")
    deployment = get(kube, "deployment", namespace, "terra-producer")
    assert kafkatopic is not None
    assert deployment is not None
    assert kafkatopic["spec"]["topicName"] == old_topic
    assert env_of(deployment)["SATFEED_TOPIC"] == old_topic
    assert deployment["spec"]["replicas"] == 1  # still publishing, to the old topic


def test_a_missing_elements_configmap_is_reported(
    testbed: TestBed, namespace: str, operator: OperatorProcess
) -> None:
    testbed.kube.apply(terra(namespace, elements={"configMapRef": {"name": "missing"}}))
    assert_reported(
        testbed,
        namespace,
        "terra",
        "ElementsValid",
        "ConfigMapNotFound",
        f"ConfigMap {namespace}/missing does not exist",
    )


def test_elements_from_a_configmap(
    testbed: TestBed, namespace: str, operator: OperatorProcess
) -> None:
    kube = testbed.kube
    lines = terra(namespace)["spec"]["elements"]["tle"]
    aqua_lines = example("aqua", namespace)["spec"]["elements"]["tle"]
    group = "\n".join(
        ["TERRA", lines["line1"], lines["line2"], "AQUA", aqua_lines["line1"], aqua_lines["line2"]]
    )
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "nasa", "namespace": namespace},
            "data": {"eos.tle": group},
        }
    )
    kube.apply(
        terra(
            namespace,
            noradId=27424,
            displayName=None,
            elements={"configMapRef": {"name": "nasa", "key": "eos.tle"}},
        )
    )
    satellite = wait_condition(kube, namespace, "terra", "ElementsValid", "True")
    assert satellite["status"]["elements"]["name"] == "AQUA"
    deployment = wait_for(
        lambda: get(kube, "deployment", namespace, "terra-producer"), 30, "the producer"
    )
    assert env_of(deployment)["SATFEED_DISPLAY_NAME"] == "AQUA"
    # Only the selected set reaches the producer (and the frontend's predicted track).
    child = get(kube, "configmap", namespace, "terra-elements")
    assert child is not None
    assert child["data"]["elements"] == "\n".join(["AQUA", *aqua_lines.values()]) + "\n"


def _divergent(line1: str) -> str:
    """Line 1 with a drag term (B*, columns 54-61) so large that SGP4 overflows."""
    edited = line1[:53] + " 99999+9" + line1[61:68]
    return edited + str(checksum(edited))


def _elements_configmap(namespace: str, line1: str, line2: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "eos", "namespace": namespace},
        "data": {"elements": f"TERRA\n{line1}\n{line2}\n"},
    }


def _producer_replicas(testbed: TestBed, namespace: str) -> int | None:
    deployment = get(testbed.kube, "deployment", namespace, "terra-producer")
    return None if deployment is None else int(deployment["spec"]["replicas"])


def test_inline_elements_that_cannot_fly_start_no_producer(
    testbed: TestBed, namespace: str, operator: OperatorProcess
) -> None:
    manifest = terra(namespace)
    tle = manifest["spec"]["elements"]["tle"]
    tle["line1"] = _divergent(tle["line1"])
    testbed.kube.apply(manifest)
    assert_reported(
        testbed,
        namespace,
        "terra",
        "ElementsValid",
        "ElementsDecayed",
        "NORAD 25994 cannot be propagated",
        "fresh element set",
        "delete the Satellite",
    )
    assert not any(children for children in _children(testbed, namespace, "terra"))


def test_elements_that_go_bad_stop_the_producer_and_good_ones_restart_it(
    testbed: TestBed, namespace: str, operator: OperatorProcess
) -> None:
    kube = testbed.kube
    tle = terra(namespace)["spec"]["elements"]["tle"]
    kube.apply(_elements_configmap(namespace, tle["line1"], tle["line2"]))
    kube.apply(terra(namespace, elements={"configMapRef": {"name": "eos"}}))
    wait_for(lambda: _producer_replicas(testbed, namespace) == 1, 30, "the producer running")

    kube.apply(_elements_configmap(namespace, _divergent(tle["line1"]), tle["line2"]))
    satellite = assert_reported(
        testbed, namespace, "terra", "ElementsValid", "ElementsDecayed", "cannot be propagated"
    )
    producer = condition(satellite, "ProducerReady")
    assert producer is not None
    assert (producer["status"], producer["reason"]) == ("False", "ElementsDecayed")
    wait_for(lambda: _producer_replicas(testbed, namespace) == 0, 15, "the producer scaled to 0")

    kube.apply(_elements_configmap(namespace, tle["line1"], tle["line2"]))
    wait_for(lambda: _producer_replicas(testbed, namespace) == 1, 15, "the producer back")
    wait_condition(kube, namespace, "terra", "ElementsValid", "True")


def test_old_elements_are_used_with_one_warning(
    testbed: TestBed, namespace: str, operator: OperatorProcess
) -> None:
    """The bundled examples' elements are from 2026-08-22: past the 14-day limit by now.
    (Ready then says ElementsStale too, once the pod runs: see tests/node.)"""
    kube = testbed.kube
    kube.apply(terra(namespace))
    satellite = wait_condition(kube, namespace, "terra", "ElementsValid", "True", "ElementsStale")
    valid = condition(satellite, "ElementsValid")
    assert valid is not None
    assert "older than 14 days" in valid["message"]
    wait_for(lambda: _producer_replicas(testbed, namespace) == 1, 30, "the producer running")
    wait_for(
        lambda: [e for e in events_for(kube, namespace, "terra") if e["reason"] == "ElementsStale"],
        15,
        "the ElementsStale event",
    )
    # Reconciles go on (status updates as the Deployment moves, another Satellite handled
    # start to end meanwhile): the warning is not posted again.
    kube.apply(renamed(example("aura", namespace), "witness"))
    wait_condition(kube, namespace, "witness", "TopicReady", "True")
    stale = [e for e in events_for(kube, namespace, "terra") if e["reason"] == "ElementsStale"]
    assert [(e["type"], e.get("count", 1)) for e in stale] == [("Warning", 1)]


def _children(testbed: TestBed, namespace: str, name: str) -> list[dict[str, Any] | None]:
    kube = testbed.kube
    return [
        get(kube, "kafkatopic", namespace, name),
        get(kube, "configmap", namespace, f"{name}-elements"),
        get(kube, "deployment", namespace, f"{name}-producer"),
    ]
