"""A SatelliteGroup's producers at the whole 16,069-object catalogue, 1 Hz, against a real broker.

    uv run --frozen python bench/group_producer.py [--seconds 60] [--ticks 30]

(a) Group shards (``satfeed-producer --elements-dir``), 1 and then 4 of them, over the bundled
    catalogue split into element files as the operator mounts them: CPU per 1,000 objects per
    second and resident memory per shard at steady state. Baselines in the same run: SGP4 and
    the geodetic conversion alone for the same objects in this process (CPU), and a process
    that only imports the producer (memory).
(b) The encodings side by side, in this process, one tick of the catalogue's positions at a
    time, handed to Kafka and flushed: schema v1 (a PositionRecord, encode_record and
    produce per object, lz4 as a Satellite's producer does) against schema v2 (one batch,
    encode_batch, one produce) with zstd and with lz4. CPU is this process's, the Kafka
    client's threads (where compression runs) included; bytes are what the broker appended
    to the partition's log per tick: the record batches as compressed on the wire.
(c) A single Satellite's producer: resident memory with the default propagator and with
    ``--propagator sgp4``, and each engine's distance from skyfield's positions.

Results go to docs/benchmarks.md by hand, with the machine's load (printed at start and end).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from confluent_kafka import Producer
from confluent_kafka.admin import NewTopic
from numpy.typing import NDArray
from satfeed_core.batch import PositionBatch, encode_batch
from satfeed_core.elements import Elements, elements_text, load_elements
from satfeed_core.propagation import (
    Positions,
    PyorbitalPropagator,
    PyorbitalUnsupportedError,
    Sgp4Propagator,
)
from satfeed_core.record import PositionRecord, encode_record, record_key
from satfeed_core.shards import ShardPlan
from satfeed_core.usability import assess
from satfeed_dev.kafka import KafkaBroker
from satfeed_dev.procs import ManagedProcess, free_port
from satfeed_dev.sample_data import CATALOGUE, EARTH_OBSERVATION, tle_file
from satfeed_dev.services import producer_argv
from satfeed_dev.timing import best_of
from satfeed_dev.waiting import wait_for

TARGET_CPU_CORES = 0.40
"""The whole catalogue at 1 Hz, all shards together."""
TARGET_RSS_MIB = 150.0
"""Per shard."""
SHARD_COUNTS = (1, 4)
MEMBERS_PER_FILE = 4000
SETTLE_S = 15.0
"""After every shard is ready: start-up's parsing and judging of the elements is over."""
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- processes ------------------------------------------------------------------------------
def status_mib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for {pid}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime + stime


def get(port: int, path: str) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=3) as reply:
        return str(reply.read().decode())


def metric(port: int, name: str) -> float:
    for line in get(port, "/metrics").splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise KeyError(name)


def started(process: ManagedProcess) -> int:
    pid = process.pid
    assert pid is not None, process.failure("is not running")
    return pid


def create_topic(broker: KafkaBroker, topic: str, partitions: int) -> None:
    admin = broker.admin()  # kept until the topic exists: a dropped client cancels the request
    admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(30)


# --- (a) group shards ---------------------------------------------------------------------------
def write_elements_dir(directory: Path, catalogue: Sequence[Elements]) -> int:
    directory.mkdir(parents=True)
    files = 0
    for start in range(0, len(catalogue), MEMBERS_PER_FILE):
        chunk = catalogue[start : start + MEMBERS_PER_FILE]
        (directory / f"{files}.elements").write_text("".join(map(elements_text, chunk)))
        files += 1
    return files


def run_shards(
    broker: KafkaBroker, run_dir: Path, elements_dir: Path, shards: int, seconds: float
) -> dict[str, float]:
    topic = f"group-{shards}"
    create_topic(broker, topic, 4)
    plan = run_dir / f"plan-{shards}.json"
    plan.write_text(ShardPlan.steady(shards).to_json())
    processes, ports = [], []
    try:
        for shard in range(shards):
            port = free_port()
            argv = [
                sys.executable, "-m", "satfeed_producer.main",
                "--bootstrap-servers", broker.bootstrap_servers, "--topic", topic,
                "--elements-dir", str(elements_dir), "--shard", str(shard),
                "--shard-plan-file", str(plan), "--interval", "1",
                "--http-host", "127.0.0.1", "--http-port", str(port),
            ]  # fmt: skip
            process = ManagedProcess(f"shard-{shards}-{shard}", argv, run_dir)
            process.start()
            processes.append(process)
            ports.append(port)
        for process, port in zip(processes, ports, strict=True):

            def ready(port: int = port) -> bool:
                return "ok: shard" in get(port, "/readyz")

            process.wait_until(ready, 120)
        time.sleep(SETTLE_S)
        pids = [started(process) for process in processes]
        cpu_start = [cpu_seconds(pid) for pid in pids]
        published_start = sum(metric(p, "satfeed_producer_objects_published_total") for p in ports)
        wall_start = time.monotonic()
        time.sleep(seconds)
        wall = time.monotonic() - wall_start
        cpu = sum(cpu_seconds(pid) - before for pid, before in zip(pids, cpu_start, strict=True))
        published = (
            sum(metric(p, "satfeed_producer_objects_published_total") for p in ports)
            - published_start
        )
        steady = {
            "cores": cpu / wall,
            "objects_per_s": published / wall,
            "rss_max": max(status_mib(pid, "VmRSS") for pid in pids),
            "rss_min": min(status_mib(pid, "VmRSS") for pid in pids),
            "hwm_max": max(status_mib(pid, "VmHWM") for pid in pids),
            "members": sum(metric(p, "satfeed_producer_members") for p in ports),
            "batch_bytes": sum(metric(p, "satfeed_producer_batch_bytes_sum") for p in ports)
            / sum(metric(p, "satfeed_producer_batch_bytes_count") for p in ports),
        }
        # New files with the same content, swapped in: every shard loads them again in the
        # background while it publishes, holding the old members and the new ones at once.
        for path in elements_dir.glob("*.elements"):
            staged = path.with_suffix(".new")
            staged.write_bytes(path.read_bytes())
            os.replace(staged, path)
        wait_for(
            lambda: all(metric(p, "satfeed_producer_elements_reloads_total") >= 1 for p in ports),
            120,
            "every shard to reload its elements",
        )
        time.sleep(3)
        return {**steady, "hwm_reload": max(status_mib(pid, "VmHWM") for pid in pids)}
    finally:
        for process in processes:
            process.stop()


def imports_only_mib(run_dir: Path) -> float:
    process = ManagedProcess(
        "imports-only",
        [
            sys.executable,
            "-c",
            "import signal, satfeed_producer.main, satfeed_producer.group_service; signal.pause()",
        ],
        run_dir,
    )
    process.start()
    try:
        wait_for(lambda: status_mib(started(process), "VmRSS") > 20, 30, "the imports")
        time.sleep(3)
        return status_mib(started(process), "VmRSS")
    finally:
        process.stop()


# --- (b) encodings ------------------------------------------------------------------------------
def partition_log_bytes(broker: KafkaBroker, topic: str) -> int:
    return sum(path.stat().st_size for path in (broker.data_dir / f"{topic}-0").glob("*.log"))


def encoding_cost(
    broker: KafkaBroker,
    topic: str,
    compression: str,
    ticks: int,
    tick: Callable[[Producer, datetime], None],
) -> tuple[float, float]:
    """(CPU seconds per tick, bytes the broker stored per tick), ``ticks`` ticks."""
    create_topic(broker, topic, 1)
    producer = Producer(
        {
            "bootstrap.servers": broker.bootstrap_servers,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 20,
            "compression.type": compression,
            "queue.buffering.max.messages": 1_000_000,
        }
    )
    producer.list_topics(topic, timeout=10)  # connected before the clock starts
    base = datetime(2026, 8, 23, 12, tzinfo=UTC)
    best = math.inf
    before = partition_log_bytes(broker, topic)
    for index in range(ticks):
        cpu = time.process_time()
        tick(producer, base + timedelta(seconds=index))
        producer.flush(30)
        best = min(best, time.process_time() - cpu)
    stored = (partition_log_bytes(broker, topic) - before) / ticks
    return best, stored


def v1_tick(topic: str, positions: Positions, usable: Sequence[Elements]) -> Callable[..., None]:
    ok = np.flatnonzero(positions.error_code[:, 0] == 0)
    names = [f"norad-{each.norad_id}" for each in usable]

    def tick(producer: Producer, when: datetime) -> None:
        for row in ok.tolist():
            elements = usable[row]
            record = PositionRecord(
                satellite=names[row],
                name=elements.name,
                norad_id=elements.norad_id,
                time=when,
                lon=float(positions.lon_deg[row, 0]),
                lat=float(positions.lat_deg[row, 0]),
                alt_km=float(positions.alt_km[row, 0]),
                speed_km_s=float(positions.speed_km_s[row, 0]),
                elements_epoch=elements.epoch,
            )
            producer.produce(topic, value=encode_record(record), key=record_key(record))
            producer.poll(0)

    return tick


def v2_tick(topic: str, positions: Positions, usable: Sequence[Elements]) -> Callable[..., None]:
    ok = positions.error_code[:, 0] == 0
    norad: NDArray[np.uint32] = np.array([each.norad_id for each in usable], dtype=np.uint32)
    epochs: NDArray[np.uint32] = np.array(
        [int(each.epoch.timestamp()) for each in usable], dtype=np.uint32
    )

    def tick(producer: Producer, when: datetime) -> None:
        batch = PositionBatch(
            shard=0,
            time_ms=round(when.timestamp() * 1000),
            norad_id=norad[ok],
            lon_deg=positions.lon_deg[ok, 0].astype(np.float32),
            lat_deg=positions.lat_deg[ok, 0].astype(np.float32),
            alt_km=positions.alt_km[ok, 0].astype(np.float32),
            speed_km_s=positions.speed_km_s[ok, 0].astype(np.float32),
            elements_epoch_s=epochs[ok],
        )
        producer.produce(topic, value=encode_batch(batch), key=b"0", partition=0)
        producer.poll(0)

    return tick


# --- (c) a single Satellite -----------------------------------------------------------------------
def single_rss_mib(broker: KafkaBroker, run_dir: Path, engine: str, seconds: float) -> float:
    topic = f"single-{engine}"
    create_topic(broker, topic, 1)
    port = free_port()
    argv = producer_argv(
        broker.bootstrap_servers, topic, "terra", port,
        "--elements-file", str(run_dir / "terra.tle"), "--interval", "1", "--propagator", engine,
    )  # fmt: skip
    process = ManagedProcess(topic, argv, run_dir)
    process.start()
    try:
        process.wait_until(lambda: get(port, "/readyz").startswith("ok"), 60)
        time.sleep(seconds)
        return status_mib(started(process), "VmRSS")
    finally:
        process.stop()


def ground_km(lat1: NDArray[np.float64], lon1: NDArray[np.float64], lat2: NDArray[np.float64],
              lon2: NDArray[np.float64]) -> NDArray[np.float64]:  # fmt: skip
    p1, p2, dl = np.radians(lat1), np.radians(lat2), np.radians(lon2 - lon1)
    cos_angle = np.sin(p1) * np.sin(p2) + np.cos(p1) * np.cos(p2) * np.cos(dl)
    return np.asarray(6371.0 * np.arccos(np.clip(cos_angle, -1.0, 1.0)), dtype=np.float64)


def accuracy(satellites: Sequence[Elements], when: datetime) -> dict[str, tuple[float, float]]:
    """Worst (ground, height) distance in metres from skyfield, per engine, and between them."""
    from skyfield.api import EarthSatellite, load, wgs84

    timescale = load.timescale()
    offsets = np.arange(-90, 91, 10)  # three hours around ``when``, every 10 minutes
    times = [when + timedelta(minutes=int(m)) for m in offsets]
    worst = {"auto (pyorbital)": [0.0, 0.0], "sgp4": [0.0, 0.0], "auto vs sgp4": [0.0, 0.0]}
    for elements in satellites:
        assert elements.tle_lines is not None
        reference = wgs84.geographic_position_of(
            EarthSatellite(*elements.tle_lines, elements.name, timescale).at(
                timescale.from_datetimes(times)
            )
        )
        try:
            ours = PyorbitalPropagator(elements).positions_at(times)
        except PyorbitalUnsupportedError:
            continue
        sgp4 = Sgp4Propagator(elements).positions_at(times)
        pairs = {
            "auto (pyorbital)": (ours, None),
            "sgp4": (sgp4, None),
            "auto vs sgp4": (ours, sgp4),
        }
        for label, (a, b) in pairs.items():
            lat_b = reference.latitude.degrees if b is None else b.lat_deg[0]
            lon_b = reference.longitude.degrees if b is None else b.lon_deg[0]
            alt_b = reference.elevation.km if b is None else b.alt_km[0]
            ground = ground_km(a.lat_deg[0], a.lon_deg[0], lat_b, lon_b)
            height = np.abs(a.alt_km[0] - alt_b)
            worst[label][0] = max(worst[label][0], float(np.nanmax(ground)) * 1000)
            worst[label][1] = max(worst[label][1], float(np.nanmax(height)) * 1000)
    return {label: (g, h) for label, (g, h) in worst.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0, help="steady-state window")
    parser.add_argument("--ticks", type=int, default=30, help="ticks per encoding case")
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    catalogue = load_elements(tle_file(CATALOGUE))
    now = datetime.now(UTC)
    usable = [each for each in catalogue if assess(each, now).usable]
    propagator = Sgp4Propagator(usable)
    bare_s = best_of(7, lambda: propagator.positions_at(now))
    positions = propagator.positions_at(datetime(2026, 8, 23, 12, tzinfo=UTC))
    earth_observation = load_elements(tle_file(EARTH_OBSERVATION))
    with tempfile.TemporaryDirectory(prefix="satfeed-bench-group-") as tmp:
        run_dir = Path(tmp)
        elements_dir = run_dir / "elements"
        files = write_elements_dir(elements_dir, catalogue)
        terra = next(each for each in earth_observation if each.name == "TERRA")
        (run_dir / "terra.tle").write_text(elements_text(terra))
        broker = KafkaBroker(run_dir / "kafka")
        broker.start()
        try:
            floor_mib = imports_only_mib(run_dir)
            groups = {
                n: run_shards(broker, run_dir, elements_dir, n, args.seconds) for n in SHARD_COUNTS
            }
            encodings = {
                "v1 JSON records, lz4": encoding_cost(
                    broker, "v1-lz4", "lz4", args.ticks, v1_tick("v1-lz4", positions, usable)
                ),
                "v2 batch, zstd": encoding_cost(
                    broker, "v2-zstd", "zstd", args.ticks, v2_tick("v2-zstd", positions, usable)
                ),
                "v2 batch, lz4": encoding_cost(
                    broker, "v2-lz4", "lz4", args.ticks, v2_tick("v2-lz4", positions, usable)
                ),
                "v2 batch, none": encoding_cost(
                    broker, "v2-none", "none", args.ticks, v2_tick("v2-none", positions, usable)
                ),
            }
            singles = {
                engine: single_rss_mib(broker, run_dir, engine, 20) for engine in ("auto", "sgp4")
            }
        finally:
            broker.stop()
    errors = accuracy(earth_observation, max(each.epoch for each in earth_observation))
    errors_now = accuracy(earth_observation, now)

    published = int((positions.error_code[:, 0] == 0).sum())
    print(f"catalogue: {len(catalogue)} objects in {files} files, {len(usable)} usable now")
    print(f"baseline: SGP4 + geodetic for {len(usable)} objects in this process: "
          f"{bare_s * 1000:.1f} ms per tick")  # fmt: skip
    print(f"baseline: a process that only imports the producer: {floor_mib:.1f} MiB RSS")
    print(f"(a) group shards at 1 Hz, {args.seconds:.0f} s window after a {SETTLE_S:.0f} s settle")
    for shards, result in groups.items():
        per_thousand = result["cores"] / (result["objects_per_s"] / 1000)
        print(
            f"    {shards} shard(s): {result['objects_per_s']:.0f} objects/s "
            f"({result['members']:.0f} members), CPU {100 * result['cores']:.2f} % of one core "
            f"in all = {100 * per_thousand:.3f} % per 1,000 objects/s; "
            f"{result['cores'] / bare_s:.2f}x the bare propagation; "
            f"to the {100 * TARGET_CPU_CORES:.0f} % target {result['cores'] / TARGET_CPU_CORES:.3f}"
        )
        print(
            f"      RSS per shard {result['rss_min']:.1f}-{result['rss_max']:.1f} MiB "
            f"(peak {result['hwm_max']:.1f}; {result['hwm_reload']:.1f} through an elements "
            f"reload), {result['rss_max'] / floor_mib:.2f}x the imports, "
            f"to the {TARGET_RSS_MIB:.0f} MiB target {result['rss_max'] / TARGET_RSS_MIB:.2f}; "
            f"batch {result['batch_bytes'] / 1000:.0f} kB uncompressed"
        )
    print(f"(b) one tick of {published} positions handed to Kafka and flushed, best of "
          f"{args.ticks}")  # fmt: skip
    v1_cpu, v1_bytes = encodings["v1 JSON records, lz4"]
    for label, (cpu, stored) in encodings.items():
        print(
            f"    {label:22} CPU {cpu * 1000:8.1f} ms/tick ({v1_cpu / cpu:6.1f}x less than v1), "
            f"stored {stored / 1000:8.1f} kB/tick ({v1_bytes / stored:5.1f}x less than v1), "
            f"{stored / published:5.1f} B/object, {stored * 86400 / 1e9:6.1f} GB/day"
        )
    print("(c) a single Satellite (TERRA) at 1 Hz, RSS after 20 s:")
    for engine, rss in singles.items():
        print(f"    --propagator {engine:8}: {rss:6.1f} MiB")
    for label, worst in (("around the newest epoch", errors), ("now", errors_now)):
        print(f"    worst distance from skyfield, {len(earth_observation)} satellites {label}:")
        for engine, (ground_m, height_m) in worst.items():
            print(f"      {engine:20} ground {ground_m:7.1f} m, height {height_m:6.3f} m")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
