"""Bring one Satellite's children and status in line with its spec. Idempotent.

Every trigger ends here: the Satellite's own create/update/resume, any event on one of its
children (so hand edits and deletions are undone), and the periodic resync. A reconcile
reads the current state, server-side-applies the children it wants (with fixed names, so
running it twice or after a crash creates nothing twice) and writes the status.

The elements come from :mod:`satfeed_operator.sources`, the status and events are written
by :mod:`satfeed_operator.status`, and the shared state (locks, debounce, the children as
last seen) is :mod:`satfeed_operator.context`'s; this module is the algorithm in between.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import kopf
from satfeed_core.elements import Elements

from satfeed_operator.api import (
    Satellite,
    SpecError,
    parse_satellite,
    source_kind,
    source_path,
    validate_elements,
)
from satfeed_operator.conditions import (
    FALSE,
    UNKNOWN,
    Condition,
    StatusEvent,
    producer_condition,
    producer_replicas,
    ready_condition,
    topic_condition,
)
from satfeed_operator.consts import (
    ELEMENTS_KEY,
    ELEMENTS_VALID,
    KAFKATOPIC_API_VERSION,
    KIND,
    PRODUCER_READY,
    READY,
    TOPIC_READY,
)
from satfeed_operator.context import OperatorContext
from satfeed_operator.credentials import producer_credentials
from satfeed_operator.kube import ApiError, object_path, owned_by, satellite_path
from satfeed_operator.objects import (
    ProducerPlan,
    build_configmap,
    build_deployment,
    build_kafkatopic,
    build_networkpolicy,
    build_producer_kafkauser,
)
from satfeed_operator.sources import CONFLICT_RETRY_SECONDS, ElementsOutcome, resolve_elements
from satfeed_operator.status import now, post_event, timestamp, write_status


@dataclass(frozen=True)
class Outcome:
    """What a reconcile leaves to kopf: retry later, or give up until the spec changes."""

    retry_in: float | None = None
    permanent: str | None = None

    @property
    def result(self) -> str:
        """How the metrics count it: ``ok``, ``retry`` or ``permanent``."""
        if self.permanent:
            return "permanent"
        return "ok" if self.retry_in is None else "retry"

    def hand_to_kopf(self) -> None:
        """End a kopf handler with this outcome: done, or given up until the spec changes
        (the status says what to fix). Retries are the operator's own
        (:meth:`OperatorContext.retry_later`), so kopf handles every spec change at once."""
        if self.permanent:
            raise kopf.PermanentError(self.permanent)


async def reconcile_soon(ctx: OperatorContext, namespace: str, name: str) -> None:
    """Reconcile ``namespace/name`` after a short wait, folding a burst of events into one
    reconcile (see :meth:`OperatorContext.debounced`)."""
    await ctx.debounced((namespace, name), lambda: reconcile(ctx, namespace, name))


async def reconcile(
    ctx: OperatorContext, namespace: str, name: str, body: Mapping[str, Any] | None = None
) -> Outcome:
    """Reconcile the Satellite ``namespace/name`` (``body``: as just seen, else read)."""
    return await run_reconcile(
        ctx,
        KIND,
        (namespace, name),
        lambda: _reconcile(ctx, namespace, name, body),
        lambda: reconcile(ctx, namespace, name),
    )


async def run_reconcile(
    ctx: OperatorContext,
    kind: str,
    key: tuple[str, str],
    attempt: Callable[[], Awaitable[Outcome]],
    again: Callable[[], Awaitable[Outcome]],
) -> Outcome:
    """Time and count one reconcile of any kind, and have ``again`` run when it asks to be
    retried (on the operator's timer, see :meth:`OperatorContext.retry_later`)."""
    async with ctx.metrics.reconciling(kind) as result:
        outcome = await attempt()
        result.append(outcome.result)
    if outcome.retry_in is not None:
        ctx.retry_later(key, outcome.retry_in, again)
    return outcome


async def _reconcile(
    ctx: OperatorContext, namespace: str, name: str, body: Mapping[str, Any] | None
) -> Outcome:
    path = satellite_path(namespace, name)
    if body is None:
        body = await ctx.kube.get(path)
    if body is None or body.get("metadata", {}).get("deletionTimestamp"):
        ctx.metrics.forget(KIND, namespace, name)
        return Outcome()  # gone: its children go with it through their owner references
    previous = body.get("status") or {}
    try:
        satellite = parse_satellite(body)
    except SpecError as error:
        invalid = Condition(READY, FALSE, "InvalidSpec", str(error))
        not_checked = f"not checked until {error.path} is fixed"
        conditions = [
            Condition(kind, UNKNOWN, "InvalidSpec", not_checked)
            for kind in (ELEMENTS_VALID, TOPIC_READY, PRODUCER_READY)
        ] + [invalid]
        generation = int(body.get("metadata", {}).get("generation") or 0)
        await write_status(ctx, body, conditions, generation, {})
        return Outcome(permanent=str(error))
    try:
        return await _reconcile_valid(ctx, body, satellite, previous)
    except ApiError as exc:
        if exc.namespace_terminating:
            return Outcome()  # the namespace goes, and the Satellite with it
        raise


@dataclass
class _Children:
    """A Satellite's children as found (None: absent), and those of its names taken by
    objects that are not its own (by kind), which the operator never touches."""

    satellite: Satellite
    kafkatopic: dict[str, Any] | None
    configmap: dict[str, Any] | None
    deployment: dict[str, Any] | None

    @property
    def kafkatopic_path(self) -> str:
        sat = self.satellite
        return object_path(KAFKATOPIC_API_VERSION, "kafkatopics", sat.namespace, sat.name)

    @property
    def configmap_path(self) -> str:
        sat = self.satellite
        return object_path("v1", "configmaps", sat.namespace, sat.elements_configmap_name)

    @property
    def deployment_path(self) -> str:
        sat = self.satellite
        return object_path("apps/v1", "deployments", sat.namespace, sat.producer_name)

    @property
    def foreign(self) -> dict[str, Mapping[str, Any]]:
        found = (
            ("KafkaTopic", self.kafkatopic),
            ("ConfigMap", self.configmap),
            ("Deployment", self.deployment),
        )
        return {
            kind: child
            for kind, child in found
            if child is not None and not owned_by(child, self.satellite.uid)
        }


async def _find_children(ctx: OperatorContext, satellite: Satellite) -> _Children:
    ns = satellite.namespace
    children = _Children(satellite, None, None, None)
    children.kafkatopic, children.configmap, children.deployment = await asyncio.gather(
        ctx.child("kafkatopics", children.kafkatopic_path, ns, satellite.kafkatopic_name),
        ctx.child("configmaps", children.configmap_path, ns, satellite.elements_configmap_name),
        ctx.child("deployments", children.deployment_path, ns, satellite.producer_name),
    )
    return children


async def _reconcile_valid(
    ctx: OperatorContext,
    body: Mapping[str, Any],
    satellite: Satellite,
    previous: Mapping[str, Any],
) -> Outcome:
    children = await _find_children(ctx, satellite)
    foreign = children.foreign
    current_text = None if "ConfigMap" in foreign else _configmap_text(children.configmap)
    elements = await resolve_elements(ctx, satellite, previous, current_text)
    text = elements.text or current_text  # bad new elements: the producer keeps the old ones
    in_use = elements.elements if elements.text else _parse_quietly(satellite, current_text)
    cluster = satellite.spec.kafka_cluster or ctx.config.kafka_cluster
    bootstrap = ctx.config.bootstrap_servers(cluster)
    topic_name = _pinned_topic_name(satellite, children, previous)
    retry_in = elements.retry_in
    permanent = elements.condition.message if elements.permanent else None

    if bootstrap is None:
        topic = Condition(
            TOPIC_READY,
            FALSE,
            "UnknownKafkaCluster",
            f"spec.kafkaCluster {cluster!r} is not a Kafka cluster this operator serves "
            f"(it serves {', '.join(sorted(ctx.config.kafka_clusters))}); re-create the "
            "Satellite with one of those, or add the cluster to the operator's "
            "SATFEED_EXTRA_KAFKA_CLUSTERS",
        )
        producer = Condition(PRODUCER_READY, FALSE, "UnknownKafkaCluster", topic.message)
        permanent = topic.message
    elif text is None or in_use is None:
        waiting = "created once the elements are valid (see ElementsValid)"
        topic = Condition(TOPIC_READY, UNKNOWN, "WaitingForElements", f"the topic is {waiting}")
        producer = Condition(
            PRODUCER_READY, UNKNOWN, "WaitingForElements", f"the producer is {waiting}"
        )
    else:
        display_name = satellite.spec.display_name or in_use.name or satellite.name
        plan = ProducerPlan(
            topic_name=topic_name,
            bootstrap_servers=bootstrap,
            display_name=display_name,
            norad_id=in_use.norad_id,
            elements_text=text,
        )
        topic, producer = await _apply_children(ctx, children, plan, cluster, elements.unusable)
        if foreign:
            retry_in = min(retry_in or CONFLICT_RETRY_SECONDS, CONFLICT_RETRY_SECONDS)

    conditions = [
        elements.condition,
        topic,
        producer,
        ready_condition(elements.condition, topic, producer, topic_name),
    ]
    has_topic = children.kafkatopic is not None and "KafkaTopic" not in foreign
    extra = {
        "topicName": topic_name if has_topic else None,
        "kafkaCluster": cluster,
        "elements": _elements_status(satellite, elements, in_use),
    }
    await write_status(ctx, body, conditions, satellite.generation, extra)
    if elements.text and in_use is not None and _epoch_changed(previous, in_use):
        await post_event(
            ctx,
            body,
            StatusEvent(
                "Normal",
                "ElementsUpdated",
                f"elements with epoch {timestamp(in_use.epoch)} from "
                f"{source_path(satellite.spec.elements)}",
            ),
        )
    return Outcome(retry_in=retry_in, permanent=permanent)


async def _apply_children(
    ctx: OperatorContext,
    children: _Children,
    plan: ProducerPlan,
    cluster: str,
    unusable: str | None,
) -> tuple[Condition, Condition]:
    """Apply ConfigMap, KafkaTopic, NetworkPolicy, KafkaUser (with an authenticating
    Kafka) and Deployment, in that order; TopicReady, ProducerReady.

    The KafkaTopic goes before the Deployment, which starts with 0 replicas and gets 1
    once the topic is Ready: the producer never writes to a topic that does not exist.
    Nor is the Deployment made before its KafkaUser's credentials exist.
    With ``unusable`` elements (the reason why) the producer is scaled to 0: it would only
    fail every sample.
    """
    satellite = children.satellite
    foreign = children.foreign
    if "ConfigMap" not in foreign:
        manifest = build_configmap(satellite, plan.elements_text, plan.display_name)
        children.configmap = await ctx.applied(
            "configmaps", children.configmap_path, manifest, children.configmap
        )
    if "KafkaTopic" in foreign:
        topic = _name_taken(TOPIC_READY, "KafkaTopic", foreign["KafkaTopic"], satellite)
    else:
        manifest = build_kafkatopic(
            satellite, plan.topic_name, cluster, plan.display_name, ctx.config.topic_replicas
        )
        children.kafkatopic = await ctx.applied(
            "kafkatopics", children.kafkatopic_path, manifest, children.kafkatopic
        )
        topic = topic_condition(children.kafkatopic, cluster)
        if plan.topic_name != satellite.wanted_topic_name:
            topic = _rename_refused(plan.topic_name, satellite)
    if "Deployment" in foreign:
        return topic, _name_taken(PRODUCER_READY, "Deployment", foreign["Deployment"], satellite)
    if "ConfigMap" in foreign:
        return topic, _name_taken(PRODUCER_READY, "ConfigMap", foreign["ConfigMap"], satellite)
    deployment = children.deployment
    await ctx.applied_child(
        "networkpolicies",
        object_path(
            "networking.k8s.io/v1", "networkpolicies", satellite.namespace, satellite.producer_name
        ),
        build_networkpolicy(satellite, plan, cluster),
    )
    if ctx.config.kafka_users:
        found = await producer_credentials(
            ctx, build_producer_kafkauser(satellite, plan, cluster), satellite.uid, PRODUCER_READY
        )
        if isinstance(found, Condition):
            # Until it has credentials the producer is not created; one already running
            # keeps its session (a rotation in progress) and rolls once the new ones exist.
            return topic, found
        plan = replace(plan, credentials=found)
    running = deployment is not None and int(deployment["spec"].get("replicas") or 0) > 0
    replicas = 0 if unusable else producer_replicas(satellite.spec.paused, topic, running)
    manifest = build_deployment(satellite, plan, replicas, ctx.config)
    children.deployment = await ctx.applied(
        "deployments", children.deployment_path, manifest, deployment
    )
    if unusable and not satellite.spec.paused:
        stopped = Condition(
            PRODUCER_READY,
            FALSE,
            unusable,
            "the producer is scaled to 0 while the elements cannot be propagated (see "
            "ElementsValid); it starts again with usable elements",
        )
        return topic, stopped
    return topic, producer_condition(children.deployment, replicas, satellite.spec.paused)


def _configmap_text(configmap: Mapping[str, Any] | None) -> str | None:
    if configmap is None:
        return None
    text = (configmap.get("data") or {}).get(ELEMENTS_KEY)
    return text if isinstance(text, str) and text else None


def _parse_quietly(satellite: Satellite, text: str | None) -> Elements | None:
    """The elements the producer has now (they were valid when written)."""
    if text is None:
        return None
    try:
        return validate_elements(text, "ConfigMap", satellite.spec.norad_id)
    except SpecError:
        return None


def _pinned_topic_name(
    satellite: Satellite, children: _Children, previous: Mapping[str, Any]
) -> str:
    """The Kafka topic in use: once created, it keeps its name (Kafka cannot rename)."""
    if children.kafkatopic is not None and "KafkaTopic" not in children.foreign:
        existing = (children.kafkatopic.get("spec") or {}).get("topicName")
        if existing:
            return str(existing)
    return str(previous.get("topicName") or satellite.wanted_topic_name)


def _rename_refused(topic_name: str, satellite: Satellite) -> Condition:
    return Condition(
        TOPIC_READY,
        FALSE,
        "TopicRenameRefused",
        f"the spec asks for Kafka topic {satellite.wanted_topic_name} but this Satellite "
        f"publishes to {topic_name}, and Kafka topics cannot be renamed; the operator keeps "
        f"{topic_name}. Undo the change to spec.topic.name, or create a new Satellite for "
        "the new topic",
    )


def _name_taken(
    condition_type: str, kind: str, child: Mapping[str, Any], satellite: Satellite
) -> Condition:
    name = child.get("metadata", {}).get("name")
    return Condition(
        condition_type,
        FALSE,
        f"{kind}NameTaken",
        f"{kind} {satellite.namespace}/{name} exists and does not belong to this Satellite; "
        f"the operator leaves it alone. Delete or rename it, or give this Satellite "
        f"another name",
    )


def _epoch_changed(previous: Mapping[str, Any], elements: Elements) -> bool:
    before = (previous.get("elements") or {}).get("epoch")
    return before is not None and before != timestamp(elements.epoch)


def _elements_status(
    satellite: Satellite, outcome: ElementsOutcome, in_use: Elements | None
) -> dict[str, Any]:
    """``status.elements``: every key present, None removing what no longer applies."""
    epoch = in_use.epoch if in_use else None
    return {
        "source": source_kind(satellite.spec.elements),
        "name": (in_use.name or None) if in_use else None,
        "noradId": in_use.norad_id if in_use else None,
        "epoch": timestamp(epoch),
        "ageHours": int((now() - epoch).total_seconds() // 3600) if epoch else None,
        "fetchedAt": timestamp(outcome.fetched_at),
        "nextFetchAt": timestamp(outcome.next_fetch_at),
    }
