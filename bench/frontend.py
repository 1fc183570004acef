"""The frontend: the old design against ours, in one run, on one Kafka broker.

    uv run --frozen python bench/frontend.py [--seconds 20]

A feeder publishes one record a second per satellite (SGP4 positions of real element sets,
at whole seconds, as the producer does), after 180 records of history each.

(a) Server cost and bytes per tick, 3 and 30 satellites, 1 and 10 browsers.
    Old design: on every tick, for every browser and every satellite panel, a new Kafka
    consumer reads the last 180 records and a whole figure is built and serialised; measured
    by running those ticks in this process (CPU and wall time, JSON bytes).
    Ours: the real ``satfeed-frontend`` (gunicorn, one process), followed by simulated
    browsers that do what the page does: one whole drawing through Dash's update protocol,
    then the update stream (Server-Sent Events) the server pushes each tick's update into;
    measured as the server process's CPU time per second and the bytes of the stream per
    browser per second (one tick a second).
(b) Sample-to-screen latency in Chromium, 3 and 30 satellites: from a record's sample time
    until its value shows in the card (a MutationObserver timestamps each change), p50 and
    p95, and where the time went: until the server sent the update (Kafka, the consumer, the
    push thread), until the page had it, until the card showed it (Dash, drawing).
(c) Memory: the resident size of the frontend's worker with 30 satellites and 10 browsers.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import numpy as np
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import NewTopic
from satfeed_core.elements import Elements, load_elements
from satfeed_core.propagation import Sgp4Propagator
from satfeed_core.record import PositionRecord, decode_record, encode_record
from satfeed_dev.browser import launch_chromium
from satfeed_dev.kafka import KafkaBroker
from satfeed_dev.procs import ManagedProcess, free_port
from satfeed_dev.sample_data import CATALOGUE, EARTH_OBSERVATION, tle_file
from satfeed_dev.services import frontend_argv
from satfeed_dev.toolchain import build_dir, ensure_all
from satfeed_dev.waiting import wait_for
from satfeed_frontend import figures
from satfeed_frontend.data.feed import FeedState, TopicInfo

HISTORY: Final = 180
CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")
TARGET_BROWSER_RATIO: Final = 1.5
TARGET_P95_MS: Final = 500
SETTLE_S: Final = 5.0
"""Latency is the page's at 1 Hz: changes while it loads (Chromium drawing the first
figures, the stream opening) are reported apart."""
TARGET_RSS_MIB: Final = 250


def satellites(count: int) -> list[Elements]:
    """Earth-observation satellites, then near-Earth ones from the catalogue."""
    chosen = load_elements(tle_file(EARTH_OBSERVATION))
    for each in load_elements(tle_file(CATALOGUE)):
        if len(chosen) >= count:
            break
        if each.mean_motion_rev_per_day > 11 and each.norad_id not in {e.norad_id for e in chosen}:
            chosen.append(each)
    return chosen[:count]


def satellite_id(elements: Elements) -> str:
    return f"norad-{elements.norad_id}"


def records_at(fleet: Sequence[Elements], when: datetime) -> list[PositionRecord]:
    positions = Sgp4Propagator(fleet).positions_at(when)
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
        self.topics = dict(zip([satellite_id(e) for e in fleet], topics, strict=True))
        self.producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def publish(self, when: datetime) -> None:
        for record in records_at(self.fleet, when):
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


# -- the old design -----------------------------------------------------------------------


def old_panel(bootstrap: str, topic: str) -> bytes:
    """One satellite panel's tick as the old page did it: a new consumer reads the last 180
    records, and whole figures are built from them and serialised."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"old-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
        }
    )
    try:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
        consumer.assign([TopicPartition(topic, 0, max(low, high - HISTORY))])
        records: list[PositionRecord] = []
        while len(records) < min(HISTORY, high - low):
            for message in consumer.consume(HISTORY, 1.0):
                if message.error() is None:
                    records.append(decode_record(message.value() or b""))
    finally:
        consumer.close()
    feed = FeedState(HISTORY)
    feed.set_topics([TopicInfo(topic, topic)])
    for record in records:
        feed.add(topic, record)
    shown = feed.snapshot().tracks
    return json.dumps(
        [
            figures.map_figure(shown, {}),
            figures.altitude_figure(shown),
            figures.ground_figure(shown),
        ],
        separators=(",", ":"),
    ).encode()


@dataclass
class Cost:
    cpu_s_per_tick: float
    bytes_per_browser_tick: float
    wall_s_per_tick: float = 0.0
    requests_per_browser_tick: float = 1.0


def old_design(bootstrap: str, topics: Sequence[str], browsers: int) -> Cost:
    cpu, wall = time.process_time(), time.perf_counter()
    sent = sum(len(old_panel(bootstrap, topic)) for _ in range(browsers) for topic in topics)
    return Cost(
        cpu_s_per_tick=time.process_time() - cpu,
        bytes_per_browser_tick=sent / browsers,
        wall_s_per_tick=time.perf_counter() - wall,
    )


# -- ours -----------------------------------------------------------------------------------


class Frontend:
    def __init__(self, run_dir: Path, bootstrap: str, topics: Sequence[str]) -> None:
        self.port = free_port()
        self.process = ManagedProcess(
            name=f"frontend-{len(topics)}",
            argv=frontend_argv(
                bootstrap,
                self.port,
                "--topics",
                ",".join(topics),
                "--history",
                str(HISTORY),
                "--log-level",
                "WARNING",
            ),
            run_dir=run_dir,
        )

    def start(self, satellites: int) -> None:
        self.process.start()
        self.process.wait_until(
            lambda: self.metric("satfeed_frontend_records_consumed_total") >= satellites * HISTORY,
            120,
            "did not backfill",
        )
        self.callback = next(  # the poll callback (the other one runs in the browser)
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


class SimulatedBrowser:
    """A page as the real one runs: one whole drawing through Dash's update protocol (the
    poll callback, as on load), then its update stream (Server-Sent Events) from the cursor
    of that drawing, reading every update the server pushes. Counts the updates and the
    bytes of the stream (its SSE text; HTTP chunk framing aside)."""

    def __init__(self, frontend: Frontend) -> None:
        self.frontend = frontend
        self.session = uuid.uuid4().hex
        self.cursor: object = None
        self.bytes = 0
        self.answers = 0

    def draw(self) -> None:
        callback = self.frontend.callback
        values: dict[str, object] = {
            "redraw.data": None,
            "select.value": None,
            "overlays.value": [],
            "url.search": "",
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
        connection = http.client.HTTPConnection("127.0.0.1", self.frontend.port, timeout=30)
        try:
            connection.request(
                "POST", "/_dash-update-component", body, {"Content-Type": "application/json"}
            )
            response = connection.getresponse()
            self.cursor = json.loads(response.read())["response"]["cursor"]["data"]
        finally:
            connection.close()

    def run(self, until: float, started: threading.Barrier) -> None:
        query = urllib.parse.urlencode({"cursor": json.dumps(self.cursor), "session": self.session})
        connection = http.client.HTTPConnection("127.0.0.1", self.frontend.port, timeout=10)
        try:
            connection.request("GET", f"/updates?{query}")
            response = connection.getresponse()
            started.wait()
            while time.monotonic() < until:
                line = response.readline()
                if not line:
                    break
                self.bytes += len(line)
                if line.startswith(b"data: "):
                    self.answers += 1
        finally:
            connection.close()


def ours(frontend: Frontend, browsers: int, seconds: float) -> Cost:
    clients = [SimulatedBrowser(frontend) for _ in range(browsers)]
    for client in clients:  # the first, whole drawing is not a tick
        client.draw()
    started = threading.Barrier(browsers + 1)
    until = time.monotonic() + seconds + 1
    threads = [threading.Thread(target=client.run, args=(until, started)) for client in clients]
    for thread in threads:
        thread.start()
    started.wait()  # every stream open: measure from here
    cpu, begun = frontend.cpu_s(), time.monotonic()
    before = [(client.bytes, client.answers) for client in clients]  # the stream's opening
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


# -- latency --------------------------------------------------------------------------------

STREAM_ARRIVALS: Final = """
// Before the page's scripts: note when each pushed update arrives, before Dash sees it.
window.arrivals = [];
const PageEventSource = window.EventSource;
window.EventSource = class extends PageEventSource {
  constructor(...args) {
    super(...args);
    this.addEventListener('message', event => {
      window.arrivals.push([Date.now(), JSON.parse(event.data).sent, event.data]);
    });
  }
};
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


def latency(frontend: Frontend, seconds: float) -> list[Shown]:
    with launch_chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.add_init_script(STREAM_ARRIVALS)
        page.goto(f"http://127.0.0.1:{frontend.port}/")
        page.wait_for_selector(".card-values")
        page.evaluate(OBSERVER)
        opened_ms: float = page.evaluate("performance.timeOrigin")
        deadline = time.monotonic() + SETTLE_S + seconds
        wait_for(
            lambda: time.monotonic() >= deadline,
            SETTLE_S + seconds + 5,
            "the measuring time",
            interval=1,
        )
        seen: list[tuple[int, str]] = page.evaluate("window.seen")
        arrivals: list[tuple[int, float, str]] = page.evaluate("window.arrivals")
    today = datetime.now(UTC).date()
    result = []
    for shown_ms, sample in seen:
        sampled = datetime.strptime(f"{today} {sample}", "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
        sampled_ms = sampled.timestamp() * 1000
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


def latency_report(satellites: int, shown: Sequence[Shown]) -> None:
    settled = [each for each in shown if each.at_s >= SETTLE_S]
    loading = [each.total_ms for each in shown if each.at_s < SETTLE_S]
    print(
        f"sample-to-screen latency, {satellites} satellites at 1 Hz, {len(settled)} pushed "
        f"card changes from {SETTLE_S:.0f} s after the page was opened:"
    )
    for stage in ("total_ms", "to_server_ms", "to_page_ms", "to_card_ms"):
        values = [getattr(each, stage) for each in settled]
        print(
            f"  {stage[:-3]:<10} p50 {percentile(values, 0.5):>5.0f} ms  "
            f"p95 {percentile(values, 0.95):>5.0f} ms  max {max(values):>5.0f} ms"
        )
    print(f"  (target: total p95 <= {TARGET_P95_MS} ms)")
    if loading:
        print(
            f"  while the page loads (first {SETTLE_S:.0f} s): {len(loading)} card changes, "
            f"max {max(loading):.0f} ms"
        )
    slowest = sorted(settled, key=lambda each: each.total_ms)[-3:]
    print("  slowest (total / to server / to page / to card):")
    for each in slowest:
        print(
            f"    {each.total_ms:.0f} / {each.to_server_ms:.0f} / {each.to_page_ms:.0f} / "
            f"{each.to_card_ms:.0f} ms, {each.at_s:.1f} s after opening"
        )


def percentile(values: Sequence[float], fraction: float) -> float:
    return float(np.percentile(np.asarray(values), fraction * 100))


def report(costs: dict[tuple[str, int, int], Cost], rss: float) -> None:
    print("design  sats  browsers  server CPU ms/tick  bytes/browser/tick  bytes/sat/tick")
    for (design, count, browsers), cost in costs.items():
        per_browser = cost.bytes_per_browser_tick
        row = (
            f"{design:<6} {count:>5} {browsers:>9} {cost.cpu_s_per_tick * 1000:>19.1f} "
            f"{per_browser:>19,.0f} {per_browser / count:>15,.0f}"
        )
        if design == "old":
            row += f"   (wall {cost.wall_s_per_tick:.2f} s per tick)"
        else:
            row += f"   ({cost.requests_per_browser_tick:.1f} pushed updates per browser per tick)"
        print(row)
    for count in (3, 30):
        ours_ratio = (
            costs["ours", count, 10].cpu_s_per_tick / costs["ours", count, 1].cpu_s_per_tick
        )
        old_ratio = costs["old", count, 10].cpu_s_per_tick / costs["old", count, 1].cpu_s_per_tick
        print(
            f"{count} satellites: 10 browsers cost {ours_ratio:.2f}x one "
            f"(old design {old_ratio:.1f}x; target <= {TARGET_BROWSER_RATIO})"
        )
    worst = max(costs["ours", c, b].bytes_per_browser_tick / c for c in (3, 30) for b in (1, 10))
    print(f"ours, most bytes per satellite per tick: {worst:.0f} (target <= 1024)")
    print(
        f"frontend worker RSS, 30 satellites and 10 browsers: {rss:.0f} MiB "
        f"(target <= {TARGET_RSS_MIB})"
    )


def costs_and_memory(
    bootstrap: str, topics: Sequence[str], run_dir: Path, frontends: list[Frontend], seconds: float
) -> None:
    """(a) and (c): the old design and ours, 3 and 30 satellites, 1 and 10 browsers."""
    costs: dict[tuple[str, int, int], Cost] = {}
    rss = float("nan")
    for count in (3, 30):
        for browsers in (1, 10):
            costs["old", count, browsers] = old_design(bootstrap, topics[:count], browsers)
        frontend = Frontend(run_dir, bootstrap, topics[:count])
        frontends.append(frontend)
        frontend.start(count)
        for browsers in (1, 10):
            costs["ours", count, browsers] = ours(frontend, browsers, seconds)
        if count == 30:
            rss = frontend.rss_mib()
        frontend.stop()
    report(costs, rss)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20, help="measuring time per case")
    parser.add_argument(
        "--latency-only", action="store_true", help="measure (b) only, skip (a) and (c)"
    )
    args = parser.parse_args(argv)
    ensure_all()
    run_dir = build_dir() / "bench-frontend" / datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    broker = KafkaBroker(run_dir / "kafka")
    broker.start()
    fleet = satellites(30)
    topics = [f"bench.positions.{satellite_id(each)}" for each in fleet]
    feeder = Feeder(broker.bootstrap_servers, fleet, topics)
    frontends: list[Frontend] = []
    try:
        admin = broker.admin()
        for future in admin.create_topics([NewTopic(t, 1, 1) for t in topics]).values():
            future.result(30)
        feeder.backfill(HISTORY)
        feeder.start()
        print(f"{len(fleet)} satellites, {HISTORY} records of history each")
        if not args.latency_only:
            costs_and_memory(broker.bootstrap_servers, topics, run_dir, frontends, args.seconds)

        for count in (3, 30):
            frontend = Frontend(run_dir, broker.bootstrap_servers, topics[:count])
            frontends.append(frontend)
            frontend.start(count)
            shown = latency(frontend, max(args.seconds, 30))
            frontend.stop()
            latency_report(count, shown)
    finally:
        feeder.stop()
        for frontend in frontends:
            frontend.stop()
        broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
