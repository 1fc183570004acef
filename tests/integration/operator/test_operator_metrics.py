"""The operator's /metrics, read as Prometheus reads it, while a user works with Satellites
and a SatelliteGroup: reconciles counted, states and element ages per Satellite, drift."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families
from satfeed_dev.operator_bed import OperatorProcess, example, get, wait_condition
from satfeed_dev.testbed import TestBed
from satfeed_dev.waiting import wait_for

pytestmark = pytest.mark.integration

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(operator: OperatorProcess) -> Samples:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(operator.metrics())
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_follow_what_the_operator_does(
    testbed: TestBed, namespace: str, operator: OperatorProcess
) -> None:
    kube = testbed.kube
    kube.apply(example("terra", namespace))
    terra = wait_condition(kube, namespace, "terra", "TopicReady", "True")

    def reconciled() -> Samples | None:
        samples = scrape(operator)
        counted = value(
            samples, "satfeed_operator_reconciliations_total", kind="Satellite", result="ok"
        )
        return samples if counted >= 1 else None

    samples = wait_for(reconciled, 30, "a counted reconcile")
    assert (
        value(samples, "satfeed_operator_reconcile_duration_seconds_count", kind="Satellite") >= 1
    )
    ready = terra["status"]["conditions"][-1]
    assert (
        value(
            samples,
            "satfeed_operator_resources",
            kind="Satellite",
            ready=ready["status"],
            reason=ready["reason"],
        )
        == 1
    )
    epoch = datetime.fromisoformat(terra["status"]["elements"]["epoch"].replace("Z", "+00:00"))
    age = value(
        samples, "satfeed_operator_elements_age_seconds", namespace=namespace, satellite="terra"
    )
    expected = (datetime.now(UTC) - epoch).total_seconds()
    assert abs(age - expected) < 120  # the page is read a moment after the status
    interval = value(
        samples,
        "satfeed_operator_satellite_interval_seconds",
        namespace=namespace,
        satellite="terra",
    )
    assert interval == terra["spec"]["intervalSeconds"]

    # A hand-deleted child is put back, and counted as restored.
    kube.kubectl_ok("delete", "configmap", "terra-elements", "-n", namespace)
    wait_for(lambda: get(kube, "configmap", namespace, "terra-elements"), 30, "it restored")
    wait_for(
        lambda: (
            value(scrape(operator), "satfeed_operator_children_restored_total", kind="ConfigMap")
            >= 1
        ),
        30,
        "the restore counted",
    )

    # A deleted Satellite leaves the per-Satellite series (its children's deletion events
    # make the operator look once more, and find it gone).
    kube.kubectl_ok("delete", "satellite", "terra", "-n", namespace)

    def terra_gone() -> bool:
        return not any(
            dict(labels).get("satellite") == "terra"
            for (name, labels) in scrape(operator)
            if name == "satfeed_operator_elements_age_seconds"
        )

    wait_for(terra_gone, 60, "terra's series gone")
