"""deploy/compose/compose.yaml keeps its promises: order by health, declared topics, one
producer per satellite, non-root read-only services (the real run: tests/integration/compose)."""

from __future__ import annotations

import re
from typing import Any

import yaml
from satfeed_dev.compose_bed import COMPOSE_FILE


def _services() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    return services


def _producers() -> dict[str, Any]:
    return {name: s for name, s in _services().items() if name.startswith("producer-")}


def test_kafka_creates_no_topic_on_first_use_and_every_producers_topic_is_declared() -> None:
    services = _services()
    assert services["kafka"]["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    declared = services["topics"]["environment"]["SATFEED_COMPOSE_TOPICS"].split()
    topics = [p["environment"]["SATFEED_TOPIC"] for p in _producers().values()]
    assert sorted(topics) == sorted(declared) == ["satfeed.aqua", "satfeed.aura", "satfeed.terra"]


def test_start_up_order_follows_health_checks() -> None:
    services = _services()
    assert services["topics"]["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    assert services["frontend"]["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    for producer in _producers().values():
        assert producer["depends_on"] == {"topics": {"condition": "service_completed_successfully"}}
    for name in ("kafka", "frontend", *_producers()):
        assert services[name]["healthcheck"]["test"][0] == "CMD", name


def test_the_frontend_finds_every_producers_topic_without_kubernetes() -> None:
    pattern = re.compile(_services()["frontend"]["environment"]["SATFEED_TOPIC_PATTERN"])
    for producer in _producers().values():
        assert pattern.fullmatch(producer["environment"]["SATFEED_TOPIC"])
    assert "KUBECONFIG" not in _services()["frontend"]["environment"]


def test_project_services_run_read_only_and_publish_on_loopback_only() -> None:
    services = _services()
    for name in ("frontend", *_producers()):
        assert services[name]["read_only"] is True, name
    for service in services.values():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), port


def test_the_kafka_image_is_a_variable_defaulting_to_the_official_one() -> None:
    services = _services()
    assert services["kafka"]["image"] == services["topics"]["image"]
    assert services["kafka"]["image"] == "${KAFKA_IMAGE:-apache/kafka:4.3.1}"


def test_the_satellite_override_declares_its_topic_and_keeps_the_others() -> None:
    override = yaml.safe_load((COMPOSE_FILE.parent / "noaa-19.yaml").read_text())["services"]
    declared = override["topics"]["environment"]["SATFEED_COMPOSE_TOPICS"].split()
    base = _services()["topics"]["environment"]["SATFEED_COMPOSE_TOPICS"].split()
    producer = override["producer-noaa-19"]
    assert declared == [*base, producer["environment"]["SATFEED_TOPIC"]]
    assert producer["depends_on"] == _producers()["producer-terra"]["depends_on"]
    assert producer["healthcheck"] == _producers()["producer-terra"]["healthcheck"]
