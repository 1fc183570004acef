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
import json
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import NewTopic
from satfeed_core.record import PositionRecord, decode_record
from satfeed_dev.browser import launch_chromium
from satfeed_dev.kafka import KafkaBroker
from satfeed_dev.page_bench import (
    OBSERVER,
    SETTLE_S,
    STREAM_ARRIVALS,
    Cost,
    Feeder,
    FrontendProcess,
    Shown,
    latency_of,
    percentile,
    satellite_id,
    satellites,
    stream_cost,
)
from satfeed_dev.toolchain import build_dir, ensure_all
from satfeed_dev.waiting import wait_for
from satfeed_frontend import figures
from satfeed_frontend.data.feed import FeedState, TopicInfo

HISTORY: Final = 180
TARGET_BROWSER_RATIO: Final = 1.5
TARGET_P95_MS: Final = 500
TARGET_RSS_MIB: Final = 250


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


def old_design(bootstrap: str, topics: Sequence[str], browsers: int) -> Cost:
    cpu, wall = time.process_time(), time.perf_counter()
    sent = sum(len(old_panel(bootstrap, topic)) for _ in range(browsers) for topic in topics)
    return Cost(
        cpu_s_per_tick=time.process_time() - cpu,
        bytes_per_browser_tick=sent / browsers,
        wall_s_per_tick=time.perf_counter() - wall,
    )


# -- ours -----------------------------------------------------------------------------------


def frontend(run_dir: Path, bootstrap: str, topics: Sequence[str]) -> FrontendProcess:
    """Ours: the real ``satfeed-frontend`` on a topic list."""
    return FrontendProcess(
        run_dir,
        bootstrap,
        ["--topics", ",".join(topics), "--history", str(HISTORY), "--log-level", "WARNING"],
        name=f"frontend-{len(topics)}",
    )


def backfilled(satellites: int) -> Callable[[FrontendProcess], bool]:
    """Ready once every satellite's history has been read."""
    return lambda process: (
        process.metric("satfeed_frontend_records_consumed_total") >= satellites * HISTORY
    )


def latency(frontend: FrontendProcess, seconds: float) -> list[Shown]:
    with launch_chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.add_init_script(STREAM_ARRIVALS)
        page.goto(frontend.url)
        page.wait_for_selector(".card-values")
        page.evaluate(OBSERVER)
        deadline = time.monotonic() + SETTLE_S + seconds
        wait_for(
            lambda: time.monotonic() >= deadline,
            SETTLE_S + seconds + 5,
            "the measuring time",
            interval=1,
        )
        return latency_of(page)


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
    bootstrap: str,
    topics: Sequence[str],
    run_dir: Path,
    frontends: list[FrontendProcess],
    seconds: float,
) -> None:
    """(a) and (c): the old design and ours, 3 and 30 satellites, 1 and 10 browsers."""
    costs: dict[tuple[str, int, int], Cost] = {}
    rss = float("nan")
    for count in (3, 30):
        for browsers in (1, 10):
            costs["old", count, browsers] = old_design(bootstrap, topics[:count], browsers)
        process = frontend(run_dir, bootstrap, topics[:count])
        frontends.append(process)
        process.start(backfilled(count))
        for browsers in (1, 10):
            costs["ours", count, browsers] = stream_cost(process, browsers, seconds)
        if count == 30:
            rss = process.rss_mib()
        process.stop()
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
    frontends: list[FrontendProcess] = []
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
            process = frontend(run_dir, broker.bootstrap_servers, topics[:count])
            frontends.append(process)
            process.start(backfilled(count))
            shown = latency(process, max(args.seconds, 30))
            process.stop()
            latency_report(count, shown)
    finally:
        feeder.stop()
        for each in frontends:
            each.stop()
        broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
