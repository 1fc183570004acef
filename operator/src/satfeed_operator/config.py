"""The operator's configuration, read once at start-up from the environment (or flags).

Read as every satfeed service reads its own: :mod:`satfeed_core.cli` flags whose defaults
come from environment variables, a flag winning over its variable; ``satfeed-operator
--help`` names both. Every variable is documented in docs/operator.md; a bad value stops
the operator at once with a usage error naming the variable, instead of failing later
inside a handler.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final

from satfeed_core import contract
from satfeed_core.cli import EnvFlag, env_flag_parser, parse_env_flags
from satfeed_core.contract import DEFAULT_ELEMENTS_STALE_AFTER
from satfeed_core.kafka_security import FLAGS as KAFKA_SECURITY_FLAGS
from satfeed_core.kafka_security import SASL_SSL, KafkaSecurity, from_args

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
DEFAULT_LIVENESS_ENDPOINT: Final = "http://0.0.0.0:8080/healthz"
EXTRA_CLUSTERS_EXAMPLE: Final = '{"other": "other-kafka-bootstrap.kafka:9092"}'
RESOURCES_EXAMPLE: Final = '{"requests": {"cpu": "50m", "memory": "128Mi"}}'

DEFAULT_RESHARD_LEAD_SECONDS: Final = 120.0
DEFAULT_METRICS_PORT: Final = 8081


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
    elements_stale_after: timedelta = DEFAULT_ELEMENTS_STALE_AFTER
    """Elements older than this are used but warned about (ElementsStale)."""
    topic_replicas: int | None = None
    """Replicas of new topics whose Satellite does not say; None leaves it to the cluster."""
    namespaces: tuple[str, ...] = ()
    """Namespaces to serve; empty means the whole cluster."""
    log_format: str = "text"
    liveness_endpoint: str | None = DEFAULT_LIVENESS_ENDPOINT
    watch_server_timeout: float = 300.0
    """Seconds the apiserver keeps a watch open; kopf re-lists after it (catches missed events)."""
    celestrak_url: str = DEFAULT_CELESTRAK_URL
    celestrak_user_agent: str = DEFAULT_USER_AGENT
    elements_refresh_seconds: float = CELESTRAK_MIN_REFRESH_SECONDS
    resync_seconds: float = 300.0
    """Every so often every Satellite is reconciled again: referenced ConfigMaps, element age."""
    metrics_host: str = "0.0.0.0"  # noqa: S104 (in a pod: reachable by Prometheus)
    metrics_port: int = DEFAULT_METRICS_PORT
    """``GET /metrics`` (Prometheus); 0 turns the endpoint off."""
    reshard_lead_seconds: float = DEFAULT_RESHARD_LEAD_SECONDS
    """How far ahead a SatelliteGroup's change of shard count is scheduled: every shard pod
    must have read the new plan (the kubelet refreshes mounted ConfigMaps within about a
    minute) and new shards must have started before it."""
    verbose: bool = False
    """Log kopf's debug messages."""
    kafka_security: KafkaSecurity = field(default_factory=KafkaSecurity)
    """How the operator's own client (pass events) connects. With SASL_SSL the producers
    connect so too, each as a KafkaUser the operator declares for it."""

    @property
    def kafka_users(self) -> bool:
        """Whether producers get a KafkaUser each (the brokers authenticate and authorize)."""
        return self.kafka_security.protocol == SASL_SSL

    @property
    def clusterwide(self) -> bool:
        return not self.namespaces

    def bootstrap_servers(self, cluster: str) -> str | None:
        return self.kafka_clusters.get(cluster)


FLAGS: Final[Sequence[EnvFlag]] = (
    EnvFlag(
        "--kafka-cluster",
        "SATFEED_KAFKA_CLUSTER",
        "Strimzi Kafka cluster (strimzi.io/cluster) of Satellites that name none (required)",
    ),
    EnvFlag(
        "--bootstrap-servers",
        "KAFKA_BOOTSTRAP_SERVERS",
        "that cluster's bootstrap servers, given to the producers (required)",
    ),
    *KAFKA_SECURITY_FLAGS,
    EnvFlag(
        "--extra-kafka-clusters",
        "SATFEED_EXTRA_KAFKA_CLUSTERS",
        f"more clusters Satellites may name, as JSON, e.g. {EXTRA_CLUSTERS_EXAMPLE}",
    ),
    EnvFlag(
        "--namespaces",
        "SATFEED_NAMESPACES",
        "comma-separated namespaces to serve (default: all, also written *)",
    ),
    EnvFlag(
        "--producer-image",
        "SATFEED_PRODUCER_IMAGE",
        f"producer image (default {DEFAULT_PRODUCER_IMAGE})",
        {"default": DEFAULT_PRODUCER_IMAGE},
    ),
    EnvFlag(
        "--producer-image-pull-policy",
        "SATFEED_PRODUCER_IMAGE_PULL_POLICY",
        "the producer's imagePullPolicy (default IfNotPresent)",
        {"choices": ("Always", "IfNotPresent", "Never"), "default": "IfNotPresent"},
    ),
    EnvFlag(
        "--producer-resources",
        "SATFEED_PRODUCER_RESOURCES",
        f"default requests/limits of the producer container, as JSON, e.g. {RESOURCES_EXAMPLE}",
    ),
    EnvFlag(
        "--producer-backfill",
        "SATFEED_PRODUCER_BACKFILL",
        "samples of the recent past a producer publishes at start (default 180)",
        {"type": int, "default": 180},
    ),
    EnvFlag(
        "--elements-stale-after",
        contract.ENV_ELEMENTS_STALE_AFTER,
        "days after their epoch when a Satellite's elements count as stale: still used, "
        f"but Ready says ElementsStale and a warning event is posted (default "
        f"{DEFAULT_ELEMENTS_STALE_AFTER.days})",
        {"type": float, "default": DEFAULT_ELEMENTS_STALE_AFTER / timedelta(days=1)},
    ),
    EnvFlag(
        "--producer-log-format",
        "SATFEED_PRODUCER_LOG_FORMAT",
        "the producers' log format, json or text (default json)",
        {"choices": ("json", "text"), "default": "json"},
    ),
    EnvFlag(
        "--topic-replicas",
        "SATFEED_TOPIC_REPLICAS",
        "replicas of topics whose Satellite does not say (default: the cluster's default)",
        {"type": int},
    ),
    EnvFlag(
        "--celestrak-url",
        "SATFEED_CELESTRAK_URL",
        f"base URL of the CelesTrak-compatible GP endpoint (default {DEFAULT_CELESTRAK_URL})",
        {"default": DEFAULT_CELESTRAK_URL},
    ),
    EnvFlag(
        "--celestrak-user-agent",
        "SATFEED_CELESTRAK_USER_AGENT",
        "User-Agent of the requests to that endpoint",
        {"default": DEFAULT_USER_AGENT},
    ),
    EnvFlag(
        "--elements-refresh-seconds",
        "SATFEED_ELEMENTS_REFRESH_SECONDS",
        "refresh interval per NORAD id; CelesTrak blocks clients that go below 2 h "
        f"(default {CELESTRAK_MIN_REFRESH_SECONDS})",
        {"type": float, "default": float(CELESTRAK_MIN_REFRESH_SECONDS)},
    ),
    EnvFlag(
        "--resync-seconds",
        "SATFEED_RESYNC_SECONDS",
        "every Satellite is reconciled again this often (default 300)",
        {"type": float, "default": 300.0},
    ),
    EnvFlag(
        "--metrics-port",
        "SATFEED_METRICS_PORT",
        f"port of GET /metrics (Prometheus); 0 turns it off (default {DEFAULT_METRICS_PORT})",
        {"type": int, "default": DEFAULT_METRICS_PORT},
    ),
    EnvFlag(
        "--metrics-host",
        "SATFEED_METRICS_HOST",
        "address the metrics endpoint listens on (default 0.0.0.0)",
        {"default": "0.0.0.0"},  # noqa: S104
    ),
    EnvFlag(
        "--reshard-lead-seconds",
        "SATFEED_RESHARD_LEAD_SECONDS",
        "a SatelliteGroup's new shard count takes effect this far ahead, at one tick for "
        f"every shard (default {DEFAULT_RESHARD_LEAD_SECONDS:g})",
        {"type": float, "default": DEFAULT_RESHARD_LEAD_SECONDS},
    ),
    EnvFlag(
        "--watch-timeout",
        "SATFEED_WATCH_TIMEOUT",
        "seconds a watch stays open before kopf re-lists, at least 10 (default 300)",
        {"type": float, "default": 300.0},
    ),
    EnvFlag(
        "--liveness-endpoint",
        "SATFEED_LIVENESS_ENDPOINT",
        f"kopf's liveness probe endpoint (default {DEFAULT_LIVENESS_ENDPOINT})",
        {"default": DEFAULT_LIVENESS_ENDPOINT},
    ),
    EnvFlag(
        "--log-format",
        "SATFEED_LOG_FORMAT",
        "text or json (kopf's JSON log format) (default text)",
        {"choices": ("text", "json"), "default": "text"},
    ),
)


def parser() -> argparse.ArgumentParser:
    described = env_flag_parser(
        "satfeed-operator",
        "Turn each Satellite into a KafkaTopic, an elements ConfigMap and a producer "
        "Deployment. In a pod the environment variables configure it (docs/operator.md).",
        FLAGS,
    )
    described.add_argument("--verbose", action="store_true", help="log kopf's debug messages")
    return described


def _named(flag: str) -> str:
    """``--flag (VARIABLE)``: a value may come from either."""
    return f"{flag} ({next(each.env for each in FLAGS if each.flag == flag)})"


def parse_config(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> OperatorConfig:
    """Flags over environment over defaults; exits with a usage error naming the problem
    (and the variable), so a bad value stops the operator at start, not inside a handler."""
    described = parser()
    args = parse_env_flags(described, FLAGS, argv, os.environ if environ is None else environ)

    def json_object(flag: str, raw: str | None, example: str) -> dict[str, Any] | None:
        if not raw or not raw.strip():
            return None
        try:
            value = json.loads(raw)
        except ValueError as exc:
            described.error(f"{_named(flag)} is not valid JSON ({exc}); e.g. {example}")
        if not isinstance(value, dict):
            described.error(f"{_named(flag)} must be a JSON object; e.g. {example}")
        return value

    cluster = (args.kafka_cluster or "").strip()
    if not cluster:
        described.error(f"{_named('--kafka-cluster')} is required: the Strimzi cluster's name")
    bootstrap = (args.bootstrap_servers or "").strip()
    if not bootstrap:
        described.error(
            f"{_named('--bootstrap-servers')} is required: {cluster}'s bootstrap servers"
        )
    clusters = {cluster: bootstrap}
    extra = json_object("--extra-kafka-clusters", args.extra_kafka_clusters, EXTRA_CLUSTERS_EXAMPLE)
    for name, servers in (extra or {}).items():
        if not isinstance(servers, str) or not servers:
            described.error(
                f"{_named('--extra-kafka-clusters')}: cluster {name!r} needs its bootstrap "
                "servers as a non-empty string"
            )
        clusters[name] = servers
    resources = json_object("--producer-resources", args.producer_resources, RESOURCES_EXAMPLE)
    if args.topic_replicas is not None and args.topic_replicas < 1:
        described.error(f"{_named('--topic-replicas')} {args.topic_replicas} must be at least 1")
    if args.producer_backfill < 0:
        described.error(
            f"{_named('--producer-backfill')} {args.producer_backfill} is negative: use 0 to "
            "disable it"
        )
    if not args.elements_stale_after > 0:
        described.error(
            f"{_named('--elements-stale-after')} {args.elements_stale_after:g} must be a "
            "positive number of days"
        )
    for flag, value, minimum in (
        ("--watch-timeout", args.watch_timeout, 10),
        ("--elements-refresh-seconds", args.elements_refresh_seconds, 1),
        ("--resync-seconds", args.resync_seconds, 1),
        ("--reshard-lead-seconds", args.reshard_lead_seconds, 1),
    ):
        if value < minimum:
            described.error(f"{_named(flag)} {value:g} is too small: use at least {minimum:g}")
    if not 0 <= args.metrics_port <= 65535:
        described.error(f"{_named('--metrics-port')} {args.metrics_port} is not a port (0-65535)")
    namespaces = tuple(ns.strip() for ns in (args.namespaces or "").split(",") if ns.strip())
    return OperatorConfig(
        kafka_cluster=cluster,
        kafka_clusters=clusters,
        producer_image=args.producer_image.strip() or DEFAULT_PRODUCER_IMAGE,
        producer_image_pull_policy=args.producer_image_pull_policy,
        producer_resources=resources if resources is not None else dict(DEFAULT_PRODUCER_RESOURCES),
        producer_backfill=args.producer_backfill,
        producer_log_format=args.producer_log_format,
        elements_stale_after=timedelta(days=args.elements_stale_after),
        topic_replicas=args.topic_replicas,
        namespaces=() if namespaces == ("*",) else namespaces,
        log_format=args.log_format,
        liveness_endpoint=args.liveness_endpoint.strip() or None,
        watch_server_timeout=args.watch_timeout,
        celestrak_url=(args.celestrak_url.strip() or DEFAULT_CELESTRAK_URL).rstrip("/"),
        celestrak_user_agent=args.celestrak_user_agent.strip() or DEFAULT_USER_AGENT,
        elements_refresh_seconds=args.elements_refresh_seconds,
        resync_seconds=args.resync_seconds,
        reshard_lead_seconds=args.reshard_lead_seconds,
        metrics_host=args.metrics_host.strip() or "0.0.0.0",  # noqa: S104
        metrics_port=args.metrics_port,
        verbose=args.verbose,
        kafka_security=from_args(args, described),
    )
