"""The producer against the test bed's real Kafka broker."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import NewTopic
from satfeed_core.record import PositionRecord, decode_record
from satfeed_dev.kafka import KafkaBroker
from satfeed_dev.procs import ManagedProcess, free_port
from satfeed_dev.sample_data import tle_file
from satfeed_dev.services import producer_argv
from satfeed_dev.testbed import TestBed
from satfeed_dev.tle_edit import checksum, shifted_epoch, three_line_sets
from satfeed_dev.waiting import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def terra_lines() -> list[str]:
    return three_line_sets(tle_file("earth-observation.tle"))["TERRA"]


def create_topic(broker: KafkaBroker, partitions: int = 1) -> str:
    name = f"positions-{uuid.uuid4().hex[:8]}"
    admin = broker.admin()
    admin.create_topics([NewTopic(name, partitions, 1)])[name].result(30)
    return name


@dataclass
class RunningProducer:
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

    def metric(self, name: str) -> float:
        for line in self.get("/metrics")[1].splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        raise KeyError(name)


class ProducerRunner:
    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.started: list[ManagedProcess] = []

    def start(
        self, bootstrap: str, topic: str, *args: str, name: str = "producer"
    ) -> RunningProducer:
        port = free_port()
        process = ManagedProcess(
            name=f"{name}-{uuid.uuid4().hex[:6]}",
            argv=producer_argv(bootstrap, topic, "terra", port, *args),
            run_dir=self.run_dir,
        )
        process.start()
        self.started.append(process)
        return RunningProducer(process, port)

    def run_to_exit(self, *args: str) -> tuple[int, str]:
        """Run with settings that make it exit at once; returns (exit code, output)."""
        proc = subprocess.run(
            [sys.executable, "-m", "satfeed_producer.main", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture
def producers(run_root: Path) -> Iterator[ProducerRunner]:
    runner = ProducerRunner(run_root / "producers")
    try:
        yield runner
    finally:
        for process in runner.started:
            process.stop()


class TopicReader:
    """Reads a topic from its start, keeping what it read across waits."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.records: list[tuple[bytes, PositionRecord]] = []
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"test-{uuid.uuid4().hex}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
            }
        )
        self._consumer.subscribe([topic])

    def _poll(self) -> None:
        message = self._consumer.poll(0.5)
        if message is not None and message.error() is None:
            self.records.append((message.key() or b"", decode_record(message.value() or b"")))

    def wait(
        self,
        condition: Callable[[list[PositionRecord]], bool],
        what: str,
        timeout: float = 60,
    ) -> list[PositionRecord]:
        def holds() -> bool:
            self._poll()
            return condition([record for _, record in self.records])

        wait_for(holds, timeout, what, interval=0)
        return [record for _, record in self.records]

    def at_least(self, count: int, timeout: float = 60) -> list[PositionRecord]:
        return self.wait(lambda records: len(records) >= count, f"{count} records", timeout)

    def close(self) -> None:
        self._consumer.close()


@pytest.fixture
def reader_for() -> Iterator[Callable[[str, str], TopicReader]]:
    readers: list[TopicReader] = []

    def make(bootstrap: str, topic: str) -> TopicReader:
        readers.append(TopicReader(bootstrap, topic))
        return readers[-1]

    try:
        yield make
    finally:
        for reader in readers:
            reader.close()


def topic_size(broker: KafkaBroker, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": broker.bootstrap_servers, "group.id": "size"})
    try:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
        return int(high - low)
    finally:
        consumer.close()


def elements_file(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "elements"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_records_arrive_with_schema_key_and_cadence_in_order(
    testbed: TestBed,
    producers: ProducerRunner,
    reader_for: Callable[[str, str], TopicReader],
    tmp_path: Path,
    terra_lines: list[str],
) -> None:
    topic = create_topic(testbed.kafka)
    started = datetime.now(UTC)
    producer = producers.start(
        testbed.kafka.bootstrap_servers, topic,
        "--elements-file", str(elements_file(tmp_path, terra_lines)),
        "--interval", "0.5", "--backfill", "20",
    )  # fmt: skip
    reader = reader_for(testbed.kafka.bootstrap_servers, topic)
    records = reader.at_least(24)
    assert {key for key, _ in reader.records} == {b"terra"}
    times = [record.time for record in records]
    assert times == sorted(times)
    steps = {b - a for a, b in itertools.pairwise(times)}
    assert steps == {timedelta(milliseconds=500)}  # every grid time once, none skipped
    assert all(t.microsecond in (0, 500_000) for t in times)  # aligned to the wall clock
    first = records[0]
    assert first.satellite == "terra"
    assert first.name == "TERRA"
    assert first.norad_id == 25994
    assert 690 < first.alt_km < 730  # TERRA flies at about 705 km
    assert 7.3 < first.speed_km_s < 7.6
    # Backfill: 20 samples reach 10 s back from the producer's start.
    assert times[0] < started
    wait_for(lambda: producer.get("/readyz")[0] == 200, 10, "/readyz 200")
    # The producer counts an acknowledgement when its client reports it, a moment later.
    wait_for(
        lambda: producer.metric("satfeed_producer_records_sent_total") >= 24,
        10,
        "24 acknowledged records in the metrics",
    )
    assert producer.metric("satfeed_producer_element_age_seconds") > 0


def test_restart_backfills_only_the_gap(
    testbed: TestBed,
    producers: ProducerRunner,
    reader_for: Callable[[str, str], TopicReader],
    tmp_path: Path,
    terra_lines: list[str],
) -> None:
    topic = create_topic(testbed.kafka)
    reader = reader_for(testbed.kafka.bootstrap_servers, topic)
    args = ("--elements-file", str(elements_file(tmp_path, terra_lines)), "--interval", "0.5")
    first = producers.start(testbed.kafka.bootstrap_servers, topic, *args, "--backfill", "4")
    reader.at_least(8)
    first.process.stop()
    stopped_at = len(reader.at_least(8))
    producers.start(testbed.kafka.bootstrap_servers, topic, *args, "--backfill", "180")
    times = [record.time for record in reader.at_least(stopped_at + 12)]
    assert len(times) == len(set(times)), "a restart wrote some samples twice"
    assert times == sorted(times)
    # 180 samples of backfill would reach 90 s back; only the restart gap was filled.
    assert times[-1] - times[0] < timedelta(seconds=60)
    assert set(b - a for a, b in itertools.pairwise(times)) == {timedelta(milliseconds=500)}


def test_broker_outage_of_20_s_loses_and_duplicates_nothing(
    run_root: Path,
    producers: ProducerRunner,
    reader_for: Callable[[str, str], TopicReader],
    tmp_path: Path,
    terra_lines: list[str],
) -> None:
    broker = KafkaBroker(run_root / f"kafka-outage-{uuid.uuid4().hex[:6]}")
    broker.start()
    try:
        topic = create_topic(broker)
        producer = producers.start(
            broker.bootstrap_servers, topic,
            "--elements-file", str(elements_file(tmp_path, terra_lines)),
            "--interval", "0.5", "--backfill", "0",
        )  # fmt: skip
        reader = reader_for(broker.bootstrap_servers, topic)
        reader.at_least(4)
        outage_started = datetime.now(UTC)
        broker.stop()
        stopped = time.monotonic()
        wait_for(
            lambda: "is unreachable" in producer.log() and time.monotonic() - stopped >= 20,
            60,
            "the producer to notice the outage and 20 s of outage",
        )
        assert producer.get("/readyz")[0] == 503
        broker.start()
        restarted = datetime.now(UTC)
        records = reader.wait(
            lambda records: bool(records) and records[-1].time > restarted,
            "records sampled after the restart",
            timeout=90,
        )
        # Counted on the producer's grid, not in a wall-clock window: every grid time from
        # the first record to the last, which spans the whole outage, arrived exactly once.
        times = [record.time for record in records]
        step = timedelta(milliseconds=500)
        assert times[0] < outage_started
        assert times[-1] > restarted
        expected = [times[0] + index * step for index in range(len(times))]
        missing = sorted(set(expected) - set(times))
        assert not missing, f"{len(missing)} grid times were lost, first {missing[0]}"
        assert times == expected, "records were duplicated or reordered"
        wait_for(lambda: "reachable again" in producer.log(), 10, "the recovery log line")
        assert producer.log().count("is unreachable") == 1  # logged once per outage
        assert "is unreachable (no broker answers)" in producer.log()
        assert producer.metric("satfeed_producer_records_dropped_total") == 0
        wait_for(lambda: producer.get("/readyz")[0] == 200, 30, "/readyz back to 200")
    finally:
        broker.stop()


def _producer_on_file(
    testbed: TestBed,
    producers: ProducerRunner,
    reader_for: Callable[[str, str], TopicReader],
    path: Path,
) -> tuple[RunningProducer, TopicReader]:
    """A producer at 2 Hz on its own topic, reading its elements from ``path``."""
    topic = create_topic(testbed.kafka)
    reader = reader_for(testbed.kafka.bootstrap_servers, topic)
    producer = producers.start(
        testbed.kafka.bootstrap_servers, topic,
        "--elements-file", str(path), "--interval", "0.5", "--backfill", "0",
    )  # fmt: skip
    return producer, reader


def _swap_in(path: Path, lines: list[str]) -> None:
    """New content for the elements file, swapped in atomically as the kubelet does."""
    aside = path.with_suffix(".new")
    aside.write_text("\n".join(lines) + "\n")
    os.replace(aside, path)


def test_replaced_elements_file_is_used_without_restart(
    testbed: TestBed,
    producers: ProducerRunner,
    reader_for: Callable[[str, str], TopicReader],
    tmp_path: Path,
    terra_lines: list[str],
) -> None:
    path = elements_file(tmp_path, terra_lines)
    producer, reader = _producer_on_file(testbed, producers, reader_for, path)
    old_epoch = reader.at_least(2)[0].elements_epoch
    _swap_in(path, shifted_epoch(terra_lines, days=0.25))

    records = reader.wait(
        lambda records: records[-1].elements_epoch != old_epoch,
        "records computed from the new elements",
        timeout=30,
    )
    assert records[-1].elements_epoch - old_epoch == timedelta(hours=6)
    assert producer.process.running()
    assert producer.metric("satfeed_producer_elements_reloads_total") == 1


def test_sigterm_flushes_pending_records_and_exits_0(
    testbed: TestBed, tmp_path: Path, terra_lines: list[str]
) -> None:
    topic = create_topic(testbed.kafka)
    log_path = tmp_path / "producer.log"
    with log_path.open("wb") as log_file:
        # Started directly (not as a ManagedProcess) to see its exit status.
        process = subprocess.Popen(
            producer_argv(
                testbed.kafka.bootstrap_servers,
                topic,
                "terra",
                0,
                "--elements-file",
                str(elements_file(tmp_path, terra_lines)),
                "--interval",
                "0.1",
                "--backfill",
                "50",
            ),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: "backfilled" in log_path.read_text(), 30, "the backfill")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log = log_path.read_text()
    assert "all records delivered; stopped" in log, log
    sent = int(log.rsplit("stopped after delivering ", 1)[1].split()[0])
    assert sent >= 50
    assert topic_size(testbed.kafka, topic) == sent


def test_missing_topic_and_unreachable_kafka_mean_not_ready_with_a_reason(
    testbed: TestBed, producers: ProducerRunner, tmp_path: Path, terra_lines: list[str]
) -> None:
    path = str(elements_file(tmp_path, terra_lines))
    no_topic = producers.start(
        testbed.kafka.bootstrap_servers, "no-such-topic", "--elements-file", path
    )
    wait_for(lambda: "does not exist" in no_topic.log(), 30, "the missing-topic error")
    status, body = no_topic.get("/readyz")
    assert status == 503
    assert "waiting for topic 'no-such-topic'" in body
    assert no_topic.get("/healthz")[0] == 200  # alive: it will go on once the topic exists
    assert "create it (its KafkaTopic must be Ready)" in no_topic.log()

    nobody = f"127.0.0.1:{free_port()}"
    unreachable = producers.start(nobody, "positions", "--elements-file", path)
    wait_for(lambda: unreachable.get("/readyz")[0] == 503, 30, "/readyz 503")
    wait_for(lambda: "retrying" in unreachable.log(), 30, "the unreachable-Kafka error")
    assert unreachable.process.running()
    assert "Traceback" not in unreachable.log()


def _bad_checksum(tle: list[str]) -> list[str]:
    return [tle[0], tle[1][:-1] + str((int(tle[1][-1]) + 1) % 10), tle[2]]


def _short_line(tle: list[str]) -> list[str]:
    return [tle[0], tle[1][:60], tle[2]]


def _other_catalogue_number(tle: list[str]) -> list[str]:
    line2 = "2 25995" + tle[2][7:68]
    return [tle[0], tle[1], line2 + str(checksum(line2))]


def _garbage(tle: list[str]) -> list[str]:
    return ["hello", "this is not", "a TLE"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_bad_checksum, "line 1, column 69"),
        (_short_line, "line 1"),
        (_other_catalogue_number, "catalogue number"),
        (_garbage, ""),
    ],
    ids=["bad-checksum", "wrong-length", "mismatched-catalogue-numbers", "garbage"],
)
def test_bad_elements_exit_2_with_a_clear_error(
    producers: ProducerRunner,
    terra_lines: list[str],
    change: Callable[[list[str]], list[str]],
    expected: str,
) -> None:
    lines = change(terra_lines)
    code, output = producers.run_to_exit(
        "--bootstrap-servers", "127.0.0.1:1", "--topic", "t", "--satellite-id", "terra",
        "--elements", "\n".join(lines),
    )  # fmt: skip
    assert code == 2
    assert "cannot use the elements" in output
    assert expected in output
    assert "Traceback" not in output


def test_decayed_orbit_exits_2_naming_the_sgp4_error(producers: ProducerRunner) -> None:
    # A real satellite whose epoch lies 20 years back: SGP4 finds it long decayed.
    lines = three_line_sets(tle_file("earth-observation.tle"))["ISS (ZARYA)"]
    old = [lines[0], lines[1][:18] + "06" + lines[1][20:], lines[2]]
    old[1] = old[1][:68] + str(checksum(old[1]))
    code, output = producers.run_to_exit(
        "--bootstrap-servers", "127.0.0.1:1", "--topic", "t", "--satellite-id", "iss",
        "--elements", "\n".join(old),
    )  # fmt: skip
    assert code == 2, output
    assert "cannot use the elements" in output
    assert "ISS (ZARYA) (NORAD 25544) cannot be propagated" in output
    assert "sgp4 error" in output
    assert "Traceback" not in output


def _divergent(tle: list[str]) -> list[str]:
    """A drag term (B*, columns 54-61) so large that SGP4 overflows within the hour."""
    line1 = tle[1][:53] + " 99999+9" + tle[1][61:68]
    return [tle[0], line1 + str(checksum(line1)), tle[2]]


def test_divergent_elements_exit_2_about_the_elements(
    producers: ProducerRunner, terra_lines: list[str]
) -> None:
    code, output = producers.run_to_exit(
        "--bootstrap-servers", "127.0.0.1:1", "--topic", "t", "--satellite-id", "terra",
        "--elements", "\n".join(_divergent(terra_lines)),
    )  # fmt: skip
    assert code == 2, output
    assert "TERRA (NORAD 25994) cannot be propagated" in output
    assert "fresh element set" in output
    assert "--satellite-id" not in output  # the old, wrong hint
    assert "Traceback" not in output
    assert "RuntimeWarning" not in output


def test_divergent_elements_swapped_in_are_refused_and_publishing_goes_on(
    testbed: TestBed,
    producers: ProducerRunner,
    reader_for: Callable[[str, str], TopicReader],
    tmp_path: Path,
    terra_lines: list[str],
) -> None:
    path = elements_file(tmp_path, terra_lines)
    producer, reader = _producer_on_file(testbed, producers, reader_for, path)
    reader.at_least(2)
    _swap_in(path, _divergent(terra_lines))
    swapped = datetime.now(UTC)
    wait_for(lambda: "ignoring the new elements file" in producer.log(), 30, "the refusal")
    records = reader.wait(
        lambda records: sum(record.time > swapped for record in records) >= 4,
        "records after the swap",
    )
    assert producer.process.running()
    assert "cannot be propagated" in producer.log()
    assert "Traceback" not in producer.log()
    assert producer.metric("satfeed_producer_elements_reloads_total") == 0
    assert {record.elements_epoch for record in records} == {
        min(record.elements_epoch for record in records)
    }
    assert producer.get("/readyz")[0] == 200


@pytest.mark.parametrize("state", ["waiting-for-kafka", "kafka-gone-with-records-buffered"])
def test_sigterm_is_honoured_within_2_s_while_kafka_is_down(
    run_root: Path, tmp_path: Path, terra_lines: list[str], state: str
) -> None:
    broker: KafkaBroker | None = None
    if state == "waiting-for-kafka":
        bootstrap, topic = f"127.0.0.1:{free_port()}", "positions"
    else:
        broker = KafkaBroker(run_root / f"kafka-sigterm-{uuid.uuid4().hex[:6]}")
        broker.start()
        bootstrap, topic = broker.bootstrap_servers, create_topic(broker)
    log_path = tmp_path / "producer.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            producer_argv(
                bootstrap,
                topic,
                "terra",
                0,
                "--elements-file",
                str(elements_file(tmp_path, terra_lines)),
                "--interval",
                "0.1",
                "--backfill",
                "0",
            ),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        if broker is not None:
            wait_for(lambda: "exists with" in log_path.read_text(), 30, "the topic found")
            broker.stop()
            wait_for(lambda: "is unreachable" in log_path.read_text(), 30, "the outage noticed")
        else:
            wait_for(lambda: "retrying" in log_path.read_text(), 30, "Kafka found unreachable")
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
        took = time.monotonic() - signalled
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if broker is not None:
            broker.stop()
    assert code == 0, log_path.read_text()
    # It acts within 2 s (one-second Kafka calls, a one-second flush during an outage); the
    # bound here is looser for a loaded machine, and far below the 10 s calls it replaced.
    assert took < 5.0, f"SIGTERM took {took:.1f} s to act on\n{log_path.read_text()}"


@pytest.mark.parametrize("interval", ["0", "-1"])
def test_interval_zero_or_negative_exits_2(producers: ProducerRunner, interval: str) -> None:
    code, output = producers.run_to_exit(
        "--bootstrap-servers", "127.0.0.1:1", "--topic", "t", "--satellite-id", "terra",
        "--elements-file", "/nonexistent", "--interval", interval,
    )  # fmt: skip
    assert code == 2
    assert "out of range: use 0.1 to 3600 seconds" in output
