"""How the frontend's consumer connects to Kafka: plaintext by default, or SCRAM-SHA-512 over
TLS with a Strimzi KafkaUser's mounted Secret and the cluster CA; every gap is a usage error,
and the password is never logged."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from satfeed_core.kafka_security import KafkaSecurity
from satfeed_dev.kafka_users import mounted_env
from satfeed_frontend import main as frontend_main
from satfeed_frontend.config import parse_config
from satfeed_frontend.data import consumer as consumer_module
from satfeed_frontend.data.consumer import GROUP_PREFIX, FeedConsumer
from satfeed_frontend.data.discovery import StaticTopics
from satfeed_frontend.data.feed import FeedState
from satfeed_frontend.metrics import FrontendMetrics
from satfeed_frontend.service import FrontendService

BASE_ENV = {
    "KAFKA_BOOTSTRAP_SERVERS": "satfeed-kafka-bootstrap:9093",
    "SATFEED_TOPICS": "satfeed.positions.satfeed.terra",
}
PASSWORD = "s3cret-Pa55"


@pytest.fixture
def mounted(tmp_path: Path) -> dict[str, str]:
    """The KafkaUser's Secret and the cluster CA as the pod sees them."""
    return mounted_env(tmp_path, "satfeed-frontend", PASSWORD)


def test_plaintext_is_the_default_and_adds_no_client_settings() -> None:
    config = parse_config([], BASE_ENV)
    assert config.kafka_security == KafkaSecurity()
    assert config.kafka_security.client_settings() == {}


def test_flags_give_the_same_settings_as_the_environment(
    mounted: dict[str, str], tmp_path: Path
) -> None:
    argv = [
        "--kafka-security-protocol", "SASL_SSL", "--kafka-sasl-username", "satfeed-frontend",
        "--kafka-sasl-password-file", str(tmp_path / "password"),
        "--kafka-ca-file", str(tmp_path / "ca.crt"),
    ]  # fmt: skip
    assert parse_config(argv, BASE_ENV) == parse_config([], {**BASE_ENV, **mounted})


def test_the_consumer_connects_as_the_kafkauser(
    monkeypatch: pytest.MonkeyPatch, mounted: dict[str, str], tmp_path: Path
) -> None:
    """The settings reach the one Kafka client the frontend makes (it lists topics, reads
    watermarks and fetches, all through this consumer: there is no admin client)."""
    made: list[dict[str, Any]] = []
    monkeypatch.setattr(consumer_module, "Consumer", lambda settings: made.append(settings))
    config = parse_config([], {**BASE_ENV, **mounted})
    service = FrontendService(config)
    assert isinstance(service.consumer, FeedConsumer)
    service.consumer._client()
    (settings,) = made
    assert settings["bootstrap.servers"] == "satfeed-kafka-bootstrap:9093"
    assert {k: v for k, v in settings.items() if k.startswith(("sasl.", "ssl.", "security."))} == {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "satfeed-frontend",
        "sasl.password": PASSWORD,
        "ssl.ca.location": str(tmp_path / "ca.crt"),
    }
    # No consumer group is joined and nothing is committed: the KafkaUser needs no Read on
    # a group, only Describe on its prefix for the coordinator lookup the client makes.
    assert settings["enable.auto.commit"] is False
    assert settings["group.id"].startswith(GROUP_PREFIX)


def test_a_plaintext_consumer_has_no_security_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[dict[str, Any]] = []
    monkeypatch.setattr(consumer_module, "Consumer", lambda settings: made.append(settings))
    FeedConsumer("k:9092", FeedState(10), StaticTopics(["t"], []), FrontendMetrics())._client()
    (settings,) = made
    assert not [k for k in settings if k.startswith(("sasl.", "ssl.", "security."))]


def test_the_start_line_says_how_it_connects_never_the_password(
    mounted: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    config = parse_config([], {**BASE_ENV, **mounted})
    described = frontend_main._describe_source(config, ())
    assert "(SCRAM-SHA-512 over TLS as satfeed-frontend)" in described
    assert PASSWORD not in described
    with caplog.at_level(logging.DEBUG):
        parse_config([], {**BASE_ENV, **mounted})
    assert PASSWORD not in caplog.text


def test_local_positions_need_no_kafka_security(
    capsys: pytest.CaptureFixture[str], mounted: dict[str, str]
) -> None:
    with pytest.raises(SystemExit):
        parse_config(["--local-elements", "e.tle"], mounted)
    assert "drop --kafka-security-protocol" in capsys.readouterr().err
