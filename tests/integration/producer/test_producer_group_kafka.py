"""A SatelliteGroup's shards against the test bed's real Kafka broker: every member exactly
once per tick across shards, through a reshard from 2 to 3 shards and a killed shard."""

from __future__ import annotations

import collections
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from confluent_kafka import Consumer
from confluent_kafka.admin import NewTopic
from numpy.typing import NDArray
from satfeed_core import cadence
from satfeed_core.batch import decode_batch
from satfeed_core.elements import Elements, elements_text, load_elements
from satfeed_core.shards import ShardPlan, shard_of
from satfeed_core.usability import assess
from satfeed_dev.kafka import KafkaBroker
from satfeed_dev.procs import ManagedProcess, free_port
from satfeed_dev.sample_data import CATALOGUE, tle_file
from satfeed_dev.testbed import TestBed
from satfeed_dev.waiting import wait_for

from tests.unit.producer.projected_volume import ProjectedVolume

pytestmark = pytest.mark.integration

INTERVAL_S = 0.5
STEP_MS = round(INTERVAL_S * 1000)


@pytest.fixture(scope="module")
def members() -> list[Elements]:
    """About 1,000 catalogue objects usable now and a day from now (so none starts failing
    while the test runs)."""
    now = datetime.now(UTC)
    return [
        each
        for each in load_elements(tle_file(CATALOGUE))[::15]
        if assess(each, now).usable and assess(each, now + timedelta(days=1)).usable
    ]


@dataclass
class Shard:
    index: int
    process: ManagedProcess
    http_port: int

    def get(self, path: str) -> tuple[int, str]:
        url = f"http://127.0.0.1:{self.http_port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=3) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def log(self) -> str:
        return self.process.log_path.read_text()


class Group:
    """A group's files (as the kubelet mounts them), its topic, its shards and its output."""

    def __init__(self, broker: KafkaBroker, run_dir: Path, files: Path) -> None:
        self.bootstrap = broker.bootstrap_servers
        self.run_dir = run_dir
        self.elements = ProjectedVolume(files / "elements")
        self.plans = ProjectedVolume(files / "shards")
        self.topic = f"group-{uuid.uuid4().hex[:8]}"
        admin = broker.admin()
        admin.create_topics([NewTopic(self.topic, 3, 1)])[self.topic].result(30)
        self.shards: list[Shard] = []
        self.batches: dict[int, dict[int, list[NDArray[np.uint32]]]] = collections.defaultdict(
            lambda: collections.defaultdict(list)
        )
        """time (ms) -> shard -> NORAD ids of each batch that shard published for that time."""
        self.partitions: dict[int, set[int]] = collections.defaultdict(set)
        self._consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": f"test-{uuid.uuid4().hex}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
            }
        )
        self._consumer.subscribe([self.topic])

    def write_plan(self, plan: ShardPlan) -> None:
        self.plans.write({"plan.json": plan.to_json()})

    def start(self, index: int) -> Shard:
        port = free_port()
        process = ManagedProcess(
            name=f"shard-{index}-{uuid.uuid4().hex[:6]}",
            argv=[
                sys.executable, "-m", "satfeed_producer.main",
                "--bootstrap-servers", self.bootstrap, "--topic", self.topic,
                "--elements-dir", str(self.elements.path), "--shard", str(index),
                "--shard-plan-file", str(self.plans.path / "plan.json"),
                "--interval", str(INTERVAL_S),
                "--http-host", "127.0.0.1", "--http-port", str(port),
            ],
            run_dir=self.run_dir,
        )  # fmt: skip
        process.start()
        shard = Shard(index, process, port)
        self.shards.append(shard)
        return shard

    def read(self) -> None:
        for message in self._consumer.consume(500, 0.5):
            if message.error() is not None:
                continue
            batch = decode_batch(message.value() or b"")
            assert message.key() == str(batch.shard).encode()
            self.partitions[batch.shard].add(message.partition() or 0)
            self.batches[batch.time_ms][batch.shard].append(np.array(batch.norad_id))

    def wait_for_ticks(self, ticks: range, shards_at: dict[int, set[int]], what: str) -> None:
        """Until every tick (ms) has a batch from each shard expected there."""

        def complete() -> bool:
            self.read()
            return all(shards_at[tick] <= set(self.batches[tick]) for tick in ticks)

        wait_for(complete, 90, what, interval=0)

    def close(self) -> None:
        self._consumer.close()
        for shard in self.shards:
            shard.process.stop()


@pytest.fixture
def group(testbed: TestBed, run_root: Path, tmp_path: Path) -> Iterator[Group]:
    made = Group(testbed.kafka, run_root / "group-shards", tmp_path)
    try:
        yield made
    finally:
        made.close()


def grid_ms(when: float) -> int:
    return cadence.grid_index(when, INTERVAL_S) * STEP_MS


def ticks_between(first_ms: int, last_ms: int) -> range:
    return range(first_ms, last_ms + 1, STEP_MS)


def assert_each_member_once(
    group: Group, ticks: range, expected: set[int], shards_at: dict[int, set[int]]
) -> None:
    for tick in ticks:
        by_shard = group.batches[tick]
        assert set(by_shard) == shards_at[tick], f"shards publishing at {tick}"
        for shard, batches in by_shard.items():
            assert len(batches) == 1, f"shard {shard} published {len(batches)} batches at {tick}"
        ids = np.concatenate([batches[0] for batches in by_shard.values()]).tolist()
        duplicated = [norad for norad, count in collections.Counter(ids).items() if count > 1]
        assert not duplicated, f"published twice at {tick}: {duplicated[:5]}"
        missing = expected - set(ids)
        assert not missing, f"{len(missing)} members missing at {tick}: {sorted(missing)[:5]}"
        assert set(ids) == expected


def test_shards_publish_each_member_once_per_tick_through_a_reshard_and_a_restart(
    group: Group, members: list[Elements]
) -> None:
    expected = {each.norad_id for each in members}
    assert len(expected) > 900
    half = len(members) // 2
    group.elements.write(
        {
            "0.elements": "".join(map(elements_text, members[:half])),
            "1.elements": "".join(map(elements_text, members[half:])),
        }
    )
    group.write_plan(ShardPlan.steady(2))
    shard0, shard1 = group.start(0), group.start(1)
    for running in (shard0, shard1):
        wait_for(lambda: running.get("/readyz")[0] == 200, 60, "the shards ready")  # noqa: B023

    # Two shards: every member exactly once per tick.
    start = grid_ms(time.time()) + 2 * STEP_MS
    two = ticks_between(start, start + 5 * STEP_MS)
    steady = {tick: {0, 1} for tick in two}
    group.wait_for_ticks(two, steady, "6 ticks from both shards")
    assert_each_member_once(group, two, expected, steady)
    assert group.partitions == {0: {0}, 1: {1}}  # partition = shard % 3

    # A third shard starts idle, then the plan switches to 3 shards a few intervals ahead.
    shard2 = group.start(2)
    wait_for(lambda: "idle" in shard2.get("/readyz")[1], 60, "shard 2 ready and idle")
    assert shard2.get("/readyz")[0] == 200
    switch_ms = grid_ms(time.time()) + 12 * STEP_MS
    switch = datetime.fromtimestamp(switch_ms / 1000, UTC)
    group.write_plan(ShardPlan(shards=3, previous=2, switch_at=switch))
    around = ticks_between(switch_ms - 6 * STEP_MS, switch_ms + 6 * STEP_MS)
    shards_at = {tick: {0, 1} if tick < switch_ms else {0, 1, 2} for tick in around}
    group.wait_for_ticks(around, shards_at, "the ticks around the switch")
    assert_each_member_once(group, around, expected, shards_at)
    moved = {norad for norad in expected if shard_of(norad, 3) == 2}
    assert set(group.batches[switch_ms][2][0].tolist()) == moved
    assert shard2.log().count("is idle from") == 1  # said once
    assert f"from {switch.isoformat()} shard 2 of 3 owns {len(moved)} members" in shard2.log()
    for running in (shard0, shard1):
        assert "new shard plan: 2 shard(s), 3 from" in running.log()
        assert "had passed when this shard read it" not in running.log()

    # Shard 1 killed and restarted: it resumes within a few intervals; the others go on.
    owned_by_1 = set(group.batches[switch_ms][1][0].tolist())
    shard1.process.kill()
    killed_ms = grid_ms(time.time())
    restarted = group.start(1)
    wait_for(lambda: restarted.get("/readyz")[0] == 200, 60, "the restarted shard ready")
    ready_ms = grid_ms(time.time())

    def resumed() -> int | None:
        group.read()
        later = (tick for tick in sorted(group.batches) if tick > killed_ms)
        return next((tick for tick in later if 1 in group.batches[tick]), None)

    first_ms = wait_for(resumed, 60, "a batch from the restarted shard")
    assert first_ms <= ready_ms + 3 * STEP_MS, "the restarted shard took long to resume"
    after = ticks_between(first_ms, first_ms + 4 * STEP_MS)
    three = {tick: {0, 1, 2} for tick in after}
    group.wait_for_ticks(after, three, "ticks after the restart")
    assert_each_member_once(group, after, expected, three)
    assert set(group.batches[first_ms][1][0].tolist()) == owned_by_1
    # The other shards published every tick meanwhile, their members unchanged.
    meanwhile = ticks_between(switch_ms, first_ms + 4 * STEP_MS)
    for shard in (0, 2):
        assert all(shard in group.batches[tick] for tick in meanwhile), f"shard {shard} paused"
        assert {frozenset(group.batches[tick][shard][0].tolist()) for tick in meanwhile} == {
            frozenset(group.batches[switch_ms][shard][0].tolist())
        }
    # ... and nothing was published twice while shard 1 was away.
    for tick in meanwhile:
        ids = np.concatenate([b[0] for b in group.batches[tick].values()]).tolist()
        assert len(ids) == len(set(ids)), f"published twice at {tick}"
        assert all(len(batches) == 1 for batches in group.batches[tick].values())


def test_a_shard_flushes_and_exits_0_on_sigterm(
    group: Group, members: list[Elements], tmp_path: Path
) -> None:
    group.elements.write({"0.elements": "".join(map(elements_text, members[:200]))})
    group.write_plan(ShardPlan.steady(1))
    log_path = tmp_path / "shard.log"
    argv = [
        sys.executable, "-m", "satfeed_producer.main",
        "--bootstrap-servers", group.bootstrap, "--topic", group.topic,
        "--elements-dir", str(group.elements.path), "--interval", "0.1",
        "--http-host", "127.0.0.1", "--http-port", "0",
    ]  # fmt: skip
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(argv, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: "owns 200 members" in log_path.read_text(), 60, "publishing")

        # A few ticks in flight before the signal: batches already in the topic.
        def in_flight() -> bool:
            group.read()
            return len(group.batches) >= 5

        wait_for(in_flight, 30, "a few ticks published")
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
        took = time.monotonic() - signalled
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log = log_path.read_text()
    assert code == 0, log
    assert took < 5.0, f"SIGTERM took {took:.1f} s\n{log}"
    sent = int(log.rsplit("stopped after delivering ", 1)[1].split()[0])
    assert sent > 0

    # Every batch handed to Kafka arrived, once per tick.
    def all_read() -> bool:
        group.read()
        return sum(len(by_shard[0]) for by_shard in group.batches.values()) >= sent

    wait_for(all_read, 30, f"{sent} batches")
    assert all(len(by_shard[0]) == 1 for by_shard in group.batches.values())


def test_a_broker_outage_loses_and_duplicates_no_tick(
    run_root: Path, tmp_path: Path, members: list[Elements]
) -> None:
    broker = KafkaBroker(run_root / f"kafka-group-outage-{uuid.uuid4().hex[:6]}")
    broker.start()
    group = Group(broker, run_root / "group-shards", tmp_path)
    try:
        group.elements.write({"0.elements": "".join(map(elements_text, members[:300]))})
        group.write_plan(ShardPlan.steady(1))
        shard = group.start(0)
        wait_for(lambda: shard.get("/readyz")[0] == 200, 60, "the shard ready")
        first = grid_ms(time.time()) + STEP_MS
        before = ticks_between(first, first + 3 * STEP_MS)
        group.wait_for_ticks(before, {tick: {0} for tick in before}, "ticks before the outage")
        broker.stop()
        stopped = time.monotonic()
        wait_for(
            lambda: "is unreachable" in shard.log() and time.monotonic() - stopped >= 10,
            60,
            "the shard to notice the outage and 10 s of outage",
        )
        assert shard.get("/readyz")[0] == 503
        broker.start()
        restarted = grid_ms(time.time())
        # Counted on the grid: every tick from before the outage to after it, exactly once.
        ticks = ticks_between(first, restarted + 4 * STEP_MS)
        group.wait_for_ticks(ticks, {tick: {0} for tick in ticks}, "every tick through it")
        expected = {each.norad_id for each in members[:300]}
        assert_each_member_once(group, ticks, expected, {tick: {0} for tick in ticks})
        wait_for(lambda: "reachable again" in shard.log(), 30, "the recovery log line")
        assert shard.log().count("is unreachable") == 1
        wait_for(lambda: shard.get("/readyz")[0] == 200, 30, "/readyz back to 200")
    finally:
        group.close()
        broker.stop()


def test_a_bad_elements_file_at_start_exits_2_naming_it(tmp_path: Path) -> None:
    volume = ProjectedVolume(tmp_path / "elements")
    volume.write({"0.elements": "ISS\n1 25544U garbage\n2 25544 more garbage\n"})
    proc = subprocess.run(
        [
            sys.executable, "-m", "satfeed_producer.main", "--bootstrap-servers", "127.0.0.1:1",
            "--topic", "t", "--elements-dir", str(volume.path),
        ],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert f"{volume.path}/0.elements: line 1" in proc.stderr
    assert "Traceback" not in proc.stderr
