"""The label and annotation contract every satfeed part agrees on.

The operator sets these on the children it creates; the frontend selects on them.
Defined once here so the two can never drift apart.
"""

from typing import Final

GROUP: Final = "satfeed.io"

PART_OF_KEY: Final = "app.kubernetes.io/part-of"
PART_OF_VALUE: Final = "satfeed"

SATELLITE_KEY: Final = f"{GROUP}/satellite"
"""On every child of a Satellite; the value is the Satellite's name."""

STREAM_KEY: Final = f"{GROUP}/stream"
POSITIONS_STREAM: Final = "positions"
"""Every position KafkaTopic carries ``satfeed.io/stream: positions``."""

DEFAULT_TOPIC_SELECTOR: Final = f"{STREAM_KEY}={POSITIONS_STREAM}"
"""The frontend's default label selector for the KafkaTopics it shows."""

STRIMZI_CLUSTER_KEY: Final = "strimzi.io/cluster"
"""Strimzi's Topic Operator only manages KafkaTopics labelled with its cluster."""

DISPLAY_NAME_ANNOTATION: Final = f"{GROUP}/display-name"
"""On every child of a Satellite (the frontend reads it from the KafkaTopic)."""

MANAGED_BY_KEY: Final = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE: Final = "satfeed-operator"
"""The operator's name: its server-side apply field manager too."""
COMPONENT_KEY: Final = "app.kubernetes.io/component"


def owned_labels(owner_key: str, owner_name: str) -> dict[str, str]:
    """Labels on every child of the resource ``owner_name``; ``owner_key`` says which kind
    (:data:`SATELLITE_KEY`, :data:`SATELLITE_GROUP_KEY`, :data:`GROUND_STATION_KEY`)."""
    return {PART_OF_KEY: PART_OF_VALUE, MANAGED_BY_KEY: MANAGED_BY_VALUE, owner_key: owner_name}


def child_labels(satellite_name: str) -> dict[str, str]:
    """Labels on every child of the Satellite ``satellite_name``."""
    return owned_labels(SATELLITE_KEY, satellite_name)


CHILD_SELECTOR: Final = (
    f"{PART_OF_KEY}={PART_OF_VALUE},{MANAGED_BY_KEY}={MANAGED_BY_VALUE},{SATELLITE_KEY}"
)
"""Every child of every Satellite: what the operator watches, and (for ConfigMaps) where
the frontend finds each satellite's elements."""


# --- SatelliteGroups ----------------------------------------------------------------------
SATELLITE_GROUP_KEY: Final = f"{GROUP}/satellite-group"
"""On every child of a SatelliteGroup; the value is the group's name."""
SHARD_KEY: Final = f"{GROUP}/shard"
"""On a group's producer Deployment and its pods: the shard index."""

ENCODING_KEY: Final = f"{GROUP}/encoding"
"""On every position KafkaTopic: how its records are written. A topic without it is v1."""
ENCODING_V1: Final = "position-v1"
"""One JSON record per position (:mod:`satfeed_core.record`): a Satellite's topic."""
ENCODING_BATCH_V2: Final = "position-batch-v2"
"""One binary record per shard per tick (:mod:`satfeed_core.batch`): a group's topic."""


def group_child_labels(group_name: str) -> dict[str, str]:
    """Labels on every child of the SatelliteGroup ``group_name``."""
    return owned_labels(SATELLITE_GROUP_KEY, group_name)


GROUP_CHILD_SELECTOR: Final = (
    f"{PART_OF_KEY}={PART_OF_VALUE},{MANAGED_BY_KEY}={MANAGED_BY_VALUE},{SATELLITE_GROUP_KEY}"
)
"""Every child of every SatelliteGroup: what the operator watches, and (for ConfigMaps)
where the frontend finds a group's members' elements."""


# --- GroundStations -----------------------------------------------------------------------
GROUND_STATION_KEY: Final = f"{GROUP}/ground-station"
"""On every child of a GroundStation (its pass-event KafkaTopic); the value is its name."""
PASSES_STREAM: Final = "passes"
"""A pass-event KafkaTopic carries ``satfeed.io/stream: passes``
(:mod:`satfeed_core.pass_events`)."""
ENCODING_PASSES_V1: Final = "pass-event-v1"


def station_child_labels(station_name: str) -> dict[str, str]:
    """Labels on every child of the GroundStation ``station_name``."""
    return owned_labels(GROUND_STATION_KEY, station_name)
