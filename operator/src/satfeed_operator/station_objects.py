"""Pure builders of a GroundStation's children: its pass-event KafkaTopic."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from satfeed_core.labels import (
    ENCODING_KEY,
    ENCODING_PASSES_V1,
    PASSES_STREAM,
    STREAM_KEY,
    STRIMZI_CLUSTER_KEY,
    station_child_labels,
)

from satfeed_operator.consts import (
    API_VERSION,
    KAFKATOPIC_API_VERSION,
    KAFKATOPIC_KIND,
    STATION_KIND,
)

PASSES_TOPIC_SUFFIX: Final = "-passes"
PASSES_RETENTION: Final = timedelta(days=7)
"""Three events per pass, about 500 bytes each: a station following 100 LEO satellites
writes about 1 MB a day, so a week of history costs nothing worth counting."""


def pass_events_kafkatopic_name(station: str) -> str:
    """``<station>-passes``: apart from a Satellite or group of the station's name."""
    return f"{station}{PASSES_TOPIC_SUFFIX}"


def build_pass_events_kafkatopic(
    namespace: str,
    station: str,
    uid: str,
    topic_name: str,
    cluster: str,
    default_replicas: int | None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "topicName": topic_name,
        "partitions": 1,
        "config": {
            "retention.ms": int(PASSES_RETENTION.total_seconds() * 1000),
            "cleanup.policy": "delete",
        },
    }
    if default_replicas is not None:
        spec["replicas"] = default_replicas
    return {
        "apiVersion": KAFKATOPIC_API_VERSION,
        "kind": KAFKATOPIC_KIND,
        "metadata": {
            "name": pass_events_kafkatopic_name(station),
            "namespace": namespace,
            "labels": {
                **station_child_labels(station),
                STREAM_KEY: PASSES_STREAM,
                ENCODING_KEY: ENCODING_PASSES_V1,
                STRIMZI_CLUSTER_KEY: cluster,
            },
            "ownerReferences": [
                {
                    "apiVersion": API_VERSION,
                    "kind": STATION_KIND,
                    "name": station,
                    "uid": uid,
                    "controller": True,
                }
            ],
        },
        "spec": spec,
    }
