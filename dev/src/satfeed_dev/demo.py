"""``make demo``: the whole pipeline on this machine, no Kubernetes needed.

Starts a single-node Kafka the test bed's way (or uses ``KAFKA_BOOTSTRAP_SERVERS``),
producers for TERRA, AQUA and AURA from the bundled elements, and the frontend with static
discovery; prints the dashboard's address; on Ctrl-C (or SIGTERM) stops everything it
started, by pid file, and leaves no process behind.

``--local`` (``make local``), and ``make demo`` where Java or Maven are missing, runs the
single-process shape instead: the frontend alone computes the three satellites' positions
(``satfeed-frontend --local-elements``), with Python alone.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from confluent_kafka.admin import AdminClient, NewTopic

from .kafka import KafkaBroker
from .procs import ManagedProcess, ServiceError, free_port, http_ok, pid_files, stop_pid_file
from .sample_data import tle_file
from .services import frontend_argv, local_frontend_argv, producer_argv
from .toolchain import SetupError, build_dir, find_java, maven_libs
from .waiting import WaitTimeout


@dataclass(frozen=True)
class DemoSatellite:
    satellite_id: str
    display_name: str
    norad_id: int

    @property
    def topic(self) -> str:
        return f"satfeed.demo.{self.satellite_id}"


SATELLITES = (
    DemoSatellite("terra", "TERRA", 25994),
    DemoSatellite("aqua", "AQUA", 27424),
    DemoSatellite("aura", "AURA", 28376),
)


def _ensure_topics(bootstrap: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    existing = admin.list_topics(timeout=15).topics
    wanted = [NewTopic(s.topic, 1, 1) for s in SATELLITES if s.topic not in existing]
    for future in admin.create_topics(wanted).values() if wanted else []:
        future.result(30)


def _start(run_dir: Path, bootstrap: str, port: int) -> None:
    elements = ["--elements-file", str(tle_file("earth-observation.tle"))]
    for satellite in SATELLITES:
        which = ["--display-name", satellite.display_name, "--norad-id", str(satellite.norad_id)]
        argv = producer_argv(
            bootstrap, satellite.topic, satellite.satellite_id, free_port(), *elements, *which
        )
        ManagedProcess(f"producer-{satellite.satellite_id}", argv, run_dir).start()
    topics = ",".join(s.topic for s in SATELLITES)
    frontend = ManagedProcess(
        "frontend", frontend_argv(bootstrap, port, "--topics", topics, *elements), run_dir
    )
    frontend.start()
    ready_url = f"http://127.0.0.1:{port}/readyz"
    frontend.wait_until(lambda: http_ok(ready_url), 120, "did not get ready")


def _start_local(run_dir: Path, port: int) -> None:
    ids = ",".join(str(s.norad_id) for s in SATELLITES)
    elements = tle_file("earth-observation.tle")
    argv = local_frontend_argv(elements, port, "--local-norad-ids", ids)
    frontend = ManagedProcess("frontend", argv, run_dir)
    frontend.start()
    ready_url = f"http://127.0.0.1:{port}/readyz"
    frontend.wait_until(lambda: http_ok(ready_url), 60, "did not get ready")


def kafka_missing() -> str | None:
    """Why a local Kafka cannot run here (no Java 17+, or no Maven to fetch its jars the
    first time); None when it can."""
    try:
        find_java(17)
        maven_libs("kafka")
    except SetupError as error:
        return str(error).splitlines()[0]
    return None


def stop_all(run_dir: Path) -> None:
    """Stop every process a demo started in ``run_dir``, newest first."""
    for pid_file in sorted(pid_files(run_dir), key=lambda p: p.stat().st_mtime, reverse=True):
        stop_pid_file(pid_file)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="satfeed-demo", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8050, help="dashboard port (default 8050)")
    parser.add_argument(
        "--local",
        action="store_true",
        help="no Kafka: the frontend computes the positions itself (make local)",
    )
    args = parser.parse_args(argv)
    run_dir = build_dir() / "demo"
    stop_all(run_dir)  # a demo killed earlier: its processes are ours (pid files), stop them
    stopping = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "")
        local = args.local
        if not local and not bootstrap and (missing := kafka_missing()):
            print(f"no local Kafka: {missing}\nrunning the single-process mode instead.")
            local = True
        if local:
            print(
                "single process, no Kafka: the frontend computes the positions of TERRA, "
                "AQUA and AURA itself (satfeed-frontend --local-elements)"
            )
            _start_local(run_dir, args.port)
        else:
            if not bootstrap:
                print("starting a local Kafka broker (first run: fetches its jars with Maven) ...")
                broker = KafkaBroker(run_dir / "kafka")
                broker.start()
                bootstrap = broker.bootstrap_servers
            print(
                f"Kafka at {bootstrap}; starting producers for TERRA, AQUA, AURA and the frontend"
            )
            _ensure_topics(bootstrap)
            _start(run_dir, bootstrap, args.port)
        print(f"\n  satfeed dashboard: http://127.0.0.1:{args.port}\n\n  Ctrl-C stops the demo.")
        print(f"  logs: {run_dir}/*.log", flush=True)
        stopping.wait()
    except (SetupError, ServiceError, WaitTimeout) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        print("stopping the demo ...", flush=True)
        stop_all(run_dir)
        print("stopped; no demo process is left", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
