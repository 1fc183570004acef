"""A SatelliteGroup shard's settings: its flags, and the checks only a shard needs.

The operator runs each shard of a group as a Deployment of the same image as a single
Satellite's producer, configured by ``SATFEED_ELEMENTS_DIR`` (which selects this mode),
``SATFEED_SHARD`` and ``SATFEED_SHARD_PLAN_FILE``; the topic, interval, HTTP port and the
rest are the flags every producer has (:mod:`satfeed_producer.config`).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Final

from satfeed_core import contract
from satfeed_core.cli import EnvFlag
from satfeed_core.kafka_security import KafkaSecurity, from_args
from satfeed_core.shards import MAX_SHARDS

DEFAULT_BUFFER_MIB: Final = 32

GROUP_FLAGS: Final = (
    EnvFlag(
        "--elements-dir",
        contract.ENV_ELEMENTS_DIR,
        f"run one shard of a SatelliteGroup: its members are every object in this "
        f"directory's *{contract.ELEMENTS_FILE_SUFFIX} files (TLE or OMM JSON), re-read when "
        "they change",
        {"type": Path},
    ),
    EnvFlag(
        "--shard",
        contract.ENV_SHARD,
        f"this shard's index, 0 to {MAX_SHARDS - 1} (default 0; group shards only)",
        {"type": int},
    ),
    EnvFlag(
        "--shard-plan-file",
        contract.ENV_SHARD_PLAN_FILE,
        "the group's shard plan (JSON: shards, previous, switchAt), re-read when it changes "
        "(default: one shard; group shards only)",
        {"type": Path},
    ),
    EnvFlag(
        "--buffer-mib",
        "SATFEED_BUFFER_MIB",
        "MiB of batch records held while Kafka is unreachable before new ones are dropped "
        f"(default {DEFAULT_BUFFER_MIB}; group shards only)",
        {"type": int, "default": DEFAULT_BUFFER_MIB},
    ),
)

SINGLE_ONLY: Final = (
    ("--satellite-id", contract.ENV_SATELLITE_ID),
    ("--display-name", contract.ENV_DISPLAY_NAME),
    ("--norad-id", contract.ENV_NORAD_ID),
    ("--elements", contract.ENV_ELEMENTS),
    ("--elements-file", contract.ENV_ELEMENTS_FILE),
)
"""Flags of a single Satellite's producer that a group shard refuses."""


@dataclass(frozen=True)
class GroupConfig:
    bootstrap_servers: str
    topic: str
    elements_dir: Path
    shard: int
    shard_plan_file: Path | None
    """None: the group has one shard."""
    interval_s: float
    elements_stale_after: timedelta
    buffer_mib: int
    flush_timeout_s: float
    http_host: str
    http_port: int
    log_format: str
    log_level: str
    kafka_security: KafkaSecurity = field(default_factory=KafkaSecurity)


def group_config(args: argparse.Namespace, described: argparse.ArgumentParser) -> GroupConfig:
    """The shard's settings from parsed flags whose shared checks have passed."""
    shard = 0 if args.shard is None else args.shard
    if not 0 <= shard < MAX_SHARDS:
        described.error(
            f"--shard {shard} (or {contract.ENV_SHARD}) is out of range: use 0 to {MAX_SHARDS - 1}"
        )
    if args.buffer_mib < 1:
        described.error(f"--buffer-mib {args.buffer_mib} must be at least 1")
    return GroupConfig(
        bootstrap_servers=args.bootstrap_servers,
        topic=args.topic,
        elements_dir=args.elements_dir,
        shard=shard,
        shard_plan_file=args.shard_plan_file,
        interval_s=args.interval,
        elements_stale_after=timedelta(days=args.elements_stale_after),
        buffer_mib=args.buffer_mib,
        flush_timeout_s=args.flush_timeout,
        http_host=args.http_host,
        http_port=args.http_port,
        log_format=args.log_format,
        log_level=args.log_level,
        kafka_security=from_args(args, described),
    )
