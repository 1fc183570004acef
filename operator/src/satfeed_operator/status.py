"""What the operator says on a Satellite: its status, the events for what changed, and the
timestamps both use.

The conditions themselves are computed elsewhere (pure, in :mod:`satfeed_operator.conditions`);
this module writes them, and only when something changed, so a resync that finds nothing
new costs no write and posts no event.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from satfeed_core.contract import DEFAULT_INTERVAL_SECONDS

from satfeed_operator.conditions import (
    Condition,
    StatusEvent,
    merge_conditions,
    phase,
    transition_events,
)
from satfeed_operator.consts import (
    API_VERSION,
    GROUP_KIND,
    GROUP_PLURAL,
    KIND,
    STATION_KIND,
    STATION_PLURAL,
)
from satfeed_operator.context import OperatorContext
from satfeed_operator.kube import ApiError, object_path, satellite_path
from satfeed_operator.objects import build_event

log = logging.getLogger(__name__)


def now() -> datetime:
    return datetime.now(UTC)


def timestamp(moment: datetime | None) -> str | None:
    """``moment`` as Kubernetes writes times (RFC 3339, whole seconds, UTC)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def parse_timestamp(text: Any) -> datetime | None:
    """A time :func:`timestamp` wrote, else None (absent or not a time)."""
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


async def write_status(
    ctx: OperatorContext,
    body: Mapping[str, Any],
    conditions: list[Condition],
    generation: int,
    extra: Mapping[str, Any],
) -> None:
    """Patch the status if it changed, and post events for the transitions."""
    previous = body.get("status") or {}
    ready = conditions[-1]
    metadata = body.get("metadata") or {}
    elements = extra.get("elements") or {}
    ctx.metrics.observe_state(
        str(body.get("kind")),
        str(metadata.get("namespace")),
        str(metadata.get("name")),
        ready.status,
        ready.reason,
        parse_timestamp(elements.get("epoch")) if body.get("kind") == KIND else None,
        _interval(body) if body.get("kind") != STATION_KIND else None,
    )
    status = {
        "observedGeneration": generation,
        "phase": phase(ready),
        "conditions": merge_conditions(
            previous.get("conditions"), conditions, generation, timestamp(now()) or ""
        ),
        **extra,
    }
    if _without_nones(status) == _without_nones({k: previous.get(k) for k in status}):
        return
    try:
        await ctx.kube.patch_status(_path(body, metadata["namespace"], metadata["name"]), status)
    except ApiError as exc:
        if exc.status == 404:
            return  # deleted meanwhile
        raise
    for event in transition_events(previous.get("conditions"), conditions):
        await post_event(ctx, body, event)


async def post_event(ctx: OperatorContext, body: Mapping[str, Any], event: StatusEvent) -> None:
    """Post ``event`` on the Satellite; a lost event is logged, never a failed reconcile.

    Posted by the operator's own client rather than ``kopf.event``, which works only inside
    kopf's handlers, not in the resync task.
    """
    metadata = body.get("metadata") or {}
    manifest = build_event(
        body, event.type, event.reason, event.message, timestamp(now()) or "", ctx.instance
    )
    try:
        await ctx.kube.request(
            "POST", object_path("v1", "events", metadata.get("namespace")), body=manifest
        )
    except ApiError as exc:
        log.warning("could not post event %s on %s: %s", event.reason, metadata.get("name"), exc)


def _interval(body: Mapping[str, Any]) -> float | None:
    interval = (body.get("spec") or {}).get("intervalSeconds", DEFAULT_INTERVAL_SECONDS)
    return float(interval) if isinstance(interval, int | float) else None


def _path(body: Mapping[str, Any], namespace: str, name: str) -> str:
    """The REST path of a Satellite, a SatelliteGroup or a GroundStation."""
    if body.get("kind") == GROUP_KIND:
        return object_path(API_VERSION, GROUP_PLURAL, namespace, name)
    if body.get("kind") == STATION_KIND:
        return object_path(API_VERSION, STATION_PLURAL, namespace, name)
    return satellite_path(namespace, name)


def _without_nones(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _without_nones(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nones(v) for v in value]
    return value
