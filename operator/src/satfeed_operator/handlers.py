"""kopf handlers: thin on purpose; the work is in :mod:`satfeed_operator.reconcile`.

No handler here makes kopf put a finalizer on Satellites (no delete handlers, timers or
daemons), so deleting a Satellite never waits for the operator: the children go through
their owner references even when the operator is not running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import kopf
from satfeed_core.labels import GROUP, PART_OF_KEY, PART_OF_VALUE, SATELLITE_KEY

from satfeed_operator.consts import FIELD_MANAGER, PLURAL, VERSION
from satfeed_operator.context import OperatorContext
from satfeed_operator.kube import satellite_path
from satfeed_operator.objects import MANAGED_BY_KEY, child_selector
from satfeed_operator.reconcile import reconcile, reconcile_soon

log = logging.getLogger(__name__)

CHILD_LABELS: dict[str, Any] = {
    PART_OF_KEY: PART_OF_VALUE,
    MANAGED_BY_KEY: FIELD_MANAGER,
    SATELLITE_KEY: kopf.PRESENT,
}
RESYNC_CONCURRENCY = 8
"""Reconciles at a time during a resync, so 1000 Satellites do not flood the apiserver."""


def context(memo: Any) -> OperatorContext:
    """The shared context that :func:`satfeed_operator.main.main` put in kopf's memo."""
    found = memo.get("satfeed")
    if not isinstance(found, OperatorContext):
        raise kopf.PermanentError(
            "the operator was started without its context (use satfeed-operator)"
        )
    return found


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
    # Only the operator's children are of interest: filter them at the apiserver, not
    # after downloading every ConfigMap and Deployment of the cluster.
    for plural in ("configmaps", "deployments", "kafkatopics"):
        settings.watching.label_selectors[plural] = child_selector()
    memo["resync"] = asyncio.create_task(_resync_forever(ctx))


@kopf.on.cleanup()
async def close(memo: kopf.Memo, **_: Any) -> None:
    ctx = context(memo)
    resync: asyncio.Task[None] | None = memo.get("resync")
    if resync is not None:
        resync.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await resync
    await ctx.kube.close()
    await ctx.gp.close()


@kopf.on.resume(GROUP, VERSION, PLURAL)
@kopf.on.create(GROUP, VERSION, PLURAL)
@kopf.on.update(GROUP, VERSION, PLURAL, field="spec")
async def on_satellite_change(namespace: str | None, name: str, memo: Any, **_: Any) -> None:
    assert namespace is not None  # Satellites are namespaced
    ctx = context(memo)
    async with ctx.exclusive((namespace, name)):
        outcome = await reconcile(ctx, namespace, name)
    if outcome.permanent:
        # The status says what to fix; retrying cannot help until the spec changes.
        raise kopf.PermanentError(outcome.permanent)
    if outcome.retry_in is not None:
        raise kopf.TemporaryError("waiting (see the Satellite's status)", delay=outcome.retry_in)


@kopf.on.event("kafka.strimzi.io", "v1", "kafkatopics", labels=CHILD_LABELS)
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


async def _resync_forever(ctx: OperatorContext) -> None:
    """Reconcile every Satellite now and then: refresh elements, re-read referenced
    ConfigMaps (not watched), update the elements' age, catch anything missed."""
    limit = asyncio.Semaphore(RESYNC_CONCURRENCY)

    async def one(namespace: str, name: str) -> None:
        async with limit:
            await reconcile_soon(ctx, namespace, name)

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
        except Exception:
            log.exception("resync failed; trying again in %s s", ctx.config.resync_seconds)
