"""`make demo` without Java or Maven runs the single-process mode instead of stopping."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from satfeed_dev import demo
from satfeed_dev.toolchain import REPO_ROOT, SetupError


def _stub(directory: Path, name: str, script: str) -> None:
    path = directory / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)


def test_prereq_check_lets_the_demo_run_without_java_and_maven(tmp_path: Path) -> None:
    _stub(tmp_path, "id", "echo 1000")  # not root: nothing can be installed
    for tool in ("python3", "uv"):
        _stub(tmp_path, tool, "exit 0")
    proc = subprocess.run(
        ["/bin/bash", str(REPO_ROOT / "scripts" / "check-prereqs.sh"), "demo"],
        env={**os.environ, "PATH": str(tmp_path), "UV": str(tmp_path / "uv")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "make demo runs without Kafka (single process)" in proc.stdout
    assert "apt-get install -y openjdk-17-jdk-headless maven" in proc.stdout


def test_the_demo_names_what_keeps_kafka_from_running(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_java(minimum: int) -> Path:
        raise SetupError(f"Java {minimum} or newer is needed and none was found\nmore")

    monkeypatch.setattr(demo, "find_java", no_java)
    assert demo.kafka_missing() == "Java 17 or newer is needed and none was found"
