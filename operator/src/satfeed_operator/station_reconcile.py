"""Reconciling a GroundStation: its passes into its status, notices as events, pass events
into its Kafka topic, and when to look again.

Level-triggered like the Satellite's reconcile: whatever woke it (the station changed, a
Satellite or its elements changed, the station's clock), it reads the station and the
Satellites it selects, and makes status, topic and published events match them.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from satfeed_core import pass_events
from satfeed_core.elements import ElementsError, elements_text, parse_elements, select_elements
from satfeed_core.ground_station import (
    PLURAL,
    GroundStationError,
    GroundStationSpec,
    parse_ground_station,
)

from satfeed_operator.conditions import (
    FALSE,
    TRUE,
    UNKNOWN,
    WAITING_REASONS,
    Condition,
    StatusEvent,
    topic_condition,
)
from satfeed_operator.consts import (
    API_VERSION,
    ELEMENTS_KEY,
    ELEMENTS_SUFFIX,
    READY,
    STATION_KIND,
    TOPIC_READY,
)
from satfeed_operator.context import OperatorContext
from satfeed_operator.kube import ApiError, object_path, owned_by, satellite_path
from satfeed_operator.pass_publisher import PublishError
from satfeed_operator.reconcile import Outcome, run_reconcile
from satfeed_operator.station_forecast import (
    UNUSABLE,
    FollowedSatellite,
    StationForecast,
    due_events,
    events_from,
    forecast,
    forecast_window,
    next_wake,
    notice_message,
    notices_due,
    pass_status,
    station_status,
)
from satfeed_operator.station_objects import (
    build_pass_events_kafkatopic,
    pass_events_kafkatopic_name,
)
from satfeed_operator.status import now, parse_timestamp, post_event, write_status

log = logging.getLogger(__name__)

SATELLITES_SELECTED: Final = "SatellitesSelected"
PUBLISH_RETRY_SECONDS: Final = 30.0


@dataclass
class _StationMemory:
    """What the operator keeps about a station between reconciles."""

    digest: str = ""
    generation: int = 0
    forecast: StationForecast | None = None
    noticed: set[str] = field(default_factory=set)
    """Event ids of the PassSoon events already posted (kept for the window)."""


MEMORY: dict[tuple[str, str], _StationMemory] = {}


def station_path(namespace: str, name: str | None = None) -> str:
    return object_path(API_VERSION, PLURAL, namespace, name)


def station_key(namespace: str, name: str) -> tuple[str, str]:
    """The lock and debounce key: apart from a Satellite or group of the same name."""
    return (namespace, f"{PLURAL}/{name}")


async def reconcile_station_soon(ctx: OperatorContext, namespace: str, name: str) -> None:
    await ctx.debounced(
        station_key(namespace, name), lambda: reconcile_station(ctx, namespace, name)
    )


async def reconcile_station(ctx: OperatorContext, namespace: str, name: str) -> Outcome:
    return await run_reconcile(
        ctx,
        STATION_KIND,
        station_key(namespace, name),
        lambda: _reconcile(ctx, namespace, name),
        lambda: reconcile_station(ctx, namespace, name),
    )


def _timestamp_ms(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def _followed(
    ctx: OperatorContext, namespace: str, satellite: Mapping[str, Any]
) -> FollowedSatellite:
    """A selected Satellite and the element set its producer uses (its ``-elements``
    ConfigMap, written by the operator), or why there is none."""
    name = str(satellite["metadata"]["name"])
    configmap = f"{name}{ELEMENTS_SUFFIX}"
    live = await ctx.child(
        "configmaps", object_path("v1", "configmaps", namespace, configmap), namespace, configmap
    )
    text = ((live or {}).get("data") or {}).get(ELEMENTS_KEY)
    if not text:
        ready: Mapping[str, Any] = next(
            (
                each
                for each in (satellite.get("status") or {}).get("conditions") or ()
                if each.get("type") == READY
            ),
            {},
        )
        reason = str(ready.get("reason") or "")
        if not reason or reason in WAITING_REASONS:
            return FollowedSatellite(
                name, None, "waiting for the Satellite's elements", waiting=True
            )
        return FollowedSatellite(name, None, f"the Satellite is {reason}: {ready.get('message')}")
    try:
        elements = select_elements(parse_elements(text), None, f"ConfigMap {configmap}")
    except ElementsError as error:
        return FollowedSatellite(name, None, str(error))
    return FollowedSatellite(name, elements)


def _digest(generation: int, followed: list[FollowedSatellite]) -> str:
    parts = [
        (each.name, elements_text(each.elements) if each.elements else None, each.problem)
        for each in followed
    ]
    return hashlib.sha256(json.dumps([generation, parts], default=str).encode()).hexdigest()


async def _reconcile(ctx: OperatorContext, namespace: str, name: str) -> Outcome:
    key = (namespace, name)
    body = await ctx.kube.get(station_path(namespace, name))
    if body is None or body.get("metadata", {}).get("deletionTimestamp"):
        MEMORY.pop(key, None)
        ctx.stations.forget(key)
        ctx.metrics.forget(STATION_KIND, namespace, name)
        return Outcome()  # its topic goes through its owner reference
    generation = int(body.get("metadata", {}).get("generation") or 0)
    try:
        spec = parse_ground_station(name, body.get("spec") or {})
    except GroundStationError as error:
        not_checked = f"not checked until {error.path} is fixed"
        conditions = [
            Condition(SATELLITES_SELECTED, UNKNOWN, "InvalidSpec", not_checked),
            Condition(TOPIC_READY, UNKNOWN, "InvalidSpec", not_checked),
            Condition(READY, FALSE, "InvalidSpec", str(error)),
        ]
        await write_status(ctx, body, conditions, generation, {})
        ctx.stations.forget(key)
        return Outcome(permanent=str(error))
    try:
        return await _reconcile_valid(ctx, body, namespace, name, generation, spec)
    except ApiError as exc:
        if exc.namespace_terminating:
            return Outcome()
        raise


async def _reconcile_valid(
    ctx: OperatorContext,
    body: Mapping[str, Any],
    namespace: str,
    name: str,
    generation: int,
    spec: GroundStationSpec,
) -> Outcome:
    key = (namespace, name)
    uid = str(body["metadata"]["uid"])
    previous = body.get("status") or {}
    everything = await ctx.kube.list(satellite_path(namespace))
    chosen = [
        each
        for each in everything
        if spec.selector.matches(each["metadata"].get("labels") or {})
        and not each["metadata"].get("deletionTimestamp")
    ]
    followed = [await _followed(ctx, namespace, each) for each in chosen]
    moment = now()
    memory = MEMORY.setdefault(key, _StationMemory())
    published_through = parse_timestamp((previous.get("passEvents") or {}).get("publishedThrough"))
    after = events_from(moment, published_through)
    digest = _digest(generation, followed)
    if (
        memory.forecast is None
        or memory.generation != generation
        or memory.forecast.due_for_refresh(moment)
    ):
        start, end = forecast_window(moment, published_through, spec.look_ahead)
        memory.forecast = await asyncio.to_thread(forecast, spec, followed, start, end)
    elif memory.digest != digest:  # Satellites or elements changed: predict just those
        window = memory.forecast
        memory.forecast = await asyncio.to_thread(
            forecast, spec, followed, window.predicted_at, window.predicted_until, window
        )
    memory.digest, memory.generation = digest, generation
    station_forecast = memory.forecast

    # The pass-event topic.
    cluster = spec.kafka_cluster or ctx.config.kafka_cluster
    bootstrap = ctx.config.bootstrap_servers(cluster)
    topic_path = object_path(
        "kafka.strimzi.io/v1", "kafkatopics", namespace, pass_events_kafkatopic_name(name)
    )
    kafkatopic = await ctx.child(
        "kafkatopics", topic_path, namespace, pass_events_kafkatopic_name(name)
    )
    wanted_topic = str(
        ((kafkatopic or {}).get("spec") or {}).get("topicName")
        or pass_events.topic_name(namespace, name)
    )
    if bootstrap is None:
        topic = Condition(
            TOPIC_READY,
            FALSE,
            "UnknownKafkaCluster",
            f"spec.kafkaCluster {cluster!r} is not a Kafka cluster this operator serves (it "
            f"serves {', '.join(sorted(ctx.config.kafka_clusters))})",
        )
    elif kafkatopic is not None and not owned_by(kafkatopic, uid):
        topic = Condition(
            TOPIC_READY,
            FALSE,
            "KafkaTopicNameTaken",
            f"KafkaTopic {namespace}/{pass_events_kafkatopic_name(name)} exists and does not "
            "belong to this GroundStation; the operator leaves it alone. Give the station "
            "another name",
        )
    else:
        kafkatopic = await ctx.applied(
            "kafkatopics",
            topic_path,
            build_pass_events_kafkatopic(
                namespace, name, uid, wanted_topic, cluster, ctx.config.topic_replicas
            ),
            kafkatopic,
        )
        topic = topic_condition(kafkatopic, cluster)

    retry_in = None
    if topic.status == TRUE and bootstrap is not None:
        events = due_events(spec, station_forecast, after, moment)
        records = [
            (
                event.row.satellite,
                pass_events.encode(
                    pass_events.build_event(
                        event.kind,
                        namespace,
                        name,
                        pass_status(event.row, spec.downlinks_hz.get(event.row.satellite)),
                        event.at,
                    )
                ),
            )
            for event in events
        ]
        try:
            await ctx.passes.publish(bootstrap, wanted_topic, records)
            published_through = moment
        except PublishError as error:
            topic = Condition(TOPIC_READY, FALSE, "PublishFailed", str(error))
            retry_in = PUBLISH_RETRY_SECONDS

    for row in notices_due(spec, station_forecast, moment):
        culmination = row.pass_.culmination.time.isoformat()
        notice_id = pass_events.event_id(namespace, name, row.satellite, culmination, "notice")
        if notice_id not in memory.noticed:
            memory.noticed.add(notice_id)
            await post_event(
                ctx, body, StatusEvent("Normal", "PassSoon", notice_message(row, moment))
            )

    conditions = _conditions(spec, followed, station_forecast, topic, len(everything))
    extra = {
        **station_status(spec, station_forecast, moment),
        "topicName": wanted_topic if kafkatopic is not None else None,
        "passEvents": {"publishedThrough": _timestamp_ms(published_through)}
        if published_through is not None
        else None,
    }
    await write_status(ctx, body, conditions, generation, extra)
    ctx.stations.wake_at(key, next_wake(spec, station_forecast, moment))
    return Outcome(retry_in=retry_in)


def _conditions(
    spec: GroundStationSpec,
    followed: list[FollowedSatellite],
    station_forecast: StationForecast,
    topic: Condition,
    in_namespace: int,
) -> list[Condition]:
    if not followed:
        selected = Condition(
            SATELLITES_SELECTED,
            FALSE,
            "NoSatellitesSelected",
            f"spec.satelliteSelector ({spec.selector.describe()}) matches none of the "
            f"{in_namespace} Satellite(s) in this namespace: label the Satellites to follow, "
            "or change the selector",
        )
    else:
        names = ", ".join(each.name for each in followed[:10])
        more = f" and {len(followed) - 10} more" if len(followed) > 10 else ""
        selected = Condition(
            SATELLITES_SELECTED, TRUE, "Selected", f"{len(followed)} Satellite(s): {names}{more}"
        )
    waiting = [each for each in followed if each.waiting]
    waiting_names = {each.name for each in waiting}
    unusable = [
        each
        for each in station_forecast.satellites
        if each.visibility == UNUSABLE and each.name not in waiting_names
    ]
    passes = sum(len(each.passes) for each in station_forecast.satellites)
    hours = spec.look_ahead.total_seconds() / 3600
    if selected.status != TRUE:
        ready = Condition(READY, FALSE, selected.reason, selected.message)
    elif unusable:
        first = unusable[0]
        ready = Condition(
            READY,
            FALSE,
            "ElementsUnusable",
            f"no passes for {len(unusable)} Satellite(s) whose elements cannot be used "
            f"({first.name}: {first.message}); the others' passes are listed",
        )
    elif waiting:
        ready = Condition(
            READY,
            UNKNOWN,
            "WaitingForElements",
            f"{len(waiting)} Satellite(s) have no elements yet ({waiting[0].name}: "
            f"{waiting[0].problem})",
        )
    elif topic.status != TRUE:
        ready = Condition(READY, topic.status, topic.reason, topic.message)
    else:
        ready = Condition(
            READY,
            TRUE,
            "Predicted",
            f"{passes} pass(es) of {len(followed)} Satellite(s) in the next {hours:g} h",
        )
    return [selected, topic, ready]
