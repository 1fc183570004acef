"""Settings from flags and environment; every bad value is a usage error that says why."""

from __future__ import annotations

import pytest
from satfeed_producer.config import parse_config

BASE_ENV = {
    "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092",
    "SATFEED_TOPIC": "terra",
    "SATFEED_SATELLITE_ID": "terra",
    "SATFEED_ELEMENTS_FILE": "/etc/satfeed/elements/elements",
}


def _usage_error(capsys: pytest.CaptureFixture[str], argv: list[str], env: dict[str, str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        parse_config(argv, env)
    assert exit_info.value.code == 2
    return capsys.readouterr().err


def test_environment_configures_everything_and_flags_win() -> None:
    config = parse_config(["--interval", "2.5"], {**BASE_ENV, "SATFEED_INTERVAL": "10"})
    assert config.interval_s == 2.5
    assert config.topic == "terra"
    assert str(config.elements_file) == "/etc/satfeed/elements/elements"
    assert config.backfill == 180
    assert parse_config([], BASE_ENV).interval_s == 1.0


@pytest.mark.parametrize("interval", ["0", "-1", "3601", "0.05"])
def test_interval_out_of_range_is_refused(
    capsys: pytest.CaptureFixture[str], interval: str
) -> None:
    err = _usage_error(capsys, ["--interval", interval], BASE_ENV)
    assert "--interval" in err
    assert "out of range: use 0.1 to 3600 seconds" in err


def test_bad_number_in_environment_names_the_variable(capsys: pytest.CaptureFixture[str]) -> None:
    err = _usage_error(capsys, [], {**BASE_ENV, "SATFEED_INTERVAL": "fast"})
    assert "SATFEED_INTERVAL='fast' is not a valid --interval value" in err


def test_missing_topic_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    env = {k: v for k, v in BASE_ENV.items() if k != "SATFEED_TOPIC"}
    assert "--topic (or SATFEED_TOPIC) is required" in _usage_error(capsys, [], env)


def test_elements_inline_and_file_together_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    err = _usage_error(capsys, ["--elements", "1 ...\n2 ..."], BASE_ENV)
    assert "exactly one of the two" in err


def test_negative_backfill_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert "--backfill -5 is negative" in _usage_error(capsys, ["--backfill", "-5"], BASE_ENV)


def test_the_propagator_is_sgp4_unless_auto_is_asked_for() -> None:
    # Measured (docs/benchmarks.md, Group producer (c)): the same positions as pyorbital's
    # within a metre, at half the memory, so python-sgp4 is the default.
    assert parse_config([], BASE_ENV).engine == "sgp4"
    assert parse_config(["--propagator", "auto"], BASE_ENV).engine == "auto"
    assert parse_config([], {**BASE_ENV, "SATFEED_PROPAGATOR": "auto"}).engine == "auto"
