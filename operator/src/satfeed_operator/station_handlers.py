"""kopf handlers of GroundStations: thin, like :mod:`satfeed_operator.handlers`.

A station is reconciled when it changes, when a Satellite of its namespace changes (labels
choose it, its status says new elements are in place), when its pass-event KafkaTopic
changes, and when its clock says a notice, an AOS or a LOS is due. No handler makes kopf put
a finalizer on a station.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import kopf
from satfeed_core.labels import (
    GROUND_STATION_KEY,
    GROUP,
)

from satfeed_operator.consts import PLURAL, STATION_PLURAL, VERSION
from satfeed_operator.context import OperatorContext, child_label_filter, context_of
from satfeed_operator.station_reconcile import (
    MEMORY,
    reconcile_station,
    reconcile_station_soon,
    station_key,
)

log = logging.getLogger(__name__)

STATION_CHILD_LABELS = child_label_filter(GROUND_STATION_KEY)
STATIONS_INDEX = "ground_stations"
"""kopf's index of GroundStation names by namespace."""


@kopf.on.resume(GROUP, VERSION, STATION_PLURAL)
@kopf.on.create(GROUP, VERSION, STATION_PLURAL)
@kopf.on.update(GROUP, VERSION, STATION_PLURAL, field="spec")
async def on_station_change(namespace: str | None, name: str, memo: Any, **_: Any) -> None:
    assert namespace is not None  # GroundStations are namespaced
    ctx = context_of(memo)
    async with ctx.exclusive(station_key(namespace, name)):
        outcome = await reconcile_station(ctx, namespace, name)
    outcome.hand_to_kopf()


@kopf.on.event(GROUP, VERSION, STATION_PLURAL)
async def on_station_event(
    event: kopf.RawEvent, namespace: str | None, name: str, memo: Any, **_: Any
) -> None:
    if event.get("type") == "DELETED" and namespace is not None:
        context_of(memo).stations.forget((namespace, name))
        MEMORY.pop((namespace, name), None)


@kopf.index(GROUP, VERSION, STATION_PLURAL, id=STATIONS_INDEX)
def ground_stations(namespace: str | None, name: str, **_: Any) -> dict[str, str]:
    return {namespace: name} if namespace is not None else {}


@kopf.on.event(GROUP, VERSION, PLURAL)
async def on_satellite_event(
    event: kopf.RawEvent, namespace: str | None, memo: Any, **kwargs: Any
) -> None:
    """A Satellite appeared, changed (labels, new elements in its status) or went: the
    stations of its namespace may follow it."""
    if event.get("type") is None or namespace is None:
        return  # the initial listing: the stations' resume handlers cover it
    index: kopf.Index[str, str] = kwargs[STATIONS_INDEX]
    stations = sorted(set(index[namespace])) if namespace in index else []
    await _reconcile_all(context_of(memo), namespace, stations)


@kopf.on.event("kafka.strimzi.io", "v1", "kafkatopics", labels=STATION_CHILD_LABELS)
async def on_station_child_event(
    event: kopf.RawEvent,
    body: kopf.Body,
    labels: kopf.Labels,
    namespace: str | None,
    memo: Any,
    **_: Any,
) -> None:
    ctx = context_of(memo)
    ctx.observe("kafkatopics", event.get("type"), body)
    if event.get("type") is None or namespace is None:
        return
    await reconcile_station_soon(ctx, namespace, labels[GROUND_STATION_KEY])


async def _reconcile_all(ctx: OperatorContext, namespace: str, stations: list[str]) -> None:
    results = await asyncio.gather(
        *(reconcile_station_soon(ctx, namespace, name) for name in stations),
        return_exceptions=True,
    )
    for name, result in zip(stations, results, strict=True):
        if isinstance(result, Exception):
            log.warning("reconcile of ground station %s/%s failed: %s", namespace, name, result)


async def run_station_clock(ctx: OperatorContext) -> None:
    """Wake each station when its next notice, AOS or LOS is due (see StationClock)."""
    await ctx.stations.run(lambda key: reconcile_station_soon(ctx, *key))
