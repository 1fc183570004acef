"""The operator's configuration, read once from the environment at start-up.

Every variable is documented in docs/operator.md; a bad value stops the operator at once
with a message naming the variable, instead of failing later inside a handler.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from satfeed_operator import __version__

DEFAULT_PRODUCER_IMAGE: Final = f"satfeed-producer:{__version__}"
DEFAULT_PRODUCER_RESOURCES: Final[Mapping[str, Mapping[str, str]]] = {
    # SGP4 for one satellite at 1 Hz is cheap; the memory is Python, numpy and librdkafka.
    "requests": {"cpu": "50m", "memory": "128Mi"},
    "limits": {"memory": "256Mi"},
}
DEFAULT_CELESTRAK_URL: Final = "https://celestrak.org"
DEFAULT_USER_AGENT: Final = (
    f"satfeed-operator/{__version__} (Kubernetes satellite tracker; "
    "refreshes each element set at most every 2 hours)"
)
CELESTRAK_MIN_REFRESH_SECONDS: Final = 2 * 3600
"""CelesTrak asks clients not to download the same GP data more than once per 2 hours."""


class ConfigError(ValueError):
    """A configuration variable that is missing or malformed; the message names it."""


@dataclass(frozen=True)
class OperatorConfig:
    kafka_cluster: str
    """``strimzi.io/cluster`` of Satellites that do not name one."""
    kafka_clusters: Mapping[str, str]
    """Every Kafka cluster Satellites may name -> its bootstrap servers for the producers."""
    producer_image: str = DEFAULT_PRODUCER_IMAGE
    producer_image_pull_policy: str = "IfNotPresent"
    producer_resources: Mapping[str, Any] = field(
        default_factory=lambda: dict(DEFAULT_PRODUCER_RESOURCES)
    )
    producer_backfill: int = 180
    producer_log_format: str = "json"
    topic_replicas: int | None = None
    """Replicas of new topics whose Satellite does not say; None leaves it to the cluster."""
    namespaces: tuple[str, ...] = ()
    """Namespaces to serve; empty means the whole cluster."""
    log_format: str = "text"
    liveness_endpoint: str | None = "http://0.0.0.0:8080/healthz"
    watch_server_timeout: float = 300.0
    """Seconds the apiserver keeps a watch open; kopf re-lists after it (catches missed events)."""
    celestrak_url: str = DEFAULT_CELESTRAK_URL
    celestrak_user_agent: str = DEFAULT_USER_AGENT
    elements_refresh_seconds: float = CELESTRAK_MIN_REFRESH_SECONDS
    resync_seconds: float = 300.0
    """Every so often every Satellite is reconciled again: referenced ConfigMaps, element age."""

    @property
    def clusterwide(self) -> bool:
        return not self.namespaces

    def bootstrap_servers(self, cluster: str) -> str | None:
        return self.kafka_clusters.get(cluster)


def _required(environ: Mapping[str, str], name: str, what: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set: give {what}")
    return value


def _number(environ: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number of seconds") from None
    if value < minimum:
        raise ConfigError(f"{name}={raw} is too small: use at least {minimum:g}")
    return value


def _choice(environ: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = environ.get(name, "").strip() or default
    if value not in choices:
        raise ConfigError(f"{name}={value!r} is not one of {', '.join(choices)}")
    return value


def _json_object(environ: Mapping[str, str], name: str, example: str) -> dict[str, Any] | None:
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} is not valid JSON ({exc}); e.g. {example}") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{name} must be a JSON object; e.g. {example}")
    return value


def load_config(environ: Mapping[str, str] | None = None) -> OperatorConfig:
    """The configuration from ``environ`` (default: the process environment)."""
    env = os.environ if environ is None else environ
    cluster = _required(env, "SATFEED_KAFKA_CLUSTER", "the Strimzi Kafka cluster's name")
    clusters = {
        cluster: _required(env, "KAFKA_BOOTSTRAP_SERVERS", f"{cluster}'s bootstrap servers")
    }
    extra = _json_object(
        env, "SATFEED_EXTRA_KAFKA_CLUSTERS", '{"other": "other-kafka-bootstrap.kafka:9092"}'
    )
    for name, bootstrap in (extra or {}).items():
        if not isinstance(bootstrap, str) or not bootstrap:
            raise ConfigError(
                f"SATFEED_EXTRA_KAFKA_CLUSTERS: cluster {name!r} needs its bootstrap servers "
                "as a non-empty string"
            )
        clusters[name] = bootstrap
    resources = _json_object(
        env, "SATFEED_PRODUCER_RESOURCES", '{"requests": {"cpu": "50m", "memory": "128Mi"}}'
    )
    replicas_raw = env.get("SATFEED_TOPIC_REPLICAS", "").strip()
    if replicas_raw and not (replicas_raw.isdigit() and int(replicas_raw) >= 1):
        raise ConfigError(f"SATFEED_TOPIC_REPLICAS={replicas_raw!r} is not a whole number >= 1")
    backfill_raw = env.get("SATFEED_PRODUCER_BACKFILL", "").strip() or "180"
    if not backfill_raw.isdigit():
        raise ConfigError(f"SATFEED_PRODUCER_BACKFILL={backfill_raw!r} is not a whole number >= 0")
    namespaces = tuple(
        ns.strip() for ns in env.get("SATFEED_NAMESPACES", "").split(",") if ns.strip()
    )
    liveness = env.get("SATFEED_LIVENESS_ENDPOINT", "http://0.0.0.0:8080/healthz").strip()
    return OperatorConfig(
        kafka_cluster=cluster,
        kafka_clusters=clusters,
        producer_image=env.get("SATFEED_PRODUCER_IMAGE", "").strip() or DEFAULT_PRODUCER_IMAGE,
        producer_image_pull_policy=_choice(
            env,
            "SATFEED_PRODUCER_IMAGE_PULL_POLICY",
            "IfNotPresent",
            ("Always", "IfNotPresent", "Never"),
        ),
        producer_resources=resources if resources is not None else dict(DEFAULT_PRODUCER_RESOURCES),
        producer_backfill=int(backfill_raw),
        producer_log_format=_choice(env, "SATFEED_PRODUCER_LOG_FORMAT", "json", ("json", "text")),
        topic_replicas=int(replicas_raw) if replicas_raw else None,
        namespaces=() if namespaces == ("*",) else namespaces,
        log_format=_choice(env, "SATFEED_LOG_FORMAT", "text", ("text", "json")),
        liveness_endpoint=liveness or None,
        watch_server_timeout=_number(env, "SATFEED_WATCH_TIMEOUT", 300.0, minimum=10),
        celestrak_url=(
            env.get("SATFEED_CELESTRAK_URL", "").strip() or DEFAULT_CELESTRAK_URL
        ).rstrip("/"),
        celestrak_user_agent=env.get("SATFEED_CELESTRAK_USER_AGENT", "").strip()
        or DEFAULT_USER_AGENT,
        elements_refresh_seconds=_number(
            env, "SATFEED_ELEMENTS_REFRESH_SECONDS", CELESTRAK_MIN_REFRESH_SECONDS, minimum=1
        ),
        resync_seconds=_number(env, "SATFEED_RESYNC_SECONDS", 300.0, minimum=1),
    )
