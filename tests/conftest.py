"""Fixtures shared by satfeed's tests.

Integration tests use one test bed per session (real Kafka, Kubernetes control plane,
KafkaTopic operator) and a fresh uuid-suffixed namespace per test. When a test fails,
the last lines of every test bed service log are attached to its report.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from satfeed_dev.procs import log_tail
from satfeed_dev.runs import new_run, reap_stale_runs
from satfeed_dev.testbed import TestBed
from satfeed_dev.toolchain import SetupError, build_dir, ensure_all

_active_runs: list[Path] = []


@pytest.fixture(scope="session")
def run_root() -> Path:
    """This session's run directory (``build/pytest-runs/<pid>-<time>``)."""
    base = build_dir() / "pytest-runs"
    reap_stale_runs(base)
    run_dir = new_run(base)
    _active_runs.append(run_dir)
    return run_dir


@pytest.fixture(scope="session")
def testbed(run_root: Path) -> Iterator[TestBed]:
    try:
        ensure_all()
    except SetupError as exc:
        pytest.fail(f"the test bed cannot be set up: {exc}", pytrace=False)
    bed = TestBed(run_root / "testbed")
    bed.start()
    try:
        yield bed
    finally:
        bed.stop()


@contextlib.contextmanager
def _fresh_namespace(testbed: TestBed) -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex[:10]}"
    testbed.kube.kubectl_ok("create", "namespace", name)
    try:
        yield name
    finally:
        testbed.kube.kubectl("delete", "namespace", name, "--wait=false")


@pytest.fixture
def namespace(testbed: TestBed) -> Iterator[str]:
    with _fresh_namespace(testbed) as name:
        yield name


@pytest.fixture
def other_namespace(testbed: TestBed) -> Iterator[str]:
    """A second fresh namespace, e.g. one a ServiceAccount must not reach."""
    with _fresh_namespace(testbed) as name:
        yield name


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        for run_dir in _active_runs:
            # Service logs only: Kafka's data directory holds binary *.log segments too.
            logs = (p for p in run_dir.rglob("*.log") if "data" not in p.parts)
            for log in sorted(logs):
                report.sections.append((f"service log {log.relative_to(run_dir)}", log_tail(log)))
    return report
