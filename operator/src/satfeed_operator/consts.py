"""Names the operator, its CRD, its children and the producer agree on.

The label contract shared with the frontend lives in :mod:`satfeed_core.labels`; this module
only adds what is the operator's own.
"""

from typing import Final

from satfeed_core import ground_station
from satfeed_core.contract import ELEMENTS_KEY as ELEMENTS_KEY

# Re-exported: the display-name annotation is part of the shared label contract.
from satfeed_core.labels import DISPLAY_NAME_ANNOTATION as DISPLAY_NAME_ANNOTATION
from satfeed_core.labels import GROUP, MANAGED_BY_VALUE

VERSION: Final = "v1alpha1"
API_VERSION: Final = f"{GROUP}/{VERSION}"
KIND: Final = "Satellite"
PLURAL: Final = "satellites"

KAFKATOPIC_API_VERSION: Final = "kafka.strimzi.io/v1"
KAFKATOPIC_KIND: Final = "KafkaTopic"

FIELD_MANAGER: Final = MANAGED_BY_VALUE
"""Server-side apply field manager: the operator owns exactly the fields it sets."""

CHECKSUM_ANNOTATION: Final = f"{GROUP}/producer-checksum"
"""On the producer's pod template: changes (and so rolls the pod) with its input."""

# Child names: fixed per Satellite, so every reconcile finds (and applies) the same objects.
PRODUCER_SUFFIX: Final = "-producer"
ELEMENTS_SUFFIX: Final = "-elements"
MAX_CHILD_NAME_LENGTH: Final = 63
"""Child names stay valid DNS labels, as label values and pod host names must be."""
MAX_SATELLITE_NAME_LENGTH: Final = MAX_CHILD_NAME_LENGTH - max(
    len(PRODUCER_SUFFIX), len(ELEMENTS_SUFFIX)
)

TOPIC_PREFIX: Final = "satfeed.positions"
"""Default Kafka topic: ``satfeed.positions.<namespace>.<name>``, unique across namespaces."""

# Conditions on a Satellite's status.
READY: Final = "Ready"
TOPIC_READY: Final = "TopicReady"
PRODUCER_READY: Final = "ProducerReady"
ELEMENTS_VALID: Final = "ElementsValid"

# The producer contract (services/producer reads exactly these).
PRODUCER_COMMAND: Final = "satfeed-producer"
PRODUCER_CONTAINER: Final = "producer"
ELEMENTS_DIR: Final = "/etc/satfeed/elements"
ELEMENTS_FILE: Final = f"{ELEMENTS_DIR}/{ELEMENTS_KEY}"
HTTP_PORT: Final = 8080
HTTP_PORT_NAME: Final = "http"
PRODUCER_UID: Final = 10001
FLUSH_GRACE_SECONDS: Final = 30
"""Pod termination grace: the producer flushes for up to 10 s on SIGTERM, then exits 0."""

# SatelliteGroups.
GROUP_KIND: Final = "SatelliteGroup"
GROUP_PLURAL: Final = "satellitegroups"
SHARD_INFIX: Final = "-shard-"
MAX_GROUP_NAME_LENGTH: Final = MAX_CHILD_NAME_LENGTH - len(SHARD_INFIX) - 2
"""``<group>-shard-<i>`` stays a DNS label for shards 0..63."""
SHARDS_READY: Final = "ShardsReady"
SHARD_PLAN_DIR: Final = "/etc/satfeed/shards"

# GroundStations (their spec is satfeed_core.ground_station, shared with the frontend).
STATION_KIND: Final = ground_station.KIND
STATION_PLURAL: Final = ground_station.PLURAL
