"""Operator: one SatelliteGroup of the whole 16,069-object catalogue against three Satellites.

    uv run --frozen python -m bench.group_operator

(run as a module from the repository root)

Starts the test bed and the real ``satfeed-operator`` (as the chart's ServiceAccount), as
``bench/operator_latency.py`` does, then in one run:

1. Baseline: the three example Satellites (the per-satellite design): until their topics
   are Ready; the operator's RSS and CPU seconds after.
2. The bundled catalogue as four source ConfigMaps and one SatelliteGroup: until its topic
   is Ready (members judged, chunks, plan, topic and shards applied); the operator's RSS,
   peak RSS and CPU seconds after, as ratios to the baseline; the size of the group's status
   (it must stay far from the apiserver's 1.5 MB object limit).
3. A resync-like second reconcile with unchanged source text (a spec change of
   ``intervalSeconds``): its CPU seconds, which the judged-members cache keeps small.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from satfeed_dev.catalogue import catalogue_configmaps
from satfeed_dev.operator_bed import (
    OperatorProcess,
    assert_no_rbac_refusal,
    condition,
    example,
    get,
    grant_namespaced,
    install_crd,
)
from satfeed_dev.sample_data import tle_file
from satfeed_dev.testbed import TestBed
from satfeed_dev.toolchain import ensure_all
from satfeed_dev.waiting import wait_for

from bench.operator_latency import memory_mb

NAMESPACE = "bench-groups"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def ready(bed: TestBed, kind: str, name: str, type_: str = "TopicReady") -> bool:
    found = condition(get(bed.kube, kind, NAMESPACE, name), type_)
    return bool(found and found["status"] == "True")


def run(bed: TestBed, pid: int) -> dict[str, float]:
    kube = bed.kube
    results: dict[str, float] = {"idle_rss": memory_mb(pid, "VmRSS")}
    started = time.monotonic()
    for name in ("terra", "aqua", "aura"):
        kube.apply(example(name, NAMESPACE))
    for name in ("terra", "aqua", "aura"):

        def topic_ready(name: str = name) -> bool:
            return ready(bed, "satellite", name)

        wait_for(topic_ready, 60, f"{name} topic Ready")
    results["satellites_s"] = time.monotonic() - started
    results["satellites_rss"] = memory_mb(pid, "VmRSS")
    results["satellites_cpu"] = cpu_seconds(pid)

    sources = catalogue_configmaps(tle_file("catalog-large.tle"), "catalogue", NAMESPACE)
    for configmap in sources:
        kube.apply(configmap)
    refs = [{"name": each["metadata"]["name"]} for each in sources]
    group: dict[str, Any] = {
        "apiVersion": "satfeed.io/v1alpha1",
        "kind": "SatelliteGroup",
        "metadata": {"name": "catalogue", "namespace": NAMESPACE},
        "spec": {"source": {"configMaps": refs}},
    }
    cpu_before = cpu_seconds(pid)
    started = time.monotonic()
    kube.apply(group)
    wait_for(lambda: ready(bed, "satellitegroup", "catalogue"), 120, "the group's topic Ready")
    results["group_s"] = time.monotonic() - started
    results["group_cpu"] = cpu_seconds(pid) - cpu_before
    results["group_rss"] = memory_mb(pid, "VmRSS")
    results["group_peak_rss"] = memory_mb(pid, "VmHWM")
    body = get(kube, "satellitegroup", NAMESPACE, "catalogue") or {}
    results["status_bytes"] = len(json.dumps(body.get("status")))
    results["members"] = body["status"]["members"]["usable"]

    cpu_before = cpu_seconds(pid)
    generation = int(body["metadata"]["generation"])
    kube.apply({**group, "spec": {**group["spec"], "intervalSeconds": 2}})

    def observed() -> bool:
        found = get(kube, "satellitegroup", NAMESPACE, "catalogue") or {}
        return int((found.get("status") or {}).get("observedGeneration") or 0) > generation

    wait_for(observed, 60, "the spec change observed")
    results["again_cpu"] = cpu_seconds(pid) - cpu_before
    return results


def main() -> None:
    ensure_all()
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    with tempfile.TemporaryDirectory(prefix="satfeed-bench-") as tmp:
        bed = TestBed(Path(tmp) / "testbed")
        try:
            bed.start()
            install_crd(bed.kube)
            bed.kube.kubectl_ok("create", "namespace", NAMESPACE)
            kubeconfig = grant_namespaced(bed.kube, NAMESPACE)
            operator = OperatorProcess(bed, Path(tmp) / "operator", kubeconfig, (NAMESPACE,))
            try:
                operator.start()
                pid = operator.process.pid
                if pid is None:
                    raise RuntimeError(f"the operator exited:\n{operator.tail()}")
                results = run(bed, pid)
            finally:
                operator.stop()
            assert_no_rbac_refusal(operator)
        finally:
            bed.stop()
    print("load average at end:   {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    base = results["satellites_rss"]
    print(f"operator RSS idle                         {results['idle_rss']:7.0f} MB")
    print(f"(1) 3 Satellites: topics Ready in          {results['satellites_s']:7.1f} s")
    print(f"(1) operator RSS with 3 Satellites         {base:7.0f} MB  (baseline)")
    print(f"(2) {results['members']:,.0f}-member group: topic Ready in {results['group_s']:7.1f} s")
    print(f"(2) operator CPU for the group             {results['group_cpu']:7.1f} s")
    print(
        f"(2) operator RSS with the group            {results['group_rss']:7.0f} MB"
        f"  ({results['group_rss'] / base:.2f} x baseline)"
    )
    print(
        f"(2) operator peak RSS (VmHWM)              {results['group_peak_rss']:7.0f} MB"
        f"  ({results['group_peak_rss'] / base:.2f} x baseline)"
    )
    print(f"(2) the group's status                     {results['status_bytes']:7.0f} bytes")
    print(
        f"(3) CPU of a spec change, source unchanged {results['again_cpu']:7.2f} s"
        f"  ({results['again_cpu'] / results['group_cpu']:.2f} x the first judgement)"
    )


if __name__ == "__main__":
    main()
