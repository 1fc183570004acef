"""``satfeed-testbed``: build, start and stop the test bed by hand.

satfeed-testbed setup    build/fetch everything (cached per machine)
satfeed-testbed up       start it; write build/testbed.env and print it
satfeed-testbed status   show which services run
satfeed-testbed down     stop what 'up' started
"""

from __future__ import annotations

import argparse
import sys
import time

from .procs import ServiceError, pid_files
from .testbed import TestBed
from .toolchain import SetupError, build_dir, ensure_all


def _testbed() -> TestBed:
    return TestBed(build_dir() / "testbed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="satfeed-testbed",
        description="Real Kafka, Kubernetes control plane and KafkaTopic operator on loopback.",
    )
    parser.add_argument("command", choices=["setup", "up", "status", "down"])
    args = parser.parse_args(argv)
    env_file = build_dir() / "testbed.env"
    try:
        if args.command == "setup":
            ensure_all()
        elif args.command == "up":
            testbed = _testbed()
            if pid_files(testbed.run_dir):
                print(f"the test bed already runs (see {env_file}); 'make testbed-down' stops it")
                return 1
            testbed.destroy()  # a clean slate: data of an earlier run is not reused
            ensure_all()
            started = time.monotonic()
            testbed.start()
            print(f"test bed up in {time.monotonic() - started:.1f} s; wrote {env_file}:")
            print(testbed.write_env_file(env_file), end="")
            print(f"use it with: set -a; . {env_file}; set +a; kubectl get kafkatopics -A")
        elif args.command == "status":
            running = [p.stem for p in pid_files(_testbed().run_dir)]
            print("running: " + (", ".join(running) if running else "nothing"))
        else:
            _testbed().stop()
            env_file.unlink(missing_ok=True)
            print("test bed stopped")
    except (SetupError, ServiceError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
