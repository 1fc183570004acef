"""Conditions from observed children: Ready only when elements, topic and producer are."""

from __future__ import annotations

from typing import Any

from satfeed_operator.conditions import (
    Condition,
    StatusEvent,
    merge_conditions,
    phase,
    producer_condition,
    producer_replicas,
    ready_condition,
    topic_condition,
    transition_events,
)

VALID = Condition("ElementsValid", "True", "Valid", "ok")


def kafkatopic(
    ready: dict[str, Any] | None, observed: int = 1, generation: int = 1
) -> dict[str, Any]:
    status: dict[str, Any] = {"observedGeneration": observed, "topicName": "positions"}
    if ready is not None:
        status["conditions"] = [{"type": "Ready", **ready}]
    return {
        "metadata": {"name": "terra", "namespace": "eo", "generation": generation},
        "status": status,
    }


def deployment(available: int, updated: int = 1, observed: int = 2) -> dict[str, Any]:
    return {
        "metadata": {
            "name": "terra-producer",
            "namespace": "eo",
            "generation": 2,
            "labels": {"satfeed.io/satellite": "terra"},
        },
        "status": {
            "observedGeneration": observed,
            "availableReplicas": available,
            "updatedReplicas": updated,
        },
    }


def test_topic_ready_mirrors_the_topic_operator() -> None:
    ready = topic_condition(kafkatopic({"status": "True"}), "prod")
    assert (ready.status, ready.reason) == ("True", "TopicReady")
    assert "positions" in ready.message


def test_topic_not_yet_reconciled_is_unknown_and_says_where_to_look() -> None:
    for topic in (kafkatopic(None), kafkatopic({"status": "True"}, observed=1, generation=2)):
        waiting = topic_condition(topic, "prod")
        assert (waiting.status, waiting.reason) == ("Unknown", "WaitingForTopicOperator")
        assert "'prod'" in waiting.message
        assert "namespace eo" in waiting.message
    assert topic_condition(None, "prod").reason == "Creating"


def test_strimzi_errors_are_mirrored_with_a_hint() -> None:
    conflict = topic_condition(
        kafkatopic(
            {
                "status": "False",
                "reason": "ResourceConflict",
                "message": "Managed by Ref{namespace='eo', name='other'}",
            }
        ),
        "prod",
    )
    assert (conflict.status, conflict.reason) == ("False", "ResourceConflict")
    assert "name='other'" in conflict.message
    assert "spec.topic.name" in conflict.message
    # Strimzi's Topic Operator takes it up again only at its periodic reconciliation.
    assert "next full reconciliation" in conflict.message


def test_the_producer_waits_for_its_topic_and_stops_for_a_foreign_one() -> None:
    ready = Condition("TopicReady", "True", "TopicReady", "")
    waiting = Condition("TopicReady", "Unknown", "WaitingForTopicOperator", "")
    kafka_down = Condition("TopicReady", "False", "KafkaError", "")
    conflict = Condition("TopicReady", "False", "ResourceConflict", "")
    assert producer_replicas(paused=False, topic=ready, running=False) == 1
    assert producer_replicas(paused=False, topic=waiting, running=False) == 0
    assert producer_replicas(paused=False, topic=waiting, running=True) == 1
    assert producer_replicas(paused=False, topic=kafka_down, running=True) == 1
    assert producer_replicas(paused=False, topic=conflict, running=True) == 0
    assert producer_replicas(paused=True, topic=ready, running=True) == 0


def test_producer_ready_needs_an_available_up_to_date_pod() -> None:
    assert producer_condition(deployment(available=1), 1, paused=False).status == "True"
    unavailable = producer_condition(deployment(available=0), 1, paused=False)
    assert (unavailable.status, unavailable.reason) == ("False", "Unavailable")
    assert "0 of 1 producer pod(s) available" in unavailable.message
    assert "kubectl -n eo describe pods -l satfeed.io/satellite=terra" in unavailable.message
    stale = producer_condition(deployment(available=1, observed=1), 1, paused=False)
    assert (stale.status, stale.reason) == ("Unknown", "Progressing")
    assert producer_condition(deployment(0), 0, paused=False).reason == "WaitingForTopic"
    assert producer_condition(deployment(0), 0, paused=True).reason == "Paused"


def test_a_stuck_rollout_is_reported() -> None:
    stuck = deployment(available=0)
    stuck["status"]["conditions"] = [
        {
            "type": "Progressing",
            "status": "False",
            "reason": "ProgressDeadlineExceeded",
            "message": 'ReplicaSet "terra-producer-1" has timed out progressing.',
        }
    ]
    found = producer_condition(stuck, 1, paused=False)
    assert (found.status, found.reason) == ("False", "ProgressDeadlineExceeded")


def test_ready_is_the_first_thing_missing() -> None:
    topic = Condition("TopicReady", "True", "TopicReady", "")
    producer = Condition("ProducerReady", "True", "Available", "")
    assert ready_condition(VALID, topic, producer, "t").status == "True"
    bad = Condition("ElementsValid", "False", "InvalidElements", "checksum")
    not_ready = ready_condition(bad, topic, producer, "t")
    assert (not_ready.status, not_ready.reason) == ("False", "InvalidElements")
    assert not_ready.message == "ElementsValid: checksum"
    paused = Condition("ProducerReady", "False", "Paused", "paused")
    assert ready_condition(VALID, topic, paused, "t").reason == "Paused"


def test_phases() -> None:
    assert phase(Condition("Ready", "True", "Publishing", "")) == "Running"
    assert phase(Condition("Ready", "False", "Paused", "")) == "Paused"
    assert phase(Condition("Ready", "False", "Unavailable", "")) == "Pending"
    assert phase(Condition("Ready", "False", "ResourceConflict", "")) == "Error"


def test_transition_time_moves_only_with_the_status() -> None:
    first = merge_conditions(None, [VALID], 1, "t1")
    assert first[0]["lastTransitionTime"] == "t1"
    same = merge_conditions(first, [Condition("ElementsValid", "True", "Valid", "new")], 2, "t2")
    assert (same[0]["lastTransitionTime"], same[0]["observedGeneration"]) == ("t1", 2)
    flipped = merge_conditions(first, [Condition("ElementsValid", "False", "X", "")], 2, "t3")
    assert flipped[0]["lastTransitionTime"] == "t3"


def test_events_only_for_changes_worth_attention() -> None:
    conflict = Condition("TopicReady", "False", "ResourceConflict", "taken")
    ready = Condition("Ready", "True", "Publishing", "publishing")
    waiting = Condition("ProducerReady", "False", "Unavailable", "0 of 1")
    events = transition_events(None, [conflict, ready, waiting])
    assert events == [
        StatusEvent("Warning", "ResourceConflict", "TopicReady: taken"),
        StatusEvent("Normal", "Publishing", "publishing"),
    ]
    previous = merge_conditions(None, [conflict, ready, waiting], 1, "t")
    assert transition_events(previous, [conflict, ready, waiting]) == []


def test_one_problem_is_one_warning_however_many_conditions_it_fails() -> None:
    message = "spec.kafkaCluster 'nowhere' is not a Kafka cluster this operator serves"
    topic = Condition("TopicReady", "False", "UnknownKafkaCluster", message)
    producer = Condition("ProducerReady", "False", "UnknownKafkaCluster", message)
    ready = ready_condition(VALID, topic, producer, None)
    current = [VALID, topic, producer, ready]
    assert transition_events(None, current) == [
        StatusEvent("Warning", "UnknownKafkaCluster", f"TopicReady: {message}")
    ]
    previous = merge_conditions(None, current, 1, "t")
    assert transition_events(previous, current) == []
    # A condition newly failing for a problem already reported does not report it again.
    earlier = merge_conditions(
        None, [VALID, topic, Condition("ProducerReady", "Unknown", "Creating", ""), ready], 1, "t"
    )
    assert transition_events(earlier, current) == []


def test_a_problem_only_ready_carries_is_reported() -> None:
    unchecked = [
        Condition(kind, "Unknown", "InvalidSpec", "not checked until spec.topic is fixed")
        for kind in ("ElementsValid", "TopicReady", "ProducerReady")
    ]
    ready = Condition("Ready", "False", "InvalidSpec", "spec.topic.retention: bad; fix it")
    assert transition_events(None, [*unchecked, ready]) == [
        StatusEvent("Warning", "InvalidSpec", "spec.topic.retention: bad; fix it")
    ]


STALE = Condition("ElementsValid", "True", "ElementsStale", "TERRA has elements older than 14 days")
TOPIC_OK = Condition("TopicReady", "True", "TopicReady", "ok")
PRODUCER_OK = Condition("ProducerReady", "True", "Available", "ok")


def test_stale_elements_keep_ready_true_with_the_reason_shown() -> None:
    ready = ready_condition(STALE, TOPIC_OK, PRODUCER_OK, "t")
    assert (ready.status, ready.reason) == ("True", "ElementsStale")
    assert "publishing positions to t" in ready.message
    assert "older than 14 days" in ready.message
    assert phase(ready) == "Running"


def as_status(conditions: list[Condition]) -> list[dict[str, Any]]:
    return merge_conditions(None, conditions, 1, "t0")


def test_stale_elements_are_one_warning_however_the_other_conditions_move() -> None:
    waiting = Condition("ProducerReady", "False", "Unavailable", "0 of 1")
    first = [STALE, TOPIC_OK, waiting, ready_condition(STALE, TOPIC_OK, waiting, "t")]
    assert transition_events(None, first) == [
        StatusEvent("Warning", "ElementsStale", f"ElementsValid: {STALE.message}")
    ]
    # The pod comes up: Ready turns True with the same reason; no second warning.
    then = [STALE, TOPIC_OK, PRODUCER_OK, ready_condition(STALE, TOPIC_OK, PRODUCER_OK, "t")]
    assert transition_events(as_status(first), then) == []


def test_unusable_elements_are_one_warning() -> None:
    decayed = Condition("ElementsValid", "False", "ElementsDecayed", "cannot be propagated")
    stopped = Condition("ProducerReady", "False", "ElementsDecayed", "scaled to 0")
    current = [decayed, TOPIC_OK, stopped, ready_condition(decayed, TOPIC_OK, stopped, "t")]
    events = transition_events(None, current)
    assert [(e.type, e.reason) for e in events] == [("Warning", "ElementsDecayed")]
    assert phase(current[-1]) == "Error"
