"""The producer's settings: command-line flags, each with an environment variable default.

In Kubernetes the operator sets the environment variables; by hand the flags are handier.
``satfeed-producer --help`` lists both. ``--elements-dir`` (SATFEED_ELEMENTS_DIR) selects a
SatelliteGroup shard (:mod:`satfeed_producer.group_config`); without it the producer tracks
one Satellite (:class:`ProducerConfig`).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from satfeed_core import contract
from satfeed_core.cli import EnvFlag, env_flag_parser, parse_env_flags
from satfeed_core.contract import (
    DEFAULT_ELEMENTS_STALE_AFTER,
    DEFAULT_INTERVAL_SECONDS,
    MAX_INTERVAL_SECONDS,
    MIN_INTERVAL_SECONDS,
)
from satfeed_core.kafka_security import FLAGS as KAFKA_SECURITY_FLAGS
from satfeed_core.kafka_security import KafkaSecurity, from_args
from satfeed_core.propagation import Engine

from satfeed_producer.group_config import GROUP_FLAGS, SINGLE_ONLY, GroupConfig, group_config


@dataclass(frozen=True)
class ProducerConfig:
    bootstrap_servers: str
    topic: str
    satellite_id: str
    display_name: str | None
    norad_id: int | None
    elements_text: str | None
    elements_file: Path | None
    interval_s: float
    elements_stale_after: timedelta
    backfill: int
    buffer_records: int
    flush_timeout_s: float
    http_host: str
    http_port: int
    log_format: str
    log_level: str
    engine: Engine
    kafka_security: KafkaSecurity = field(default_factory=KafkaSecurity)


_OPTIONS: Sequence[EnvFlag] = (
    EnvFlag(
        "--bootstrap-servers",
        contract.ENV_BOOTSTRAP_SERVERS,
        "Kafka bootstrap servers, host:port[,...]",
    ),
    EnvFlag("--topic", contract.ENV_TOPIC, "Kafka topic to publish into (it must exist)"),
    *KAFKA_SECURITY_FLAGS,
    EnvFlag(
        "--satellite-id",
        contract.ENV_SATELLITE_ID,
        "the Satellite's name: record key and 'satellite' field",
    ),
    EnvFlag(
        "--display-name", contract.ENV_DISPLAY_NAME, "display name (default: the elements' name)"
    ),
    EnvFlag(
        "--norad-id",
        contract.ENV_NORAD_ID,
        "NORAD catalogue number; picks the satellite when the elements hold several",
        {"type": int},
    ),
    EnvFlag(
        "--elements",
        contract.ENV_ELEMENTS,
        "inline elements: TLE (2 or 3 lines) or CelesTrak OMM JSON",
    ),
    EnvFlag(
        "--elements-file",
        contract.ENV_ELEMENTS_FILE,
        "file with the elements (TLE or OMM JSON); re-read when its content changes",
        {"type": Path},
    ),
    *GROUP_FLAGS,
    EnvFlag(
        "--interval",
        contract.ENV_INTERVAL,
        f"seconds between samples, {MIN_INTERVAL_SECONDS:g} to {MAX_INTERVAL_SECONDS:g} "
        f"(default {DEFAULT_INTERVAL_SECONDS:g})",
        {"type": float, "default": DEFAULT_INTERVAL_SECONDS},
    ),
    EnvFlag(
        "--elements-stale-after",
        contract.ENV_ELEMENTS_STALE_AFTER,
        "days after their epoch when elements count as stale: still used, but warned about "
        f"(default {DEFAULT_ELEMENTS_STALE_AFTER.days})",
        {"type": float, "default": DEFAULT_ELEMENTS_STALE_AFTER / timedelta(days=1)},
    ),
    EnvFlag(
        "--backfill",
        contract.ENV_BACKFILL,
        "samples to publish for the recent past at start-up (default 180); skips samples "
        "already in the topic",
        {"type": int, "default": 180},
    ),
    EnvFlag(
        "--buffer-records",
        "SATFEED_BUFFER_RECORDS",
        "records held while Kafka is unreachable before new samples are dropped (default 100000)",
        {"type": int, "default": 100_000},
    ),
    EnvFlag(
        "--flush-timeout",
        "SATFEED_FLUSH_TIMEOUT",
        "seconds to deliver pending records on SIGTERM (default 10)",
        {"type": float, "default": 10.0},
    ),
    EnvFlag(
        "--http-host",
        "SATFEED_HTTP_HOST",
        "address of /healthz, /readyz, /metrics (default 0.0.0.0)",
        {"default": "0.0.0.0"},  # noqa: S104 (a pod's probes come from outside it)
    ),
    EnvFlag(
        "--http-port",
        contract.ENV_HTTP_PORT,
        "port of /healthz, /readyz, /metrics (default 8080; 0 picks a free one)",
        {"type": int, "default": 8080},
    ),
    EnvFlag(
        "--propagator",
        "SATFEED_PROPAGATOR",
        "sgp4: python-sgp4 only; auto: pyorbital where it can model the orbit, else "
        "python-sgp4, which loads pyorbital's scipy (about 45 MiB more memory for the same "
        "positions, within a metre of each other) (default sgp4; group shards always use sgp4)",
        {"choices": ("sgp4", "auto"), "default": "sgp4"},
    ),
    EnvFlag(
        "--log-format",
        contract.ENV_LOG_FORMAT,
        "text or json (default text)",
        {"choices": ("text", "json"), "default": "text"},
    ),
    EnvFlag(
        "--log-level",
        "SATFEED_LOG_LEVEL",
        "DEBUG, INFO, WARNING or ERROR (default INFO)",
        {"choices": ("DEBUG", "INFO", "WARNING", "ERROR"), "default": "INFO"},
    ),
)


def parser() -> argparse.ArgumentParser:
    return env_flag_parser(
        "satfeed-producer",
        "Compute a satellite's position from its orbital elements on a fixed wall-clock "
        "cadence and publish one JSON record per sample into a Kafka topic; with "
        "--elements-dir, run one shard of a SatelliteGroup and publish one batch record "
        "(schema v2) of all its members per sample.",
        _OPTIONS,
    )


def parse_settings(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> ProducerConfig | GroupConfig:
    """A group shard's settings when --elements-dir is given, else a single Satellite's."""
    described = parser()
    args = parse_env_flags(described, _OPTIONS, argv, os.environ if environ is None else environ)
    if args.elements_dir is None:
        for flag, env in (
            ("--shard", contract.ENV_SHARD),
            ("--shard-plan-file", contract.ENV_SHARD_PLAN_FILE),
        ):
            if getattr(args, _dest(flag)) is not None:
                described.error(
                    f"{flag} (or {env}) needs --elements-dir (SATFEED_ELEMENTS_DIR): it "
                    "belongs to a SatelliteGroup shard"
                )
        return _single_config(args, described)
    for flag, env in SINGLE_ONLY:
        if getattr(args, _dest(flag)) is not None:
            described.error(
                f"{flag} (or {env}) belongs to a single Satellite's producer; with "
                "--elements-dir (SATFEED_ELEMENTS_DIR) the producer runs a SatelliteGroup "
                "shard, whose members are every object in that directory's *.elements files"
            )
    _check_common(args, described)
    return group_config(args, described)


def parse_config(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> ProducerConfig:
    """A single Satellite's settings: flags over environment over defaults; exits with a
    usage error naming the problem."""
    described = parser()
    args = parse_env_flags(described, _OPTIONS, argv, os.environ if environ is None else environ)
    return _single_config(args, described)


def _dest(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def _check_common(args: argparse.Namespace, described: argparse.ArgumentParser) -> None:
    """What a single Satellite's and a group shard's settings share."""
    for flag in ("--bootstrap-servers", "--topic"):
        if not getattr(args, _dest(flag)):
            env = next(option.env for option in _OPTIONS if option.flag == flag)
            described.error(f"{flag} (or {env}) is required")
    if not MIN_INTERVAL_SECONDS <= args.interval <= MAX_INTERVAL_SECONDS:
        described.error(
            f"--interval {args.interval:g} is out of range: use {MIN_INTERVAL_SECONDS:g} to "
            f"{MAX_INTERVAL_SECONDS:g} seconds"
        )
    if not args.elements_stale_after > 0:
        described.error(
            f"--elements-stale-after {args.elements_stale_after:g} must be a positive number "
            "of days"
        )
    if not 0 <= args.http_port <= 65535:
        described.error(f"--http-port {args.http_port} is not a TCP port (0 to 65535)")


def _single_config(args: argparse.Namespace, described: argparse.ArgumentParser) -> ProducerConfig:
    _check_common(args, described)
    if not args.satellite_id:
        described.error(f"--satellite-id (or {contract.ENV_SATELLITE_ID}) is required")
    if (args.elements is None) == (args.elements_file is None):
        described.error(
            "give the elements either inline (--elements / SATFEED_ELEMENTS) or as a file "
            "(--elements-file / SATFEED_ELEMENTS_FILE), exactly one of the two"
        )
    if args.backfill < 0:
        described.error(f"--backfill {args.backfill} is negative: use 0 to disable it")
    if args.buffer_records < 1:
        described.error(f"--buffer-records {args.buffer_records} must be at least 1")
    return ProducerConfig(
        bootstrap_servers=args.bootstrap_servers,
        topic=args.topic,
        satellite_id=args.satellite_id,
        display_name=args.display_name,
        norad_id=args.norad_id,
        elements_text=args.elements,
        elements_file=args.elements_file,
        interval_s=args.interval,
        elements_stale_after=timedelta(days=args.elements_stale_after),
        backfill=args.backfill,
        buffer_records=args.buffer_records,
        flush_timeout_s=args.flush_timeout,
        http_host=args.http_host,
        http_port=args.http_port,
        log_format=args.log_format,
        log_level=args.log_level,
        engine=args.propagator,
        kafka_security=from_args(args, described),
    )
