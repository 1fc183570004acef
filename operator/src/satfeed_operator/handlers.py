"""kopf handlers: thin on purpose; the work is in :mod:`satfeed_operator.reconcile`.

No handler here makes kopf put a finalizer on Satellites (no delete handlers, timers or
daemons), so deleting a Satellite never waits for the operator: the children go through
their owner references even when the operator is not running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

import kopf
from aiohttp import web
from satfeed_core.labels import (
    GROUP,
    MANAGED_BY_KEY,
    PART_OF_KEY,
    PART_OF_VALUE,
    SATELLITE_KEY,
)

from satfeed_operator import (
    group_handlers,  # registers the SatelliteGroup handlers
    station_handlers,  # registers the GroundStation handlers
)
from satfeed_operator.consts import FIELD_MANAGER, PLURAL, VERSION
from satfeed_operator.context import (
    KAFKAUSER_SECRETS,
    OperatorContext,
    child_label_filter,
    kafkauser_secret_filter,
)
from satfeed_operator.context import context_of as context
from satfeed_operator.group_reconcile import reconcile_group_soon
from satfeed_operator.kube import satellite_path
from satfeed_operator.metrics import serve as serve_metrics
from satfeed_operator.reconcile import reconcile, reconcile_soon

log = logging.getLogger(__name__)

CHILD_LABELS = child_label_filter(SATELLITE_KEY)
OPERATOR_CHILDREN = f"{PART_OF_KEY}={PART_OF_VALUE},{MANAGED_BY_KEY}={FIELD_MANAGER}"
ConfigMapKey = tuple[str, str]
"""A ConfigMap's (namespace, name)."""
ELEMENTS_INDEX = "elements_configmaps"
"""kopf's index of Satellite names by the ConfigMap of their elements, and its keyword."""
RESYNC_CONCURRENCY = 8
"""Reconciles at a time during a resync, so 1000 Satellites do not flood the apiserver."""


def credentials() -> kopf.ConnectionInfo | None:
    """In a pod, its service account; elsewhere, $KUBECONFIG or ~/.kube/config."""
    settings = kopf.OperatorSettings()
    return kopf.login_with_service_account(settings=settings) or kopf.login_with_kubeconfig(
        settings=settings
    )


@kopf.on.login()
def login(**_: Any) -> kopf.ConnectionInfo | None:
    # kopf's own requests and the operator's client use the same credentials, whichever
    # Kubernetes client libraries happen to be installed.
    return credentials()


@kopf.on.startup()
async def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    ctx = context(memo)
    # Own prefixes, so kopf's bookkeeping on Satellites is recognisably satfeed's (issue 4).
    # The finalizer name is set for completeness: no handler makes kopf add it.
    settings.persistence.finalizer = f"{GROUP}/operator"
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=GROUP, key="last-handled-configuration"
    )
    # Watches end after this long and kopf re-lists, which also catches missed events;
    # the client gives up a little later, so a silently dropped connection is noticed.
    # The apiserver takes whole seconds only.
    settings.watching.server_timeout = int(ctx.config.watch_server_timeout)
    settings.watching.client_timeout = ctx.config.watch_server_timeout + 30
    settings.watching.connect_timeout = 30
    # Served resources are discovered once at start-up. Watching CRDs and namespaces for
    # changes would need cluster-wide list/watch on both, more than a namespaced operator
    # should hold; the cost is that Strimzi's CRD must be installed before the operator.
    settings.scanning.disabled = True
    settings.networking.request_timeout = 60
    # Of Deployments and KafkaTopics only the operator's children (of Satellites and of
    # SatelliteGroups) are of interest: filter them at the apiserver, not after
    # downloading every one of the cluster. ConfigMaps
    # cannot be filtered so: those that Satellites reference for their elements carry no
    # label of ours, and their changes must be seen too (on_referenced_configmap); kopf
    # drops the others with a label check or a dict lookup.
    # KafkaUsers likewise; of Secrets, only those Strimzi writes for KafkaUsers.
    for plural in ("deployments", "kafkatopics", "kafkausers", "networkpolicies"):
        settings.watching.label_selectors[plural] = OPERATOR_CHILDREN
    settings.watching.label_selectors["secrets"] = KAFKAUSER_SECRETS
    memo["resync"] = asyncio.create_task(_resync_forever(ctx))
    memo["station_clock"] = asyncio.create_task(station_handlers.run_station_clock(ctx))
    if ctx.config.metrics_port:
        memo["metrics"] = await serve_metrics(
            ctx.metrics, ctx.config.metrics_host, ctx.config.metrics_port
        )


@kopf.on.cleanup()
async def close(memo: kopf.Memo, **_: Any) -> None:
    ctx = context(memo)
    for task_name in ("resync", "station_clock"):
        task: asyncio.Task[None] | None = memo.get(task_name)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    metrics_server: web.AppRunner | None = memo.get("metrics")
    if metrics_server is not None:
        await metrics_server.cleanup()
    await ctx.cancel_retries()
    await ctx.kube.close()
    await ctx.gp.close()
    await ctx.passes.close()


@kopf.on.resume(GROUP, VERSION, PLURAL)
@kopf.on.create(GROUP, VERSION, PLURAL)
@kopf.on.update(GROUP, VERSION, PLURAL, field="spec")
async def on_satellite_change(namespace: str | None, name: str, memo: Any, **_: Any) -> None:
    assert namespace is not None  # Satellites are namespaced
    ctx = context(memo)
    async with ctx.exclusive((namespace, name)):
        outcome = await reconcile(ctx, namespace, name)
    outcome.hand_to_kopf()


@kopf.on.event("kafka.strimzi.io", "v1", "kafkatopics", labels=CHILD_LABELS)
@kopf.on.event("kafka.strimzi.io", "v1", "kafkausers", labels=CHILD_LABELS)
@kopf.on.event("networking.k8s.io", "v1", "networkpolicies", labels=CHILD_LABELS)
@kopf.on.event("", "v1", "secrets", labels=kafkauser_secret_filter(SATELLITE_KEY))
@kopf.on.event("apps", "v1", "deployments", labels=CHILD_LABELS)
@kopf.on.event("", "v1", "configmaps", labels=CHILD_LABELS)
async def on_child_event(
    event: kopf.RawEvent,
    body: kopf.Body,
    resource: kopf.Resource,
    labels: kopf.Labels,
    namespace: str | None,
    memo: Any,
    **_: Any,
) -> None:
    ctx = context(memo)
    ctx.observe(resource.plural, event.get("type"), body)
    if event.get("type") is None or namespace is None:
        return  # the initial listing at start-up: the Satellites' resume handlers cover it
    # Status changes (topic Ready, pod available) update the Satellite's status; hand edits
    # and deletions are undone by the apply.
    await reconcile_soon(ctx, namespace, labels[SATELLITE_KEY])


@kopf.index(GROUP, VERSION, PLURAL, id=ELEMENTS_INDEX)
def elements_configmaps(
    namespace: str | None, name: str, spec: kopf.Spec, **_: Any
) -> dict[ConfigMapKey, str]:
    """Satellites by the ConfigMap their elements come from: (namespace, ConfigMap) -> names.

    Always a dict, empty for other sources, so a Satellite that stops referencing a
    ConfigMap leaves the index (kopf keeps the old entries of a handler returning None).
    """
    ref = (spec.get("elements") or {}).get("configMapRef") or {}
    configmap = ref.get("name") if isinstance(ref, dict) else None
    if namespace is None or not isinstance(configmap, str) or not configmap:
        return {}
    return {(namespace, configmap): name}


def _referencing(namespace: str | None, name: str, kwargs: Mapping[str, Any]) -> list[str]:
    """The Satellites whose elements come from ConfigMap ``namespace/name``.

    kopf passes each index to handlers and filters as a keyword named after its id.
    """
    index: kopf.Index[ConfigMapKey, str] = kwargs[ELEMENTS_INDEX]
    key = (namespace or "", name)
    return sorted(set(index[key])) if key in index else []


def _referenced(namespace: str | None, name: str, **kwargs: Any) -> bool:
    return bool(_referencing(namespace, name, kwargs))


@kopf.on.event("", "v1", "configmaps", when=_referenced)
async def on_referenced_configmap(
    event: kopf.RawEvent,
    namespace: str | None,
    name: str,
    memo: Any,
    **kwargs: Any,
) -> None:
    """A ConfigMap that Satellites take their elements from was created, changed or
    deleted: reconcile them now rather than at their next retry or resync."""
    if event.get("type") is None or namespace is None:
        return  # the initial listing at start-up: the Satellites' resume handlers cover it
    ctx = context(memo)
    satellites = _referencing(namespace, name, kwargs)
    results = await asyncio.gather(
        *(reconcile_soon(ctx, namespace, satellite) for satellite in satellites),
        return_exceptions=True,
    )
    for satellite, result in zip(satellites, results, strict=True):
        if isinstance(result, Exception):
            log.warning(
                "reconcile of %s/%s after a change of ConfigMap %s failed: %s",
                namespace,
                satellite,
                name,
                result,
            )


async def _resync_forever(ctx: OperatorContext) -> None:
    """Reconcile every Satellite now and then: refresh elements, update the elements' age,
    catch anything missed (a referenced ConfigMap's event lost while the operator was down)."""
    limit = asyncio.Semaphore(RESYNC_CONCURRENCY)

    async def one(namespace: str, name: str) -> None:
        async with limit:
            await reconcile_soon(ctx, namespace, name)

    async def one_group(namespace: str, name: str) -> None:
        async with limit:
            await reconcile_group_soon(ctx, namespace, name)

    while True:
        await asyncio.sleep(ctx.config.resync_seconds)
        try:
            scopes = ctx.config.namespaces or ("",)
            found = [
                item["metadata"]
                for scope in scopes
                for item in await ctx.kube.list(satellite_path(scope))
            ]
            results = await asyncio.gather(
                *(one(meta["namespace"], meta["name"]) for meta in found),
                return_exceptions=True,
            )
            for meta, result in zip(found, results, strict=True):
                if isinstance(result, Exception):
                    log.warning(
                        "resync of %s/%s failed: %s", meta["namespace"], meta["name"], result
                    )
            groups = [
                key for scope in scopes for key in await group_handlers.resync_groups(ctx, scope)
            ]
            for (namespace, name), result in zip(
                groups,
                await asyncio.gather(*(one_group(*key) for key in groups), return_exceptions=True),
                strict=True,
            ):
                if isinstance(result, Exception):
                    log.warning("resync of group %s/%s failed: %s", namespace, name, result)
        except Exception:
            log.exception("resync failed; trying again in %s s", ctx.config.resync_seconds)
