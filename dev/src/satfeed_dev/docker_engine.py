"""A Docker Engine of the test bed's own, for the Compose tests and ``make images``.

``dockerd`` (Debian's ``docker.io``) runs like any other test bed service: a
:class:`ManagedProcess` with a pid file, stopped by pid. It has its own socket, exec root
and data root, the vfs storage driver (no overlay on overlay), ``--iptables=false`` and
``--bridge=none``, so it touches neither the host's firewall nor a ``docker0`` of another
engine. The data root is kept per machine (``~/.cache/satfeed/docker``): images and the
build cache survive the run, so an image is rebuilt only when its inputs change (Docker's
own build cache decides). One engine per machine uses it at a time (a lock file); the
sockets live there too, as their paths must stay short.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path
from typing import IO

from .procs import ManagedProcess, ServiceError
from .toolchain import SetupError, cache_dir
from .waiting import wait_for

LOCK_WAIT_S = 600.0


def engine_dir() -> Path:
    return cache_dir() / "docker"


def engine_missing() -> str | None:
    """Why no engine can run here (not root, or Debian's packages missing); None if it can."""
    if os.geteuid() != 0:
        return "dockerd needs root"
    for tool, package in (("dockerd", "docker.io"), ("docker-compose", "docker-compose")):
        if shutil.which(tool) is None:
            return f"'{tool}' is not installed: apt-get install {package} (make setup does)"
    return None


class DockerEngine:
    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.root = engine_dir()
        self.socket = self.root / "exec" / "docker.sock"
        self._lock: IO[str] | None = None
        self.process = ManagedProcess(
            name="dockerd",
            argv=[
                "dockerd",
                f"--data-root={self.root / 'data-root'}",
                f"--exec-root={self.root / 'exec'}",
                f"--pidfile={self.root / 'exec' / 'dockerd.pid'}",
                f"--host=unix://{self.socket}",
                "--storage-driver=vfs",
                "--iptables=false",
                "--ip-masq=false",
                "--bridge=none",
            ],
            run_dir=run_dir,
        )

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    def env(self) -> dict[str, str]:
        """The environment for ``docker``/``docker-compose`` to use this engine."""
        return {**os.environ, "DOCKER_HOST": self.host}

    def start(self, timeout: float = 60) -> None:
        missing = engine_missing()
        if missing:
            raise SetupError(missing)
        (self.root / "exec").mkdir(parents=True, exist_ok=True)
        self._lock = (self.root / "engine.lock").open("w")
        wait_for(self._try_lock, LOCK_WAIT_S, f"the engine's lock {self.root / 'engine.lock'}")
        self.process.start()
        self.process.wait_until(self._answers, timeout, "did not answer on its socket")

    def _try_lock(self) -> bool:
        assert self._lock is not None
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _answers(self) -> bool:
        return self.docker("version", check=False).returncode == 0

    def docker(
        self, *args: str, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            ["docker", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and done.returncode != 0:
            raise ServiceError(f"docker {' '.join(args)} failed: {done.stderr.strip()}")
        return done

    def stop(self) -> None:
        """Stops dockerd (which stops its containers first); releases the data root."""
        self.process.stop(timeout=60)
        if self._lock is not None:
            self._lock.close()
            self._lock = None
