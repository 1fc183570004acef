"""The frontend's settings: command-line flags, each with an environment variable default.

``satfeed-frontend --help`` lists both. Discovery mode follows from what is given: a topic
list (``--topics``, ``--group-topics``) or a pattern (``--topic-pattern``) runs without
Kubernetes; otherwise KafkaTopics are watched. ``--local-elements`` needs neither Kafka nor
Kubernetes: positions are computed in this process (:mod:`satfeed_frontend.data.local`).
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum
from pathlib import Path

from satfeed_core.cli import EnvFlag, env_flag_parser, parse_env_flags
from satfeed_core.contract import (
    DEFAULT_INTERVAL_SECONDS,
    MAX_INTERVAL_SECONDS,
    MIN_INTERVAL_SECONDS,
)
from satfeed_core.kafka_security import FLAGS as KAFKA_SECURITY_FLAGS
from satfeed_core.kafka_security import PLAINTEXT, KafkaSecurity, from_args
from satfeed_core.labels import DEFAULT_TOPIC_SELECTOR


class DiscoveryMode(Enum):
    KUBERNETES = "kubernetes"
    STATIC = "static"
    PATTERN = "pattern"
    LOCAL = "local"
    """No Kafka: positions computed in this process from ``--local-elements``."""


@dataclass(frozen=True)
class FrontendConfig:
    bootstrap_servers: str
    discovery: DiscoveryMode
    namespaces: tuple[str, ...]
    """Empty: every namespace."""
    selector: str
    kubeconfig: Path | None
    topics: tuple[str, ...]
    group_topics: tuple[str, ...]
    """Without Kubernetes: topics of SatelliteGroups (position batches), ``topic`` or
    ``name=topic``."""
    topic_pattern: re.Pattern[str] | None
    predictions: bool
    elements_file: Path | None
    """Watch the operator's elements ConfigMaps to draw predicted tracks (Kubernetes
    discovery only)."""
    history: int
    """Records kept (and backfilled) per satellite."""
    history_window: timedelta | None
    """When set, only records this recent are backfilled and shown."""
    stale_after: timedelta
    tick_interval_s: float
    http_host: str
    http_port: int
    http_threads: int
    log_format: str
    log_level: str
    ground_stations: bool = True
    """Watch GroundStations and Satellites (with predictions, in Kubernetes discovery) for the
    station picker, passes table, sky plot and look angles."""
    local_elements: Path | None = None
    """Compute positions in this process from this TLE/OMM file (no Kafka, no Kubernetes)."""
    local_norad_ids: tuple[int, ...] = ()
    """Of the local elements, only these objects; empty: every object in the file."""
    local_interval_s: float = DEFAULT_INTERVAL_SECONDS
    deprecations: tuple[str, ...] = ()
    """Deprecated names the settings were given by, as warnings to log."""
    kafka_security: KafkaSecurity = field(default_factory=KafkaSecurity)
    """How the consumer connects: plaintext, or SCRAM-SHA-512 over TLS as a KafkaUser."""


@dataclass(frozen=True)
class Renamed:
    """A flag and its variable under the names they had before: still accepted for one
    release, with a warning, so a deployment that sets them keeps working through an
    upgrade (docs/frontend.md, Changelog)."""

    old_flag: str
    old_env: str
    flag: str
    env: str


RENAMED: Sequence[Renamed] = (
    # Polling's name: the browser asked again this often; now the push thread's idle tick.
    Renamed("--poll-interval", "SATFEED_POLL_INTERVAL", "--tick-interval", "SATFEED_TICK_INTERVAL"),
)


def _comma_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


FLAGS: Sequence[EnvFlag] = (
    EnvFlag(
        "--bootstrap-servers", "KAFKA_BOOTSTRAP_SERVERS", "Kafka bootstrap servers, host:port[,...]"
    ),
    *KAFKA_SECURITY_FLAGS,
    EnvFlag(
        "--namespaces",
        "SATFEED_NAMESPACES",
        "comma-separated namespaces whose KafkaTopics to watch (default: all namespaces)",
        {"default": ""},
    ),
    EnvFlag(
        "--selector",
        "SATFEED_TOPIC_SELECTOR",
        f"label selector of the KafkaTopics to show (default {DEFAULT_TOPIC_SELECTOR})",
        {"default": DEFAULT_TOPIC_SELECTOR},
    ),
    EnvFlag(
        "--kubeconfig",
        "KUBECONFIG",
        "kubeconfig file (default: the pod's service account, else ~/.kube/config)",
        {"type": Path},
    ),
    EnvFlag(
        "--topics",
        "SATFEED_TOPICS",
        "without Kubernetes: comma-separated Kafka topics to show",
        {"default": ""},
    ),
    EnvFlag(
        "--group-topics",
        "SATFEED_GROUP_TOPICS",
        "without Kubernetes: comma-separated Kafka topics of SatelliteGroups (position "
        "batches, schema v2), each TOPIC or NAME=TOPIC (NAME: the group's layer on the page); "
        "a topic of --topics or --topic-pattern whose records are batches is shown as a group "
        "too, named by its topic",
        {"default": ""},
    ),
    EnvFlag(
        "--topic-pattern",
        "SATFEED_TOPIC_PATTERN",
        "without Kubernetes: a regular expression; every Kafka topic it matches in full is shown",
    ),
    EnvFlag(
        "--predictions",
        "SATFEED_PREDICTIONS",
        "true or false: draw each satellite's predicted track from the elements ConfigMap "
        "the operator keeps, which needs get, list and watch on ConfigMaps (default true; "
        "false reads no ConfigMap)",
        {"choices": ("true", "false"), "default": "true"},
    ),
    EnvFlag(
        "--ground-stations",
        "SATFEED_GROUND_STATIONS",
        "true or false: offer the GroundStations of the watched namespaces, with their passes, "
        "sky plot and look angles predicted from the same elements as the tracks (with "
        "--predictions true); needs get, list and watch on groundstations and satellites "
        "(satfeed.io) (default true; false reads neither)",
        {"choices": ("true", "false"), "default": "true"},
    ),
    EnvFlag(
        "--elements-file",
        "SATFEED_ELEMENTS_FILE",
        "TLE or OMM file to draw predicted tracks from and to name group members by, matched "
        "to records by NORAD id (for discovery without Kubernetes, where there is no elements "
        "ConfigMap; e.g. the demo)",
        {"type": Path},
    ),
    EnvFlag(
        "--local-elements",
        "SATFEED_LOCAL_ELEMENTS",
        "no Kafka, no Kubernetes: compute the positions of the objects in this TLE or OMM "
        "file in this process, checked as the producer checks them, and show them (e.g. "
        "data/tle/earth-observation.tle; make local)",
        {"type": Path},
    ),
    EnvFlag(
        "--local-norad-ids",
        "SATFEED_LOCAL_NORAD_IDS",
        "with --local-elements: comma-separated NORAD ids of the objects to show (default: "
        "every object in the file)",
        {"default": ""},
    ),
    EnvFlag(
        "--local-interval",
        "SATFEED_LOCAL_INTERVAL",
        f"with --local-elements: seconds between positions, {MIN_INTERVAL_SECONDS:g} to "
        f"{MAX_INTERVAL_SECONDS:g} (default {DEFAULT_INTERVAL_SECONDS:g}), on the producer's "
        "wall-clock grid",
        {"type": float, "default": DEFAULT_INTERVAL_SECONDS},
    ),
    EnvFlag(
        "--history",
        "SATFEED_HISTORY",
        "records kept and backfilled per satellite (default 180)",
        {"type": int, "default": 180},
    ),
    EnvFlag(
        "--history-seconds",
        "SATFEED_HISTORY_SECONDS",
        "also limit the history to this many seconds back (default: no time limit)",
        {"type": float},
    ),
    EnvFlag(
        "--stale-after",
        "SATFEED_STALE_AFTER",
        "seconds without a new record after which a satellite is shown as stale, at least "
        "(default 5): one sampled less often is stale after three of its own intervals",
        {"type": float, "default": 5.0},
    ),
    EnvFlag(
        "--tick-interval",
        "SATFEED_TICK_INTERVAL",
        "seconds between looks for updates due although no record came: ages, stale marks, "
        "the status line (default 0.25; formerly --poll-interval); new records are pushed to "
        "the pages once their tick is complete",
        {"type": float, "default": 0.25},
    ),
    EnvFlag(
        "--http-host",
        "SATFEED_HTTP_HOST",
        "address to serve the page, /healthz, /readyz and /metrics on (default 0.0.0.0)",
        {"default": "0.0.0.0"},  # noqa: S104 (a pod is reached from outside it)
    ),
    EnvFlag(
        "--http-port",
        "SATFEED_HTTP_PORT",
        "port to serve on (default 8050)",
        {"type": int, "default": 8050},
    ),
    EnvFlag(
        "--http-threads",
        "SATFEED_HTTP_THREADS",
        "request threads (default 64); one process serves every browser, and each open "
        "page holds one thread for its update stream",
        {"type": int, "default": 64},
    ),
    EnvFlag(
        "--log-format",
        "SATFEED_LOG_FORMAT",
        "text or json: one JSON object per line (default text)",
        {"choices": ("text", "json"), "default": "text"},
    ),
    EnvFlag(
        "--log-level",
        "SATFEED_LOG_LEVEL",
        "DEBUG, INFO, WARNING or ERROR (default INFO)",
        {"choices": ("DEBUG", "INFO", "WARNING", "ERROR"), "default": "INFO"},
    ),
)


def parse_config(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> FrontendConfig:
    """Flags over environment over defaults; exits with a usage error naming the problem."""
    environ, deprecations = _renamed_variables(os.environ if environ is None else environ)
    parser = env_flag_parser(
        "satfeed-frontend",
        "Serve a live dashboard of every satellite whose position topic is discovered: "
        "KafkaTopics by label in Kubernetes, or Kafka topics by name or pattern; or "
        "compute positions in this process from an elements file (--local-elements), with "
        "no Kafka and no Kubernetes.",
        FLAGS,
    )
    flags_by_name = {each.flag: each for each in FLAGS}
    for renamed in RENAMED:
        new = flags_by_name[renamed.flag]
        parser.add_argument(
            renamed.old_flag,
            dest=new.dest,
            type=new.argparse_kwargs.get("type", str),
            action=_RenamedFlag,
            help=argparse.SUPPRESS,
        )
    parser.set_defaults(deprecated_flags=[])
    args = parse_env_flags(parser, FLAGS, argv, environ)
    deprecations += args.deprecated_flags
    topics = _comma_list(args.topics)
    group_topics = _comma_list(args.group_topics)
    local_norad_ids = _local_norad_ids(parser, args.local_norad_ids)
    if args.local_elements is not None:
        _check_local(parser, args, topics + group_topics)
    elif local_norad_ids or args.local_interval != DEFAULT_INTERVAL_SECONDS:
        parser.error("--local-norad-ids and --local-interval need --local-elements")
    elif not args.bootstrap_servers:
        parser.error(
            "--bootstrap-servers (or KAFKA_BOOTSTRAP_SERVERS) is required, unless "
            "--local-elements computes the positions in this process"
        )
    if (topics or group_topics) and args.topic_pattern:
        parser.error("give --topics and --group-topics, or --topic-pattern, not both")
    for each in group_topics:
        if not each.rpartition("=")[2]:
            parser.error(f"--group-topics {each!r} names no topic: use TOPIC or NAME=TOPIC")
    pattern: re.Pattern[str] | None = None
    if args.topic_pattern:
        try:
            pattern = re.compile(args.topic_pattern)
        except re.error as error:
            parser.error(
                f"--topic-pattern {args.topic_pattern!r} is not a regular expression: {error}"
            )
    discovery = (
        DiscoveryMode.LOCAL
        if args.local_elements is not None
        else DiscoveryMode.STATIC
        if topics or group_topics
        else DiscoveryMode.PATTERN
        if pattern
        else DiscoveryMode.KUBERNETES
    )
    if args.history < 1:
        parser.error(f"--history {args.history} must be at least 1")
    if args.history_seconds is not None and args.history_seconds <= 0:
        parser.error(f"--history-seconds {args.history_seconds:g} must be positive")
    if args.stale_after <= 0:
        parser.error(f"--stale-after {args.stale_after:g} must be positive")
    if not 0.05 <= args.tick_interval <= 10:
        parser.error(f"--tick-interval {args.tick_interval:g} is out of range: use 0.05 to 10 s")
    if not 1 <= args.http_port <= 65535:
        parser.error(f"--http-port {args.http_port} is not a TCP port (1 to 65535)")
    if args.http_threads < 1:
        parser.error(f"--http-threads {args.http_threads} must be at least 1")
    return FrontendConfig(
        bootstrap_servers=args.bootstrap_servers or "",
        discovery=discovery,
        namespaces=_comma_list(args.namespaces),
        selector=args.selector,
        kubeconfig=args.kubeconfig,
        topics=topics,
        group_topics=group_topics,
        topic_pattern=pattern,
        predictions=args.predictions == "true",
        ground_stations=args.ground_stations == "true",
        elements_file=args.elements_file,
        history=args.history,
        history_window=(
            None if args.history_seconds is None else timedelta(seconds=args.history_seconds)
        ),
        stale_after=timedelta(seconds=args.stale_after),
        tick_interval_s=args.tick_interval,
        http_host=args.http_host,
        http_port=args.http_port,
        http_threads=args.http_threads,
        log_format=args.log_format,
        log_level=args.log_level,
        local_elements=args.local_elements,
        local_norad_ids=local_norad_ids,
        local_interval_s=args.local_interval,
        deprecations=tuple(deprecations),
        kafka_security=from_args(args, parser),
    )


def _local_norad_ids(parser: argparse.ArgumentParser, text: str) -> tuple[int, ...]:
    ids = []
    for each in _comma_list(text):
        if not each.isdigit() or int(each) < 1:
            parser.error(f"--local-norad-ids: {each!r} is not a NORAD id (a positive whole number)")
        ids.append(int(each))
    return tuple(ids)


def _check_local(
    parser: argparse.ArgumentParser, args: argparse.Namespace, topics: tuple[str, ...]
) -> None:
    """--local-elements replaces Kafka and discovery: settings of those would be ignored."""
    given = [
        flag
        for flag, value in (
            ("--bootstrap-servers (KAFKA_BOOTSTRAP_SERVERS)", args.bootstrap_servers),
            ("--topics / --group-topics", topics),
            ("--topic-pattern", args.topic_pattern),
            (
                "--kafka-security-protocol (KAFKA_SECURITY_PROTOCOL)",
                args.kafka_security_protocol != PLAINTEXT,
            ),
        )
        if value
    ]
    if given:
        parser.error(
            f"--local-elements computes positions in this process, without Kafka: drop "
            f"{', '.join(given)}, or drop --local-elements to read Kafka"
        )
    if not MIN_INTERVAL_SECONDS <= args.local_interval <= MAX_INTERVAL_SECONDS:
        parser.error(
            f"--local-interval {args.local_interval:g} is out of range: use "
            f"{MIN_INTERVAL_SECONDS:g} to {MAX_INTERVAL_SECONDS:g} seconds"
        )


class _RenamedFlag(argparse.Action):
    """A flag's old name: sets the flag, and notes a warning that the old name was used."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, values)
        new = "--" + self.dest.replace("_", "-")
        namespace.deprecated_flags.append(
            f"{option_string} is deprecated and will be removed: use {new}"
        )


def _renamed_variables(environ: Mapping[str, str]) -> tuple[Mapping[str, str], list[str]]:
    """The environment with each old variable's value under its new name (unless the new
    one is set), and a warning for each old variable set."""
    deprecations = []
    for renamed in RENAMED:
        if environ.get(renamed.old_env, "") == "":
            continue
        if environ.get(renamed.env, "") == "":
            environ = {**environ, renamed.env: environ[renamed.old_env]}
            deprecations.append(
                f"{renamed.old_env} is deprecated and will be removed: use {renamed.env}"
            )
        else:
            deprecations.append(
                f"{renamed.old_env} is deprecated and ignored, as {renamed.env} is set"
            )
    return environ, deprecations
