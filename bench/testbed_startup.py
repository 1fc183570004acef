"""Start-up time (median of N) and memory of each test bed service.

    uv run --frozen python bench/testbed_startup.py [--runs 5]

Each run starts Kafka, the control plane (etcd, kube-apiserver, kube-controller-manager)
and the Topic Operator supervisor from scratch in a fresh directory, one after another so
the times do not compete for the two cores, then reads each process's resident memory.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from satfeed_dev.procs import ManagedProcess
from satfeed_dev.testbed import TestBed
from satfeed_dev.toolchain import ensure_all


def rss_mib(process: ManagedProcess) -> float:
    pid = process.pid
    if pid is None:
        return float("nan")
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_run(base: Path) -> dict[str, tuple[float | None, float]]:
    bed = TestBed(base)
    results: dict[str, tuple[float | None, float]] = {}
    try:
        started = time.monotonic()
        bed.kafka.start()
        kafka_s = time.monotonic() - started
        started = time.monotonic()
        bed.kube.start()
        kube_s = time.monotonic() - started
        started = time.monotonic()
        bed.install_strimzi_crds()
        bed.start_entity_operators()
        operator_s = time.monotonic() - started
        results["kafka"] = (kafka_s, rss_mib(bed.kafka.process))
        etcd, apiserver, manager = bed.kube.processes()
        results["control plane (3 processes)"] = (
            kube_s,
            rss_mib(etcd) + rss_mib(apiserver) + rss_mib(manager),
        )
        results["  etcd"] = (None, rss_mib(etcd))
        results["  kube-apiserver"] = (None, rss_mib(apiserver))
        results["  kube-controller-manager"] = (None, rss_mib(manager))
        results["CRDs + Topic Operator supervisor"] = (operator_s, rss_mib(bed.entity_operators))
    finally:
        bed.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    ensure_all()
    runs: list[dict[str, tuple[float | None, float]]] = []
    with tempfile.TemporaryDirectory(prefix="satfeed-bench-") as tmp:
        for index in range(args.runs):
            runs.append(one_run(Path(tmp) / str(index)))
    print(f"{'service':34} {'start s (median)':>17} {'min':>6} {'max':>6} {'RSS MiB (median)':>17}")
    for name in runs[0]:
        times = [t for run in runs if (t := run[name][0]) is not None]
        memory = statistics.median(run[name][1] for run in runs)
        if not times:  # a memory-only row
            print(f"{name:34} {'':>17} {'':>6} {'':>6} {memory:17.0f}")
        else:
            print(
                f"{name:34} {statistics.median(times):17.2f} {min(times):6.2f} "
                f"{max(times):6.2f} {memory:17.0f}"
            )


if __name__ == "__main__":
    main()
