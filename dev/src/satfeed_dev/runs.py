"""Run directories for pytest sessions, and cleanup of runs a killed session left behind.

Each session gets ``build/pytest-runs/<pid>-<time>/`` with an ``owner`` file holding its
pid and start time. A later session stops the processes of runs whose owner is gone, by
their pid files, and nothing else.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from .procs import pid_files, process_start_time, stop_pid_file


def _owner_alive(run_dir: Path) -> bool:
    try:
        pid_text, start_time = (run_dir / "owner").read_text().split()
    except (FileNotFoundError, ValueError):
        return False
    return process_start_time(int(pid_text)) == start_time


def reap_stale_runs(base: Path) -> list[Path]:
    """Stop and remove the runs under ``base`` whose owning session no longer exists."""
    reaped = []
    for run_dir in sorted(base.glob("*")) if base.is_dir() else []:
        if run_dir.is_dir() and not _owner_alive(run_dir):
            for pid_file in pid_files(run_dir):
                stop_pid_file(pid_file)
            shutil.rmtree(run_dir, ignore_errors=True)
            reaped.append(run_dir)
    return reaped


def new_run(base: Path) -> Path:
    pid = os.getpid()
    run_dir = base / f"{pid}-{int(time.time())}"
    run_dir.mkdir(parents=True)
    (run_dir / "owner").write_text(f"{pid} {process_start_time(pid)}\n")
    return run_dir
