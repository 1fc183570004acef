"""The cost of TLS + SCRAM on the producer: connect time and CPU per record, SASL_SSL
(SCRAM-SHA-512 over TLS, as a Strimzi KafkaUser) against plaintext, in one run.

    uv run --frozen python bench/kafka_security.py [--records 600] [--pairs 3] [--connects 9]

Starts the test bed (Kafka with its PLAINTEXT and SASL_SSL listeners, the apiserver, Strimzi's
entity operators) and creates a KafkaUser whose ACLs allow Write, Read and Describe on the
bench's topics: Strimzi's real User Operator makes its SCRAM credentials and ACLs, as in
``tests/integration/producer/test_producer_kafka_security.py``. Then, on the same broker:

- connect time: from creating the producer's own Kafka client (``satfeed_producer``'s
  ``Publisher``, so the producer's settings plus ``KafkaSecurity.client_settings()``, built
  from the same flags as the process) to the answer of its topic check (what the producer
  does first) and to its first delivered record; ``--connects`` of each, alternating, after
  one unmeasured warm-up of each; also this process's CPU per connect (librdkafka's threads
  included);
- CPU per record: the real ``satfeed-producer`` process (``--interval 0.1 --backfill 0``),
  runs alternating plaintext / SASL_SSL (``--pairs`` of each, fresh topic each). After
  ``--warmup`` records have reached the topic, the producer's and the broker's CPU (utime +
  stime from /proc) are read at a record count and again ``--records`` records later; the
  CPU difference over the record difference is the CPU per record. The broker's figure is
  also given net of its idle CPU (measured for ``--idle`` seconds right before each run,
  per second, times the run's duration). Once the KafkaUser is Ready the entity operators
  are stopped (its credentials and ACLs stay in Kafka), so that their periodic reconciles do
  not load the broker during the runs.

Prints medians and the ratio SASL_SSL / plaintext; also the User Operator's start-up (its
process start to its ``/healthy`` answering) and resident memory, measured on the way.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import statistics
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Final

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import NewTopic
from satfeed_dev.kafka_users import kafkauser, password, topic_acl
from satfeed_dev.procs import ManagedProcess, free_port
from satfeed_dev.sample_data import tle_file
from satfeed_dev.services import producer_argv
from satfeed_dev.testbed import TestBed
from satfeed_dev.toolchain import ensure_all
from satfeed_dev.waiting import wait_for
from satfeed_producer.config import parse_config
from satfeed_producer.metrics import KafkaMetrics
from satfeed_producer.publisher import Publisher

NAMESPACE: Final = "bench-kafka-security"
USER: Final = "bench-producer"
TOPIC_PREFIX: Final = "bench.security."
PLAINTEXT: Final = "PLAINTEXT"
SASL_SSL: Final = "SASL_SSL"
KINDS: Final = (PLAINTEXT, SASL_SSL)
INTERVAL_S: Final = 0.1
_CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime + stime


def started_at(pid: int) -> float:
    """When ``pid`` started, as seconds since boot (field 22 of /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[19]) / _CLOCK_TICKS


def uptime_s() -> float:
    return float(Path("/proc/uptime").read_text().split()[0])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class Bench:
    def __init__(self, bed: TestBed, run_dir: Path) -> None:
        self.bed = bed
        self.run_dir = run_dir
        self.admin = bed.kafka.admin()
        self.password_file = run_dir / "password"
        self.counter = Consumer(
            {"bootstrap.servers": bed.kafka.bootstrap_servers, "group.id": "bench-count"}
        )
        broker_pid = bed.kafka.process.pid
        assert broker_pid is not None
        self.broker_pid = broker_pid

    def topic(self, what: str) -> str:
        name = f"{TOPIC_PREFIX}{what}-{uuid.uuid4().hex[:6]}"
        self.admin.create_topics([NewTopic(name, 1, 1)])[name].result(30)
        return name

    def count(self, topic: str) -> int:
        """Records in the topic (its one partition), read on the test bed's own listener."""
        low, high = self.counter.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
        return int(high - low)

    def security_flags(self, kind: str) -> list[str]:
        if kind == PLAINTEXT:
            return []
        return [
            "--kafka-security-protocol", SASL_SSL, "--kafka-sasl-username", USER,
            "--kafka-sasl-password-file", str(self.password_file),
            "--kafka-ca-file", str(self.bed.kafka.ca_cert),
        ]  # fmt: skip

    def bootstrap(self, kind: str) -> str:
        kafka = self.bed.kafka
        return kafka.bootstrap_servers if kind == PLAINTEXT else kafka.sasl_ssl_bootstrap_servers

    def argv(self, kind: str, topic: str, port: int, *extra: str) -> list[str]:
        return producer_argv(
            self.bootstrap(kind), topic, "terra", port,
            "--elements-file", str(tle_file("earth-observation.tle")), "--norad-id", "25994",
            *extra, *self.security_flags(kind),
        )  # fmt: skip

    # -- the KafkaUser, and the User Operator that makes it ------------------------------
    def create_user(self) -> tuple[float, float]:
        """The KafkaUser's password file; (User Operator start to /healthy s, its JVM's MB)."""
        kube = self.bed.kube
        kube.kubectl_ok("create", "namespace", NAMESPACE)
        acl = topic_acl(TOPIC_PREFIX, ["Write", "Read", "Describe"], "prefix")
        kube.apply(kafkauser(USER, NAMESPACE, [acl]))
        operator_dir = self.bed.run_dir / "user-operator" / NAMESPACE
        operator = ManagedProcess("user-operator", (), operator_dir)
        port_file = operator_dir / "health.port"

        def healthy() -> bool:
            if not port_file.exists() or not port_file.read_text().strip():
                return False
            url = f"http://127.0.0.1:{port_file.read_text().strip()}/healthy"
            try:
                with urllib.request.urlopen(url, timeout=1) as reply:
                    return bool(reply.status == 200)
            except OSError:
                return False

        wait_for(lambda: operator.pid is not None, 30, "the User Operator to start")
        wait_for(healthy, 90, "the User Operator's /healthy", interval=0.05)
        answered = uptime_s()
        pid = operator.pid
        assert pid is not None
        startup = answered - started_at(pid)

        self.password_file.write_text(password(self.bed, USER, NAMESPACE))
        self.password_file.chmod(0o600)
        time.sleep(5)  # settled: the JVM's memory after its first reconcile
        jvms = [p for p in descendants(pid) if b"java" in Path(f"/proc/{p}/cmdline").read_bytes()]
        memory = sum(rss_mb(p) for p in jvms)
        # Its work is done (the credentials and ACLs are in Kafka): without the entity
        # operators' reconciles the broker's own CPU is quieter during the runs.
        self.bed.entity_operators_process().stop()
        return startup, memory

    # -- (a) connect time ------------------------------------------------------------------
    def connect(self, kind: str, topic: str) -> tuple[float, float, float]:
        """From creating a producer client as the producer does to (its topic check's answer,
        its first delivered record) in seconds, and this process's CPU seconds meanwhile."""
        config = parse_config(self.argv(kind, topic, 0)[3:], environ={})
        cpu, started = time.process_time(), time.perf_counter()
        publisher = Publisher(config, KafkaMetrics(), threading.Event())
        publisher.check_topic()  # what the producer does first: metadata for its topic
        answered = time.perf_counter()
        publisher.produce(b'{"bench": true}', key=b"terra", timestamp_ms=round(time.time() * 1000))
        publisher.flush(60)  # returns once the record is acknowledged
        delivered = time.perf_counter()
        cpu = time.process_time() - cpu
        if publisher.delivered != 1:
            raise RuntimeError(f"{kind}: the record was not delivered within 60 s")
        del publisher
        gc.collect()  # the client (its callbacks refer back to the publisher) goes now
        return answered - started, delivered - started, cpu

    # -- (b) CPU per record ----------------------------------------------------------------
    def cpu_per_record(
        self, kind: str, warmup: int, records: int, idle_s: float
    ) -> dict[str, float]:
        topic = self.topic(f"cpu-{kind.lower()}")
        idle = self.broker_idle_rate(idle_s)
        argv = self.argv(kind, topic, free_port(), "--interval", str(INTERVAL_S), "--backfill", "0")
        producer = ManagedProcess(f"producer-{kind.lower()}-{topic[-6:]}", argv, self.run_dir)
        producer.start()
        try:
            pid = producer.pid
            assert pid is not None

            def at_least(n: int) -> Callable[[], bool]:
                return lambda: self.count(topic) >= n

            wait_for(at_least(1), 60, f"{kind}: the first record")
            first = uptime_s() - started_at(pid)
            startup_cpu = cpu_seconds(pid)
            wait_for(at_least(warmup), 60, f"{kind}: {warmup} records", interval=0.05)
            start = self.sample(pid, topic)
            # No counting meanwhile (each count is a request to the broker): wait for most of
            # the records, then count closely.
            time.sleep(max(0.0, records * INTERVAL_S - 2))
            wait_for(at_least(start[0] + records), 60, f"{kind}: {records} records", interval=0.05)
            end = self.sample(pid, topic)
        finally:
            producer.stop()
        delivered, seconds, broker = end[0] - start[0], end[3] - start[3], end[2] - start[2]
        return {
            "records": delivered,
            "seconds": seconds,
            "producer_ms": (end[1] - start[1]) / delivered * 1000,
            "broker_ms": broker / delivered * 1000,
            "broker_net_ms": (broker - idle * seconds) / delivered * 1000,
            "broker_idle_ms_per_s": idle * 1000,
            "first_record_s": first,
            "startup_cpu_s": startup_cpu,
        }

    def sample(self, pid: int, topic: str) -> tuple[int, float, float, float]:
        """(records in the topic, producer CPU s, broker CPU s, monotonic s), read together."""
        return (
            self.count(topic),
            cpu_seconds(pid),
            cpu_seconds(self.broker_pid),
            time.monotonic(),
        )

    def broker_idle_rate(self, seconds: float) -> float:
        """The broker's CPU seconds per second with no producer (the test bed's own clients)."""
        before, started = cpu_seconds(self.broker_pid), time.monotonic()
        time.sleep(seconds)
        return (cpu_seconds(self.broker_pid) - before) / (time.monotonic() - started)


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=600, help="records per CPU run")
    parser.add_argument("--warmup", type=int, default=30, help="records before counting")
    parser.add_argument("--pairs", type=int, default=3, help="CPU runs of each kind")
    parser.add_argument("--connects", type=int, default=9, help="connects of each kind")
    parser.add_argument("--idle", type=float, default=15.0, help="broker idle before each run, s")
    args = parser.parse_args()
    ensure_all()
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), flush=True)
    with tempfile.TemporaryDirectory(prefix="satfeed-bench-") as tmp:
        bed = TestBed(Path(tmp) / "testbed")
        try:
            bed.start()
            run_dir = Path(tmp) / "bench"
            run_dir.mkdir()
            bench = Bench(bed, run_dir)
            operator_startup, operator_rss = bench.create_user()
            print(
                f"User Operator: /healthy {operator_startup:.1f} s after its process started; "
                f"JVM RSS {operator_rss:.0f} MB after its first reconcile",
                flush=True,
            )

            connect_topic = bench.topic("connect")
            connects: dict[str, list[tuple[float, float, float]]] = {kind: [] for kind in KINDS}
            for kind in KINDS:
                bench.connect(kind, connect_topic)  # warm-up: this process's first of each
            for _ in range(args.connects):
                for kind in KINDS:
                    connects[kind].append(bench.connect(kind, connect_topic))

            runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in KINDS}
            for _ in range(args.pairs):
                for kind in KINDS:
                    run = bench.cpu_per_record(kind, args.warmup, args.records, args.idle)
                    runs[kind].append(run)
                    print(
                        f"  {kind:9} {run['records']:.0f} records in {run['seconds']:.1f} s: "
                        f"producer {run['producer_ms']:.3f} ms/record, broker "
                        f"{run['broker_ms']:.3f} ms/record ({run['broker_net_ms']:.3f} net "
                        f"of idle at {run['broker_idle_ms_per_s']:.1f} ms/s); first record "
                        f"{run['first_record_s']:.2f} s after start, "
                        f"start-up CPU {run['startup_cpu_s']:.2f} s",
                        flush=True,
                    )
            bench.counter.close()
        finally:
            bed.stop()
    print("load average at end:   {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    report(args, connects, runs)


def report(
    args: argparse.Namespace,
    connects: dict[str, list[tuple[float, float, float]]],
    runs: dict[str, list[dict[str, float]]],
) -> None:
    def of_runs(key: str) -> Callable[[str], list[float]]:
        return lambda kind: [run[key] for run in runs[kind]]

    rows: list[tuple[str, str, Callable[[str], list[float]]]] = [
        ("connect: new client to its topic's metadata", "ms",
         lambda kind: [1000 * c[0] for c in connects[kind]]),
        ("connect: new client to 1st delivered record", "ms",
         lambda kind: [1000 * c[1] for c in connects[kind]]),
        ("connect: CPU of this process per connect", "ms",
         lambda kind: [1000 * c[2] for c in connects[kind]]),
        ("producer process CPU per record", "ms", of_runs("producer_ms")),
        ("broker CPU per record", "ms", of_runs("broker_ms")),
        ("broker CPU per record, net of idle", "ms", of_runs("broker_net_ms")),
        ("broker idle CPU before the run, per second", "ms", of_runs("broker_idle_ms_per_s")),
        ("producer process: start to 1st record", "s", of_runs("first_record_s")),
        ("producer process: CPU until 1st record", "s", of_runs("startup_cpu_s")),
    ]  # fmt: skip
    print(
        f"\nmedians: connect of {args.connects} each (alternating, after a warm-up of each); "
        f"CPU runs {args.pairs} of each (alternating), {args.records} records each at "
        f"--interval {INTERVAL_S} after {args.warmup}; the broker's idle CPU measured for "
        f"{args.idle:.0f} s before each"
    )
    print(f"{'':46} {'unit':4} {'PLAINTEXT':>10} {'SASL_SSL':>10} {'ratio':>6}")
    for what, unit, values in rows:
        plain, secure = median(values(PLAINTEXT)), median(values(SASL_SSL))
        ratio = secure / plain if plain > 0 else float("nan")
        print(f"{what:46} {unit:4} {plain:10.3f} {secure:10.3f} {ratio:6.2f}")


if __name__ == "__main__":
    main()
