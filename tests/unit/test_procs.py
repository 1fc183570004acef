"""The test bed's process handling: pid files, fail-fast start-up, exact cleanup."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from satfeed_dev.procs import (
    ManagedProcess,
    ServiceError,
    free_port,
    pid_files,
    process_start_time,
    stop_pid_file,
)
from satfeed_dev.runs import new_run, reap_stale_runs
from satfeed_dev.waiting import WaitTimeout, wait_for


def _sleeper(run_dir: Path, name: str = "sleeper") -> ManagedProcess:
    # Runs until signalled, as a service does.
    code = "import signal\nprint('sleeper up', flush=True)\nsignal.pause()"
    return ManagedProcess(name=name, argv=[sys.executable, "-c", code], run_dir=run_dir)


def test_start_and_stop_leave_no_process(tmp_path: Path) -> None:
    process = _sleeper(tmp_path)
    process.start()
    pid = process.pid
    assert pid is not None
    process.wait_until(lambda: "sleeper up" in process.log_path.read_text(), 10)
    process.stop()
    assert not process.running()
    assert not process.pid_path.exists()
    assert process_start_time(pid) is None or not Path(f"/proc/{pid}").exists()


def test_wait_fails_fast_with_the_service_log_when_it_dies(tmp_path: Path) -> None:
    code = "print('bad config: port 99999 out of range', flush=True); raise SystemExit(3)"
    process = ManagedProcess("broken", [sys.executable, "-c", code], tmp_path)
    process.start()
    started = time.monotonic()
    with pytest.raises(ServiceError) as failure:
        process.wait_until(lambda: False, timeout=60)
    assert time.monotonic() - started < 30  # far from the 60 s deadline: it saw the exit
    assert "broken exited during start-up" in str(failure.value)
    assert "bad config: port 99999 out of range" in str(failure.value)


def test_one_shot_failure_names_the_command_and_shows_its_output(tmp_path: Path) -> None:
    code = "import sys; print('cannot format storage'); sys.exit(2)"
    process = ManagedProcess("format", [sys.executable, "-c", code], tmp_path)
    with pytest.raises(ServiceError, match=r"format failed with exit status 2[\s\S]*cannot format"):
        process.run_to_completion(timeout=30)


def test_stale_pid_file_of_a_reused_pid_is_not_signalled(tmp_path: Path) -> None:
    # A pid file naming a live process (this test) with another start time: a pid reused
    # after a crash. Stopping it must not signal that process.
    (tmp_path / "ghost.pid").write_text(f"{os.getpid()} 1\n")
    stop_pid_file(tmp_path / "ghost.pid")
    assert not (tmp_path / "ghost.pid").exists()


def test_reap_stale_runs_stops_only_orphaned_runs(tmp_path: Path) -> None:
    orphan = tmp_path / "1-1"
    orphan.mkdir()
    (orphan / "owner").write_text("1 0\n")  # pid 1 never has start time 0: owner is gone
    leftover = _sleeper(orphan / "kafka", "kafka")
    leftover.start()
    mine = new_run(tmp_path)
    live = _sleeper(mine, "etcd")
    live.start()
    try:
        assert reap_stale_runs(tmp_path) == [orphan]
        assert not leftover.running()
        assert not orphan.exists()
        assert live.running()
        assert pid_files(mine) == [live.pid_path]
    finally:
        live.stop()


def test_free_port_is_bindable() -> None:
    import socket

    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_wait_for_returns_the_first_truthy_result() -> None:
    answers = iter([None, [], ["ready"]])
    assert wait_for(lambda: next(answers), 5, "the list", interval=0) == ["ready"]


def test_wait_for_reports_what_it_waited_for_and_the_last_error() -> None:
    def lookup() -> str:
        raise KeyError("terra")

    with pytest.raises(WaitTimeout, match=r"waiting for TERRA's topic; last: KeyError\('terra'\)"):
        wait_for(lookup, 0.3, "TERRA's topic")
