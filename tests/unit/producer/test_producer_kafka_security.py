"""How the producer connects to Kafka: plaintext by default, or SCRAM-SHA-512 over TLS with a
Strimzi KafkaUser's mounted Secret and the cluster CA; every gap is a usage error."""

from __future__ import annotations

from pathlib import Path

import pytest
from satfeed_core.kafka_security import KafkaSecurity
from satfeed_dev.kafka_users import mounted_env
from satfeed_producer.config import parse_config, parse_settings
from satfeed_producer.group_config import GroupConfig

BASE_ENV = {
    "KAFKA_BOOTSTRAP_SERVERS": "satfeed-kafka-bootstrap:9093",
    "SATFEED_TOPIC": "terra",
    "SATFEED_SATELLITE_ID": "terra",
    "SATFEED_ELEMENTS_FILE": "/etc/satfeed/elements/elements",
}


@pytest.fixture
def mounted(tmp_path: Path) -> dict[str, str]:
    """The KafkaUser's Secret and the cluster CA as the pod sees them."""
    return mounted_env(tmp_path, "terra-producer")


def test_plaintext_is_the_default_and_adds_no_client_settings() -> None:
    config = parse_config([], BASE_ENV)
    assert config.kafka_security == KafkaSecurity()
    assert config.kafka_security.client_settings() == {}
    assert config.kafka_security.describe() == "plaintext"


def test_scram_over_tls_reads_the_mounted_password_and_ca(
    mounted: dict[str, str], tmp_path: Path
) -> None:
    security = parse_config([], {**BASE_ENV, **mounted}).kafka_security
    assert security.client_settings() == {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "terra-producer",
        "sasl.password": "s3cret-Pa55",
        "ssl.ca.location": str(tmp_path / "ca.crt"),
    }
    # What is logged names the user, never the password.
    assert security.describe() == "SCRAM-SHA-512 over TLS as terra-producer"
    # A rotated password is read again for the next client.
    (tmp_path / "password").write_text("n3w")
    assert security.client_settings()["sasl.password"] == "n3w"


def test_a_group_shard_connects_the_same_way(mounted: dict[str, str], tmp_path: Path) -> None:
    env = {k: v for k, v in {**BASE_ENV, **mounted}.items() if k != "SATFEED_ELEMENTS_FILE"}
    env = {k: v for k, v in env.items() if k != "SATFEED_SATELLITE_ID"}
    config = parse_settings(["--elements-dir", str(tmp_path)], env)
    assert isinstance(config, GroupConfig)
    assert config.kafka_security.username == "terra-producer"
