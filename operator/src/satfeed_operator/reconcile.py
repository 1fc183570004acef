"""Bring one Satellite's children and status in line with its spec. Idempotent.

Every trigger ends here: the Satellite's own create/update/resume, any event on one of its
children (so hand edits and deletions are undone), and the periodic resync. A reconcile
reads the current state, server-side-applies the children it wants (with fixed names, so
running it twice or after a crash creates nothing twice) and writes the status.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from satfeed_core.elements import Elements

from satfeed_operator.api import (
    CelestrakSource,
    ConfigMapSource,
    OmmSource,
    Satellite,
    SpecError,
    TleSource,
    inline_elements_text,
    parse_satellite,
    source_kind,
    source_path,
    validate_elements,
    validate_inline,
)
from satfeed_operator.celestrak import GpCache, GpRecord, gp_url
from satfeed_operator.conditions import (
    FALSE,
    TRUE,
    UNKNOWN,
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
from satfeed_operator.config import OperatorConfig
from satfeed_operator.consts import (
    API_VERSION,
    ELEMENTS_KEY,
    ELEMENTS_VALID,
    KAFKATOPIC_API_VERSION,
    PLURAL,
    PRODUCER_READY,
    READY,
    TOPIC_READY,
)
from satfeed_operator.kube import ApiError, KubeClient, object_path
from satfeed_operator.objects import (
    ProducerPlan,
    already_applied,
    build_configmap,
    build_deployment,
    build_event,
    build_kafkatopic,
)

log = logging.getLogger(__name__)

CONFLICT_RETRY_SECONDS: Final = 60.0
"""Retry delay while a child's name is taken or a referenced ConfigMap is missing or bad."""

Key = tuple[str, str]


@dataclass
class OperatorContext:
    """Everything the handlers share, kept in kopf's memo."""

    config: OperatorConfig
    kube: KubeClient
    gp: GpCache
    instance: str = field(default_factory=socket.gethostname)
    """Reported on events: in a pod, the pod's name."""
    debounce_seconds: float = 0.5
    """How long a child's event waits for the rest of its burst before reconciling."""
    _locks: dict[Key, asyncio.Lock] = field(default_factory=dict)
    _users: Counter[Key] = field(default_factory=Counter)
    _queued: set[Key] = field(default_factory=set)
    _children: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    """The operator's children as the watches last saw them: (plural, namespace, name)."""

    def observe(self, plural: str, event_type: str | None, child: Mapping[str, Any]) -> None:
        """Keep the children cache up to date with a watch event."""
        metadata = child.get("metadata") or {}
        key = (plural, str(metadata.get("namespace")), str(metadata.get("name")))
        if event_type == "DELETED":
            self._children.pop(key, None)
        else:
            self._children[key] = dict(child)

    async def child(
        self, plural: str, path: str, namespace: str, name: str
    ) -> dict[str, Any] | None:
        """A child as last seen, else as the apiserver has it now.

        Reading the watch cache saves three requests per reconcile. A miss is read from the
        apiserver: an object of that name that is not the operator's (and so not in its
        label-filtered watches) must be found before anything is applied over it.
        """
        cached = self._children.get((plural, namespace, name))
        if cached is not None:
            return cached
        return await self.kube.get(path)

    async def applied(
        self, plural: str, path: str, manifest: dict[str, Any], live: dict[str, Any] | None
    ) -> dict[str, Any]:
        """Server-side apply ``manifest`` unless ``live`` already is as it says."""
        if live is not None and already_applied(manifest, live):
            return live
        result = await self.kube.apply(path, manifest)
        self.observe(plural, "APPLIED", result)
        return result

    @contextlib.asynccontextmanager
    async def exclusive(self, key: Key) -> AsyncIterator[None]:
        """One reconcile of a Satellite at a time; the lock goes when nobody needs it."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] += 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                del self._locks[key]

    async def reconcile_soon(self, namespace: str, name: str) -> None:
        """Reconcile unless one is already waiting: it will read the newest state anyway.

        Bursts of child events (a rollout updates a Deployment's status many times) thus
        cost one or two reconciles, not one each.
        """
        key = (namespace, name)
        if key in self._queued:
            return
        self._queued.add(key)
        try:
            # A change makes several events in quick succession (a KafkaTopic gets a
            # finalizer, then a status); the reconcile after the last one covers them all.
            await asyncio.sleep(self.debounce_seconds)
            async with self.exclusive(key):
                self._queued.discard(key)
                await reconcile(self, namespace, name)
        finally:
            self._queued.discard(key)


@dataclass(frozen=True)
class Outcome:
    """What a reconcile leaves to kopf: retry later, or give up until the spec changes."""

    retry_in: float | None = None
    permanent: str | None = None


@dataclass(frozen=True)
class ElementsOutcome:
    condition: Condition
    text: str | None = None
    """Validated elements for the producer's ConfigMap (None: none usable)."""
    elements: Elements | None = None
    fetched_at: datetime | None = None
    next_fetch_at: datetime | None = None
    retry_in: float | None = None
    permanent: bool = False


def satellite_path(namespace: str, name: str | None = None) -> str:
    return object_path(API_VERSION, PLURAL, namespace, name)


def _now() -> datetime:
    return datetime.now(UTC)


def _timestamp(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _parse_timestamp(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def owned_by(child: Mapping[str, Any] | None, uid: str) -> bool:
    refs = (child or {}).get("metadata", {}).get("ownerReferences") or []
    return any(ref.get("uid") == uid and ref.get("controller") for ref in refs)


async def reconcile(
    ctx: OperatorContext, namespace: str, name: str, body: Mapping[str, Any] | None = None
) -> Outcome:
    """Reconcile the Satellite ``namespace/name`` (``body``: as just seen, else read)."""
    path = satellite_path(namespace, name)
    if body is None:
        body = await ctx.kube.get(path)
    if body is None or body.get("metadata", {}).get("deletionTimestamp"):
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
        await _write_status(ctx, body, conditions, generation, {})
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
    elements = await _resolve_elements(ctx, satellite, previous, current_text)
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
        topic, producer = await _apply_children(ctx, children, plan, cluster)
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
    await _write_status(ctx, body, conditions, satellite.generation, extra)
    if elements.text and in_use is not None and _epoch_changed(previous, in_use):
        await _post_event(
            ctx,
            body,
            StatusEvent(
                "Normal",
                "ElementsUpdated",
                f"elements with epoch {_timestamp(in_use.epoch)} from "
                f"{source_path(satellite.spec.elements)}",
            ),
        )
    return Outcome(retry_in=retry_in, permanent=permanent)


async def _apply_children(
    ctx: OperatorContext, children: _Children, plan: ProducerPlan, cluster: str
) -> tuple[Condition, Condition]:
    """Apply ConfigMap, KafkaTopic and Deployment, in that order; TopicReady, ProducerReady.

    The KafkaTopic goes before the Deployment, which starts with 0 replicas and gets 1
    once the topic is Ready: the producer never writes to a topic that does not exist.
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
    running = deployment is not None and int(deployment["spec"].get("replicas") or 0) > 0
    replicas = producer_replicas(satellite.spec.paused, topic, running)
    manifest = build_deployment(satellite, plan, replicas, ctx.config)
    children.deployment = await ctx.applied(
        "deployments", children.deployment_path, manifest, deployment
    )
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
    return before is not None and before != _timestamp(elements.epoch)


def _elements_status(
    satellite: Satellite, outcome: ElementsOutcome, in_use: Elements | None
) -> dict[str, Any]:
    """``status.elements``: every key present, None removing what no longer applies."""
    epoch = in_use.epoch if in_use else None
    return {
        "source": source_kind(satellite.spec.elements),
        "name": (in_use.name or None) if in_use else None,
        "noradId": in_use.norad_id if in_use else None,
        "epoch": _timestamp(epoch),
        "ageHours": int((_now() - epoch).total_seconds() // 3600) if epoch else None,
        "fetchedAt": _timestamp(outcome.fetched_at),
        "nextFetchAt": _timestamp(outcome.next_fetch_at),
    }


async def _resolve_elements(
    ctx: OperatorContext,
    satellite: Satellite,
    previous: Mapping[str, Any],
    current_text: str | None,
) -> ElementsOutcome:
    source = satellite.spec.elements
    norad_id = satellite.spec.norad_id
    path = source_path(source)
    try:
        match source:
            case TleSource() | OmmSource():
                elements = validate_inline(source, norad_id)
                text = inline_elements_text(source)
                assert text is not None
                return _valid(elements, text, path)
            case ConfigMapSource():
                return await _from_configmap(ctx, satellite, source)
            case CelestrakSource():
                assert norad_id is not None  # parse_spec requires it for this source
                return await _from_celestrak(ctx, norad_id, previous, current_text)
    except SpecError as error:
        inline = isinstance(source, TleSource | OmmSource)
        return ElementsOutcome(
            Condition(ELEMENTS_VALID, FALSE, "InvalidElements", str(error)),
            permanent=inline,
            retry_in=None if inline else CONFLICT_RETRY_SECONDS,
        )


def _valid(
    elements: Elements, text: str, origin: str, fetch: GpRecord | None = None
) -> ElementsOutcome:
    who = f"{elements.name} ({elements.norad_id})" if elements.name else str(elements.norad_id)
    message = f"elements of {who} from {origin}, epoch {_timestamp(elements.epoch)}"
    if fetch is not None and fetch.error:
        message += (
            f"; the last refresh failed ({fetch.error}), next attempt at "
            f"{_timestamp(fetch.next_fetch_at)}"
        )
    return ElementsOutcome(
        Condition(ELEMENTS_VALID, TRUE, "Valid", message),
        text=text,
        elements=elements,
        fetched_at=fetch.fetched_at if fetch else None,
        next_fetch_at=fetch.next_fetch_at if fetch else None,
    )


async def _from_configmap(
    ctx: OperatorContext, satellite: Satellite, source: ConfigMapSource
) -> ElementsOutcome:
    path = object_path("v1", "configmaps", satellite.namespace, source.name)
    configmap = await ctx.kube.get(path)
    where = f"ConfigMap {satellite.namespace}/{source.name}"
    if configmap is None:
        problem = Condition(
            ELEMENTS_VALID,
            FALSE,
            "ConfigMapNotFound",
            f"spec.elements.configMapRef.name: {where} does not exist; create it with the "
            f"elements under key {source.key!r}",
        )
        return ElementsOutcome(problem, retry_in=CONFLICT_RETRY_SECONDS)
    text = (configmap.get("data") or {}).get(source.key)
    if not text:
        keys = ", ".join(sorted(configmap.get("data") or {})) or "none"
        problem = Condition(
            ELEMENTS_VALID,
            FALSE,
            "ConfigMapKeyNotFound",
            f"spec.elements.configMapRef.key: {where} has no key {source.key!r} (it has: "
            f"{keys}); put the elements there or set spec.elements.configMapRef.key",
        )
        return ElementsOutcome(problem, retry_in=CONFLICT_RETRY_SECONDS)
    field_path = f"spec.elements.configMapRef ({where}, key {source.key})"
    elements = validate_elements(text, field_path, satellite.spec.norad_id)
    return _valid(elements, text, where)


async def _from_celestrak(
    ctx: OperatorContext, norad_id: int, previous: Mapping[str, Any], current_text: str | None
) -> ElementsOutcome:
    earlier = previous.get("elements") or {}
    if earlier.get("source") == "celestrak":
        ctx.gp.seed(
            norad_id,
            current_text,
            _parse_timestamp(earlier.get("fetchedAt")),
            _parse_timestamp(earlier.get("nextFetchAt")),
        )
    record = await ctx.gp.elements(norad_id)
    url = gp_url(ctx.gp.base_url, norad_id)
    retry_in = max((record.next_fetch_at - _now()).total_seconds(), 1.0)
    if record.text is None:
        problem = Condition(
            ELEMENTS_VALID,
            FALSE,
            "FetchFailed",
            f"spec.elements.celestrak: {url} gave no elements: {record.error}. The operator "
            f"tries again at {_timestamp(record.next_fetch_at)}; check spec.noradId and the "
            "operator's SATFEED_CELESTRAK_URL",
        )
        return ElementsOutcome(
            problem,
            fetched_at=record.fetched_at,
            next_fetch_at=record.next_fetch_at,
            retry_in=retry_in,
        )
    elements = validate_elements(record.text, "spec.elements.celestrak", norad_id)
    return _valid(elements, record.text, url, record)


async def _write_status(
    ctx: OperatorContext,
    body: Mapping[str, Any],
    conditions: list[Condition],
    generation: int,
    extra: Mapping[str, Any],
) -> None:
    """Patch the status if it changed, and post events for the transitions."""
    previous = body.get("status") or {}
    ready = conditions[-1]
    status = {
        "observedGeneration": generation,
        "phase": phase(ready),
        "conditions": merge_conditions(
            previous.get("conditions"), conditions, generation, _timestamp(_now()) or ""
        ),
        **extra,
    }
    if _without_nones(status) == _without_nones({k: previous.get(k) for k in status}):
        return
    metadata = body.get("metadata") or {}
    try:
        await ctx.kube.patch_status(satellite_path(metadata["namespace"], metadata["name"]), status)
    except ApiError as exc:
        if exc.status == 404:
            return  # deleted meanwhile
        raise
    for event in transition_events(previous.get("conditions"), conditions):
        await _post_event(ctx, body, event)


async def _post_event(ctx: OperatorContext, body: Mapping[str, Any], event: StatusEvent) -> None:
    """Post ``event`` on the Satellite; a lost event is logged, never a failed reconcile.

    Posted by the operator's own client rather than ``kopf.event``, which works only inside
    kopf's handlers, not in the resync task.
    """
    metadata = body.get("metadata") or {}
    manifest = build_event(
        body, event.type, event.reason, event.message, _timestamp(_now()) or "", ctx.instance
    )
    try:
        await ctx.kube.request(
            "POST", object_path("v1", "events", metadata.get("namespace")), body=manifest
        )
    except ApiError as exc:
        log.warning("could not post event %s on %s: %s", event.reason, metadata.get("name"), exc)


def _without_nones(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _without_nones(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nones(v) for v in value]
    return value
