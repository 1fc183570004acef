"""What the operator, the producer and the frontend must agree on, besides labels and records.

The operator configures a producer through environment variables and an elements file from
a ConfigMap; the producer reads exactly these; the frontend reads the same ConfigMap key.
Labels and selectors are :mod:`satfeed_core.labels`, the record is :mod:`satfeed_core.record`,
and which element set is used for an object is :func:`satfeed_core.elements.select_elements`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

# --- The producer's environment (set by the operator, read by satfeed-producer) ---------
ENV_BOOTSTRAP_SERVERS: Final = "KAFKA_BOOTSTRAP_SERVERS"
ENV_TOPIC: Final = "SATFEED_TOPIC"
ENV_SATELLITE_ID: Final = "SATFEED_SATELLITE_ID"
ENV_DISPLAY_NAME: Final = "SATFEED_DISPLAY_NAME"
ENV_NORAD_ID: Final = "SATFEED_NORAD_ID"
ENV_ELEMENTS: Final = "SATFEED_ELEMENTS"
ENV_ELEMENTS_FILE: Final = "SATFEED_ELEMENTS_FILE"
ENV_INTERVAL: Final = "SATFEED_INTERVAL"
ENV_BACKFILL: Final = "SATFEED_BACKFILL"
ENV_HTTP_PORT: Final = "SATFEED_HTTP_PORT"
ENV_LOG_FORMAT: Final = "SATFEED_LOG_FORMAT"
ENV_ELEMENTS_STALE_AFTER: Final = "SATFEED_ELEMENTS_STALE_AFTER"
# A SatelliteGroup's shard: which shard it is, where the members' elements and the shard
# plan (satfeed_core.shards) are mounted. The topic, interval and the rest are as above.
ENV_SHARD: Final = "SATFEED_SHARD"
ENV_ELEMENTS_DIR: Final = "SATFEED_ELEMENTS_DIR"
ENV_SHARD_PLAN_FILE: Final = "SATFEED_SHARD_PLAN_FILE"

# How the producer connects to Kafka: plaintext, or SCRAM-SHA-512 over TLS as a Strimzi
# KafkaUser (satfeed_core.kafka_security). The password and the cluster CA are files: the
# KafkaUser's Secret (key KAFKA_USER_PASSWORD_KEY) and the <cluster>-cluster-ca-cert Secret
# (key KAFKA_CLUSTER_CA_CERT_KEY), mounted into the pod.
ENV_KAFKA_SECURITY_PROTOCOL: Final = "KAFKA_SECURITY_PROTOCOL"
ENV_KAFKA_SASL_USERNAME: Final = "KAFKA_SASL_USERNAME"
ENV_KAFKA_SASL_PASSWORD_FILE: Final = "KAFKA_SASL_PASSWORD_FILE"  # noqa: S105 (a name)
ENV_KAFKA_CA_FILE: Final = "KAFKA_SSL_CA_FILE"
KAFKA_USER_PASSWORD_KEY: Final = "password"  # noqa: S105 (a Secret key's name)
"""Key of the SCRAM password in the Secret Strimzi's User Operator writes for a KafkaUser."""
KAFKA_CLUSTER_CA_CERT_KEY: Final = "ca.crt"
"""Key of the cluster CA certificate in Strimzi's ``<cluster>-cluster-ca-cert`` Secret."""

# --- The elements ConfigMap ---------------------------------------------------------------
ELEMENTS_KEY: Final = "elements"
"""Key of the element set in the operator's ``<satellite>-elements`` ConfigMap, and the
default key of a ConfigMap a Satellite references with ``spec.elements.configMapRef``."""

# --- A SatelliteGroup's ConfigMaps -------------------------------------------------------
GROUP_ELEMENTS_CHUNK_BYTES: Final = 700_000
"""Largest ``<group>-elements-<k>`` ConfigMap text (key :data:`ELEMENTS_KEY`, TLE text or
an OMM JSON list): safely under the 1 MiB a ConfigMap may hold. The 16,069-object
catalogue (2.6 MB of TLEs) takes four."""
ELEMENTS_FILE_SUFFIX: Final = ".elements"
"""Each chunk is mounted in the shard's elements directory as ``<k>.elements``; the
producer reads every such file there."""
SHARD_PLAN_KEY: Final = "plan.json"
"""Key of the shard plan in the ``<group>-shards`` ConfigMap."""

# --- The sampling interval ------------------------------------------------------------------
MIN_INTERVAL_SECONDS: Final = 0.1
MAX_INTERVAL_SECONDS: Final = 3600.0
DEFAULT_INTERVAL_SECONDS: Final = 1.0
"""Bounds and default of ``spec.intervalSeconds`` and ``--interval``; the CRD's schema
repeats them for the apiserver, and a unit test holds the two equal."""


def format_seconds(seconds: float) -> str:
    """A number of seconds as text that parses back to exactly the same float.

    ``repr`` is the shortest such text; ``f"{x:g}"`` would round to six digits.
    """
    return repr(float(seconds))


# --- Element age ------------------------------------------------------------------------------
DEFAULT_ELEMENTS_STALE_AFTER: Final = timedelta(days=14)
"""Element sets older than this still propagate but drift (LEO: kilometres a day); the
operator warns, the producer reports it and the page marks the satellite's elements stale."""
