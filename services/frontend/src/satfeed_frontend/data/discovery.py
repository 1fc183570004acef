"""Which Kafka topics to show: found from KafkaTopics, a fixed list, or a name pattern.

Every source answers one question, :meth:`TopicSource.topics`, given the topic names Kafka
has right now, so the consumer thread treats the three modes alike. The KafkaTopic rules
(which topic, which name, when Ready) are pure functions here; the watch that feeds
:class:`KafkaTopicRegistry` is in :mod:`satfeed_frontend.data.kube_watch`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, Set
from typing import Any, Protocol

from satfeed_core.labels import (
    DISPLAY_NAME_ANNOTATION,
    ENCODING_BATCH_V2,
    ENCODING_KEY,
    SATELLITE_GROUP_KEY,
)

from satfeed_frontend.data.elements import satellite_ref
from satfeed_frontend.data.feed import TopicInfo


class TopicSource(Protocol):
    def topics(self, kafka_topics: Set[str]) -> list[TopicInfo]:
        """The topics to show, given the names of the topics Kafka has."""
        ...

    def version(self) -> int:
        """Changes whenever what :meth:`topics` answers may have changed, without Kafka's
        topics changing (a KafkaTopic came, went or changed): the consumer asks Kafka for
        its topics again then, and otherwise only now and then."""
        ...

    def needs_kafka_topics(self) -> bool:
        """Whether :meth:`topics` depends on Kafka's topic list (a pattern does): then the
        consumer lists Kafka's topics more often, to find new ones."""
        ...


def kafka_topic_name(kafkatopic: Mapping[str, Any]) -> str:
    """``status.topicName``, then ``spec.topicName``, then ``metadata.name`` (Strimzi's rule)."""
    status = kafkatopic.get("status") or {}
    spec = kafkatopic.get("spec") or {}
    name = status.get("topicName") or spec.get("topicName") or kafkatopic["metadata"]["name"]
    return str(name)


def is_ready(kafkatopic: Mapping[str, Any]) -> bool:
    """Strimzi's ``Ready`` condition is True: the Kafka topic exists as declared."""
    conditions = (kafkatopic.get("status") or {}).get("conditions") or []
    return any(
        condition.get("type") == "Ready" and condition.get("status") == "True"
        for condition in conditions
    )


def topic_info(kafkatopic: Mapping[str, Any]) -> TopicInfo | None:
    """What to show for a KafkaTopic; None while it is not Ready, or once it is being deleted
    (its finalizer keeps it a little longer while the Kafka topic is removed)."""
    metadata = kafkatopic["metadata"]
    if not is_ready(kafkatopic) or metadata.get("deletionTimestamp"):
        return None
    annotations = metadata.get("annotations") or {}
    labels = metadata.get("labels") or {}
    return TopicInfo(
        topic=kafka_topic_name(kafkatopic),
        source=f"KafkaTopic {metadata.get('namespace', '')}/{metadata['name']}",
        display_name=annotations.get(DISPLAY_NAME_ANNOTATION) or None,
        satellite_ref=satellite_ref(kafkatopic),
        encoding=labels.get(ENCODING_KEY) or None,
        group=labels.get(SATELLITE_GROUP_KEY) or None,
    )


class KafkaTopicRegistry:
    """The Ready KafkaTopics seen by the watches, per namespace; thread-safe.

    Each watch owns one scope (a namespace, or ``""`` for all) and replaces it on every
    full list, then applies watch events to it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_scope: dict[str, dict[tuple[str, str], TopicInfo]] = {}
        self._version = 0

    def replace(self, scope: str, kafkatopics: Iterable[Mapping[str, Any]]) -> None:
        found: dict[tuple[str, str], TopicInfo] = {}
        for kafkatopic in kafkatopics:
            info = topic_info(kafkatopic)
            if info is not None:
                found[_identity(kafkatopic)] = info
        with self._lock:
            if self._by_scope.get(scope) != found:
                self._version += 1
            self._by_scope[scope] = found

    def version(self) -> int:
        with self._lock:
            return self._version

    def needs_kafka_topics(self) -> bool:
        return False

    def apply(self, scope: str, event_type: str, kafkatopic: Mapping[str, Any]) -> None:
        """A watch event: ADDED, MODIFIED or DELETED."""
        identity = _identity(kafkatopic)
        info = None if event_type == "DELETED" else topic_info(kafkatopic)
        with self._lock:
            entries = self._by_scope.setdefault(scope, {})
            before = entries.get(identity)
            if info is None:
                entries.pop(identity, None)
            else:
                entries[identity] = info
            if before != info:
                self._version += 1

    def listed(self) -> bool:
        """Whether any watch has listed its scope yet."""
        with self._lock:
            return bool(self._by_scope)

    def topics(self, kafka_topics: Set[str]) -> list[TopicInfo]:
        # Kafka's own list does not matter here: a Ready KafkaTopic whose topic Kafka lacks
        # is shown as a problem, not hidden.
        with self._lock:
            entries = [info for scope in self._by_scope.values() for info in scope.values()]
        # Two KafkaTopics naming one Kafka topic: Strimzi makes the second not Ready, so
        # both being Ready is a race; the first by source wins, deterministically.
        chosen: dict[str, TopicInfo] = {}
        for info in sorted(entries, key=lambda each: each.source):
            chosen.setdefault(info.topic, info)
        return list(chosen.values())


def _identity(kafkatopic: Mapping[str, Any]) -> tuple[str, str]:
    metadata = kafkatopic["metadata"]
    return str(metadata.get("namespace", "")), str(metadata["name"])


class StaticTopics:
    """A fixed list of Kafka topics (``--topics``), and of group topics (``--group-topics``,
    each ``topic`` or ``name=topic``: the group's name on the page)."""

    def __init__(self, names: Iterable[str], groups: Iterable[str] = ()) -> None:
        self._infos = [TopicInfo(topic=name, source="--topics") for name in names]
        for each in groups:
            name, _, topic = each.rpartition("=")
            self._infos.append(
                TopicInfo(
                    topic=topic,
                    source="--group-topics",
                    display_name=name or None,
                    encoding=ENCODING_BATCH_V2,
                    group=name or topic,
                )
            )

    def topics(self, kafka_topics: Set[str]) -> list[TopicInfo]:
        return list(self._infos)

    def version(self) -> int:
        return 0

    def needs_kafka_topics(self) -> bool:
        return False


class PatternTopics:
    """Every Kafka topic whose whole name matches a regular expression (``--topic-pattern``)."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self._pattern = pattern

    def version(self) -> int:
        return 0

    def needs_kafka_topics(self) -> bool:
        return True

    def topics(self, kafka_topics: Set[str]) -> list[TopicInfo]:
        return [
            TopicInfo(topic=name, source=f"--topic-pattern {self._pattern.pattern}")
            for name in sorted(kafka_topics)
            if self._pattern.fullmatch(name) and not name.startswith("__")
        ]
