"""A SatelliteGroup, parsed and validated without any I/O (see :mod:`satfeed_operator.api`
for the Satellite and the shared field rules).

A group is many objects from one source (a CelesTrak GP group, or ConfigMaps holding a
catalogue), optionally filtered, published by ``shards`` producer pods into one topic.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from satfeed_core.contract import ELEMENTS_KEY
from satfeed_core.shards import DEFAULT_MEMBERS_PER_SHARD, MAX_SHARDS

from satfeed_operator.api import (
    MAX_NORAD_ID,
    SpecError,
    TopicSpec,
    parse_identity,
    parse_interval,
    parse_topic,
)
from satfeed_operator.consts import (
    API_VERSION,
    GROUP_KIND,
    MAX_GROUP_NAME_LENGTH,
    PRODUCER_SUFFIX,
    SHARD_INFIX,
    TOPIC_PREFIX,
)

DEFAULT_GROUP_RETENTION: Final = "1h"
"""A group's topic is large (about 1 GB an hour for the 16,069-object catalogue at 1 Hz,
see docs/record-schema-v2.md); a day of it is rarely worth the disk."""
COMPRESSION_TYPES: Final = ("zstd", "lz4", "snappy", "gzip", "producer", "uncompressed")
DEFAULT_COMPRESSION: Final = "zstd"
MAX_CONFIGMAPS: Final = 64
MAX_FILTER_IDS: Final = 20_000
_CELESTRAK_GROUP: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


@dataclass(frozen=True)
class CelestrakGroupSource:
    group: str
    """CelesTrak's GP group name, e.g. ``starlink``, ``stations``, ``active``."""


@dataclass(frozen=True)
class ConfigMapsSource:
    refs: tuple[tuple[str, str], ...]
    """(ConfigMap name, key) pairs; their element sets together are the catalogue."""


GroupSource = CelestrakGroupSource | ConfigMapsSource


@dataclass(frozen=True)
class MemberFilter:
    norad_ids: frozenset[int] | None
    name_pattern: re.Pattern[str] | None

    def admits(self, norad_id: int, name: str) -> bool:
        if self.norad_ids is not None and norad_id not in self.norad_ids:
            return False
        return self.name_pattern is None or self.name_pattern.search(name) is not None


@dataclass(frozen=True)
class GroupSpec:
    display_name: str | None
    source: GroupSource
    members: MemberFilter
    interval_seconds: float
    shards: int | None
    """None: as many as ``members_per_shard`` asks for."""
    members_per_shard: int
    topic: TopicSpec
    compression: str
    kafka_cluster: str | None
    paused: bool
    producer_resources: Mapping[str, Any] | None


@dataclass(frozen=True)
class SatelliteGroup:
    namespace: str
    name: str
    uid: str
    generation: int
    spec: GroupSpec

    @property
    def kafkatopic_name(self) -> str:
        return self.name

    @property
    def wanted_topic_name(self) -> str:
        return self.spec.topic.name or f"{TOPIC_PREFIX}.{self.namespace}.{self.name}"

    def shard_name(self, shard: int) -> str:
        """The shard's Deployment: ``<group>-shard-<i>``."""
        return f"{self.name}{SHARD_INFIX}{shard}"

    def elements_name(self, chunk: int) -> str:
        return f"{self.name}-elements-{chunk}"

    @property
    def plan_name(self) -> str:
        return f"{self.name}-shards"

    @property
    def producer_user_name(self) -> str:
        """The KafkaUser (and its Secret) all of the group's shards connect as."""
        return f"{self.name}{PRODUCER_SUFFIX}"

    def owner_reference(self) -> dict[str, Any]:
        return {
            "apiVersion": API_VERSION,
            "kind": GROUP_KIND,
            "name": self.name,
            "uid": self.uid,
            "controller": True,
        }

    def shards_for(self, members: int) -> int:
        """The shard count for ``members`` usable members."""
        if self.spec.shards is not None:
            return self.spec.shards
        return max(1, min(MAX_SHARDS, -(-members // self.spec.members_per_shard)))


def parse_group(body: Mapping[str, Any]) -> SatelliteGroup:
    return SatelliteGroup(
        **parse_identity(body, MAX_GROUP_NAME_LENGTH, f"{SHARD_INFIX}{MAX_SHARDS - 1}"),
        spec=parse_group_spec(body.get("spec") or {}),
    )


def parse_group_spec(spec: Mapping[str, Any]) -> GroupSpec:
    shards = spec.get("shards")
    if shards is not None and (
        isinstance(shards, bool) or not isinstance(shards, int) or not 1 <= shards <= MAX_SHARDS
    ):
        raise SpecError(
            "spec.shards",
            f"{shards!r} is not a shard count",
            f"give 1 to {MAX_SHARDS}, or leave it out to size by spec.membersPerShard",
        )
    per_shard = spec.get("membersPerShard", DEFAULT_MEMBERS_PER_SHARD)
    if isinstance(per_shard, bool) or not isinstance(per_shard, int) or per_shard < 1:
        raise SpecError(
            "spec.membersPerShard", f"{per_shard!r} is not a member count", "give 1 or more"
        )
    topic_raw = spec.get("topic") or {}
    compression = str(topic_raw.get("compression", DEFAULT_COMPRESSION))
    if compression not in COMPRESSION_TYPES:
        raise SpecError(
            "spec.topic.compression",
            f"{compression!r} is not a Kafka compression type",
            f"give one of {', '.join(COMPRESSION_TYPES)}",
        )
    display_name = spec.get("displayName")
    resources = (spec.get("producer") or {}).get("resources")
    return GroupSpec(
        display_name=str(display_name) if display_name else None,
        source=_parse_source(spec.get("source")),
        members=_parse_filter(spec.get("members") or {}),
        interval_seconds=parse_interval(spec),
        shards=shards,
        members_per_shard=per_shard,
        topic=parse_topic(topic_raw, DEFAULT_GROUP_RETENTION),
        compression=compression,
        kafka_cluster=spec.get("kafkaCluster") or None,
        paused=bool(spec.get("paused", False)),
        producer_resources=resources or None,
    )


def _parse_source(raw: Any) -> GroupSource:
    if not isinstance(raw, Mapping):
        raise SpecError(
            "spec.source", "is missing", "give spec.source.celestrak or spec.source.configMaps"
        )
    given = [key for key in ("celestrak", "configMaps") if raw.get(key) is not None]
    if len(given) != 1:
        raise SpecError(
            "spec.source",
            f"has {len(given)} sources ({', '.join(given) or 'none'})",
            "give exactly one of celestrak, configMaps",
        )
    if given[0] == "celestrak":
        group = str((raw["celestrak"] or {}).get("group") or "")
        if not _CELESTRAK_GROUP.fullmatch(group):
            raise SpecError(
                "spec.source.celestrak.group",
                f"{group!r} is not a CelesTrak GP group name",
                "give a group such as stations, starlink or active (lower-case letters, "
                "digits and '-')",
            )
        return CelestrakGroupSource(group)
    refs = raw["configMaps"]
    if not isinstance(refs, list) or not refs or len(refs) > MAX_CONFIGMAPS:
        raise SpecError(
            "spec.source.configMaps",
            f"has {len(refs) if isinstance(refs, list) else 'no'} entries",
            f"list 1 to {MAX_CONFIGMAPS} ConfigMaps ({{name: ..., key: ...}})",
        )
    parsed = []
    for index, ref in enumerate(refs):
        name = ref.get("name") if isinstance(ref, Mapping) else None
        if not name:
            raise SpecError(f"spec.source.configMaps[{index}].name", "is empty", "name a ConfigMap")
        parsed.append((str(name), str(ref.get("key") or ELEMENTS_KEY)))
    return ConfigMapsSource(tuple(parsed))


def _parse_filter(raw: Mapping[str, Any]) -> MemberFilter:
    ids = raw.get("noradIds")
    norad_ids = None
    if ids is not None:
        if not isinstance(ids, list) or len(ids) > MAX_FILTER_IDS:
            raise SpecError(
                "spec.members.noradIds", "is not a list", f"list up to {MAX_FILTER_IDS} ids"
            )
        for index, value in enumerate(ids):
            if isinstance(value, bool) or not isinstance(value, int):
                raise SpecError(
                    f"spec.members.noradIds[{index}]",
                    f"{value!r} is not a NORAD catalogue number",
                    f"give whole numbers from 1 to {MAX_NORAD_ID}",
                )
            if not 1 <= value <= MAX_NORAD_ID:
                raise SpecError(
                    f"spec.members.noradIds[{index}]",
                    f"{value} is out of range",
                    f"give whole numbers from 1 to {MAX_NORAD_ID}",
                )
        norad_ids = frozenset(ids)
    pattern = raw.get("namePattern")
    compiled = None
    if pattern is not None:
        try:
            compiled = re.compile(str(pattern))
        except re.error as exc:
            raise SpecError(
                "spec.members.namePattern",
                f"{pattern!r} is not a regular expression: {exc}",
                "give a Python regular expression such as ^STARLINK-",
            ) from None
    return MemberFilter(norad_ids, compiled)
