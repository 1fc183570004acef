"""The operator's runtime state, shared by every handler through kopf's memo.

One :class:`OperatorContext` per process: the configuration and clients, a lock per
Satellite (one reconcile at a time), the debounce queue that folds bursts of child events
into one reconcile, and the children as the watches last saw them. No reconcile logic
here: :mod:`satfeed_operator.reconcile` uses this, never the other way round.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import socket
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import kopf
from satfeed_core.labels import MANAGED_BY_KEY, PART_OF_KEY, PART_OF_VALUE

from satfeed_operator.celestrak import GpCache
from satfeed_operator.config import OperatorConfig
from satfeed_operator.consts import FIELD_MANAGER
from satfeed_operator.kube import KubeClient, owned_by
from satfeed_operator.metrics import OperatorMetrics
from satfeed_operator.objects import already_applied
from satfeed_operator.pass_publisher import PassPublisher
from satfeed_operator.station_clock import StationClock

log = logging.getLogger(__name__)

Key = tuple[str, str]
"""A Satellite's (namespace, name)."""


@dataclass
class OperatorContext:
    """Everything the handlers share, kept in kopf's memo."""

    config: OperatorConfig
    kube: KubeClient
    gp: GpCache
    passes: PassPublisher
    """The Kafka producer of the GroundStations' pass events."""
    metrics: OperatorMetrics = field(default_factory=OperatorMetrics)
    stations: StationClock = field(default_factory=StationClock)
    """When each GroundStation next needs a reconcile (passes are times, not API events)."""
    instance: str = field(default_factory=socket.gethostname)
    """Reported on events: in a pod, the pod's name."""
    debounce_seconds: float = 0.5
    """How long a child's event waits for the rest of its burst before reconciling."""
    _locks: dict[Key, asyncio.Lock] = field(default_factory=dict)
    _users: Counter[Key] = field(default_factory=Counter)
    _queued: set[Key] = field(default_factory=set)
    _children: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    """The operator's children as the watches last saw them: (plural, namespace, name)."""
    _retries: dict[Key, asyncio.Task[None]] = field(default_factory=dict)
    """A reconcile waiting to be tried again, per resource (see :meth:`retry_later`)."""
    _applied: dict[str, str] = field(default_factory=dict)
    """Digest of the manifest last applied at each path: the same manifest applied again
    over a child that differs means someone changed or deleted the child (drift)."""

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
        result = await self.apply(path, manifest)
        self.observe(plural, "APPLIED", result)
        return result

    async def applied_child(
        self, plural: str, path: str, manifest: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Apply a child that nothing else depends on, unless it is as ``manifest`` says;
        one of that name that is not the owner's is left alone (None)."""
        metadata = manifest["metadata"]
        live = await self.child(plural, path, metadata["namespace"], metadata["name"])
        owner = metadata["ownerReferences"][0]["uid"]
        if live is not None and not owned_by(live, owner):
            return None
        return await self.applied(plural, path, manifest, live)

    async def apply(self, path: str, manifest: Mapping[str, Any]) -> dict[str, Any]:
        """Server-side apply, counting a restored child when nothing but drift changed.

        Callers that skip the request when the child is as wanted make every call here a
        real change; one that repeats the manifest it applied last restores a child."""
        digest = hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()
        if self._applied.get(path) == digest:
            self.metrics.children_restored.labels(str(manifest.get("kind"))).inc()
        result = await self.kube.apply(path, manifest)
        self._applied[path] = digest
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

    async def debounced(self, key: Key, work: Callable[[], Awaitable[object]]) -> None:
        """Run ``work`` for ``key`` soon, unless a run is already waiting: it will read the
        newest state anyway.

        Bursts of child events (a rollout updates a Deployment's status many times) thus
        cost one or two reconciles, not one each.
        """
        if key in self._queued:
            return
        self._queued.add(key)
        try:
            # A change makes several events in quick succession (a KafkaTopic gets a
            # finalizer, then a status); the run after the last one covers them all.
            await asyncio.sleep(self.debounce_seconds)
            async with self.exclusive(key):
                self._queued.discard(key)
                await work()
        finally:
            self._queued.discard(key)

    def retry_later(self, key: Key, delay: float, work: Callable[[], Awaitable[object]]) -> None:
        """Run ``work`` (a reconcile of ``key``) again after ``delay`` seconds, replacing a
        retry of ``key`` already waiting: that reconcile reads the newest state anyway.

        The operator's own timer rather than kopf's ``TemporaryError(delay=...)``: kopf
        holds back a resource's spec changes until a delayed handler comes due, and a
        CelesTrak source waits up to two hours for its next download.
        """
        waiting = self._retries.pop(key, None)
        if waiting is not None:
            waiting.cancel()

        async def later() -> None:
            await asyncio.sleep(delay)
            if self._retries.get(key) is asyncio.current_task():
                del self._retries[key]
            await self.debounced(key, work)

        task = asyncio.create_task(later())
        task.add_done_callback(_log_failure)
        self._retries[key] = task

    async def cancel_retries(self) -> None:
        tasks = list(self._retries.values())
        self._retries.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("a retried reconcile failed: %s", task.exception())


def child_label_filter(owner_key: str) -> dict[str, Any]:
    """kopf's label filter for the operator's children whose owner's name is ``owner_key``
    (``satfeed.io/satellite``, ``satfeed.io/satellite-group``, ``satfeed.io/ground-station``)."""
    return {PART_OF_KEY: PART_OF_VALUE, MANAGED_BY_KEY: FIELD_MANAGER, owner_key: kopf.PRESENT}


def kafkauser_secret_filter(owner_key: str) -> dict[str, Any]:
    """kopf's label filter for the Secrets Strimzi's User Operator writes for the operator's
    KafkaUsers: it replaces the ``part-of``/``managed-by`` labels with its own, and keeps
    the owner's name that the KafkaUser's secret template gives."""
    return {KAFKAUSER_SECRET_KEY: KAFKAUSER_SECRET_VALUE, owner_key: kopf.PRESENT}


KAFKAUSER_SECRET_KEY: Final = "strimzi.io/kind"  # noqa: S105 (a label key)
KAFKAUSER_SECRET_VALUE: Final = "KafkaUser"  # noqa: S105 (a label value)
KAFKAUSER_SECRETS: Final = f"{KAFKAUSER_SECRET_KEY}={KAFKAUSER_SECRET_VALUE}"
"""The apiserver-side selector of those Secrets: no other Secret reaches the operator."""


def context_of(memo: Any) -> OperatorContext:
    """The shared context that :func:`satfeed_operator.main.main` put in kopf's memo."""
    found = memo.get("satfeed")
    if not isinstance(found, OperatorContext):
        raise kopf.PermanentError(
            "the operator was started without its context (use satfeed-operator)"
        )
    return found
