"""What the frontend's benchmarks measure, shared by ``bench/frontend.py`` and
``bench/catalogue_page.py``:

- :class:`Feeder`: Satellites' records (schema v1), one a second each at whole seconds;
- :class:`FrontendProcess`: a real ``satfeed-frontend`` (gunicorn, one worker), its worker's
  CPU time and resident memory from ``/proc``, its ``/metrics``;
- :class:`SimulatedBrowser`: a page as the real one runs on the wire (one whole drawing
  through Dash's update protocol, then its update stream), counting the stream's bytes;
  :func:`stream_cost` runs several and measures the server meanwhile;
- :class:`PageMeter`: a Chromium page measured through the DevTools protocol (the main
  thread's busy share from ``Performance.getMetrics``' task time) and the Long Tasks API
  (the longest task);
- the in-page scripts and the arithmetic of sample-to-screen latency (:func:`latency_of`):
  when each pushed update arrived, when each card showed a new sample.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import tarfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import numpy as np
from confluent_kafka import Producer
from playwright.sync_api import CDPSession, Page
from satfeed_core.elements import Elements, load_elements
from satfeed_core.propagation import Sgp4Propagator
from satfeed_core.record import PositionRecord, encode_record

from .procs import ManagedProcess, free_port
from .sample_data import CATALOGUE, EARTH_OBSERVATION, tle_file
from .services import frontend_argv
from .workspace import find_root

CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")
SETTLE_S: Final = 5.0
"""Latency is the page's at 1 Hz: changes while it loads (Chromium drawing the first
figures, the stream opening) are reported apart."""


def percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return float("nan")
    return float(np.percentile(np.asarray(values), fraction * 100))


# -- Satellites' records ---------------------------------------------------------------------


def satellites(count: int) -> list[Elements]:
    """Earth-observation satellites, then near-Earth ones from the catalogue."""
    chosen = load_elements(tle_file(EARTH_OBSERVATION))
    known = {each.norad_id for each in chosen}
    for each in load_elements(tle_file(CATALOGUE)):
        if len(chosen) >= count:
            break
        if each.mean_motion_rev_per_day > 11 and each.norad_id not in known:
            chosen.append(each)
            known.add(each.norad_id)
    return chosen[:count]


def satellite_id(elements: Elements) -> str:
    return f"norad-{elements.norad_id}"


def records_at(
    fleet: Sequence[Elements], when: datetime, propagator: Sgp4Propagator | None = None
) -> list[PositionRecord]:
    positions = (propagator or Sgp4Propagator(fleet)).positions_at(when)
    return [
        PositionRecord(
            satellite=satellite_id(each),
            name=each.name,
            norad_id=each.norad_id,
            time=when,
            lon=float(positions.lon_deg[row, 0]),
            lat=float(positions.lat_deg[row, 0]),
            alt_km=float(positions.alt_km[row, 0]),
            speed_km_s=float(positions.speed_km_s[row, 0]),
            elements_epoch=each.epoch,
        )
        for row, each in enumerate(fleet)
        if np.isfinite(positions.lon_deg[row, 0])
    ]


class Feeder:
    """One record a second per satellite, at whole seconds, into one topic each."""

    def __init__(self, bootstrap: str, fleet: Sequence[Elements], topics: Sequence[str]) -> None:
        self.fleet = list(fleet)
        self.propagator = Sgp4Propagator(self.fleet)
        self.topics = dict(zip([satellite_id(e) for e in fleet], topics, strict=True))
        self.producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def publish(self, when: datetime) -> None:
        for record in records_at(self.fleet, when, self.propagator):
            self.producer.produce(
                self.topics[record.satellite],
                key=record.satellite.encode(),
                value=encode_record(record),
                timestamp=int(when.timestamp() * 1000),
            )
        self.producer.poll(0)

    def backfill(self, count: int) -> None:
        now = datetime.now(UTC).replace(microsecond=0)
        for back in range(count, 0, -1):
            self.publish(now - timedelta(seconds=back))
        self.producer.flush(30)

    def _run(self) -> None:
        while not self.stopping.is_set():
            due = int(time.time()) + 1
            if self.stopping.wait(due - time.time()):
                break
            self.publish(datetime.fromtimestamp(due, UTC))

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(5)
        self.producer.flush(10)


# -- the frontend's process -------------------------------------------------------------------


class FrontendProcess:
    def __init__(
        self,
        run_dir: Path,
        bootstrap: str,
        args: Sequence[str],
        name: str = "frontend",
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.process = ManagedProcess(
            name=f"{name}-{uuid.uuid4().hex[:6]}",
            argv=frontend_argv(bootstrap, self.port, *args),
            run_dir=run_dir,
            env=env,
        )
        self.callback: dict[str, Any] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(
        self, ready: Callable[[FrontendProcess], bool] | None = None, timeout: float = 180
    ) -> None:
        """Start, wait until it serves (and ``ready`` holds), and find its drawing callback."""
        self.process.start()
        self.process.wait_until(lambda: self.get("/healthz") == "ok\n", 60, "did not serve")
        if ready is not None:
            self.process.wait_until(lambda: ready(self), timeout, "did not get ready")
        self.callback = next(  # the drawing callback (the others run in the browser)
            each
            for each in json.loads(self.get("/_dash-dependencies"))
            if "map.figure" in each["output"]
        )

    def get(self, path: str) -> str:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", path)
            return connection.getresponse().read().decode()
        finally:
            connection.close()

    def metric(self, name: str) -> float:
        for line in self.get("/metrics").splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return 0.0

    def worker_pid(self) -> int:
        master = self.process.pid
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(fields[1]) == master:
                return int(stat.parent.name)
        raise RuntimeError("the gunicorn worker is not running")

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.worker_pid()}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.worker_pid()}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.process.stop()


def baseline_frontend(commit: str, run_dir: Path) -> dict[str, str]:
    """The environment that runs the frontend as it was at ``commit`` (its
    ``services/frontend/src`` from ``git archive``, first on ``PYTHONPATH``): the design a
    benchmark compares against, in the same run."""
    root = find_root()
    if root is None:
        raise RuntimeError("not inside a satfeed checkout")
    target = run_dir / f"frontend-{commit[:12]}"
    if not (target / "services").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = target / "src.tar"
        with archive.open("wb") as out:
            subprocess.run(
                ["git", "-C", str(root), "archive", commit, "services/frontend/src"],
                stdout=out,
                check=True,
            )
        with tarfile.open(archive) as tar:
            tar.extractall(target, filter="data")
    src = target / "services" / "frontend" / "src"
    return {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}


# -- simulated pages: the server's side ------------------------------------------------------


@dataclass
class Cost:
    cpu_s_per_tick: float
    bytes_per_browser_tick: float
    wall_s_per_tick: float = 0.0
    requests_per_browser_tick: float = 1.0


class SimulatedBrowser:
    """A page as the real one runs: one whole drawing through Dash's update protocol (the
    drawing callback, as on load), then its update stream (Server-Sent Events) from the
    cursor of that drawing, reading every update the server pushes. Counts the updates and
    the bytes of the stream (its SSE text; HTTP chunk framing aside)."""

    def __init__(self, frontend: FrontendProcess, selection: Sequence[str] = ()) -> None:
        self.frontend = frontend
        self.selection = list(selection)
        self.session = uuid.uuid4().hex
        self.cursor: object = None
        self.bytes = 0
        self.answers = 0
        self.redraws = 0
        """Whole drawings asked for after the first (the view changed under the page)."""

    def draw(self) -> None:
        callback = self.frontend.callback
        search = urllib.parse.urlencode([("sat", each) for each in self.selection])
        values: dict[str, object] = {
            "redraw.data": None,
            "select.value": None,
            "overlays.value": [],
            "url.search": f"?{search}" if search else "",
            "session.data": self.session,
        }

        def props(specs: list[dict[str, str]]) -> list[dict[str, object]]:
            return [{**spec, "value": values[f"{spec['id']}.{spec['property']}"]} for spec in specs]

        body = json.dumps(
            {
                "output": callback["output"],
                "outputs": [
                    dict(id=o.split(".")[0], property=o.split(".")[1])
                    for o in callback["output"].strip(".").split("...")
                ],
                "inputs": props(callback["inputs"]),
                "changedPropIds": [],
                "state": props(callback["state"]),
            }
        )
        connection = http.client.HTTPConnection("127.0.0.1", self.frontend.port, timeout=60)
        try:
            connection.request(
                "POST", "/_dash-update-component", body, {"Content-Type": "application/json"}
            )
            response = connection.getresponse()
            self.cursor = json.loads(response.read())["response"]["cursor"]["data"]
        finally:
            connection.close()

    def run(self, until: float, started: threading.Barrier) -> None:
        """Read the update stream until ``until``; when the server asks for a new drawing
        (or ends the stream), draw and reopen it, as the page does."""
        first = True
        while time.monotonic() < until:
            if not first:
                self.redraws += 1
                self.draw()
            self._read(until, started if first else None)
            first = False

    def _read(self, until: float, started: threading.Barrier | None) -> None:
        query = urllib.parse.urlencode(
            [
                ("cursor", json.dumps(self.cursor)),
                ("session", self.session),
                *(("sat", each) for each in self.selection),
            ]
        )
        connection = http.client.HTTPConnection("127.0.0.1", self.frontend.port, timeout=10)
        try:
            connection.request("GET", f"/updates?{query}")
            response = connection.getresponse()
            if started is not None:
                started.wait()
            while time.monotonic() < until:
                line = response.readline()
                if not line or line.startswith(b"event: redraw"):
                    return
                self.bytes += len(line)
                if line.startswith(b"data: "):
                    self.answers += 1
        finally:
            connection.close()


def stream_cost(
    frontend: FrontendProcess, browsers: int, seconds: float, selection: Sequence[str] = ()
) -> Cost:
    """``browsers`` simulated pages for ``seconds``: the server's CPU per second (one tick)
    and each page's stream bytes and updates per second, the first drawing and the
    stream's opening (the roster) excluded."""
    clients = [SimulatedBrowser(frontend, selection) for _ in range(browsers)]
    for client in clients:  # the first, whole drawing is not a tick
        client.draw()
    started = threading.Barrier(browsers + 1)
    until = time.monotonic() + seconds + 3
    threads = [threading.Thread(target=client.run, args=(until, started)) for client in clients]
    for thread in threads:
        thread.start()
    started.wait()  # every stream open
    time.sleep(2)  # and its roster and first frame sent: measure from here
    cpu, begun = frontend.cpu_s(), time.monotonic()
    before = [(client.bytes, client.answers) for client in clients]
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - begun
    return Cost(
        cpu_s_per_tick=(frontend.cpu_s() - cpu) / elapsed,
        bytes_per_browser_tick=statistics.mean(
            c.bytes - b for c, (b, _) in zip(clients, before, strict=True)
        )
        / elapsed,
        requests_per_browser_tick=statistics.mean(
            c.answers - a for c, (_, a) in zip(clients, before, strict=True)
        )
        / elapsed,
    )


# -- Chromium pages ---------------------------------------------------------------------------

STREAM_ARRIVALS: Final = """
// Before the page's scripts: note when each pushed update arrives, before Dash sees it.
window.arrivals = [];
const PageEventSource = window.EventSource;
window.EventSource = class extends PageEventSource {
  constructor(...args) {
    super(...args);
    this.addEventListener('message', event => {
      const update = JSON.parse(event.data);
      if (update.sent === undefined) return;  // a catalogue frame alone: no card in it
      window.arrivals.push([Date.now(), update.sent, JSON.stringify(update.cards || {})]);
    });
  }
};
"""

LONG_TASKS: Final = """
// Before the page's scripts: every task of the main thread longer than 50 ms.
window.longTasks = [];
new PerformanceObserver(list => {
  for (const entry of list.getEntries()) window.longTasks.push([entry.startTime, entry.duration]);
}).observe({entryTypes: ['longtask']});
"""

OBSERVER: Final = """
// A card's sample time, each time it changes. Kept by satellite, not on the element: Dash
// mounts the cards anew when it patches them, and a new element is not a new value.
window.seen = [];
const shownSample = new Map();
new MutationObserver(() => {
  for (const card of document.querySelectorAll('.card[data-satellite]')) {
    const values = card.querySelector('.card-values');
    const sample = values.innerText.split('\\n').pop().split(' ')[0];
    if (shownSample.get(card.dataset.satellite) !== sample) {
      shownSample.set(card.dataset.satellite, sample);
      window.seen.push([Date.now(), sample]);
    }
  }
}).observe(document.querySelector('#cards'), {subtree: true, childList: true, characterData: true});
"""


@dataclass
class Shown:
    """One card change, and where its time went (ms): from the sample time until the server
    sent the update holding it (Kafka, the consumer, the push thread), until the page had
    it (the socket, the browser's event loop), until the card showed it (Dash, drawing)."""

    at_s: float
    """Seconds since the page was opened."""
    total_ms: float
    to_server_ms: float
    to_page_ms: float
    to_card_ms: float


def latency_of(page: Page) -> list[Shown]:
    """Every card change the page's :data:`OBSERVER` saw, matched to the pushed update
    (:data:`STREAM_ARRIVALS`) that carried its sample."""
    opened_ms: float = page.evaluate("performance.timeOrigin")
    seen: list[tuple[int, str]] = page.evaluate("window.seen || []")
    arrivals: list[tuple[int, float, str]] = page.evaluate("window.arrivals || []")
    today = datetime.now(UTC).date()
    result = []
    for shown_ms, sample in seen:
        try:
            sampled = datetime.strptime(f"{today} {sample}", "%Y-%m-%d %H:%M:%S.%f")
        except ValueError:
            continue
        sampled_ms = sampled.replace(tzinfo=UTC).timestamp() * 1000
        carrier = next((a for a in arrivals if sample in a[2] and a[0] <= shown_ms), None)
        if carrier is None:  # drawn whole by Dash, not pushed: no stages to tell
            continue
        arrived_ms, sent_s, _ = carrier
        result.append(
            Shown(
                at_s=(shown_ms - opened_ms) / 1000,
                total_ms=shown_ms - sampled_ms,
                to_server_ms=sent_s * 1000 - sampled_ms,
                to_page_ms=arrived_ms - sent_s * 1000,
                to_card_ms=shown_ms - arrived_ms,
            )
        )
    return result


@dataclass
class PageLoad:
    busy: float
    """Share of the wall time the page's main thread ran tasks (DevTools' TaskDuration)."""
    script: float
    """Of which running scripts."""
    longest_task_ms: float
    """The longest task (Long Tasks API) in the measured time; 0 when none passed 50 ms."""
    long_tasks: int
    seconds: float


class PageMeter:
    """The main thread of one Chromium page, measured over a time span by DevTools."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.cdp: CDPSession = page.context.new_cdp_session(page)
        self.cdp.send("Performance.enable", {"timeDomain": "timeTicks"})
        self._start: dict[str, float] = {}
        self._since_ms = 0.0

    def _metrics(self) -> dict[str, float]:
        return {m["name"]: m["value"] for m in self.cdp.send("Performance.getMetrics")["metrics"]}

    def start(self) -> None:
        self._start = self._metrics()
        self._since_ms = float(self.page.evaluate("performance.now()"))

    def stop(self) -> PageLoad:
        end = self._metrics()
        wall = end["Timestamp"] - self._start["Timestamp"]
        tasks: list[tuple[float, float]] = self.page.evaluate("window.longTasks || []")
        recent = [duration for started, duration in tasks if started >= self._since_ms]
        return PageLoad(
            busy=(end["TaskDuration"] - self._start["TaskDuration"]) / wall,
            script=(end["ScriptDuration"] - self._start["ScriptDuration"]) / wall,
            longest_task_ms=max(recent, default=0.0),
            long_tasks=len(recent),
            seconds=wall,
        )
