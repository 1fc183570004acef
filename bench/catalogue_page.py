"""The page at catalogue scale (issue 14): the whole bundled catalogue at 1 Hz through Kafka
on one page and ten, 1,000 individual Satellites, and 150 Satellites side by side with the
per-satellite design the page had before (the frontend as of ``--baseline``), in one run.

    uv run --frozen python bench/catalogue_page.py [--seconds 20]

One Kafka broker of the test bed's. Positions are SGP4's, at whole seconds, as the
producers write them.

(a) A SatelliteGroup: the bundled catalogue (16,069 objects) in four shards, one position
    batch (schema v2) per shard per tick into one topic of four partitions. The objects fly
    as at the catalogue's snapshot (propagated whole days earlier, published now): today
    some have decayed out of their elements' reach, and the page should carry them all.
    The real ``satfeed-frontend`` reads it (``--group-topics``, names from
    ``--elements-file``):
    - server: 1 and 10 simulated pages (a drawing, then the update stream, read to the end):
      the worker's CPU as a share of one core, its resident memory, each page's stream
      bytes per tick and per object, updates per page per tick;
    - one Chromium page, nothing picked: first drawing (navigation to the first frame of
      every object drawn), main thread busy (DevTools task time), longest task, frames
      applied per second;
    - one Chromium page with five objects picked: sample-to-screen p50/p95 of their cards.
(b) 1,000 Satellites, schema-v1 records, one a second each (ten Satellites a topic: the test
    bed's one broker stalls with 1,000 partitions written each second): the same page's main
    thread, longest task; the server with 1 and 10 pages.
(c) 150 Satellites, the design before (a card and three map traces per satellite, updates
    through Dash's pattern-matching outputs) against ours (one trace for all, cards for the
    picked): main thread, card sample-to-screen (before: all 150 cards; ours: 5 picked), the
    server with 10 pages.
(d) The first drawing of (a)'s catalogue, nothing picked: the page before its own plotly.js
    (the frontend as of ``--first-drawing-before``, run from ``git archive``) and ours, on
    the same feed, in turns, a fresh Chromium each time (``--first-drawings`` each): where
    the time goes (scripts run, the first whole drawing, the first frame drawn) and the
    medians' ratio.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from confluent_kafka.admin import NewTopic
from playwright.sync_api import Page
from satfeed_core.elements import elements_text
from satfeed_dev.browser import launch_chromium
from satfeed_dev.catalogue_feed import CatalogueFeed, catalogue, create_topic, snapshot_offset
from satfeed_dev.kafka import KafkaBroker
from satfeed_dev.page_bench import (
    LONG_TASKS,
    OBSERVER,
    SETTLE_S,
    STREAM_ARRIVALS,
    Cost,
    Feeder,
    FrontendProcess,
    PageLoad,
    PageMeter,
    baseline_frontend,
    latency_of,
    percentile,
    satellite_id,
    satellites,
    stream_cost,
)
from satfeed_dev.toolchain import build_dir, ensure_all
from satfeed_dev.waiting import wait_for

BASELINE: Final = "7358efd806ede8f5f589450ee0980c03081e87a3"
"""The last commit with the per-satellite page (issue 14's measurements)."""
FIRST_DRAWING_BEFORE: Final = "921c30e0221091dc6aeb9011257559326dc82870"
"""The last commit whose page loaded Dash's whole plotly.js (and coloured every point of a
one-layer catalogue): the first drawing's baseline."""
FIRST_DRAWINGS: Final = 5
STAGES: Final = """() => {
    const mark = name => (performance.getEntriesByName(name)[0] || {}).startTime ?? null;
    const nav = performance.getEntriesByType('navigation')[0];
    return [nav.domContentLoadedEventEnd, mark('satfeed-drawn'), mark('satfeed-first-frame')];
}"""
"""When the page's scripts had run, its first whole drawing came (the update stream then
opens), and the first frame of every object was drawn: ms since navigation."""
SHARDS: Final = 4
HISTORY: Final = 180
PICKS: Final = 5
TOPICS_AT_MOST: Final = 200
TARGETS: Final = {
    "server CPU, 10 pages": "<= 50 % of one core",
    "server RSS": "<= 500 MiB",
    "bytes per object per tick": "<= 8",
    "main thread busy": "<= 50 %",
    "longest task": "<= 200 ms",
    "first drawing": "<= 3 s",
    "sample-to-screen p95": "<= 1.5 s",
}


@dataclass
class PageResult:
    load: PageLoad
    first_drawing_s: float
    frames_per_s: float = float("nan")
    card_ms: list[float] = field(default_factory=list)


def measure_page(
    url: str, seconds: float, drawn: Callable[[Page], float | None], cards: bool = False
) -> PageResult:
    """One Chromium page: how long until ``drawn`` says it is drawn (ms since navigation),
    then after :data:`SETTLE_S`, its main thread over ``seconds`` and, with ``cards``,
    every card change's sample-to-screen time."""
    with launch_chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.add_init_script(LONG_TASKS)
        page.add_init_script(STREAM_ARRIVALS)
        meter = PageMeter(page)
        page.goto(url, timeout=120_000)
        first_ms = wait_for(lambda: drawn(page), 120, "the first drawing", interval=0.05)
        if cards:
            page.wait_for_selector(".card-values", timeout=60_000)
            page.evaluate(OBSERVER)
        end = time.monotonic() + SETTLE_S
        wait_for(lambda: time.monotonic() >= end, SETTLE_S + 5, "the page to settle", interval=0.5)
        applied_before = page.evaluate("(window.satfeedStats || {}).applied || 0")
        meter.start()
        end = time.monotonic() + seconds
        wait_for(lambda: time.monotonic() >= end, seconds + 5, "the measuring time", interval=1)
        load = meter.stop()
        applied = page.evaluate("(window.satfeedStats || {}).applied || 0") - applied_before
        shown = [each.total_ms for each in latency_of(page) if each.at_s >= SETTLE_S]
        return PageResult(load, first_ms / 1000, applied / load.seconds, shown)


def catalogue_drawn(page: Page) -> float | None:
    """Ours: when the first frame of every object was drawn (ms since navigation)."""
    at = page.evaluate("(window.satfeedStats || {}).firstAt || null")
    return float(at) if at else None


def cards_drawn(count: int) -> Callable[[Page], float | None]:
    """The design before: when every satellite's card is there (ms since navigation)."""

    def drawn(page: Page) -> float | None:
        shown = page.evaluate("document.querySelectorAll('.card').length")
        return float(page.evaluate("performance.now()")) if shown >= count else None

    return drawn


def uptime() -> str:
    """The load averages over 1, 5 and 15 minutes, as ``uptime`` prints them."""
    return ", ".join(Path("/proc/loadavg").read_text().split()[:3])


def print_page(label: str, result: PageResult) -> None:
    load = result.load
    line = (
        f"  {label}: first drawing {result.first_drawing_s:.2f} s, main thread busy "
        f"{load.busy * 100:.0f} % (scripts {load.script * 100:.0f} %), longest task "
        f"{load.longest_task_ms:.0f} ms ({load.long_tasks} tasks over 50 ms in "
        f"{load.seconds:.0f} s)"
    )
    if result.frames_per_s == result.frames_per_s:  # not NaN
        line += f", {result.frames_per_s:.2f} frames drawn/s"
    print(line)
    if result.card_ms:
        values = result.card_ms
        print(
            f"    sample-to-screen of {len(values)} card changes: p50 "
            f"{percentile(values, 0.5):.0f} ms, p95 {percentile(values, 0.95):.0f} ms, max "
            f"{max(values):.0f} ms"
        )


def print_server(label: str, objects: int, costs: dict[int, Cost], rss: float) -> None:
    for pages, cost in costs.items():
        per_page = cost.bytes_per_browser_tick
        print(
            f"  {label}, {pages:>2} pages: server CPU {cost.cpu_s_per_tick * 100:5.1f} % of a "
            f"core, {per_page:>9,.0f} bytes/page/tick = {per_page / objects:5.2f} per object, "
            f"{cost.requests_per_browser_tick:.2f} updates/page/tick"
        )
    print(f"  {label}: worker RSS {rss:.0f} MiB after 10 pages")


def server_costs(frontend: FrontendProcess, seconds: float) -> tuple[dict[int, Cost], float]:
    costs = {pages: stream_cost(frontend, pages, seconds) for pages in (1, 10)}
    return costs, frontend.rss_mib()


def catalogue_group(broker: KafkaBroker, run_dir: Path) -> tuple[CatalogueFeed, int, list[str]]:
    """The bundled catalogue in :data:`SHARDS` shards at 1 Hz, started: the feed, how many
    objects have positions, and the frontend's arguments that read it."""
    members = catalogue()
    topic = "bench.group.catalogue"
    create_topic(broker.bootstrap_servers, topic, SHARDS)
    elements = run_dir / "catalogue.tle"
    elements.write_text("".join(elements_text(each) for each in members))
    feed = CatalogueFeed(
        broker.bootstrap_servers,
        topic,
        members,
        SHARDS,
        propagate_earlier=snapshot_offset(members),
    )
    feed.backfill(2)
    feed.start()
    objects = sum(len(each) for each in feed.batches(datetime.now(UTC)))
    return feed, objects, ["--group-topics", f"Catalogue={topic}", "--elements-file", str(elements)]


def group_case(broker: KafkaBroker, run_dir: Path, seconds: float) -> None:
    feed, objects, args = catalogue_group(broker, run_dir)
    process = FrontendProcess(run_dir, broker.bootstrap_servers, args, name="frontend-catalogue")
    try:
        started = time.monotonic()
        process.start(lambda p: p.metric("satfeed_frontend_objects") >= objects)
        print(
            f"(a) SatelliteGroup: {objects:,} objects of {len(feed.norad_id):,} in {SHARDS} shards "
            f"at 1 Hz; frontend up and every object read in {time.monotonic() - started:.1f} s "
            f"(16,069 element sets parsed); load {uptime()}"
        )
        costs, rss = server_costs(process, seconds)
        print_server("catalogue", objects, costs, rss)
        print(
            f"  propagating and encoding a tick of {objects:,} objects in the bench's feeder: "
            f"{feed.last_publish_s * 1000:.0f} ms"
        )
        nothing = measure_page(process.url, seconds, catalogue_drawn)
        print_page("one page, nothing picked", nothing)
        picks = [str(int(n)) for n in feed.norad_id[:: len(feed.norad_id) // PICKS][:PICKS]]
        query = "?" + "&".join(f"sat={each}" for each in picks)
        picked = measure_page(process.url + query, seconds, catalogue_drawn, cards=True)
        print_page(f"one page, {PICKS} objects picked", picked)
        wait = process.metric("satfeed_frontend_tick_wait_seconds_sum") / max(
            1.0, process.metric("satfeed_frontend_tick_wait_seconds_count")
        )
        print(f"  a tick's four batches gathered into one push: mean wait {wait * 1000:.0f} ms")
    finally:
        process.stop()
        feed.stop()


def first_stages(url: str) -> list[float]:
    """One fresh Chromium, one page: :data:`STAGES`, in ms since navigation."""
    with launch_chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url, timeout=120_000)
        wait_for(lambda: catalogue_drawn(page), 120, "the first drawing", interval=0.05)
        stages: list[float] = page.evaluate(STAGES)
        return stages


def first_drawing_case(broker: KafkaBroker, run_dir: Path, before: str, count: int) -> None:
    feed, objects, args = catalogue_group(broker, run_dir)
    designs = {
        "before": FrontendProcess(
            run_dir,
            broker.bootstrap_servers,
            args,
            name="frontend-first-before",
            env=baseline_frontend(before, run_dir),
        ),
        "ours": FrontendProcess(run_dir, broker.bootstrap_servers, args, name="frontend-first"),
    }
    try:
        for process in designs.values():
            process.start(lambda p: p.metric("satfeed_frontend_objects") >= objects)
        print(
            f"(d) first drawing of {objects:,} objects, nothing picked: before ({before[:7]}) "
            f"and ours in turns, {count} fresh pages each; load {uptime()}"
        )
        stages: dict[str, list[list[float]]] = {name: [] for name in designs}
        for turn in range(count):
            order = list(designs) if turn % 2 == 0 else list(reversed(designs))
            for name in order:
                stages[name].append(first_stages(designs[name].url))
        medians = {}
        for name, runs in stages.items():
            scripts, drawn, first = ([each[k] / 1000 for each in runs] for k in range(3))
            medians[name] = percentile(first, 0.5)
            print(
                f"  {name:>6}: first drawing median {medians[name]:.2f} s "
                f"({', '.join(f'{each:.2f}' for each in first)}); scripts run "
                f"{percentile(scripts, 0.5):.2f} s, first whole drawing "
                f"{percentile(drawn, 0.5):.2f} s (medians)"
            )
        print(
            f"  ours / before: {medians['ours'] / medians['before']:.2f} of the first drawing's "
            f"time; load {uptime()}"
        )
    finally:
        for process in designs.values():
            process.stop()
        feed.stop()


def satellites_case(
    broker: KafkaBroker, run_dir: Path, seconds: float, count: int, baseline: bool
) -> None:
    fleet = satellites(count)
    if count > TOPICS_AT_MOST:
        # Ten Satellites a topic (records keyed and told apart by Satellite, as ever): the
        # test bed's one broker stops taking records after some 14 a partition at 1,000
        # partitions written each second (plain producers too), which is not the page's
        # problem. The page and the frontend see 1,000 Satellites all the same.
        topics = [f"bench.v1.shared-{i % TOPICS_AT_MOST}" for i in range(count)]
    else:
        topics = [f"bench.v1.{satellite_id(each)}" for each in fleet]
    admin = broker.admin()  # kept: a collected client cancels its requests
    existing = set(admin.list_topics(timeout=30).topics)
    new = [NewTopic(t, 1, 1) for t in sorted(set(topics)) if t not in existing]
    for start in range(0, len(new), 200):
        for future in admin.create_topics(new[start : start + 200]).values():
            future.result(60)
    feeder = Feeder(broker.bootstrap_servers, fleet, topics)
    feeder.backfill(60)
    feeder.start()
    designs: list[tuple[str, dict[str, str] | None]] = [("ours", None)]
    if baseline:
        designs.insert(0, ("before", baseline_frontend(BASELINE, run_dir)))
    picks = [satellite_id(each) for each in fleet[:: max(1, count // PICKS)][:PICKS]]
    try:
        for design, env in designs:
            process = FrontendProcess(
                run_dir,
                broker.bootstrap_servers,
                ["--topics", ",".join(sorted(set(topics))), "--history", str(HISTORY)],
                name=f"frontend-{design}-{count}",
                env=env,
            )
            try:
                process.start(
                    lambda p: p.metric("satfeed_frontend_records_consumed_total") >= 30 * count
                )
                print(f"  {design}, {count:,} Satellites (load {uptime()}):")
                costs, rss = server_costs(process, seconds)
                print_server(design, count, costs, rss)
                if design == "before":
                    result = measure_page(process.url, seconds, cards_drawn(count), cards=True)
                    print_page("one page, every card", result)
                else:
                    result = measure_page(process.url, seconds, catalogue_drawn)
                    print_page("one page, nothing picked", result)
                    query = "?" + "&".join(f"sat={each}" for each in picks)
                    result = measure_page(process.url + query, seconds, catalogue_drawn, True)
                    print_page(f"one page, {PICKS} picked", result)
            finally:
                process.stop()
    finally:
        feeder.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20, help="measuring time per case")
    parser.add_argument("--baseline", default=BASELINE, help="the commit of the design before")
    parser.add_argument(
        "--first-drawing-before",
        default=FIRST_DRAWING_BEFORE,
        help="the commit whose first drawing (d) compares against",
    )
    parser.add_argument(
        "--first-drawings", type=int, default=FIRST_DRAWINGS, help="pages per design in (d)"
    )
    parser.add_argument(
        "--only",
        choices=("group", "satellites", "before-after", "first-drawing"),
        help="one case only",
    )
    args = parser.parse_args(argv)
    ensure_all()
    run_dir = build_dir() / "bench-catalogue" / datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    broker = KafkaBroker(run_dir / "kafka")
    broker.start()
    begun = time.monotonic()
    print(f"bench/catalogue_page.py, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load {uptime()}")
    try:
        if args.only in (None, "group"):
            group_case(broker, run_dir, args.seconds)
        if args.only in (None, "satellites"):
            print("(b) 1,000 Satellites, one record a second each, ten to a topic")
            satellites_case(broker, run_dir, args.seconds, 1000, baseline=False)
        if args.only in (None, "before-after"):
            print("(c) 150 Satellites: the per-satellite design before, and ours")
            satellites_case(broker, run_dir, args.seconds, 150, baseline=True)
        if args.only in (None, "first-drawing"):
            first_drawing_case(broker, run_dir, args.first_drawing_before, args.first_drawings)
    finally:
        broker.stop()
    print(f"targets: {TARGETS}")
    print(f"done in {time.monotonic() - begun:.0f} s, load {uptime()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
