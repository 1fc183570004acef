"""The single-process mode (``satfeed-frontend --local-elements``): start time and memory.

    uv run --frozen python bench/local_mode.py [--runs 5] [--norad-ids 25994,27424,28376]

Each run starts the frontend on the bundled elements (by default TERRA, AQUA, AURA), times
it until ``/readyz`` answers and until the first position is in the page's feed
(``satfeed_frontend_records_consumed_total`` above 0), then reads the resident memory of
gunicorn's master and worker after 10 s of serving; the medians are printed.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from satfeed_dev.procs import ManagedProcess, free_port, http_ok
from satfeed_dev.sample_data import tle_file
from satfeed_dev.services import local_frontend_argv
from satfeed_dev.waiting import wait_for


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children."""
    pids = [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    total = 0
    for each in pids:
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def consumed(port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("satfeed_frontend_records_consumed_total "):
                return float(line.split()[1])
    return 0.0


def one_run(run_dir: Path, norad_ids: str) -> tuple[float, float, float]:
    port = free_port()
    argv = local_frontend_argv(tle_file("earth-observation.tle"), port)
    if norad_ids:
        argv += ["--local-norad-ids", norad_ids]
    process = ManagedProcess("frontend-local", argv, run_dir)
    started = time.monotonic()
    process.start()
    try:
        process.wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/readyz"), 60)
        ready = time.monotonic() - started
        wait_for(lambda: consumed(port) > 0, 30, "the first position", interval=0.02)
        first = time.monotonic() - started
        time.sleep(10)  # memory after ten ticks of serving, not at start
        assert process.pid is not None
        return ready, first, rss_mib(process.pid)
    finally:
        process.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--norad-ids", default="25994,27424,28376", help="'' for every object")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            results.append(one_run(Path(tmp) / str(run), args.norad_ids))
    for name, values in zip(
        ("ready s", "first position s", "RSS MiB"), zip(*results, strict=True), strict=True
    ):
        print(
            f"{name:18} median {statistics.median(values):7.2f}  min {min(values):7.2f}"
            f"  max {max(values):7.2f}"
        )


if __name__ == "__main__":
    main()
