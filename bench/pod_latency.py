"""Satellite applied until its first record, through real pods, against the producer
started directly on the host, in the same run; and the node's memory.

    uv run --frozen python -m bench.pod_latency [--runs 5]

(run as a module from the repository root, as root: it starts the test bed with its node)

1. Baseline: ``satfeed-producer`` started as a host process for a topic that already
   exists, from its start until its first record is in Kafka.
2. Pods: the charts installed as ``make deploy`` does; a Satellite (TERRA, AQUA, AURA in
   turn) applied with kubectl, until its first record is in Kafka (the operator creates the
   KafkaTopic, the stand-in makes it Ready, the producer Deployment is scaled up, the pod is
   scheduled, its sandbox and container started, the producer publishes). The Satellite is
   deleted before the next run.
3. Node memory with three Satellites running.

The ratio is pods / baseline: what Kubernetes adds to a producer's own start-up.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import NewTopic
from satfeed_dev import images
from satfeed_dev.node_bed import NAMESPACE, NodeBed, prepare_kafka_namespace
from satfeed_dev.procs import ManagedProcess, free_port
from satfeed_dev.runs import new_run
from satfeed_dev.services import producer_argv
from satfeed_dev.testbed import TestBed
from satfeed_dev.toolchain import REPO_ROOT, build_dir, node_tools
from satfeed_dev.waiting import wait_for

EXAMPLES = REPO_ROOT / "examples" / "satellites"
SATELLITES = ("terra", "aqua", "aura")


def has_records(bootstrap: str, topic: str) -> bool:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-watermarks"})
    try:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=2)
        return bool(high > low)
    finally:
        consumer.close()


def host_baseline(bed: TestBed, run_dir: Path, runs: int) -> list[float]:
    example = yaml.safe_load((EXAMPLES / "terra.yaml").read_text())
    tle = example["spec"]["elements"]["tle"]
    times = []
    admin = bed.kafka.admin()  # kept: results need the client alive
    for run in range(runs):
        topic = f"bench-baseline-{run}"
        new_topic = NewTopic(topic, num_partitions=1, replication_factor=1)
        admin.create_topics([new_topic])[topic].result(timeout=30)
        producer = ManagedProcess(
            name=f"baseline-producer-{run}",
            argv=producer_argv(
                bed.kafka.bootstrap_servers,
                topic,
                "terra",
                free_port(),
                "--elements",
                f"{tle['line1']}\n{tle['line2']}",
            ),
            run_dir=run_dir,
        )
        started = time.monotonic()
        producer.start()
        try:

            def published(name: str = topic) -> bool:
                return has_records(bed.kafka.bootstrap_servers, name)

            producer.wait_until(published, 60, "published nothing")
            times.append(time.monotonic() - started)
        finally:
            producer.stop()
    return times


def pods(node_bed: NodeBed, runs: int) -> list[float]:
    kube = node_bed.bed.kube
    times = []
    for run in range(runs):
        name = SATELLITES[run % len(SATELLITES)]
        started = time.monotonic()
        kube.kubectl_ok("apply", "-n", NAMESPACE, "-f", str(EXAMPLES / f"{name}.yaml"))

        def first_record(satellite: str = name) -> bool:
            status = kube.get_json("get", "satellite", satellite, "-n", NAMESPACE)["status"]
            return has_records(node_bed.bed.kafka.bootstrap_servers, status["topicName"])

        wait_for(first_record, 120, f"{name}'s first record", interval=0.1)
        times.append(time.monotonic() - started)
        kube.kubectl_ok("delete", "satellite", name, "-n", NAMESPACE, "--wait=true")

        def pod_gone(satellite: str = name) -> bool:
            selector = f"satfeed.io/satellite={satellite}"
            return not kube.get_json("get", "pods", "-n", NAMESPACE, "-l", selector)["items"]

        wait_for(pod_gone, 120, f"{name}'s pod to go")
    return times


def summary(times: list[float]) -> str:
    return f"p50 {statistics.median(times):.1f} s, max {max(times):.1f} s ({len(times)} runs)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    node_tools(build=True)
    built = images.build_all()
    archives = [images.archive(image.reference) for image in built if image.name != "base"]
    pause = next(image.reference for image in built if image.name == "pause")
    run_dir = new_run(build_dir() / "bench-runs")
    bed = TestBed(run_dir / "node-testbed", with_node=True, pause_image=pause)
    bed.start(node_images=archives)
    try:
        prepare_kafka_namespace(bed)
        bin_dir = run_dir / "bin"
        bin_dir.mkdir()
        assert bed.kube.tools is not None
        for tool in (bed.kube.tools.kubectl, bed.kube.tools.helm):
            (bin_dir / tool.name).symlink_to(tool)
        node_bed = NodeBed(bed, bin_dir)
        subprocess.run(
            ["bash", str(REPO_ROOT / "deploy" / "cluster.sh"), "deploy"],
            env=node_bed.env(),
            check=True,
            capture_output=True,
        )
        baseline = host_baseline(bed, run_dir, args.runs)
        through_pods = pods(node_bed, args.runs)
        print(f"baseline, producer process on the host: {summary(baseline)}")
        print(f"Satellite applied, through pods:        {summary(through_pods)}")
        ratio = statistics.median(through_pods) / statistics.median(baseline)
        print(f"ratio pods / baseline (p50): {ratio:.2f}")
        for name in SATELLITES:
            bed.kube.kubectl_ok(
                "apply",
                "-n",
                NAMESPACE,
                "-f",
                str(EXAMPLES / f"{name}.yaml"),
            )
        bed.kube.kubectl_ok(
            "wait",
            "satellites",
            "--all",
            "-n",
            NAMESPACE,
            "--for=condition=Ready",
            "--timeout=180s",
        )
        assert bed.node is not None
        print(f"node memory with three Satellites: {bed.node.memory_bytes() / 2**20:.0f} MiB")
    finally:
        bed.stop()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
