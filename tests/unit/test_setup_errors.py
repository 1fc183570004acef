"""Set-up stops with a message that names what is missing and how to get it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from satfeed_dev import toolchain
from satfeed_dev.toolchain import (
    BUILD_SCRIPT,
    REPO_ROOT,
    SetupError,
    find_java,
    require_tool,
    strimzi_source,
)


def test_missing_java_version_names_it_and_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(SetupError, match=r"Java 99 or newer is needed.*apt-get install"):
        find_java(99)


def test_missing_tool_is_named() -> None:
    with pytest.raises(SetupError, match=r"'no-such-tool-xyz' is not installed: get it from X"):
        require_tool("no-such-tool-xyz", "get it from X")


def _without_go_path() -> str:
    return os.pathsep.join(
        p for p in os.environ["PATH"].split(os.pathsep) if not (Path(p) / "go").exists()
    )


def test_go_build_without_go_says_how_to_get_it() -> None:
    proc = subprocess.run(
        ["bash", str(BUILD_SCRIPT), "versions"],
        env={**os.environ, "PATH": _without_go_path()},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "Go is not installed" in proc.stderr
    assert "https://go.dev/doc/install" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_prereq_check_lists_every_missing_tool() -> None:
    proc = subprocess.run(
        ["/bin/bash", str(REPO_ROOT / "scripts" / "check-prereqs.sh")],
        env={**os.environ, "PATH": "/nonexistent"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    for tool in ("go", "java", "mvn", "chromium"):
        assert f"missing: {tool} " in proc.stderr
    assert "make test stopped" in proc.stderr


def _stub(directory: Path, name: str, script: str) -> None:
    path = directory / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)


def test_without_root_the_missing_debian_packages_come_as_one_command(tmp_path: Path) -> None:
    """A Debian machine, not root, no Chromium or Java: one apt-get line to paste, no install."""
    _stub(tmp_path, "id", "echo 1000")
    _stub(tmp_path, "apt-get", "echo apt-get must not run >&2; exit 3")
    _stub(tmp_path, "dpkg-query", "exit 1")  # nothing installed
    for tool in ("python3", "go", "mvn", "uv"):
        _stub(tmp_path, tool, "exit 0")
    proc = subprocess.run(
        ["/bin/bash", str(REPO_ROOT / "scripts" / "check-prereqs.sh"), "test"],
        env={**os.environ, "PATH": str(tmp_path), "UV": str(tmp_path / "uv")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "apt-get must not run" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("run: sudo apt-get")]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(
        "run: sudo apt-get install -y openjdk-17-jdk-headless chromium   (then make test again)"
    )


def test_missing_strimzi_source_says_where_to_get_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SATFEED_STRIMZI_SOURCE", str(tmp_path / "no-such-archive.tar.gz"))
    with pytest.raises(SetupError) as raised:
        strimzi_source()
    message = str(raised.value)
    assert "no-such-archive.tar.gz does not exist" in message
    assert "git clone --branch 1.2.0 --depth 1" in message
    assert "strimzi/strimzi-kafka-operator" in message
    assert "SATFEED_STRIMZI_SOURCE" in message


def test_no_jdk_21_for_strimzis_operators_names_where_to_get_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SATFEED_CACHE", str(tmp_path))  # nothing built yet
    monkeypatch.setattr(toolchain, "find_java", lambda minimum: find_java(minimum + 1000))
    with pytest.raises(SetupError, match=r"Java 1021 or newer is needed.*Temurin"):
        toolchain.strimzi_operators()
