"""``satfeed-testbed``: build, start and stop the test bed by hand.

satfeed-testbed setup    build/fetch everything (cached per machine)
satfeed-testbed setup-node  build the node's binaries and the images (cached per machine)
satfeed-testbed up       start it; write build/testbed.env and print it
satfeed-testbed status   show which services run
satfeed-testbed down     stop what 'up' started
"""

from __future__ import annotations

import argparse
import sys
import time

from . import images
from .node import check_node_prerequisites
from .procs import ServiceError, pid_files
from .testbed import TestBed
from .toolchain import SetupError, build_dir, ensure_all, node_tools


def _testbed() -> TestBed:
    return TestBed(build_dir() / "testbed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="satfeed-testbed",
        description="Real Kafka, Kubernetes control plane and KafkaTopic operator on loopback.",
    )
    parser.add_argument("command", choices=["setup", "setup-node", "up", "status", "down"])
    args = parser.parse_args(argv)
    env_file = build_dir() / "testbed.env"
    try:
        if args.command == "setup":
            ensure_all()
        elif args.command == "setup-node":
            check_node_prerequisites()
            node_tools(build=True)
            for image in images.build_all():
                how = f"built in {image.seconds:.0f} s" if image.seconds else "up to date"
                size = images.image_size(image.reference) / 1e6
                print(f"{image.reference}: {size:.0f} MB, {how}")
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
