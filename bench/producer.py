"""Producer memory at steady state and CPU per satellite at 1 Hz, against a real broker.

    uv run --frozen python bench/producer.py [--seconds 60]

Starts a Kafka broker (the test bed's) and, one after the other, a producer at 1 Hz with the
default backfill for each propagator engine (``auto``: pyorbital, which loads scipy; ``sgp4``).
The baseline, in the same run, is a Python process that only imports the producer's modules
(the memory floor of interpreter + libraries). Prints RSS and CPU, and their ratios.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from confluent_kafka.admin import NewTopic
from satfeed_dev.kafka import KafkaBroker
from satfeed_dev.procs import ManagedProcess, free_port
from satfeed_dev.sample_data import tle_file
from satfeed_dev.services import producer_argv
from satfeed_dev.waiting import wait_for

TARGET_RSS_MB = 80.0
ENGINES = ("auto", "sgp4")
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime + stime


def ready(port: int) -> bool:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as reply:
        return bool(reply.status == 200)


def measure(broker: KafkaBroker, run_dir: Path, engine: str, seconds: float) -> tuple[float, float]:
    """(RSS MB, CPU seconds per wall second) of one producer at 1 Hz at steady state."""
    port = free_port()
    argv = producer_argv(
        broker.bootstrap_servers, engine, "terra", port,
        "--elements-file", str(run_dir / "elements"), "--propagator", engine, "--interval", "1",
    )  # fmt: skip
    producer = ManagedProcess(f"producer-{engine}", argv, run_dir)
    producer.start()
    try:
        wait_for(lambda: ready(port), 60, "the producer to be ready")
        pid = producer.pid
        assert pid is not None
        time.sleep(10)  # let the backfill's burst pass before the steady-state window
        cpu_start, wall_start = cpu_seconds(pid), time.monotonic()
        time.sleep(seconds)
        cpu_rate = (cpu_seconds(pid) - cpu_start) / (time.monotonic() - wall_start)
        return rss_mb(pid), cpu_rate
    finally:
        producer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0, help="steady-state window")
    args = parser.parse_args()
    lines = tle_file("earth-observation.tle").read_text().splitlines()[:3]
    results: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory(prefix="satfeed-bench-") as tmp:
        run_dir = Path(tmp)
        (run_dir / "elements").write_text("\n".join(lines) + "\n")
        broker = KafkaBroker(run_dir / "kafka")
        broker.start()
        baseline = ManagedProcess(
            "imports-only",
            [sys.executable, "-c", "import signal, satfeed_producer.main; signal.pause()"],
            run_dir,
        )
        try:
            admin = broker.admin()
            for engine in ENGINES:
                admin.create_topics([NewTopic(engine, 1, 1)])[engine].result(30)
                results[engine] = measure(broker, run_dir, engine, args.seconds)
            baseline.start()
            wait_for(lambda: baseline.pid is not None and rss_mb(baseline.pid) > 20, 30, "imports")
            time.sleep(2)  # imports finish
            pid = baseline.pid
            assert pid is not None
            floor_rss = rss_mb(pid)
        finally:
            baseline.stop()
            broker.stop()
    print(f"1 satellite at 1 Hz; steady-state window {args.seconds:.0f} s after a 10 s settle")
    print(f"imports-only baseline (interpreter + producer modules): {floor_rss:.1f} MB RSS")
    for engine, (rss, cpu) in results.items():
        print(
            f"--propagator {engine:5}: RSS {rss:6.1f} MB, ratio to baseline {rss / floor_rss:.2f}, "
            f"to the {TARGET_RSS_MB:.0f} MB target {rss / TARGET_RSS_MB:.2f}; "
            f"CPU {100 * cpu:.2f} % of one core"
        )


if __name__ == "__main__":
    main()
