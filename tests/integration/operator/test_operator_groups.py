"""A SatelliteGroup's life against the real apiserver, Kafka and Topic Operator stand-in:
the whole bundled catalogue from ConfigMaps, sharded and resharded; a CelesTrak group;
bad sources keeping the last good members; deletion taking everything with it.

The test bed has no node, so the shard pods are created but never run (ShardsReady stays
False); tests/node runs them for real.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from satfeed_core.elements import parse_elements
from satfeed_core.labels import ENCODING_BATCH_V2, ENCODING_KEY, SATELLITE_GROUP_KEY
from satfeed_core.shards import DEFAULT_MEMBERS_PER_SHARD, ShardPlan
from satfeed_dev.catalogue import catalogue_configmaps
from satfeed_dev.celestrak import GpServer
from satfeed_dev.operator_bed import condition, env_of, get, wait_condition
from satfeed_dev.sample_data import tle_file
from satfeed_dev.testbed import TestBed
from satfeed_dev.waiting import wait_for

from tests.integration.operator.conftest import StartOperator

pytestmark = pytest.mark.integration

LEAD_S = 4
"""The reshard lead the tests run the operator with (the default is 120 s)."""


def group_manifest(namespace: str, name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "satfeed.io/v1alpha1",
        "kind": "SatelliteGroup",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def children(testbed: TestBed, namespace: str, name: str, kind: str) -> list[dict[str, Any]]:
    found = testbed.kube.get_json(
        "get", kind, "-n", namespace, "-l", f"{SATELLITE_GROUP_KEY}={name}"
    )
    return list(found["items"])


def shard_deployments(testbed: TestBed, namespace: str, name: str) -> dict[int, dict[str, Any]]:
    return {
        int(env_of(each)["SATFEED_SHARD"]): each
        for each in children(testbed, namespace, name, "deployments")
    }


def set_shards(testbed: TestBed, namespace: str, shards: int) -> None:
    patch = json.dumps({"spec": {"shards": shards}})
    testbed.kube.kubectl_ok(
        "patch", "satellitegroup", "catalogue", "-n", namespace, "--type=merge", "-p", patch
    )


def message_of(obj: dict[str, Any], type_: str) -> str:
    found = condition(obj, type_)
    assert found is not None, f"no {type_} condition"
    return str(found["message"])


def partitions(testbed: TestBed, topic: str) -> int:
    metadata = testbed.kafka.admin().list_topics(topic, timeout=10)
    return len(metadata.topics[topic].partitions)


def wait_group(
    testbed: TestBed, namespace: str, name: str, type_: str, status: str, **kw: Any
) -> dict[str, Any]:
    return wait_condition(testbed.kube, namespace, name, type_, status, kind="satellitegroup", **kw)


def test_the_whole_catalogue_from_configmaps_sharded_and_resharded(
    testbed: TestBed, namespace: str, start_operator: StartOperator
) -> None:
    kube = testbed.kube
    start_operator(SATFEED_RESHARD_LEAD_SECONDS=str(LEAD_S))
    sources = catalogue_configmaps(tle_file("catalog-large.tle"), "catalogue", namespace)
    assert len(sources) == 4  # 2.6 MB: more than one ConfigMap holds
    for configmap in sources:
        kube.apply(configmap)
    refs = [{"name": each["metadata"]["name"]} for each in sources]
    kube.apply(group_manifest(namespace, "catalogue", source={"configMaps": refs}))

    group = wait_group(testbed, namespace, "catalogue", "TopicReady", "True", timeout=90)
    members = group["status"]["members"]
    # Elements 100 days old: most still fly (stale), the re-entered ones are left out.
    assert members["found"] == members["admitted"] == 16_069
    assert members["usable"] + members["unusable"] == 16_069
    assert members["unusable"] == sum(members["unusableByReason"].values()) > 0
    assert members["stale"] == members["usable"] > 15_000
    elements = condition(group, "ElementsValid")
    assert elements is not None
    assert (elements["status"], elements["reason"]) == ("True", "MembersUnusable")
    assert "ElementsDecayed" in elements["message"]
    shards = math.ceil(members["usable"] / DEFAULT_MEMBERS_PER_SHARD)
    assert group["status"]["shards"] == shards == 4

    # The members' elements: in chunks under a ConfigMap's size limit, each member once.
    chunk_maps = [
        each
        for each in children(testbed, namespace, "catalogue", "configmaps")
        if "-elements-" in each["metadata"]["name"]
    ]
    assert len(chunk_maps) == group["status"]["elements"]["chunks"]
    assert all(len(each["data"]["elements"].encode()) < 1_000_000 for each in chunk_maps)
    ids = [e.norad_id for each in chunk_maps for e in parse_elements(each["data"]["elements"])]
    assert len(ids) == len(set(ids)) == members["usable"]

    # One topic of position batches, a partition per shard; a Deployment per shard.
    topic = get(kube, "kafkatopic", namespace, "catalogue")
    assert topic is not None
    assert topic["metadata"]["labels"][ENCODING_KEY] == ENCODING_BATCH_V2
    assert topic["spec"]["config"]["compression.type"] == "zstd"
    assert topic["spec"]["config"]["retention.ms"] == 3_600_000
    topic_name = group["status"]["topicName"]
    assert partitions(testbed, topic_name) >= shards

    def scaled_up() -> dict[int, dict[str, Any]] | None:
        found = shard_deployments(testbed, namespace, "catalogue")
        ok = sorted(found) == list(range(shards)) and all(
            each["spec"]["replicas"] == 1 for each in found.values()
        )
        return found if ok else None

    deployments = wait_for(scaled_up, 30, "four shards scaled to 1 once the topic is Ready")
    for shard, deployment in deployments.items():
        env = env_of(deployment)
        assert env["SATFEED_TOPIC"] == topic_name
        assert env["SATFEED_SHARD"] == str(shard)
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        assert len(volumes["elements"]["projected"]["sources"]) == len(chunk_maps)

    # kubectl get shows the group's state in its columns.
    table = kube.kubectl_ok("get", "satellitegroups", "-n", namespace)
    assert table.split("\n")[0].split()[:6] == [
        "NAME",
        "MEMBERS",
        "UNUSABLE",
        "SHARDS",
        "SHARDS-READY",
        "READY",
    ]

    # Five shards: the new one starts at once; the switch is one tick, LEAD_S ahead.
    set_shards(testbed, namespace, 5)
    pending = wait_for(
        lambda: (
            (g := get(kube, "satellitegroup", namespace, "catalogue"))
            and (g["status"].get("reshard") or None)
            and g
        ),
        30,
        "the reshard to 5 scheduled",
    )
    assert pending["status"]["reshard"]["from"] == 4
    assert pending["status"]["reshard"]["to"] == 5
    plan_map = get(kube, "configmap", namespace, "catalogue-shards")
    assert plan_map is not None
    plan = ShardPlan.from_json(plan_map["data"]["plan.json"])
    assert (plan.previous, plan.shards) == (4, 5)
    assert plan.switch_at - plan.switch_at.replace(microsecond=0) == timedelta(0)
    wait_for(lambda: len(shard_deployments(testbed, namespace, "catalogue")) == 5, 30, "shard 4")
    wait_for(
        lambda: (
            not (get(kube, "satellitegroup", namespace, "catalogue") or {})["status"].get("reshard")
        ),
        LEAD_S + 30,
        "the switch to 5 shards done",
    )
    assert partitions(testbed, topic_name) >= 5

    # Back to two: shards 2-4 keep publishing until the switch, then go.
    set_shards(testbed, namespace, 2)
    wait_for(
        lambda: sorted(shard_deployments(testbed, namespace, "catalogue")) == [0, 1],
        LEAD_S + 30,
        "shards past the new count removed after the switch",
    )

    # Deleting the group takes every child with it.
    kube.kubectl_ok("delete", "satellitegroup", "catalogue", "-n", namespace)
    for kind in ("deployments", "configmaps", "kafkatopics"):

        def gone(kind: str = kind) -> bool:
            return not children(testbed, namespace, "catalogue", kind)

        wait_for(gone, 60, f"the group's {kind} gone")


def test_bad_sources_say_what_to_fix_and_keep_the_last_good_members(
    testbed: TestBed, namespace: str, start_operator: StartOperator
) -> None:
    kube = testbed.kube
    start_operator()
    ref = {"configMaps": [{"name": "eo"}]}
    kube.apply(group_manifest(namespace, "eo", source=ref, shards=1))
    missing = wait_group(
        testbed, namespace, "eo", "ElementsValid", "False", reason="ConfigMapNotFound"
    )
    assert "ConfigMap " + namespace + "/eo does not exist" in message_of(missing, "ElementsValid")

    good = tle_file("earth-observation.tle").read_text()
    configmap = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "eo", "namespace": namespace},
        "data": {"elements": good},
    }
    kube.apply(configmap)
    flying = wait_group(testbed, namespace, "eo", "TopicReady", "True", timeout=60)
    chunks_before = [
        each["data"]
        for each in children(testbed, namespace, "eo", "configmaps")
        if "-elements-" in each["metadata"]["name"]
    ]
    assert flying["status"]["members"]["found"] == 25

    # A malformed source: the message names the ConfigMap and line; the members stay.
    broken = good.replace(good.splitlines()[4], good.splitlines()[4][:40])
    kube.apply({**configmap, "data": {"elements": broken}})
    invalid = wait_group(
        testbed, namespace, "eo", "ElementsValid", "False", reason="InvalidElements"
    )
    message = message_of(invalid, "ElementsValid")
    assert "ConfigMap eo key 'elements', line 5" in message
    assert "keeps its current members" in message
    chunks_after = [
        each["data"]
        for each in children(testbed, namespace, "eo", "configmaps")
        if "-elements-" in each["metadata"]["name"]
    ]
    assert chunks_after == chunks_before
    assert sorted(shard_deployments(testbed, namespace, "eo")) == [0]

    # A key that is not there, then a filter that admits nobody.
    kube.apply(
        group_manifest(
            namespace, "eo", source={"configMaps": [{"name": "eo", "key": "tle"}]}, shards=1
        )
    )
    no_key = wait_group(
        testbed, namespace, "eo", "ElementsValid", "False", reason="ConfigMapKeyMissing"
    )
    assert "its keys: elements" in message_of(no_key, "ElementsValid")
    kube.apply({**configmap, "data": {"elements": good}})
    kube.apply(
        group_manifest(namespace, "eo", source=ref, shards=1, members={"namePattern": "^NOTHING"})
    )
    nobody = wait_group(
        testbed, namespace, "eo", "ElementsValid", "False", reason="NoUsableMembers"
    )
    assert "spec.members admits none" in message_of(nobody, "ElementsValid")

    # A spec the operator refuses (past the CRD, e.g. a bad regular expression).
    kube.apply(group_manifest(namespace, "eo", source=ref, members={"namePattern": "(unclosed"}))
    bad = wait_group(testbed, namespace, "eo", "Ready", "False", reason="InvalidSpec")
    assert "spec.members.namePattern" in message_of(bad, "Ready")


@pytest.fixture
def gp_server() -> Iterator[GpServer]:
    with GpServer(tle_file("earth-observation.tle"), repeat_window=timedelta(0)) as server:
        server.set_group("eo", parse_elements(tle_file("earth-observation.tle").read_text()))
        yield server


def test_a_celestrak_group_is_downloaded_once_and_a_failed_refresh_keeps_it_flying(
    testbed: TestBed, namespace: str, start_operator: StartOperator, gp_server: GpServer
) -> None:
    kube = testbed.kube
    start_operator(SATFEED_CELESTRAK_URL=gp_server.url, SATFEED_ELEMENTS_REFRESH_SECONDS="3")
    kube.apply(group_manifest(namespace, "eo", source={"celestrak": {"group": "eo"}}))
    kube.apply(group_manifest(namespace, "eo-copy", source={"celestrak": {"group": "eo"}}))
    for name in ("eo", "eo-copy"):
        group = wait_group(testbed, namespace, name, "TopicReady", "True", timeout=60)
        assert group["status"]["members"]["found"] == 25
        assert group["status"]["elements"]["source"] == "celestrak"
    requests = gp_server.requests_for_group("eo")
    assert requests[0].status == 200
    # One download serves both groups: never two within the refresh interval.
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(requests)]
    assert all(gap >= 2.9 for gap in gaps), gaps

    gp_server.fail_with(500)
    failing = wait_group(
        testbed, namespace, "eo", "ElementsValid", "True", reason="RefreshFailed", timeout=30
    )
    assert "answered 500" in message_of(failing, "ElementsValid")
    assert sorted(shard_deployments(testbed, namespace, "eo")) == [0]

    kube.apply(group_manifest(namespace, "nope", source={"celestrak": {"group": "no-such-group"}}))
    gp_server.fail_with(None)
    unknown = wait_group(testbed, namespace, "nope", "ElementsValid", "False", reason="FetchFailed")
    assert "Invalid query" in message_of(unknown, "ElementsValid")
