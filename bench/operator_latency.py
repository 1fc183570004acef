"""Operator: apply-to-children latency, 100 Satellites at once, and the apiserver's floor.

    uv run --frozen python -m bench.operator_latency [--sequential 20] [--burst 100]

(run as a module from the repository root)

Starts the test bed (Kafka, the control plane, the KafkaTopic stand-in), installs the
Satellite CRD and runs the real ``satfeed-operator`` as the chart's ServiceAccount, serving
one namespace, with ``satfeed_dev.operator_bed`` as the operator's integration tests do.
This script sends every write itself as a server-side apply, and learns when children appear
from watches, so each time is the moment the apiserver announced the object, not a polling
tick.

1. One Satellite at a time: from its apply until its KafkaTopic, ConfigMap and Deployment
   all exist; p50 and p95.
2. ``--burst`` Satellites applied at once: until all their children exist, until every
   producer Deployment is scaled to 1 (its topic Ready), and the operator's memory then.
3. Baseline: the operator stopped, the same children (as the operator created them, moved to
   another namespace) applied at once the same way: the apiserver's own floor.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import functools
import json
import os
import ssl
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from satfeed_core.labels import SATELLITE_KEY
from satfeed_dev.kube import ControlPlane
from satfeed_dev.operator_bed import (
    OperatorProcess,
    assert_no_rbac_refusal,
    example,
    grant_namespaced,
    install_crd,
    renamed,
)
from satfeed_dev.testbed import TestBed
from satfeed_dev.toolchain import ensure_all
from satfeed_operator.consts import (
    API_VERSION,
    KAFKATOPIC_API_VERSION,
    KAFKATOPIC_KIND,
    KIND,
    PLURAL,
    TOPIC_PREFIX,
)
from satfeed_operator.kube import object_path

OPERATOR_NAMESPACE = "bench-operator"
DIRECT_NAMESPACE = "bench-direct"
FIELD_MANAGER = "satfeed-bench"
TARGET_BURST_SECONDS = 20.0
TARGET_RSS_MB = 150.0
WRITE_CONNECTIONS = 16
"""Concurrent requests of an "at once" apply: the same client for the burst and the baseline."""

CHILD_KINDS: dict[str, tuple[str, str]] = {  # kind: (apiVersion, plural)
    KAFKATOPIC_KIND: (KAFKATOPIC_API_VERSION, "kafkatopics"),
    "ConfigMap": ("v1", "configmaps"),
    "Deployment": ("apps/v1", "deployments"),
}
RESOURCES = {KIND: (API_VERSION, PLURAL), **CHILD_KINDS}

ChildKey = tuple[str, str, str]
"""(namespace, Satellite name, child kind)."""


class ChildWatch:
    """Every Satellite child in the cluster as watches report it, with its arrival time."""

    def __init__(self) -> None:
        self.created: dict[ChildKey, dict[str, Any]] = {}
        """Each child as first seen: what its creator applied, plus the apiserver's defaults."""
        self.first_seen: dict[ChildKey, float] = {}
        self.scaled_at: dict[tuple[str, str], float] = {}
        """(namespace, Satellite): when its producer Deployment first had a replica wanted."""
        self.changed = asyncio.Condition()
        self.broken: str | None = None
        """Why a watch failed: waiting on would only run into the timeout."""
        self.resumed = 0
        """How often the apiserver closed a watch and it was resumed."""

    async def watch(
        self, session: aiohttp.ClientSession, server: str, kind: str, established: asyncio.Event
    ) -> None:
        """Watch one kind; resume where it stopped when the apiserver closes the stream.

        Under load the apiserver drops watchers it cannot feed fast enough, as any client
        sees; resuming from the last resourceVersion replays what was missed, stamped late.
        """
        api_version, plural = CHILD_KINDS[kind]
        url = server + object_path(api_version, plural)
        params = {"watch": "true", "labelSelector": SATELLITE_KEY, "allowWatchBookmarks": "true"}
        try:
            while True:
                async with session.get(
                    url, params=params, timeout=aiohttp.ClientTimeout(total=None)
                ) as response:
                    response.raise_for_status()
                    established.set()  # the apiserver sends the headers once the watch is set
                    async for line in response.content:
                        event = json.loads(line)
                        if event["type"] == "ERROR":  # e.g. 410 Gone: too far behind to resume
                            raise RuntimeError(event["object"].get("message"))
                        params["resourceVersion"] = event["object"]["metadata"]["resourceVersion"]
                        if event["type"] == "BOOKMARK":
                            continue
                        async with self.changed:
                            self._record(kind, event["object"], time.monotonic())
                            self.changed.notify_all()
                self.resumed += 1
        except Exception as exc:
            async with self.changed:
                self.broken = f"the {kind} watch failed: {exc!r}"
                self.changed.notify_all()

    def _record(self, kind: str, child: dict[str, Any], arrived: float) -> None:
        metadata = child["metadata"]
        satellite = metadata["labels"][SATELLITE_KEY]
        key = (metadata["namespace"], satellite, kind)
        if key not in self.first_seen:
            self.first_seen[key] = arrived
            self.created[key] = child
        if kind == "Deployment" and child["spec"].get("replicas"):
            self.scaled_at.setdefault((metadata["namespace"], satellite), arrived)

    def keys(self, namespace: str, satellites: Iterable[str]) -> list[ChildKey]:
        return [(namespace, name, kind) for name in satellites for kind in CHILD_KINDS]

    def all_exist(self, namespace: str, satellites: Iterable[str]) -> bool:
        return all(key in self.first_seen for key in self.keys(namespace, satellites))

    def last_seen(self, namespace: str, satellites: Iterable[str]) -> float:
        """When the last of these Satellites' children appeared."""
        return max(self.first_seen[key] for key in self.keys(namespace, satellites))

    def seen(self) -> dict[tuple[str, str], int]:
        """How many children of each kind each namespace has."""
        return collections.Counter((namespace, kind) for namespace, _, kind in self.first_seen)

    async def until(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        async with self.changed:
            try:
                await asyncio.wait_for(
                    self.changed.wait_for(lambda: self.broken is not None or condition()), timeout
                )
            except TimeoutError:
                raise TimeoutError(
                    f"{what} did not happen within {timeout:.0f} s; seen: {self.seen()}"
                ) from None
            if self.broken is not None:
                raise RuntimeError(f"waiting for {what}: {self.broken}")


def admin_ssl_context(kube: ControlPlane) -> ssl.SSLContext:
    """The test bed's admin credentials: its kubeconfig's client certificate."""
    user = yaml.safe_load(kube.kubeconfig.read_text())["users"][0]["user"]
    context = ssl.create_default_context(cafile=str(kube.ca_cert))
    context.load_cert_chain(user["client-certificate"], user["client-key"])
    return context


async def apply(session: aiohttp.ClientSession, server: str, manifest: Mapping[str, Any]) -> None:
    """Server-side apply ``manifest``, creating it if missing."""
    api_version, plural = RESOURCES[manifest["kind"]]
    metadata = manifest["metadata"]
    url = server + object_path(api_version, plural, metadata["namespace"], metadata["name"])
    async with session.patch(
        url,
        params={"fieldManager": FIELD_MANAGER, "force": "true"},
        data=json.dumps(manifest),  # JSON is YAML
        headers={"Content-Type": "application/apply-patch+yaml"},
    ) as response:
        if response.status >= 400:
            text = await response.text()
            raise RuntimeError(f"apply {manifest['kind']} {metadata['name']}: {text[:500]}")


def moved(child: Mapping[str, Any], namespace: str) -> dict[str, Any]:
    """A manifest of ``child`` in ``namespace``, without what the apiserver or its owner set.

    A KafkaTopic gets the topic name the operator would give it there, so the Topic Operator
    stand-in creates a new Kafka topic for it, as it did for the original.
    """
    metadata = child["metadata"]
    manifest = {
        "apiVersion": child["apiVersion"],
        "kind": child["kind"],
        "metadata": {
            "name": metadata["name"],
            "namespace": namespace,
            "labels": metadata["labels"],
            "annotations": metadata.get("annotations", {}),
        },
        **{part: child[part] for part in ("spec", "data") if part in child},
    }
    if child["kind"] == KAFKATOPIC_KIND:
        satellite = metadata["labels"][SATELLITE_KEY]
        manifest["spec"] = {**child["spec"], "topicName": f"{TOPIC_PREFIX}.{namespace}.{satellite}"}
    return manifest


def memory_mb(pid: int, field_name: str) -> float:
    """``VmRSS`` (resident now) or ``VmHWM`` (peak resident) of ``pid``, in MB (10^6 bytes)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1]) * 1024 / 1e6  # the kernel's "kB" are KiB
    raise RuntimeError(f"no {field_name} for pid {pid}")


def percentile(values: list[float], percent: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


async def benchmark(
    bed: TestBed, operator: OperatorProcess, sequential: int, burst: int
) -> dict[str, float]:
    server = bed.kube.server
    context = admin_ssl_context(bed.kube)
    children = ChildWatch()
    results: dict[str, float] = {}
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context, limit=0)) as watches,
        aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=context, limit=WRITE_CONNECTIONS)
        ) as writes,
    ):
        established = [asyncio.Event() for _ in CHILD_KINDS]
        watch_tasks = [
            asyncio.create_task(children.watch(watches, server, kind, ready))
            for kind, ready in zip(CHILD_KINDS, established, strict=True)
        ]
        try:
            await asyncio.wait_for(asyncio.gather(*(ready.wait() for ready in established)), 30)
            terra = example("terra", OPERATOR_NAMESPACE)

            latencies = []
            for index in range(sequential):
                name = f"one-{index:03d}"
                started = time.monotonic()
                await apply(writes, server, renamed(terra, name))
                await children.until(
                    functools.partial(children.all_exist, OPERATOR_NAMESPACE, [name]),
                    60,
                    f"the children of Satellite {name}",
                )
                latencies.append(children.last_seen(OPERATOR_NAMESPACE, [name]) - started)
            results["one_p50"] = percentile(latencies, 50)
            results["one_p95"] = percentile(latencies, 95)

            names = [f"burst-{index:03d}" for index in range(burst)]
            started = time.monotonic()
            await asyncio.gather(*(apply(writes, server, renamed(terra, name)) for name in names))
            results["burst_applied"] = time.monotonic() - started
            await children.until(
                functools.partial(children.all_exist, OPERATOR_NAMESPACE, names),
                120,
                f"the children of {burst} Satellites",
            )
            results["burst_children"] = children.last_seen(OPERATOR_NAMESPACE, names) - started
            await children.until(
                lambda: all((OPERATOR_NAMESPACE, name) in children.scaled_at for name in names),
                180,
                f"{burst} producer Deployments scaled to 1",
            )
            results["burst_scaled"] = (
                max(children.scaled_at[(OPERATOR_NAMESPACE, name)] for name in names) - started
            )
            pid = operator.process.pid
            if pid is None:
                raise RuntimeError(f"the operator exited:\n{operator.tail()}")
            results["rss"] = memory_mb(pid, "VmRSS")
            results["peak_rss"] = memory_mb(pid, "VmHWM")

            await asyncio.to_thread(operator.stop)  # the baseline runs without it
            copies = [
                moved(children.created[key], DIRECT_NAMESPACE)
                for key in children.keys(OPERATOR_NAMESPACE, names)
            ]
            started = time.monotonic()
            await asyncio.gather(*(apply(writes, server, copy) for copy in copies))
            await children.until(
                functools.partial(children.all_exist, DIRECT_NAMESPACE, names),
                120,
                f"{len(copies)} children applied directly",
            )
            results["direct"] = children.last_seen(DIRECT_NAMESPACE, names) - started
            results["watches_resumed"] = children.resumed
        finally:
            for task in watch_tasks:
                task.cancel()
            await asyncio.gather(*watch_tasks, return_exceptions=True)
    return results


def report(results: Mapping[str, float], sequential: int, burst: int) -> None:
    def row(measure: str, result: str, target: str = "") -> None:
        print(f"{measure:58} {result:>9} {target:>9}")

    row("measure", "result", "target")
    row(f"(1) one Satellite -> its 3 children, p50 of {sequential}", f"{results['one_p50']:.2f} s")
    row(f"(1) one Satellite -> its 3 children, p95 of {sequential}", f"{results['one_p95']:.2f} s")
    row(f"(2) {burst} Satellites at once: applies answered", f"{results['burst_applied']:.2f} s")
    row(
        f"(2) {burst} Satellites at once: all {3 * burst} children exist",
        f"{results['burst_children']:.2f} s",
        f"<= {TARGET_BURST_SECONDS:.0f} s",
    )
    row(
        f"(2) {burst} Satellites at once: all producers scaled to 1",
        f"{results['burst_scaled']:.2f} s",
    )
    row(
        "(2) operator RSS afterwards (VmRSS)",
        f"{results['rss']:.0f} MB",
        f"<= {TARGET_RSS_MB:.0f} MB",
    )
    row("(2) operator peak RSS (VmHWM)", f"{results['peak_rss']:.0f} MB")
    row(f"(3) the same {3 * burst} children applied directly", f"{results['direct']:.2f} s")
    row("(3) operator / direct apply", f"{results['burst_children'] / results['direct']:.1f} x")
    # A resumed watch replays missed events late, so the times above may be late by as much.
    row("watch streams the apiserver closed (resumed)", f"{results['watches_resumed']:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sequential", type=int, default=20, help="Satellites, one at a time")
    parser.add_argument("--burst", type=int, default=100, help="Satellites applied at once")
    args = parser.parse_args()
    ensure_all()
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    with tempfile.TemporaryDirectory(prefix="satfeed-bench-") as tmp:
        bed = TestBed(Path(tmp) / "testbed")
        try:
            bed.start()
            install_crd(bed.kube)
            for namespace in (OPERATOR_NAMESPACE, DIRECT_NAMESPACE):
                bed.kube.kubectl_ok("create", "namespace", namespace)
            kubeconfig = grant_namespaced(bed.kube, OPERATOR_NAMESPACE)
            operator = OperatorProcess(
                bed, Path(tmp) / "operator", kubeconfig, (OPERATOR_NAMESPACE,)
            )
            try:
                operator.start()
                results = asyncio.run(benchmark(bed, operator, args.sequential, args.burst))
            finally:
                operator.stop()
            assert_no_rbac_refusal(operator)
        finally:
            bed.stop()
    print("load average at end:   {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    report(results, args.sequential, args.burst)


if __name__ == "__main__":
    main()
