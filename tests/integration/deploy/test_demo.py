"""`make demo`: Kafka, three producers and the dashboard on this machine; Ctrl-C stops all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from satfeed_dev.procs import free_port, pid_files, process_start_time
from satfeed_dev.waiting import wait_for

pytestmark = pytest.mark.integration


def _metric(port: int, name: str) -> float:
    url = f"http://127.0.0.1:{port}/metrics"
    with urllib.request.urlopen(url, timeout=3) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise KeyError(name)


def test_demo_serves_three_satellites_and_leaves_nothing_behind(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    env["SATFEED_BUILD"] = str(tmp_path / "build")
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        demo = subprocess.Popen(
            [sys.executable, "-m", "satfeed_dev.demo", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(
            lambda: f"http://127.0.0.1:{port}" in log.read_text() or demo.poll() is not None,
            180,
            "the demo to print its address",
        )
        assert demo.poll() is None, log.read_text()
        started = {
            pid_file.stem: pid_file.read_text().split()
            for pid_file in pid_files(tmp_path / "build" / "demo")
        }
        assert set(started) == {
            "kafka", "producer-terra", "producer-aqua", "producer-aura", "frontend",
        }  # fmt: skip
        wait_for(lambda: _metric(port, "satfeed_frontend_satellites") == 3, 30, "3 satellites")
        wait_for(
            lambda: _metric(port, "satfeed_frontend_records_consumed_total") >= 3 * 180,
            60,
            "the backfill of all three satellites",
        )
        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=120) == 0
    finally:
        _stop(demo)
    output = log.read_text()
    assert "stopped; no demo process is left" in output
    for name, (pid, start_time) in started.items():
        assert process_start_time(int(pid)) != start_time, f"{name} (pid {pid}) is still running"


def test_make_local_serves_three_satellites_from_one_process(tmp_path: Path) -> None:
    """`make local` (and `make demo` without Java or Maven): no Kafka, the frontend alone."""
    port = free_port()
    env = {**os.environ, "SATFEED_BUILD": str(tmp_path / "build")}
    log = tmp_path / "local.log"
    with log.open("wb") as out:
        demo = subprocess.Popen(
            [sys.executable, "-m", "satfeed_dev.demo", "--local", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(
            lambda: f"http://127.0.0.1:{port}" in log.read_text() or demo.poll() is not None,
            60,
            "the dashboard's address",
        )
        assert demo.poll() is None, log.read_text()
        assert "single process, no Kafka" in log.read_text()
        started = {
            pid_file.stem: pid_file.read_text().split()
            for pid_file in pid_files(tmp_path / "build" / "demo")
        }
        assert set(started) == {"frontend"}
        wait_for(
            lambda: _metric(port, "satfeed_frontend_records_consumed_total") >= 3 * 180,
            30,
            "the backfill of all three satellites",
        )
        assert _metric(port, "satfeed_frontend_satellites") == 3
        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=60) == 0
    finally:
        _stop(demo)
    assert "stopped; no demo process is left" in log.read_text()
    pid, start_time = started["frontend"]
    assert process_start_time(int(pid)) != start_time, f"the frontend (pid {pid}) still runs"


def _stop(demo: subprocess.Popen[bytes]) -> None:
    """On a failed check too, the demo stops as Ctrl-C stops it, so that it stops what it
    started (a SIGKILL would leave its broker and producers running)."""
    if demo.poll() is not None:
        return
    demo.send_signal(signal.SIGINT)
    try:
        demo.wait(timeout=120)
    except subprocess.TimeoutExpired:
        demo.kill()
        demo.wait()
