"""A group shard's settings: --elements-dir selects the mode; its flags, env and errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from satfeed_producer.config import ProducerConfig, parse_settings
from satfeed_producer.group_config import DEFAULT_BUFFER_MIB, GroupConfig

GROUP_ENV = {
    "KAFKA_BOOTSTRAP_SERVERS": "kafka:9092",
    "SATFEED_TOPIC": "catalogue",
    "SATFEED_ELEMENTS_DIR": "/etc/satfeed/elements",
    "SATFEED_SHARD": "3",
    "SATFEED_SHARD_PLAN_FILE": "/etc/satfeed/shards/plan.json",
    "SATFEED_INTERVAL": "1.0",
    "SATFEED_HTTP_PORT": "8080",
}


def _usage_error(capsys: pytest.CaptureFixture[str], argv: list[str], env: dict[str, str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        parse_settings(argv, env)
    assert exit_info.value.code == 2
    return capsys.readouterr().err


def test_the_operators_environment_makes_a_group_shard() -> None:
    config = parse_settings([], GROUP_ENV)
    assert isinstance(config, GroupConfig)
    assert config.elements_dir == Path("/etc/satfeed/elements")
    assert config.shard == 3
    assert config.shard_plan_file == Path("/etc/satfeed/shards/plan.json")
    assert config.topic == "catalogue"
    assert config.interval_s == 1.0
    assert config.buffer_mib == DEFAULT_BUFFER_MIB


def test_shard_defaults_to_0_and_the_plan_to_one_shard() -> None:
    env = {k: v for k, v in GROUP_ENV.items() if "SHARD" not in k}
    config = parse_settings([], env)
    assert isinstance(config, GroupConfig)
    assert config.shard == 0
    assert config.shard_plan_file is None


def test_without_elements_dir_it_is_a_single_satellite() -> None:
    config = parse_settings(
        ["--satellite-id", "terra", "--elements-file", "/e"],
        {"KAFKA_BOOTSTRAP_SERVERS": "k:9092", "SATFEED_TOPIC": "terra"},
    )
    assert isinstance(config, ProducerConfig)
    assert config.satellite_id == "terra"


@pytest.mark.parametrize("shard", ["-1", "64"])
def test_shard_out_of_range_is_refused(capsys: pytest.CaptureFixture[str], shard: str) -> None:
    err = _usage_error(capsys, ["--shard", shard], GROUP_ENV)
    assert f"--shard {shard} (or SATFEED_SHARD) is out of range: use 0 to 63" in err


def test_a_single_satellites_flags_are_refused_in_a_group(
    capsys: pytest.CaptureFixture[str],
) -> None:
    err = _usage_error(capsys, [], {**GROUP_ENV, "SATFEED_ELEMENTS_FILE": "/e"})
    assert "--elements-file (or SATFEED_ELEMENTS_FILE) belongs to a single Satellite" in err


def test_shard_flags_without_elements_dir_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    env = {k: v for k, v in GROUP_ENV.items() if k != "SATFEED_ELEMENTS_DIR"}
    err = _usage_error(capsys, [], env)
    assert "--shard (or SATFEED_SHARD) needs --elements-dir (SATFEED_ELEMENTS_DIR)" in err


def test_a_group_needs_a_topic_and_a_sane_interval(capsys: pytest.CaptureFixture[str]) -> None:
    env = {k: v for k, v in GROUP_ENV.items() if k != "SATFEED_TOPIC"}
    assert "--topic (or SATFEED_TOPIC) is required" in _usage_error(capsys, [], env)
    err = _usage_error(capsys, ["--interval", "0"], GROUP_ENV)
    assert "--interval 0 is out of range" in err
    assert "--buffer-mib 0 must be at least 1" in _usage_error(
        capsys, ["--buffer-mib", "0"], GROUP_ENV
    )
