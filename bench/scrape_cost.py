"""Scrape cost: bytes and CPU per ``/metrics`` scrape of a producer and of the frontend
showing 30 satellites at 1 Hz.

    uv run --frozen python bench/scrape_cost.py [--scrapes 200]

Starts a Kafka broker of the test bed's kind, feeds 30 satellites' topics at 1 Hz, and runs
one ``satfeed-producer`` (TERRA, 1 Hz) and one ``satfeed-frontend`` on the 30 topics. For each,
the CPU of ``--seconds`` without scrapes is the baseline; then ``--scrapes`` scrapes in the
same time; the difference per scrape is the scrape's CPU (utime + stime from /proc), and
the body's size its bytes.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from confluent_kafka.admin import NewTopic
from satfeed_core.elements import elements_text
from satfeed_dev.kafka import KafkaBroker
from satfeed_dev.page_bench import CLOCK_TICKS, Feeder, FrontendProcess, satellite_id, satellites
from satfeed_dev.procs import ManagedProcess, free_port
from satfeed_dev.services import producer_argv
from satfeed_dev.toolchain import build_dir, ensure_all


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def scrape(port: int) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/metrics")
        return len(connection.getresponse().read())
    finally:
        connection.close()


def measure(pid: Callable[[], int], port: int, seconds: float, scrapes: int) -> tuple[int, float]:
    """(bytes per scrape, CPU ms per scrape) against the same time without scrapes."""
    before = cpu_s(pid())
    time.sleep(seconds)  # the baseline: the process's own work, no scrape
    idle = cpu_s(pid()) - before
    before = cpu_s(pid())
    started = time.monotonic()
    size = 0
    for index in range(scrapes):
        size = scrape(port)
        pause = started + seconds * (index + 1) / scrapes - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    busy = cpu_s(pid()) - before
    return size, max(0.0, busy - idle) / scrapes * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scrapes", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    ensure_all()
    print(f"load average at start: {os.getloadavg()}")
    run_dir = build_dir() / "bench-scrape" / datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    broker = KafkaBroker(run_dir / "kafka")
    broker.start()
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(broker.stop)
        fleet = satellites(30)
        topics = [f"bench.positions.{satellite_id(each)}" for each in fleet]
        admin = broker.admin()
        for future in admin.create_topics([NewTopic(t, 1, 1) for t in topics]).values():
            future.result(30)
        feeder = Feeder(broker.bootstrap_servers, fleet[1:], topics[1:])
        feeder.start()
        cleanup.callback(feeder.stop)
        producer_port = free_port()
        (run_dir / "terra.tle").write_text(elements_text(fleet[0]))
        producer = ManagedProcess(
            name=f"producer-{uuid.uuid4().hex[:6]}",
            argv=producer_argv(
                broker.bootstrap_servers, topics[0], satellite_id(fleet[0]), producer_port,
                "--elements-file", str(run_dir / "terra.tle"), "--interval", "1",
            ),
            run_dir=run_dir,
        )  # fmt: skip
        producer.start()
        cleanup.callback(producer.stop)
        producer.wait_until(lambda: scrape(producer_port) > 0, 60, "did not serve /metrics")
        frontend = FrontendProcess(
            run_dir,
            broker.bootstrap_servers,
            ["--topics", ",".join(topics), "--log-level", "WARNING"],
        )
        cleanup.callback(frontend.stop)
        frontend.start(lambda f: f.metric("satfeed_frontend_satellites") >= 30)

        def producer_pid() -> int:
            assert producer.pid is not None
            return producer.pid

        results = {
            "producer (1 Satellite, 1 Hz)": measure(
                producer_pid, producer_port, args.seconds, args.scrapes
            ),
            "frontend (30 Satellites, 1 Hz)": measure(
                frontend.worker_pid, frontend.port, args.seconds, args.scrapes
            ),
        }
    print(f"load average at end: {os.getloadavg()}")
    for what, (size, cpu_ms) in results.items():
        print(f"{what:32} {size:7,} bytes per scrape, {cpu_ms:6.2f} ms CPU per scrape")
    return 0


if __name__ == "__main__":
    sys.exit(main())
