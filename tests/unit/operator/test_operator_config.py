"""The operator's configuration: environment variables (or flags, which win), read with the
same helper as the services; every bad value is a usage error naming the variable."""

from __future__ import annotations

import pytest
from satfeed_operator.config import parse_config

BASE = {"SATFEED_KAFKA_CLUSTER": "prod", "KAFKA_BOOTSTRAP_SERVERS": "kafka:9092"}


def _usage_error(capsys: pytest.CaptureFixture[str], env: dict[str, str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        parse_config([], env)
    assert exit_info.value.code == 2
    return capsys.readouterr().err


def test_the_minimum_is_a_cluster_and_its_bootstrap_servers() -> None:
    config = parse_config([], BASE)
    assert config.kafka_cluster == "prod"
    assert config.bootstrap_servers("prod") == "kafka:9092"
    assert config.bootstrap_servers("other") is None
    assert config.clusterwide
    assert config.elements_refresh_seconds == 7200
    assert config.resync_seconds == 300
    assert config.producer_backfill == 180
    assert config.topic_replicas is None
    assert config.celestrak_url == "https://celestrak.org"
    assert config.liveness_endpoint == "http://0.0.0.0:8080/healthz"


def test_namespaces_extra_clusters_and_formats() -> None:
    config = parse_config(
        [],
        {
            **BASE,
            "SATFEED_NAMESPACES": "eo, weather",
            "SATFEED_EXTRA_KAFKA_CLUSTERS": '{"archive": "archive-kafka:9092"}',
            "SATFEED_LOG_FORMAT": "json",
            "SATFEED_CELESTRAK_URL": "http://mirror.local/",
            "SATFEED_TOPIC_REPLICAS": "3",
            "SATFEED_RESYNC_SECONDS": "30",
        },
    )
    assert config.namespaces == ("eo", "weather")
    assert not config.clusterwide
    assert config.bootstrap_servers("archive") == "archive-kafka:9092"
    assert config.log_format == "json"
    assert config.celestrak_url == "http://mirror.local"
    assert config.topic_replicas == 3
    assert config.resync_seconds == 30
    assert parse_config([], {**BASE, "SATFEED_NAMESPACES": "*"}).clusterwide


def test_a_flag_wins_over_its_variable_and_empty_variables_count_as_unset() -> None:
    config = parse_config(
        ["--kafka-cluster", "staging", "--verbose"],
        {**BASE, "SATFEED_RESYNC_SECONDS": "", "SATFEED_PRODUCER_IMAGE": ""},
    )
    assert config.kafka_cluster == "staging"
    assert config.bootstrap_servers("staging") == "kafka:9092"
    assert config.verbose
    assert config.resync_seconds == 300
    assert config.producer_image.startswith("satfeed-producer:")


def test_help_names_each_flag_and_its_variable(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_config(["--help"], BASE)
    out = capsys.readouterr().out
    assert "--kafka-cluster" in out
    assert "[SATFEED_KAFKA_CLUSTER]" in out
    assert "[SATFEED_ELEMENTS_REFRESH_SECONDS]" in out


@pytest.mark.parametrize(
    ("env", "variable", "advice"),
    [
        ({"KAFKA_BOOTSTRAP_SERVERS": "k:9092"}, "SATFEED_KAFKA_CLUSTER", "is required"),
        ({"SATFEED_KAFKA_CLUSTER": "prod"}, "KAFKA_BOOTSTRAP_SERVERS", "is required"),
        ({**BASE, "SATFEED_LOG_FORMAT": "xml"}, "SATFEED_LOG_FORMAT", "not one of text, json"),
        (
            {**BASE, "SATFEED_EXTRA_KAFKA_CLUSTERS": "archive=x"},
            "SATFEED_EXTRA_KAFKA_CLUSTERS",
            'e.g. {"other": ',
        ),
        (
            {**BASE, "SATFEED_EXTRA_KAFKA_CLUSTERS": '{"a": 1}'},
            "SATFEED_EXTRA_KAFKA_CLUSTERS",
            "non-empty string",
        ),
        ({**BASE, "SATFEED_TOPIC_REPLICAS": "0"}, "SATFEED_TOPIC_REPLICAS", "at least 1"),
        ({**BASE, "SATFEED_RESYNC_SECONDS": "soon"}, "SATFEED_RESYNC_SECONDS", "not a valid"),
        ({**BASE, "SATFEED_WATCH_TIMEOUT": "5"}, "SATFEED_WATCH_TIMEOUT", "use at least 10"),
        ({**BASE, "SATFEED_PRODUCER_BACKFILL": "-1"}, "SATFEED_PRODUCER_BACKFILL", "use 0"),
        (
            {**BASE, "SATFEED_PRODUCER_RESOURCES": "[]"},
            "SATFEED_PRODUCER_RESOURCES",
            "must be a JSON object",
        ),
    ],
)
def test_bad_values_name_the_variable_and_the_fix(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], variable: str, advice: str
) -> None:
    err = _usage_error(capsys, env)
    assert variable in err
    assert advice in err
