"""The single-process shape: ``satfeed-frontend --local-elements``, no Kafka, no Kubernetes.

Chromium sees the same page as with Kafka, updating; a bad elements file stops the
frontend with the producer's own message. Start time and memory go to
``artifacts/local-mode.json`` (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from satfeed_dev.procs import ManagedProcess, free_port, http_ok
from satfeed_dev.sample_data import tle_file
from satfeed_dev.services import local_frontend_argv, producer_argv
from satfeed_dev.tle_edit import checksum, three_line_sets
from satfeed_dev.waiting import wait_for

from tests.integration.frontend.conftest import WatchedPage

pytestmark = pytest.mark.integration

EARTH_OBSERVATION = tle_file("earth-observation.tle")
SATELLITES = {"terra": 25994, "aqua": 27424, "aura": 28376}


def _rss_kib(pid: int) -> int:
    """Resident memory of a process and its children (gunicorn's master and worker)."""
    pids = [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    total = 0
    for each in pids:
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


@pytest.fixture
def local_frontend(run_root: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    port = free_port()
    ids = ",".join(map(str, SATELLITES.values()))
    process = ManagedProcess(
        "frontend-local",
        local_frontend_argv(EARTH_OBSERVATION, port, "--local-norad-ids", ids),
        run_root / "frontend" / request.node.name,
    )
    started = time.monotonic()
    process.start()
    try:
        url = f"http://127.0.0.1:{port}/"
        process.wait_until(lambda: http_ok(url + "readyz"), 60, "did not get ready")
        ready_s = time.monotonic() - started
        assert process.pid is not None
        figures = {"ready_s": round(ready_s, 2), "rss_mib": round(_rss_kib(process.pid) / 1024)}
        report = run_root / "artifacts" / "local-mode.json"
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(figures) + "\n")
        yield url
    finally:
        process.stop()


def test_the_page_shows_three_satellites_updating_without_kafka(
    local_frontend: str, open_page: Callable[[str], WatchedPage]
) -> None:
    page = open_page(local_frontend)
    wait_for(lambda: sorted(page.satellites_shown()) == sorted(SATELLITES), 30, "three cards")
    before = {satellite: page.card_values(satellite) for satellite in SATELLITES}
    wait_for(
        lambda: all(page.card_values(s) != before[s] for s in SATELLITES),
        10,
        "every card to move",
    )
    catalogue, *_ = page.graph_traces("map")
    assert (catalogue["type"], catalogue["points"]) == ("scattergl", len(SATELLITES))
    assert len(page.graph_traces("altitude")) == len(SATELLITES)
    assert page.console_errors == []


def _run(argv: list[str]) -> tuple[int, str]:
    """Exit status and output of a command expected to stop by itself; should it serve
    instead, its whole process group is killed after 30 s."""
    with subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    ) as process:
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
        return process.returncode, output


def _problem(output: str) -> str:
    """What follows "cannot use the elements: " in a log, to its end."""
    return output.split("cannot use the elements: ", 1)[1].strip()


def _decayed(path: Path) -> Path:
    # A real satellite whose epoch lies 20 years back: SGP4 finds it long decayed.
    name, line1, line2 = three_line_sets(EARTH_OBSERVATION)["ISS (ZARYA)"]
    line1 = line1[:18] + "06" + line1[20:68]
    path.write_text(f"{name}\n{line1}{checksum(line1)}\n{line2}\n")
    return path


def _bad_checksum(path: Path) -> Path:
    name, line1, line2 = three_line_sets(EARTH_OBSERVATION)["TERRA"]
    path.write_text(f"{name}\n{line1}\n{line2[:-1]}{(int(line2[-1]) + 1) % 10}\n")
    return path


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (_bad_checksum, "checksum is"),
        (_decayed, "ISS (ZARYA) (NORAD 25544) cannot be propagated"),
        (lambda path: path, "No such file or directory"),
    ],
    ids=["bad-checksum", "decayed", "missing-file"],
)
def test_a_bad_elements_file_stops_with_the_producers_message(
    tmp_path: Path, make: Callable[[Path], Path], expected: str
) -> None:
    elements = make(tmp_path / "elements.tle")
    code, output = _run(local_frontend_argv(elements, free_port()))
    assert code == 2, output
    assert expected in _problem(output)
    assert "Traceback" not in output
    producer = producer_argv("127.0.0.1:1", "t", "terra", 0, "--elements-file", str(elements))
    producer_code, producer_output = _run(producer)
    assert producer_code == 2, producer_output
    assert _problem(output) == _problem(producer_output)


def test_an_id_not_in_the_file_names_the_file_the_id_and_the_flag() -> None:
    code, output = _run(
        local_frontend_argv(EARTH_OBSERVATION, free_port(), "--local-norad-ids", "25994,1")
    )
    assert code == 2, output
    assert f"elements file {EARTH_OBSERVATION} holds no element set for NORAD 1" in output
    assert "correct --local-norad-ids (SATFEED_LOCAL_NORAD_IDS)" in output
