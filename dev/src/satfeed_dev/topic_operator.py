"""TEST STAND-IN for Strimzi's Topic Operator, for the test bed only.

Strimzi's Topic Operator is not published to Maven Central (only ``io.strimzi:api`` and
``io.strimzi:crd-generator`` are), and its container image cannot be pulled here, so the
test bed runs this stand-in. It does for satfeed what the real (unidirectional) Topic
Operator does, observable through the same API:

- manages only KafkaTopics labelled ``strimzi.io/cluster: <its cluster>``;
- creates the Kafka topic ``spec.topicName`` (default ``metadata.name``) with
  ``spec.partitions``, ``spec.replicas`` and ``spec.config``; grows partitions;
- sets ``status.topicName``, ``status.topicId``, ``status.observedGeneration`` and a
  ``Ready`` condition, or ``Ready=False`` with Strimzi's reasons (``ResourceConflict``
  when another KafkaTopic manages the topic, ``NotSupported`` for a rename or a partition
  decrease, ``KafkaError`` for anything Kafka refuses);
- holds the ``strimzi.io/topic-operator`` finalizer and deletes the topic when its
  KafkaTopic goes.

Run: ``python -m satfeed_dev.topic_operator`` with ``KUBECONFIG``,
``KAFKA_BOOTSTRAP_SERVERS`` and ``STRIMZI_CLUSTER`` set.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from typing import Any

import kopf
from confluent_kafka import KafkaException, TopicCollection
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic
from satfeed_core.labels import STRIMZI_CLUSTER_KEY

FINALIZER = "strimzi.io/topic-operator"
CLUSTER = os.environ.get("STRIMZI_CLUSTER", "satfeed")
_TIMEOUT = 15.0

_admin: AdminClient | None = None


def admin() -> AdminClient:
    global _admin  # one client per process, created on first use
    if _admin is None:
        config: dict[str, Any] = {
            "bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"],
            "logger": logging.getLogger("topic-operator.kafka"),
        }
        _admin = AdminClient(config)
    return _admin


class TopicProblem(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _condition(
    ready: bool, reason: str | None = None, message: str | None = None
) -> dict[str, Any]:
    condition: dict[str, Any] = {
        "type": "Ready",
        "status": "True" if ready else "False",
        "lastTransitionTime": _now(),
    }
    if reason:
        condition["reason"] = reason
    if message:
        condition["message"] = message
    return condition


def _topic_name(body: kopf.Body) -> str:
    spec = body.get("spec") or {}
    return str(spec.get("topicName") or body["metadata"]["name"])


def _managed_elsewhere(topic: str, namespace: str | None, name: str) -> str | None:
    """The KafkaTopic (``ns/name``) already managing ``topic``, if it is not this one."""
    for other in _index:
        if other != (namespace, name) and _index[other] == topic:
            return f"{other[0]}/{other[1]}"
    return None


# (namespace, name) -> topic name of every KafkaTopic this stand-in manages and has made Ready.
_index: dict[tuple[str | None, str], str] = {}


def _ensure_topic(topic: str, spec: dict[str, Any]) -> str | None:
    """Create or update ``topic`` in Kafka to match ``spec``; returns its topic id."""
    client = admin()
    try:
        metadata = client.list_topics(topic=topic, timeout=_TIMEOUT)
    except KafkaException as exc:
        raise TopicProblem("KafkaError", f"cannot reach Kafka: {exc}") from exc
    existing = metadata.topics.get(topic)
    config = {str(k): str(v) for k, v in (spec.get("config") or {}).items()}
    partitions = spec.get("partitions")
    if existing is None or existing.error is not None:
        new = NewTopic(
            topic,
            num_partitions=int(partitions) if partitions else -1,
            replication_factor=int(spec["replicas"]) if spec.get("replicas") else -1,
            config=config,
        )
        try:
            client.create_topics([new], request_timeout=_TIMEOUT)[topic].result(_TIMEOUT)
        except KafkaException as exc:
            raise TopicProblem("KafkaError", str(exc.args[0])) from exc
    else:
        current = len(existing.partitions)
        if partitions and int(partitions) < current:
            raise TopicProblem(
                "NotSupported", f"Decreasing partitions not supported ({current} -> {partitions})"
            )
        try:
            if partitions and int(partitions) > current:
                futures = client.create_partitions([NewPartitions(topic, int(partitions))])
                futures[topic].result(_TIMEOUT)
            if config:
                resource = ConfigResource(ConfigResource.Type.TOPIC, topic, set_config=config)
                for future in client.alter_configs([resource]).values():
                    future.result(_TIMEOUT)
        except KafkaException as exc:
            raise TopicProblem("KafkaError", str(exc.args[0])) from exc
    try:
        description = client.describe_topics(TopicCollection([topic]), request_timeout=_TIMEOUT)[
            topic
        ].result(_TIMEOUT)
    except KafkaException:
        return None
    topic_id = getattr(description, "topic_id", None)
    return str(topic_id) if topic_id is not None else None


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    settings.persistence.finalizer = FINALIZER
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(
        prefix="testbed.satfeed.io"
    )
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix="testbed.satfeed.io"
    )
    settings.posting.enabled = False
    settings.watching.server_timeout = 60
    settings.networking.request_timeout = 30


@kopf.on.resume("kafka.strimzi.io", "v1", "kafkatopics", labels={STRIMZI_CLUSTER_KEY: CLUSTER})
@kopf.on.create("kafka.strimzi.io", "v1", "kafkatopics", labels={STRIMZI_CLUSTER_KEY: CLUSTER})
@kopf.on.update("kafka.strimzi.io", "v1", "kafkatopics", labels={STRIMZI_CLUSTER_KEY: CLUSTER})
async def reconcile(
    body: kopf.Body,
    spec: kopf.Spec,
    status: kopf.Status,
    namespace: str | None,
    name: str,
    patch: kopf.Patch,
    **_: Any,
) -> None:
    topic = _topic_name(body)
    patch.status["observedGeneration"] = body["metadata"].get("generation")
    try:
        previous = status.get("topicName")
        if previous and previous != topic:
            raise TopicProblem(
                "NotSupported", f"Changing spec.topicName is not supported ({previous} -> {topic})"
            )
        owner = _managed_elsewhere(topic, namespace, name)
        if owner is not None:
            raise TopicProblem(
                "ResourceConflict",
                f"Managed by Ref{{namespace='{owner.split('/')[0]}', "
                f"name='{owner.split('/')[1]}'}}",
            )
        _index[(namespace, name)] = topic
        topic_id = await asyncio.to_thread(_ensure_topic, topic, dict(spec))
    except TopicProblem as problem:
        patch.status["conditions"] = [_condition(False, problem.reason, problem.message)]
        if problem.reason == "KafkaError":
            raise kopf.TemporaryError(problem.message, delay=5) from problem
        return
    patch.status["topicName"] = topic
    if topic_id:
        patch.status["topicId"] = topic_id
    patch.status["conditions"] = [_condition(True)]


@kopf.on.delete("kafka.strimzi.io", "v1", "kafkatopics", labels={STRIMZI_CLUSTER_KEY: CLUSTER})
async def delete_topic(body: kopf.Body, namespace: str | None, name: str, **_: Any) -> None:
    topic = _index.pop((namespace, name), None) or (body.get("status") or {}).get("topicName")
    if not topic or _managed_elsewhere(topic, namespace, name):
        return  # never delete a topic this KafkaTopic did not own

    def delete() -> None:
        try:
            admin().delete_topics([topic], request_timeout=_TIMEOUT)[topic].result(_TIMEOUT)
        except KafkaException as exc:
            if "UNKNOWN_TOPIC" not in str(exc):
                raise kopf.TemporaryError(f"deleting topic {topic}: {exc}", delay=5) from exc

    await asyncio.to_thread(delete)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    kopf.configure(verbose=False)
    asyncio.run(
        kopf.operator(
            clusterwide=True, standalone=True, liveness_endpoint=os.environ.get("LIVENESS")
        )
    )


if __name__ == "__main__":
    main()
