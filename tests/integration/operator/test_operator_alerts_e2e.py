"""End to end with a real Prometheus: it scrapes the running operator, a Satellite's producer
(run as its Deployment says) and the frontend, and evaluates satfeed's own rules file.
Stopping the producer makes SatfeedPositionsStalled go pending, then firing; starting it
again resolves it. The rule's thresholds are the shipped ones (five intervals and a minute,
then 2 minutes), so this test takes about four minutes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from satfeed_dev.frontend_bed import FrontendRunner, grant_reader
from satfeed_dev.operator_bed import OperatorProcess, example, get, wait_condition
from satfeed_dev.pod_runner import pod_runner
from satfeed_dev.prometheus import PrometheusServer
from satfeed_dev.testbed import TestBed
from satfeed_dev.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

ALERT = "SatfeedPositionsStalled"


def test_a_stopped_producer_fires_the_stalled_alert_and_a_restart_resolves_it(
    testbed: TestBed, namespace: str, operator: OperatorProcess, run_root: Path
) -> None:
    kube = testbed.kube
    kube.apply(example("terra", namespace))
    wait_condition(kube, namespace, "terra", "TopicReady", "True")
    deployment = wait_for(
        lambda: (
            (d := get(kube, "deployment", namespace, "terra-producer"))
            and d["spec"]["replicas"] == 1
            and d
        ),
        30,
        "the producer scaled up",
    )
    pod = pod_runner(testbed, deployment, run_root / "pods" / namespace)
    frontends = FrontendRunner(testbed, run_root / "frontends")
    frontend = frontends.start(kubeconfig=grant_reader(kube, namespace), namespaces=[namespace])
    pod.start()
    producer_port = (pod.env or {})["SATFEED_HTTP_PORT"]
    prometheus = PrometheusServer(
        run_root / "prometheus",
        {
            "operator": [f"127.0.0.1:{operator.metrics_port}"],
            "producer": [f"127.0.0.1:{producer_port}"],
            "frontend": [f"127.0.0.1:{frontend.port}"],
        },
    )
    try:
        prometheus.start()

        def every_target_up() -> bool:
            targets = prometheus.api("targets")["activeTargets"]
            return len(targets) == 3 and all(t["health"] == "up" for t in targets)

        wait_for(every_target_up, 60, "Prometheus scraping all three")
        query = "satfeed_frontend_newest_position_timestamp_seconds"
        wait_for(
            lambda: prometheus.api(f"query?query={query}")["result"], 60, "terra's positions seen"
        )
        assert prometheus.alerts(ALERT) == []

        pod.stop()
        stopped = time.monotonic()
        wait_for(
            lambda: [a for a in prometheus.alerts(ALERT) if a["state"] == "pending"],
            120,
            "the alert pending",
        )
        pending_after = time.monotonic() - stopped
        firing = wait_for(
            lambda: [a for a in prometheus.alerts(ALERT) if a["state"] == "firing"],
            200,
            "the alert firing",
        )
        firing_after = time.monotonic() - stopped
        (alert,) = firing
        assert alert["labels"]["namespace"] == namespace
        assert alert["labels"]["satellite"] == "terra"
        assert alert["labels"]["severity"] == "critical"
        assert f"{namespace}/terra" in alert["annotations"]["description"]
        # Five 1-second intervals and a minute, then the rule's 2 minutes.
        assert 60 <= pending_after < 120, pending_after
        assert 180 <= firing_after < 260, firing_after
        print(f"{ALERT}: pending after {pending_after:.0f} s, firing after {firing_after:.0f} s")

        restarted = pod_runner(testbed, deployment, run_root / "pods" / f"{namespace}-again")
        restarted.start()
        try:
            wait_for(lambda: prometheus.alerts(ALERT) == [], 60, "the alert resolved")
        finally:
            restarted.stop()
    finally:
        prometheus.stop()
        pod.stop()
        frontends.stop_all()
