"""SatelliteGroup logic without I/O: the spec, the members, the children, the shard plan."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from satfeed_core.elements import parse_elements
from satfeed_core.labels import ENCODING_BATCH_V2, ENCODING_KEY, SATELLITE_GROUP_KEY
from satfeed_core.shards import ShardPlan
from satfeed_dev.sample_data import tle_file
from satfeed_dev.tle_edit import shifted_epoch, three_line_sets
from satfeed_operator.api import SpecError
from satfeed_operator.config import OperatorConfig
from satfeed_operator.group_api import MemberFilter, parse_group
from satfeed_operator.group_members import MembersError, chunk_texts, gather
from satfeed_operator.group_objects import build_group_kafkatopic, build_shard_deployment, shard_env
from satfeed_operator.group_reconcile import _plan
from satfeed_operator.group_sources import members_condition

EPOCH = datetime(2026, 8, 23, tzinfo=UTC)  # a day after the bundled elements
STALE_AFTER = timedelta(days=14)
EO_TEXT = tle_file("earth-observation.tle").read_text()


def group_body(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "satfeed.io/v1alpha1",
        "kind": "SatelliteGroup",
        "metadata": {"name": "eo", "namespace": "space", "uid": "u-1", "generation": 2},
        "spec": {"source": {"configMaps": [{"name": "eo"}]}, **spec},
    }


def test_a_minimal_group_gets_the_documented_defaults() -> None:
    group = parse_group(group_body())
    assert group.spec.interval_seconds == 1.0
    assert group.spec.topic.retention_ms == 3_600_000
    assert group.spec.compression == "zstd"
    assert group.wanted_topic_name == "satfeed.positions.space.eo"
    assert [group.shards_for(n) for n in (0, 5000, 5001, 16_069, 10**6)] == [1, 1, 2, 4, 64]
    assert parse_group(group_body(shards=3)).shards_for(16_069) == 3


@pytest.mark.parametrize(
    ("spec", "path", "fix"),
    [
        ({"source": None}, "spec.source", "give spec.source.celestrak"),
        ({"source": {}}, "spec.source", "exactly one of celestrak, configMaps"),
        ({"source": {"celestrak": {"group": "Star Link"}}}, "spec.source.celestrak.group", ""),
        ({"source": {"configMaps": []}}, "spec.source.configMaps", "list 1 to 64"),
        ({"source": {"configMaps": [{"key": "x"}]}}, "spec.source.configMaps[0].name", ""),
        ({"shards": 0}, "spec.shards", "give 1 to 64"),
        ({"shards": 65}, "spec.shards", "give 1 to 64"),
        ({"membersPerShard": 0}, "spec.membersPerShard", ""),
        ({"members": {"noradIds": [25544, "ISS"]}}, "spec.members.noradIds[1]", ""),
        ({"members": {"noradIds": [0]}}, "spec.members.noradIds[0]", ""),
        ({"members": {"namePattern": "(unclosed"}}, "spec.members.namePattern", ""),
        ({"topic": {"compression": "brotli"}}, "spec.topic.compression", "zstd"),
        ({"topic": {"retention": "a week"}}, "spec.topic.retention", "1h30m"),
        ({"intervalSeconds": 0}, "spec.intervalSeconds", ""),
    ],
)
def test_bad_specs_name_the_field_and_the_fix(spec: dict[str, Any], path: str, fix: str) -> None:
    with pytest.raises(SpecError) as raised:
        parse_group(group_body(**spec))
    assert raised.value.path == path
    assert fix in raised.value.fix


def test_a_name_too_long_for_the_shard_names_is_refused() -> None:
    body = group_body()
    body["metadata"]["name"] = "x" * 55
    with pytest.raises(SpecError, match="at most 54"):
        parse_group(body)


def test_members_are_deduplicated_filtered_and_judged() -> None:
    sets = three_line_sets(tle_file("earth-observation.tle"))
    terra = "\n".join(sets["TERRA"]) + "\n"
    # TERRA twice: the newer epoch wins.
    older_terra = "\n".join(shifted_epoch(sets["TERRA"], -30)) + "\n"
    texts = [("a", EO_TEXT), ("b", older_terra)]
    members, census = gather(texts, MemberFilter(None, None), EPOCH, STALE_AFTER)
    assert census.found == census.members == census.usable == 25
    assert [each.norad_id for each in members] == sorted(each.norad_id for each in members)
    terra_member = next(each for each in members if each.name == "TERRA")
    assert terra_member.epoch == parse_elements(terra)[0].epoch

    only = MemberFilter(frozenset({25994, 27424}), None)
    assert gather(texts, only, EPOCH, STALE_AFTER)[1].members == 2
    named = MemberFilter(None, re.compile("^NOAA"))
    noaa, census = gather(texts, named, EPOCH, STALE_AFTER)
    assert census.members == len(noaa) > 0
    assert all(each.name.startswith("NOAA") for each in noaa)

    later = EPOCH + timedelta(days=60)
    _, aged = gather(texts, MemberFilter(None, None), later, STALE_AFTER)
    assert aged.stale == aged.usable


def test_a_malformed_source_names_where() -> None:
    broken = EO_TEXT.replace(EO_TEXT.splitlines()[4], EO_TEXT.splitlines()[4][:40])
    with pytest.raises(MembersError, match=r"ConfigMap x, line 5, element set .* \(TLE line 1"):
        gather([("ConfigMap x", broken)], MemberFilter(None, None), EPOCH, STALE_AFTER)


def test_the_census_says_what_is_left_out_and_why() -> None:
    from satfeed_operator.group_members import Census

    assert members_condition(Census(10, 10, 10, 0)).reason == "Usable"
    assert members_condition(Census(10, 10, 10, 3)).reason == "ElementsStale"
    unusable = members_condition(Census(10, 10, 8, 0, {"ElementsDecayed": 2}, ("X decayed",)))
    assert (unusable.status, unusable.reason) == ("True", "MembersUnusable")
    assert "2 ElementsDecayed, e.g. X decayed" in unusable.message
    none = members_condition(Census(10, 0, 0, 0))
    assert (none.status, none.reason) == ("False", "NoUsableMembers")
    assert "spec.members admits none" in none.message


def test_chunks_stay_under_the_budget_and_hold_every_member_once() -> None:
    members = parse_elements(tle_file("catalog-large.tle").read_text())
    chunks = chunk_texts(members)
    assert len(chunks) == 4
    assert all(len(chunk.encode()) <= 700_000 for chunk in chunks)
    ids = [each.norad_id for chunk in chunks for each in parse_elements(chunk)]
    assert ids == [each.norad_id for each in members]


def test_omm_members_go_to_json_chunks() -> None:
    omm = json.dumps(
        [
            {
                "OBJECT_NAME": "X",
                "NORAD_CAT_ID": 900001,
                "EPOCH": "2026-08-22T00:00:00",
                "MEAN_MOTION": 15.5,
                "ECCENTRICITY": 0.001,
                "INCLINATION": 51.6,
                "RA_OF_ASC_NODE": 10.0,
                "ARG_OF_PERICENTER": 20.0,
                "MEAN_ANOMALY": 30.0,
                "BSTAR": 0.0001,
                "MEAN_MOTION_DOT": 0.0,
                "MEAN_MOTION_DDOT": 0.0,
            }
        ]
    )
    members = parse_elements(EO_TEXT) + parse_elements(omm)
    chunks = chunk_texts(members, budget=2000)
    assert chunks[-1].startswith("[")
    assert sorted(e.norad_id for c in chunks for e in parse_elements(c)) == sorted(
        e.norad_id for e in members
    )


def test_the_topic_has_a_partition_per_shard_and_says_its_encoding() -> None:
    group = parse_group(group_body())
    topic = build_group_kafkatopic(group, "t", 4, "satfeed", None)
    assert topic["spec"]["partitions"] == 4
    assert topic["spec"]["config"]["compression.type"] == "zstd"
    assert topic["metadata"]["labels"][ENCODING_KEY] == ENCODING_BATCH_V2
    assert topic["metadata"]["labels"][SATELLITE_GROUP_KEY] == "eo"
    assert topic["metadata"]["ownerReferences"][0]["kind"] == "SatelliteGroup"


def test_a_shard_mounts_every_chunk_and_rolls_only_on_env_or_chunk_count() -> None:
    group = parse_group(group_body())
    config = OperatorConfig(kafka_cluster="satfeed", kafka_clusters={"satfeed": "k:9092"})
    env = shard_env(group, 2, "t", "k:9092", config)
    deployment = build_shard_deployment(group, 2, 3, 1, env, config)
    pod = deployment["spec"]["template"]
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    paths = [
        s["configMap"]["items"][0]["path"] for s in volumes["elements"]["projected"]["sources"]
    ]
    assert paths == ["0.elements", "1.elements", "2.elements"]
    values = {e["name"]: e["value"] for e in pod["spec"]["containers"][0]["env"]}
    assert values["SATFEED_SHARD"] == "2"
    assert values["SATFEED_SHARD_PLAN_FILE"] == "/etc/satfeed/shards/plan.json"
    assert deployment["spec"]["strategy"]["type"] == "Recreate"
    assert pod["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True
    checksum = pod["metadata"]["annotations"]["satfeed.io/producer-checksum"]
    again = build_shard_deployment(group, 2, 3, 1, env, config)
    assert again["spec"]["template"]["metadata"]["annotations"]["satfeed.io/producer-checksum"] == (
        checksum
    )
    more = build_shard_deployment(group, 2, 4, 1, env, config)
    assert more["spec"]["template"]["metadata"]["annotations"]["satfeed.io/producer-checksum"] != (
        checksum
    )


def _plan_map(plan: ShardPlan) -> dict[str, Any]:
    return {"data": {"plan.json": plan.to_json()}}


def test_a_new_shard_count_is_scheduled_ahead_from_the_count_in_force() -> None:
    group = parse_group(group_body(shards=5))
    assert _plan(group, None, 100, 120) == ShardPlan.steady(5)
    steady = ShardPlan.steady(4)
    planned = _plan(group, _plan_map(steady), 100, 120)
    assert (planned.previous, planned.shards) == (4, 5)
    ahead = planned.switch_at - datetime.now(UTC)
    assert timedelta(seconds=118) < ahead <= timedelta(seconds=120)
    # Asked again before the switch: the same plan, not a later one.
    assert _plan(group, _plan_map(planned), 100, 120) == planned
    # Changed again before the switch: from the count still in force (4), not 5.
    replanned = _plan(parse_group(group_body(shards=2)), _plan_map(planned), 100, 120)
    assert (replanned.previous, replanned.shards) == (4, 2)
    # A plan file edited into nonsense starts over.
    assert _plan(group, {"data": {"plan.json": "{"}}, 100, 120) == ShardPlan.steady(5)
