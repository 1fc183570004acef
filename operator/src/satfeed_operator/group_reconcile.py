"""Bring one SatelliteGroup's children and status in line with its spec. Idempotent.

Triggered like a Satellite's reconcile: the group's own changes, its children's events,
changes of ConfigMaps it takes members from, and the periodic resync. Order: members
(:mod:`satfeed_operator.group_sources`), then the elements chunks and the shard plan, the
KafkaTopic, and the shard Deployments (0 replicas until the topic is Ready), then status.

A change of the shard count is a :class:`~satfeed_core.shards.ShardPlan` with a switch
``reshard_lead_seconds`` ahead: new shards start at once and idle until then, and shards
past the new count are removed once the switch has passed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from satfeed_core.labels import SATELLITE_GROUP_KEY, SHARD_KEY
from satfeed_core.shards import ShardPlan, ShardPlanError

from satfeed_operator.api import SpecError
from satfeed_operator.conditions import (
    FALSE,
    TRUE,
    UNKNOWN,
    Condition,
    producer_condition,
    producer_replicas,
    ready_condition,
    topic_condition,
)
from satfeed_operator.consts import (
    API_VERSION,
    ELEMENTS_VALID,
    GROUP_KIND,
    GROUP_PLURAL,
    KAFKATOPIC_API_VERSION,
    READY,
    SHARDS_READY,
    TOPIC_READY,
)
from satfeed_operator.context import OperatorContext
from satfeed_operator.credentials import producer_credentials
from satfeed_operator.group_api import CelestrakGroupSource, SatelliteGroup, parse_group
from satfeed_operator.group_objects import (
    build_elements_configmap,
    build_group_kafkatopic,
    build_group_kafkauser,
    build_group_networkpolicy,
    build_plan_configmap,
    build_shard_deployment,
    shard_env,
)
from satfeed_operator.group_sources import JudgedCache, MembersOutcome, chunk_text, resolve_members
from satfeed_operator.kube import ApiError, object_path, owned_by
from satfeed_operator.reconcile import Outcome, run_reconcile
from satfeed_operator.status import now, timestamp, write_status

JUDGED = JudgedCache()
"""Gathered members per group, for the operator process's life."""


def group_path(namespace: str, name: str | None = None) -> str:
    return object_path(API_VERSION, GROUP_PLURAL, namespace, name)


def group_key(namespace: str, name: str) -> tuple[str, str]:
    """The lock and debounce key: apart from a Satellite of the same name."""
    return (namespace, f"{GROUP_PLURAL}/{name}")


async def reconcile_group_soon(ctx: OperatorContext, namespace: str, name: str) -> None:
    await ctx.debounced(group_key(namespace, name), lambda: reconcile_group(ctx, namespace, name))


async def reconcile_group(ctx: OperatorContext, namespace: str, name: str) -> Outcome:
    return await run_reconcile(
        ctx,
        GROUP_KIND,
        group_key(namespace, name),
        lambda: _reconcile_group(ctx, namespace, name),
        lambda: reconcile_group(ctx, namespace, name),
    )


async def _reconcile_group(ctx: OperatorContext, namespace: str, name: str) -> Outcome:
    body = await ctx.kube.get(group_path(namespace, name))
    if body is None or body.get("metadata", {}).get("deletionTimestamp"):
        JUDGED.entries.pop((namespace, name), None)
        ctx.metrics.forget(GROUP_KIND, namespace, name)
        return Outcome()  # its children go through their owner references
    generation = int(body.get("metadata", {}).get("generation") or 0)
    try:
        group = parse_group(body)
    except SpecError as error:
        not_checked = f"not checked until {error.path} is fixed"
        conditions = [
            Condition(kind, UNKNOWN, "InvalidSpec", not_checked)
            for kind in (ELEMENTS_VALID, TOPIC_READY, SHARDS_READY)
        ] + [Condition(READY, FALSE, "InvalidSpec", str(error))]
        await write_status(ctx, body, conditions, generation, {})
        return Outcome(permanent=str(error))
    try:
        return await _reconcile_valid(ctx, body, group)
    except ApiError as exc:
        if exc.namespace_terminating:
            return Outcome()
        raise


async def _reconcile_valid(
    ctx: OperatorContext, body: Mapping[str, Any], group: SatelliteGroup
) -> Outcome:
    ns = group.namespace
    selector = f"{SATELLITE_GROUP_KEY}={group.name}"
    topic_path = object_path(KAFKATOPIC_API_VERSION, "kafkatopics", ns, group.kafkatopic_name)
    configmaps, deployments, kafkatopic = await asyncio.gather(
        ctx.kube.list(object_path("v1", "configmaps", ns), selector),
        ctx.kube.list(object_path("apps/v1", "deployments", ns), selector),
        ctx.kube.get(topic_path),
    )
    configmaps = [each for each in configmaps if owned_by(each, group.uid)]
    deployments = [each for each in deployments if owned_by(each, group.uid)]
    by_name = {each["metadata"]["name"]: each for each in configmaps}
    chunks_now = _chunks_in_place(group, by_name)
    previous = body.get("status") or {}
    members = await resolve_members(ctx, group, previous, chunks_now, JUDGED)
    judged = members.judged
    chunks = list(judged.chunks) if judged else chunks_now
    usable = judged.census.usable if judged else _previous_usable(previous)
    retry_in = members.retry_in

    cluster = group.spec.kafka_cluster or ctx.config.kafka_cluster
    bootstrap = ctx.config.bootstrap_servers(cluster)
    plan = _plan(group, by_name.get(group.plan_name), usable, ctx.config.reshard_lead_seconds)
    moment = now()
    running_shards = max(plan.shards, plan.previous if moment < plan.switch_at else 0)
    if moment < plan.switch_at:  # come back to retire the shards past the switch
        retry_in = min(retry_in or 1e9, (plan.switch_at - moment).total_seconds() + 1)
    topic_name = str(
        ((kafkatopic or {}).get("spec") or {}).get("topicName") or group.wanted_topic_name
    )
    shards_ready = 0

    if bootstrap is None:
        message = (
            f"spec.kafkaCluster {cluster!r} is not a Kafka cluster this operator serves (it "
            f"serves {', '.join(sorted(ctx.config.kafka_clusters))})"
        )
        topic = Condition(TOPIC_READY, FALSE, "UnknownKafkaCluster", message)
        shards = Condition(SHARDS_READY, FALSE, "UnknownKafkaCluster", message)
    elif not chunks:
        waiting = "created once the group has usable members (see ElementsValid)"
        topic = Condition(TOPIC_READY, UNKNOWN, "WaitingForElements", f"the topic is {waiting}")
        shards = Condition(SHARDS_READY, UNKNOWN, "WaitingForElements", f"the shards are {waiting}")
    elif kafkatopic is not None and not owned_by(kafkatopic, group.uid):
        topic = Condition(
            TOPIC_READY,
            FALSE,
            "KafkaTopicNameTaken",
            f"KafkaTopic {ns}/{group.kafkatopic_name} exists and does not belong to this "
            "SatelliteGroup (a Satellite of the same name?); the operator leaves it alone. "
            "Give the group another name",
        )
        shards = Condition(SHARDS_READY, FALSE, "KafkaTopicNameTaken", topic.message)
    else:
        await _apply_chunks(ctx, group, chunks, by_name)
        await ctx.applied(
            "configmaps",
            object_path("v1", "configmaps", ns, group.plan_name),
            build_plan_configmap(group, plan),
            by_name.get(group.plan_name),
        )
        live_partitions = int(((kafkatopic or {}).get("spec") or {}).get("partitions") or 0)
        partitions = max(group.spec.topic.partitions, running_shards, live_partitions)
        kafkatopic = await ctx.applied(
            "kafkatopics",
            topic_path,
            build_group_kafkatopic(
                group, topic_name, partitions, cluster, ctx.config.topic_replicas
            ),
            kafkatopic,
        )
        topic = topic_condition(kafkatopic, cluster)
        shards, shards_ready = await _apply_shards(
            ctx,
            group,
            deployments,
            running_shards,
            len(chunks),
            topic,
            topic_name,
            bootstrap,
            cluster,
        )

    conditions = [
        members.condition,
        topic,
        shards,
        ready_condition(members.condition, topic, shards, topic_name),
    ]
    extra = {
        "topicName": topic_name if kafkatopic is not None else None,
        "kafkaCluster": cluster,
        "members": _members_status(members, previous),
        "shards": plan.shards,
        "shardsReady": shards_ready,
        "reshard": (
            {"from": plan.previous, "to": plan.shards, "at": timestamp(plan.switch_at)}
            if moment < plan.switch_at
            else None
        ),
        "elements": {
            "source": "celestrak"
            if isinstance(group.spec.source, CelestrakGroupSource)
            else "configMaps",
            "fetchedAt": timestamp(members.fetched_at),
            "nextFetchAt": timestamp(members.next_fetch_at),
            "judgedAt": timestamp(judged.judged_at)
            if judged
            else previous.get("elements", {}).get("judgedAt"),
            "chunks": len(chunks),
        },
    }
    await write_status(ctx, body, conditions, group.generation, extra)
    return Outcome(retry_in=retry_in)


def _previous_usable(previous: Mapping[str, Any]) -> int:
    return int((previous.get("members") or {}).get("usable") or 0)


def _chunks_in_place(group: SatelliteGroup, by_name: Mapping[str, Any]) -> list[str]:
    """The chunks the shards read now: ``<group>-elements-0`` up to the first gap."""
    chunks: list[str] = []
    while (configmap := by_name.get(group.elements_name(len(chunks)))) is not None:
        chunks.append(chunk_text(configmap))
    return chunks


def _plan(
    group: SatelliteGroup, configmap: Mapping[str, Any] | None, usable: int, lead: float
) -> ShardPlan:
    wanted = group.shards_for(usable)
    live = None
    if configmap is not None:
        try:
            live = ShardPlan.from_json((configmap.get("data") or {}).get("plan.json") or "")
        except ShardPlanError:
            live = None  # hand-edited into nonsense: start over
    if live is None:
        return ShardPlan.steady(wanted)
    if live.shards == wanted:
        return live
    return ShardPlan(
        shards=wanted,
        previous=live.shards_at(now()),
        switch_at=now().replace(microsecond=0) + timedelta(seconds=lead),
    )


async def _apply_chunks(
    ctx: OperatorContext, group: SatelliteGroup, chunks: list[str], by_name: Mapping[str, Any]
) -> None:
    for index, text in enumerate(chunks):
        name = group.elements_name(index)
        live = by_name.get(name)
        if live is not None and chunk_text(live) == text:
            continue
        path = object_path("v1", "configmaps", group.namespace, name)
        await ctx.apply(path, build_elements_configmap(group, index, text))
    for name in by_name:
        extra = name.removeprefix(f"{group.name}-elements-")
        if extra != name and extra.isdigit() and int(extra) >= len(chunks):
            await _delete(ctx, object_path("v1", "configmaps", group.namespace, name))


async def _apply_shards(
    ctx: OperatorContext,
    group: SatelliteGroup,
    deployments: list[dict[str, Any]],
    running_shards: int,
    chunks: int,
    topic: Condition,
    topic_name: str,
    bootstrap: str,
    cluster: str,
) -> tuple[Condition, int]:
    """Apply shards 0 .. running_shards-1, remove the others; ShardsReady and how many are."""
    live = {
        int(labels[SHARD_KEY]): each
        for each in deployments
        if (labels := each["metadata"].get("labels") or {}).get(SHARD_KEY, "").isdigit()
    }
    for shard, stale in live.items():
        if shard >= running_shards:
            path = object_path("apps/v1", "deployments", group.namespace, stale["metadata"]["name"])
            await _delete(ctx, path)
    await ctx.applied_child(
        "networkpolicies",
        object_path(
            "networking.k8s.io/v1", "networkpolicies", group.namespace, group.producer_user_name
        ),
        build_group_networkpolicy(group, cluster, bootstrap),
    )
    credentials = None
    if ctx.config.kafka_users:
        found = await producer_credentials(
            ctx, build_group_kafkauser(group, topic_name, cluster), group.uid, SHARDS_READY
        )
        if isinstance(found, Condition):  # as a Satellite's producer: see reconcile.py
            return found, 0
        credentials = found
    conditions = []
    for shard in range(running_shards):
        deployment = live.get(shard)
        running = deployment is not None and int(deployment["spec"].get("replicas") or 0) > 0
        replicas = producer_replicas(group.spec.paused, topic, running)
        env = shard_env(group, shard, topic_name, bootstrap, ctx.config, credentials)
        manifest = build_shard_deployment(
            group, shard, chunks, replicas, env, ctx.config, credentials
        )
        path = object_path("apps/v1", "deployments", group.namespace, group.shard_name(shard))
        applied = await ctx.applied("deployments", path, manifest, deployment)
        conditions.append(producer_condition(applied, replicas, group.spec.paused))
    ready = sum(condition.status == TRUE for condition in conditions)
    if group.spec.paused:
        paused = (
            "spec.paused is true: every shard is scaled to 0; the topic and its records are "
            "kept (set spec.paused to false to resume)"
        )
        return Condition(SHARDS_READY, FALSE, "Paused", paused), 0
    if ready == running_shards:
        return Condition(
            SHARDS_READY, TRUE, "Available", f"all {running_shards} shard(s) are publishing"
        ), ready
    first = next(condition for condition in conditions if condition.status != TRUE)
    return Condition(
        SHARDS_READY,
        first.status,
        first.reason,
        f"{ready} of {running_shards} shards available; first not ready: {first.message}",
    ), ready


async def _delete(ctx: OperatorContext, path: str) -> None:
    try:
        await ctx.kube.request("DELETE", path)
    except ApiError as exc:
        if exc.status != 404:
            raise


def _members_status(members: MembersOutcome, previous: Mapping[str, Any]) -> Any:
    census = members.judged.census if members.judged else None
    if census is None:
        return previous.get("members")  # unchanged: the last good members still fly
    return {
        "found": census.found,
        "admitted": census.members,
        "usable": census.usable,
        "stale": census.stale,
        "unusable": sum(census.unusable.values()),
        "unusableByReason": census.unusable or None,
    }
