"""The operator's configuration from the environment; bad values name the variable."""

from __future__ import annotations

import pytest
from satfeed_operator.config import ConfigError, load_config

BASE = {"SATFEED_KAFKA_CLUSTER": "prod", "KAFKA_BOOTSTRAP_SERVERS": "kafka:9092"}


def test_the_minimum_is_a_cluster_and_its_bootstrap_servers() -> None:
    config = load_config(BASE)
    assert config.kafka_cluster == "prod"
    assert config.bootstrap_servers("prod") == "kafka:9092"
    assert config.bootstrap_servers("other") is None
    assert config.clusterwide
    assert config.elements_refresh_seconds == 7200
    assert config.celestrak_url == "https://celestrak.org"


def test_namespaces_extra_clusters_and_formats() -> None:
    config = load_config(
        {
            **BASE,
            "SATFEED_NAMESPACES": "eo, weather",
            "SATFEED_EXTRA_KAFKA_CLUSTERS": '{"archive": "archive-kafka:9092"}',
            "SATFEED_LOG_FORMAT": "json",
            "SATFEED_CELESTRAK_URL": "http://mirror.local/",
        }
    )
    assert config.namespaces == ("eo", "weather")
    assert not config.clusterwide
    assert config.bootstrap_servers("archive") == "archive-kafka:9092"
    assert config.log_format == "json"
    assert config.celestrak_url == "http://mirror.local"
    assert load_config({**BASE, "SATFEED_NAMESPACES": "*"}).clusterwide


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"KAFKA_BOOTSTRAP_SERVERS": "k:9092"}, "SATFEED_KAFKA_CLUSTER"),
        ({"SATFEED_KAFKA_CLUSTER": "prod"}, "KAFKA_BOOTSTRAP_SERVERS"),
        ({**BASE, "SATFEED_LOG_FORMAT": "xml"}, "SATFEED_LOG_FORMAT"),
        ({**BASE, "SATFEED_EXTRA_KAFKA_CLUSTERS": "archive=x"}, "SATFEED_EXTRA_KAFKA_CLUSTERS"),
        ({**BASE, "SATFEED_EXTRA_KAFKA_CLUSTERS": '{"a": 1}'}, "SATFEED_EXTRA_KAFKA_CLUSTERS"),
        ({**BASE, "SATFEED_TOPIC_REPLICAS": "0"}, "SATFEED_TOPIC_REPLICAS"),
        ({**BASE, "SATFEED_RESYNC_SECONDS": "soon"}, "SATFEED_RESYNC_SECONDS"),
        ({**BASE, "SATFEED_PRODUCER_RESOURCES": "[]"}, "SATFEED_PRODUCER_RESOURCES"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        load_config(env)
