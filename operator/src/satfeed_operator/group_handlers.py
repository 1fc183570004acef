"""kopf handlers of SatelliteGroups: thin, like :mod:`satfeed_operator.handlers`.

Imported by that module so that one import registers every handler. As for Satellites, no
handler makes kopf add a finalizer: deleting a group never waits for the operator.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import kopf
from satfeed_core.labels import (
    GROUP,
    SATELLITE_GROUP_KEY,
)

from satfeed_operator.consts import GROUP_PLURAL, VERSION
from satfeed_operator.context import (
    OperatorContext,
    child_label_filter,
    context_of,
    kafkauser_secret_filter,
)
from satfeed_operator.group_reconcile import (
    group_key,
    group_path,
    reconcile_group,
    reconcile_group_soon,
)

log = logging.getLogger(__name__)

GROUP_CHILD_LABELS = child_label_filter(SATELLITE_GROUP_KEY)
SOURCES_INDEX = "group_source_configmaps"
"""kopf's index of SatelliteGroup names by the ConfigMaps their members come from."""


@kopf.on.resume(GROUP, VERSION, GROUP_PLURAL)
@kopf.on.create(GROUP, VERSION, GROUP_PLURAL)
@kopf.on.update(GROUP, VERSION, GROUP_PLURAL, field="spec")
async def on_group_change(namespace: str | None, name: str, memo: Any, **_: Any) -> None:
    assert namespace is not None  # SatelliteGroups are namespaced
    ctx = context_of(memo)
    async with ctx.exclusive(group_key(namespace, name)):
        outcome = await reconcile_group(ctx, namespace, name)
    outcome.hand_to_kopf()


@kopf.on.event("kafka.strimzi.io", "v1", "kafkatopics", labels=GROUP_CHILD_LABELS)
@kopf.on.event("kafka.strimzi.io", "v1", "kafkausers", labels=GROUP_CHILD_LABELS)
@kopf.on.event("networking.k8s.io", "v1", "networkpolicies", labels=GROUP_CHILD_LABELS)
@kopf.on.event("", "v1", "secrets", labels=kafkauser_secret_filter(SATELLITE_GROUP_KEY))
@kopf.on.event("apps", "v1", "deployments", labels=GROUP_CHILD_LABELS)
@kopf.on.event("", "v1", "configmaps", labels=GROUP_CHILD_LABELS)
async def on_group_child_event(
    event: kopf.RawEvent,
    body: kopf.Body,
    resource: kopf.Resource,
    labels: kopf.Labels,
    namespace: str | None,
    memo: Any,
    **_: Any,
) -> None:
    ctx = context_of(memo)
    ctx.observe(resource.plural, event.get("type"), body)
    if event.get("type") is None or namespace is None:
        return  # the initial listing: the groups' resume handlers cover it
    await reconcile_group_soon(ctx, namespace, labels[SATELLITE_GROUP_KEY])


@kopf.index(GROUP, VERSION, GROUP_PLURAL, id=SOURCES_INDEX)
def group_source_configmaps(
    namespace: str | None, name: str, spec: kopf.Spec, **_: Any
) -> dict[tuple[str, str], str]:
    refs = (spec.get("source") or {}).get("configMaps") or []
    if namespace is None or not isinstance(refs, list):
        return {}
    return {
        (namespace, str(ref["name"])): name
        for ref in refs
        if isinstance(ref, Mapping) and ref.get("name")
    }


def _referencing(namespace: str | None, name: str, kwargs: Mapping[str, Any]) -> list[str]:
    index: kopf.Index[tuple[str, str], str] = kwargs[SOURCES_INDEX]
    key = (namespace or "", name)
    return sorted(set(index[key])) if key in index else []


def _referenced(namespace: str | None, name: str, **kwargs: Any) -> bool:
    return bool(_referencing(namespace, name, kwargs))


@kopf.on.event("", "v1", "configmaps", when=_referenced)
async def on_source_configmap(
    event: kopf.RawEvent, namespace: str | None, name: str, memo: Any, **kwargs: Any
) -> None:
    """A ConfigMap groups take members from changed: reconcile them now."""
    if event.get("type") is None or namespace is None:
        return
    ctx = context_of(memo)
    groups = _referencing(namespace, name, kwargs)
    results = await asyncio.gather(
        *(reconcile_group_soon(ctx, namespace, group) for group in groups),
        return_exceptions=True,
    )
    for group, result in zip(groups, results, strict=True):
        if isinstance(result, Exception):
            log.warning(
                "reconcile of group %s/%s after ConfigMap %s failed: %s",
                namespace,
                group,
                name,
                result,
            )


async def resync_groups(ctx: OperatorContext, scope: str) -> list[tuple[str, str]]:
    """The groups of ``scope`` ("": all), for the periodic resync."""
    return [
        (item["metadata"]["namespace"], item["metadata"]["name"])
        for item in await ctx.kube.list(group_path(scope))
    ]
