"""Every satfeed Kafka client (producer, frontend, operator) is told how to connect by the
same four variables, and refuses the same bad settings with the same words: a gap in a
KafkaUser's settings stops the service at start (exit 2) naming the variable to set."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from satfeed_core import contract
from satfeed_core.kafka_security import SASL_SSL, KafkaSecurity, PasswordWatch
from satfeed_dev.kafka_users import mounted_env
from satfeed_frontend.config import parse_config as frontend_config
from satfeed_operator.config import parse_config as operator_config
from satfeed_producer.config import parse_config as producer_config

Parse = Callable[[Sequence[str], Mapping[str, str]], Any]
SERVICES: dict[str, tuple[Parse, dict[str, str]]] = {
    "producer": (
        producer_config,
        {
            "KAFKA_BOOTSTRAP_SERVERS": "satfeed-kafka-bootstrap:9093",
            "SATFEED_TOPIC": "terra",
            "SATFEED_SATELLITE_ID": "terra",
            "SATFEED_ELEMENTS_FILE": "/etc/satfeed/elements/elements",
        },
    ),
    "frontend": (
        frontend_config,
        {
            "KAFKA_BOOTSTRAP_SERVERS": "satfeed-kafka-bootstrap:9093",
            "SATFEED_TOPICS": "satfeed.positions.satfeed.terra",
        },
    ),
    "operator": (
        operator_config,
        {"SATFEED_KAFKA_CLUSTER": "satfeed", "KAFKA_BOOTSTRAP_SERVERS": "kafka:9093"},
    ),
}


@pytest.fixture(params=sorted(SERVICES))
def service(request: pytest.FixtureRequest) -> tuple[Parse, dict[str, str]]:
    return SERVICES[request.param]


@pytest.fixture
def mounted(tmp_path: Path) -> dict[str, str]:
    """The KafkaUser's Secret and the cluster CA as the pod sees them."""
    return mounted_env(tmp_path, "some-user")


def test_plaintext_is_the_default_and_a_kafkauser_is_taken_whole(
    service: tuple[Parse, dict[str, str]], mounted: dict[str, str]
) -> None:
    parse, base = service
    assert parse([], base).kafka_security.client_settings() == {}
    secured = parse([], {**base, **mounted}).kafka_security
    assert secured.client_settings()["sasl.username"] == "some-user"
    assert secured.describe() == "SCRAM-SHA-512 over TLS as some-user"


@pytest.mark.parametrize(
    ("left_out", "named"),
    [
        (contract.ENV_KAFKA_SASL_USERNAME, "SASL_SSL needs KAFKA_SASL_USERNAME"),
        (contract.ENV_KAFKA_SASL_PASSWORD_FILE, "SASL_SSL needs KAFKA_SASL_PASSWORD_FILE"),
        (contract.ENV_KAFKA_CA_FILE, "SASL_SSL needs KAFKA_SSL_CA_FILE"),
    ],
)
def test_scram_without_each_piece_is_a_usage_error_naming_it(
    capsys: pytest.CaptureFixture[str],
    service: tuple[Parse, dict[str, str]],
    mounted: dict[str, str],
    left_out: str,
    named: str,
) -> None:
    parse, base = service
    env = {k: v for k, v in {**base, **mounted}.items() if k != left_out}
    with pytest.raises(SystemExit) as exit_info:
        parse([], env)
    assert exit_info.value.code == 2
    assert named in capsys.readouterr().err


def test_an_unmounted_secret_says_so(
    capsys: pytest.CaptureFixture[str],
    service: tuple[Parse, dict[str, str]],
    mounted: dict[str, str],
    tmp_path: Path,
) -> None:
    parse, base = service
    (tmp_path / "password").unlink()
    with pytest.raises(SystemExit):
        parse([], {**base, **mounted})
    err = capsys.readouterr().err
    assert f"KAFKA_SASL_PASSWORD_FILE={tmp_path / 'password'} is not a readable file" in err
    assert "is the Secret mounted there?" in err


def test_an_unknown_protocol_is_refused(
    capsys: pytest.CaptureFixture[str], service: tuple[Parse, dict[str, str]]
) -> None:
    parse, base = service
    with pytest.raises(SystemExit):
        parse([], {**base, contract.ENV_KAFKA_SECURITY_PROTOCOL: "SSL"})
    assert "KAFKA_SECURITY_PROTOCOL='SSL'" in capsys.readouterr().err


def test_a_rotated_password_is_noticed_once_and_only_when_readable(tmp_path: Path) -> None:
    mounted = mounted_env(tmp_path, "some-user")
    password = Path(mounted[contract.ENV_KAFKA_SASL_PASSWORD_FILE])
    security = KafkaSecurity(
        SASL_SSL, "some-user", password, Path(mounted[contract.ENV_KAFKA_CA_FILE])
    )
    watch = PasswordWatch(security)
    assert not watch.rotated()  # no client made yet: nothing to make anew
    watch.made_with(security.client_settings())
    assert not watch.rotated()
    password.write_text("")  # the kubelet between two writes: not a password
    assert not watch.rotated()
    password.unlink()  # the Secret deleted, its new one not yet made
    assert not watch.rotated()
    password.write_text("the-new-one\n")
    assert watch.rotated()
    watch.made_with(security.client_settings())
    assert not watch.rotated()


def test_plaintext_has_no_password_to_rotate() -> None:
    watch = PasswordWatch(KafkaSecurity())
    watch.made_with(KafkaSecurity().client_settings())
    assert not watch.rotated()
