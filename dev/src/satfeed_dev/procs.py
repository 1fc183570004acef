"""Processes the test bed owns: started detached, tracked by pid file, stopped exactly.

Every service runs in its own session (process group) with its output in a log file.
A pid file records the pid together with the process start time, so stopping never
signals a stranger that reused the pid, and nothing is ever killed by name.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


class ServiceError(RuntimeError):
    """A test bed service failed to start or answer; the message carries its log tail."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free on ``host`` a moment ago (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def http_ok(url: str, timeout: float = 2) -> bool:
    """Whether a GET of ``url`` (a test bed service's health endpoint) answers 200."""
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (test bed)
        return bool(response.status == 200)


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def process_start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (field 22 of /proc/PID/stat), None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name (field 2) may contain spaces; fields after it are plain.
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(pid: int, start_time: str) -> bool:
    if process_start_time(pid) != start_time:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        threads = len(os.listdir(f"/proc/{pid}/task"))
    except FileNotFoundError:
        return False
    # A JVM's main thread can exit (and show as a zombie) while its other threads are still
    # shutting down: the process is gone only when no thread is left.
    return state != "Z" or threads > 1


@dataclass
class ManagedProcess:
    """One service process of the test bed."""

    name: str
    argv: Sequence[str]
    run_dir: Path
    env: Mapping[str, str] | None = None
    cwd: Path | None = None

    @property
    def log_path(self) -> Path:
        return self.run_dir / f"{self.name}.log"

    @property
    def pid_path(self) -> Path:
        return self.run_dir / f"{self.name}.pid"

    def _read_pid(self) -> tuple[int, str] | None:
        try:
            pid_text, start_time = self.pid_path.read_text().split()
        except (FileNotFoundError, ValueError):
            return None
        return int(pid_text), start_time

    @property
    def pid(self) -> int | None:
        record = self._read_pid()
        if record is None or not _alive(*record):
            return None
        return record[0]

    def running(self) -> bool:
        return self.pid is not None

    def start(self) -> None:
        if self.running():
            raise ServiceError(f"{self.name} is already running (pid file {self.pid_path})")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ if self.env is None else self.env)
        with self.log_path.open("ab") as log:
            log.write(f"--- start {' '.join(self.argv)}\n".encode())
            log.flush()
            proc = subprocess.Popen(
                list(self.argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.cwd,
                start_new_session=True,
            )
        start_time = process_start_time(proc.pid)
        if start_time is None:  # exited at once; keep the status for the error message
            proc.wait()
            raise ServiceError(self.failure(f"exited at once with status {proc.returncode}"))
        self.pid_path.write_text(f"{proc.pid} {start_time}\n")
        # Popen objects complain when collected while the child lives; we track by pid file.
        proc.returncode = 0

    def run_to_completion(self, timeout: float) -> None:
        """Run a one-shot command (e.g. a storage format) with its output in the log."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            try:
                proc = subprocess.run(
                    list(self.argv),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=None if self.env is None else dict(self.env),
                    cwd=self.cwd,
                    timeout=timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise ServiceError(self.failure(f"did not finish within {timeout:.0f} s")) from None
        if proc.returncode != 0:
            raise ServiceError(self.failure(f"failed with exit status {proc.returncode}"))

    def failure(self, what: str) -> str:
        return f"{self.name} {what}.\nLast lines of {self.log_path}:\n{log_tail(self.log_path)}"

    def wait_until(
        self,
        ready: Callable[[], bool],
        timeout: float,
        what: str = "did not become ready",
    ) -> None:
        """Poll ``ready`` until it holds; fail fast if the process dies meanwhile."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.running():
                raise ServiceError(self.failure("exited during start-up"))
            with contextlib.suppress(Exception):
                if ready():
                    return
            if time.monotonic() > deadline:
                raise ServiceError(self.failure(f"{what} within {timeout:.0f} s"))
            time.sleep(0.1)

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM the process group, SIGKILL it after ``timeout``; idempotent."""
        record = self._read_pid()
        if record is None:
            return
        pid, start_time = record
        if _alive(pid, start_time):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while _alive(pid, start_time) and time.monotonic() < deadline:
                _reap(pid)
                time.sleep(0.05)
            if _alive(pid, start_time):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                while _alive(pid, start_time):
                    _reap(pid)
                    time.sleep(0.05)
        _reap(pid)
        self.pid_path.unlink(missing_ok=True)

    def kill(self) -> None:
        """SIGKILL at once, as a crash would (for restart tests)."""
        record = self._read_pid()
        if record is not None and _alive(*record):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(record[0], signal.SIGKILL)
        self.stop(timeout=10)


def _reap(pid: int) -> None:
    """Collect ``pid`` if it is our exited child, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def pid_files(directory: Path) -> list[Path]:
    """Every pid file under ``directory`` (the processes a test bed run owns)."""
    return sorted(directory.rglob("*.pid")) if directory.is_dir() else []


def stop_pid_file(pid_file: Path, timeout: float = 20.0) -> None:
    """Stop the process recorded in ``pid_file`` (if it still is that process)."""
    ManagedProcess(name=pid_file.stem, argv=(), run_dir=pid_file.parent).stop(timeout)
