"""A Satellite's status conditions, computed from what the operator observed. Pure.

``Ready`` holds only when the elements are valid, the KafkaTopic is Ready (as its Topic
Operator reports) and the producer Deployment has its pod available. Every other state is
``False`` (something to fix or wait for) or ``Unknown`` (not observed yet), with a reason
from the table in docs/operator.md and a message saying what to do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from satfeed_core.labels import SATELLITE_KEY

from satfeed_operator.consts import PRODUCER_READY, READY, TOPIC_READY

TRUE: Final = "True"
FALSE: Final = "False"
UNKNOWN: Final = "Unknown"

# Reasons of states that resolve by themselves: the phase is Pending, not Error, and no
# warning event is posted.
WAITING_REASONS: Final = frozenset(
    {
        "Creating",
        "WaitingForElements",
        "WaitingForTopicOperator",
        "WaitingForTopic",
        "TopicDeleting",
        "Progressing",
        "Unavailable",
    }
)
# Reasons of a True condition that still deserve a warning: positions are published, but
# someone should act (elements past their age limit drift further every day).
WARNING_REASONS: Final = frozenset({"ElementsStale", "MembersUnusable", "RefreshFailed"})
# Topic problems that mean "this is not (or no longer) our topic": the producer must stop.
_FOREIGN_TOPIC_REASONS: Final = frozenset({"ResourceConflict", "KafkaTopicNameTaken"})
_STRIMZI_HINTS: Final = {
    "ResourceConflict": (
        "another KafkaTopic already manages this Kafka topic: delete that KafkaTopic (Strimzi's "
        "Topic Operator takes this one up at its next full reconciliation, within 2 minutes "
        "by default), or re-create this Satellite with another spec.topic.name"
    ),
    "KafkaError": "Kafka refused the change or cannot be reached; the Topic Operator retries",
    "NotSupported": "Strimzi cannot make this change to an existing topic; undo it",
}


@dataclass(frozen=True)
class Condition:
    type: str
    status: str
    reason: str
    message: str


@dataclass(frozen=True)
class StatusEvent:
    """A Kubernetes event to post on the Satellite for a condition that changed."""

    type: Literal["Normal", "Warning"]
    reason: str
    message: str


def _find(conditions: Any, type_: str) -> Mapping[str, Any] | None:
    for condition in conditions or ():
        if isinstance(condition, Mapping) and condition.get("type") == type_:
            return condition
    return None


def topic_condition(kafkatopic: Mapping[str, Any] | None, cluster: str) -> Condition:
    """TopicReady, mirrored from the KafkaTopic's status as the Topic Operator wrote it."""
    if kafkatopic is None:
        return Condition(TOPIC_READY, UNKNOWN, "Creating", "creating the KafkaTopic")
    metadata = kafkatopic.get("metadata") or {}
    name = metadata.get("name")
    if metadata.get("deletionTimestamp"):
        return Condition(
            TOPIC_READY,
            UNKNOWN,
            "TopicDeleting",
            f"KafkaTopic {name} is being deleted; the operator re-creates it once it is gone",
        )
    status = kafkatopic.get("status") or {}
    ready = _find(status.get("conditions"), "Ready")
    if ready is None or status.get("observedGeneration") != metadata.get("generation"):
        return Condition(
            TOPIC_READY,
            UNKNOWN,
            "WaitingForTopicOperator",
            f"KafkaTopic {name} is not reconciled yet by the Topic Operator of Kafka cluster "
            f"{cluster!r}; if this lasts, check that it runs and watches namespace "
            f"{metadata.get('namespace')}",
        )
    if ready.get("status") == TRUE:
        return Condition(
            TOPIC_READY, TRUE, "TopicReady", f"Kafka topic {status.get('topicName')} is ready"
        )
    reason = str(ready.get("reason") or "TopicNotReady")
    message = f"KafkaTopic {name}: {ready.get('message') or 'not ready'}"
    hint = _STRIMZI_HINTS.get(reason)
    return Condition(TOPIC_READY, FALSE, reason, f"{message} ({hint})" if hint else message)


def producer_replicas(paused: bool, topic: Condition, running: bool) -> int:
    """How many producer pods to run.

    The producer starts once its topic is Ready (Kafka does not create topics on demand).
    A running producer rides out passing topic trouble (a Kafka outage, a partition change
    under way), but stops when the topic turns out to be someone else's.
    """
    if paused:
        return 0
    if topic.status == TRUE:
        return 1
    if running and topic.reason not in _FOREIGN_TOPIC_REASONS:
        return 1
    return 0


def producer_condition(
    deployment: Mapping[str, Any] | None, replicas: int, paused: bool
) -> Condition:
    """ProducerReady, from the producer Deployment's status."""
    if paused:
        return Condition(
            PRODUCER_READY,
            FALSE,
            "Paused",
            "spec.paused is true: the producer is scaled to 0; the topic and its records are "
            "kept (set spec.paused to false to resume)",
        )
    if deployment is None:
        return Condition(PRODUCER_READY, UNKNOWN, "Creating", "creating the producer Deployment")
    if replicas == 0:
        return Condition(
            PRODUCER_READY,
            FALSE,
            "WaitingForTopic",
            "the producer starts once its topic is ready (see TopicReady)",
        )
    metadata = deployment.get("metadata") or {}
    status = deployment.get("status") or {}
    if status.get("observedGeneration") != metadata.get("generation"):
        return Condition(
            PRODUCER_READY,
            UNKNOWN,
            "Progressing",
            f"Deployment {metadata.get('name')} has a change the Deployment controller has "
            "not picked up yet",
        )
    pods = (
        f"kubectl -n {metadata.get('namespace')} describe pods "
        f"-l {SATELLITE_KEY}={(metadata.get('labels') or {}).get(SATELLITE_KEY)}"
    )
    progressing = _find(status.get("conditions"), "Progressing")
    if progressing is not None and progressing.get("reason") == "ProgressDeadlineExceeded":
        return Condition(
            PRODUCER_READY,
            FALSE,
            "ProgressDeadlineExceeded",
            f"Deployment {metadata.get('name')}: {progressing.get('message')}; see {pods}",
        )
    available = int(status.get("availableReplicas") or 0)
    updated = int(status.get("updatedReplicas") or 0)
    if available >= replicas and updated >= replicas:
        return Condition(PRODUCER_READY, TRUE, "Available", "the producer pod is available")
    return Condition(
        PRODUCER_READY,
        FALSE,
        "Unavailable",
        f"{available} of {replicas} producer pod(s) available ({updated} up to date); "
        f"if this lasts, see {pods}",
    )


def ready_condition(
    elements: Condition, topic: Condition, producer: Condition, topic_name: str | None
) -> Condition:
    """Ready: positions are being published. Otherwise the first reason it is not."""
    if producer.reason == "Paused":
        return Condition(READY, FALSE, "Paused", producer.message)
    for condition in (elements, topic, producer):
        if condition.status != TRUE:
            return Condition(
                READY, FALSE, condition.reason, f"{condition.type}: {condition.message}"
            )
    publishing = f"publishing positions to {topic_name}"
    if elements.reason in WARNING_REASONS:
        return Condition(READY, TRUE, elements.reason, f"{publishing}; {elements.message}")
    return Condition(READY, TRUE, "Publishing", publishing)


def phase(ready: Condition) -> str:
    """One word for people: Running, Paused, Pending or Error."""
    if ready.status == TRUE:
        return "Running"
    if ready.reason == "Paused":
        return "Paused"
    return "Pending" if ready.reason in WAITING_REASONS else "Error"


def merge_conditions(
    previous: Sequence[Mapping[str, Any]] | None,
    current: Sequence[Condition],
    generation: int,
    now: str,
) -> list[dict[str, Any]]:
    """``current`` as status conditions; ``lastTransitionTime`` moves only when status does."""
    merged = []
    for condition in current:
        old = _find(previous, condition.type)
        unchanged = old is not None and old.get("status") == condition.status
        merged.append(
            {
                "type": condition.type,
                "status": condition.status,
                "reason": condition.reason,
                "message": condition.message,
                "lastTransitionTime": (
                    old.get("lastTransitionTime", now) if old is not None and unchanged else now
                ),
                "observedGeneration": generation,
            }
        )
    return merged


def _problem(status: Any, reason: Any) -> bool:
    """A state a person must act on (Error phase), as opposed to waiting or paused."""
    return status == FALSE and reason not in WAITING_REASONS | {"Paused"}


def transition_events(
    previous: Sequence[Mapping[str, Any]] | None, current: Sequence[Condition]
) -> list[StatusEvent]:
    """Events worth a user's attention: new problems and warnings, becoming Ready, pausing.

    Only changes count, so a reconcile that changes nothing posts nothing (no event storm
    from periodic resyncs). A problem is one warning, however many conditions it makes
    False: an unknown Kafka cluster fails TopicReady, ProducerReady and Ready at once, with
    one reason and one thing to fix. Ready's own reason counts as a problem too, as for
    ``InvalidSpec``, which leaves the other conditions Unknown. A warning reason on a True
    condition (``ElementsStale``) is one Warning event too, when it first appears.
    """
    reported = {
        old.get("reason")
        for old in previous or ()
        if isinstance(old, Mapping)
        and (_problem(old.get("status"), old.get("reason")) or old.get("reason") in WARNING_REASONS)
    }
    events: list[StatusEvent] = []
    for condition in current:
        if _problem(condition.status, condition.reason) or condition.reason in WARNING_REASONS:
            if condition.reason in reported:
                continue
            reported.add(condition.reason)
            message = (
                condition.message
                if condition.type == READY
                else f"{condition.type}: {condition.message}"
            )
            events.append(StatusEvent("Warning", condition.reason, message))
            continue
        old = _find(previous, condition.type)
        if old is not None and (old.get("status"), old.get("reason")) == (
            condition.status,
            condition.reason,
        ):
            continue
        if condition.type == READY and (condition.status == TRUE or condition.reason == "Paused"):
            events.append(StatusEvent("Normal", condition.reason, condition.message))
    return events
