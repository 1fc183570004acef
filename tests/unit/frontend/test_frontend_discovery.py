"""Which topics the page shows: KafkaTopics by the Strimzi rules, a list, or a pattern."""

from __future__ import annotations

import re

from satfeed_core.labels import ENCODING_BATCH_V2, ENCODING_KEY, SATELLITE_GROUP_KEY
from satfeed_frontend.data.discovery import (
    KafkaTopicRegistry,
    PatternTopics,
    StaticTopics,
    kafka_topic_name,
    topic_info,
)

from tests.unit.frontend.frontend_samples import kafkatopic


def test_topic_name_prefers_status_then_spec_then_the_object_name() -> None:
    assert kafka_topic_name(kafkatopic("terra")) == "terra"
    assert kafka_topic_name(kafkatopic("terra", spec_topic="spec.terra")) == "spec.terra"
    both = kafkatopic("terra", spec_topic="spec.terra", status_topic="status.terra")
    assert kafka_topic_name(both) == "status.terra"


def test_only_a_ready_kafkatopic_is_shown_with_its_display_name() -> None:
    info = topic_info(kafkatopic("terra", status_topic="t.terra", display_name="Terra"))
    assert info is not None
    assert (info.topic, info.source, info.display_name) == (
        "t.terra",
        "KafkaTopic space/terra",
        "Terra",
    )
    assert topic_info(kafkatopic(ready=False)) is None
    assert topic_info(kafkatopic(ready=None)) is None
    assert topic_info(kafkatopic(deleting=True)) is None
    assert topic_info(kafkatopic()) is not None
    assert topic_info(kafkatopic()).display_name is None  # type: ignore[union-attr]


def test_registry_follows_list_and_watch_events() -> None:
    registry = KafkaTopicRegistry()
    assert not registry.listed()
    registry.replace("space", [kafkatopic("terra"), kafkatopic("aqua", ready=False)])
    assert registry.listed()
    assert [i.topic for i in registry.topics(set())] == ["terra"]
    registry.apply("space", "MODIFIED", kafkatopic("aqua"))
    assert sorted(i.topic for i in registry.topics(set())) == ["aqua", "terra"]
    registry.apply("space", "MODIFIED", kafkatopic("terra", deleting=True))
    assert [i.topic for i in registry.topics(set())] == ["aqua"]
    registry.apply("space", "DELETED", kafkatopic("aqua"))
    assert registry.topics(set()) == []


def test_registry_keeps_namespaces_apart_and_one_entry_per_kafka_topic() -> None:
    registry = KafkaTopicRegistry()
    registry.replace("a", [kafkatopic("terra", namespace="a", spec_topic="shared")])
    registry.replace("b", [kafkatopic("terra", namespace="b", spec_topic="shared")])
    (info,) = registry.topics(set())
    assert info.source == "KafkaTopic a/terra"
    registry.replace("a", [])
    (info,) = registry.topics(set())
    assert info.source == "KafkaTopic b/terra"


def test_static_list_is_shown_whether_or_not_kafka_has_the_topics() -> None:
    source = StaticTopics(["p.terra", "p.aqua"])
    assert [i.topic for i in source.topics(set())] == ["p.terra", "p.aqua"]


def test_pattern_matches_whole_names_and_skips_internal_topics() -> None:
    source = PatternTopics(re.compile(r"positions\..*"))
    kafka = {"positions.terra", "positions.aqua", "old.positions.x", "__consumer_offsets"}
    assert [i.topic for i in source.topics(kafka)] == ["positions.aqua", "positions.terra"]
    assert [i.topic for i in PatternTopics(re.compile(".*")).topics(kafka)] == [
        "old.positions.x",
        "positions.aqua",
        "positions.terra",
    ]


def test_a_groups_kafkatopic_says_its_topic_carries_batches_by_its_labels() -> None:
    group = kafkatopic("starlink", status_topic="g.starlink", display_name="Starlink")
    group["metadata"]["labels"] = {ENCODING_KEY: ENCODING_BATCH_V2, SATELLITE_GROUP_KEY: "starlink"}
    info = topic_info(group)
    assert info is not None
    assert (info.batched, info.group, info.display_name) == (True, "starlink", "Starlink")
    plain = topic_info(kafkatopic("terra"))
    assert plain is not None
    assert not plain.batched
    assert plain.group is None


def test_the_registry_says_when_what_it_answers_may_have_changed() -> None:
    registry = KafkaTopicRegistry()
    start = registry.version()
    registry.replace("space", [kafkatopic("terra")])
    listed = registry.version()
    assert listed > start
    registry.replace("space", [kafkatopic("terra")])  # a relist with nothing new
    registry.apply("space", "MODIFIED", kafkatopic("terra"))  # an unchanged object
    assert registry.version() == listed  # so Kafka's topics are not listed again
    registry.apply("space", "ADDED", kafkatopic("aqua"))
    assert registry.version() > listed
    assert not registry.needs_kafka_topics()
    assert PatternTopics(re.compile(".*")).needs_kafka_topics()


def test_group_topics_are_named_by_their_flag() -> None:
    source = StaticTopics(["p.terra"], ["Starlink=g.starlink", "g.all"])
    terra, starlink, everything = source.topics(set())
    assert not terra.batched
    assert (starlink.topic, starlink.display_name, starlink.batched) == (
        "g.starlink",
        "Starlink",
        True,
    )
    assert (everything.topic, everything.display_name, everything.group) == ("g.all", None, "g.all")
