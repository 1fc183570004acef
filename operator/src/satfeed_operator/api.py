"""A Satellite, parsed and validated without any I/O.

The CRD's schema rejects most bad input at the apiserver already; this module checks again
(the operator must not trust a CRD that may be older than itself) and turns the raw spec into
typed values. Every problem is a :class:`SpecError` naming the field path and the fix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from satfeed_core.contract import (
    DEFAULT_INTERVAL_SECONDS,
    ELEMENTS_KEY,
    MAX_INTERVAL_SECONDS,
    MIN_INTERVAL_SECONDS,
)
from satfeed_core.elements import (
    Elements,
    ElementsError,
    OmmError,
    TleError,
    omm_elements,
    parse_elements,
    select_elements,
    tle_elements,
)
from satfeed_core.spec_errors import SpecError as SpecError

from satfeed_operator.consts import (
    API_VERSION,
    ELEMENTS_SUFFIX,
    KIND,
    MAX_SATELLITE_NAME_LENGTH,
    PRODUCER_SUFFIX,
    TOPIC_PREFIX,
)

MAX_NORAD_ID: Final = 999_999_999
"""OMM catalogue numbers have nine digits; TLEs stop at 339999 (Alpha-5)."""
DEFAULT_PARTITIONS: Final = 1
DEFAULT_RETENTION: Final = "24h"
_KAFKA_TOPIC_NAME: Final = re.compile(r"[a-zA-Z0-9._-]{1,249}")
_DURATION_PART: Final = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_DURATION_MS: Final = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}


@dataclass(frozen=True)
class TleSource:
    line1: str
    line2: str


@dataclass(frozen=True)
class OmmSource:
    record: Mapping[str, Any]


@dataclass(frozen=True)
class CelestrakSource:
    """Fetch the NORAD id's elements from the CelesTrak-compatible GP endpoint."""


@dataclass(frozen=True)
class ConfigMapSource:
    name: str
    key: str


ElementsSource = TleSource | OmmSource | CelestrakSource | ConfigMapSource


def source_kind(source: ElementsSource) -> str:
    """How ``status.elements.source`` names a source."""
    match source:
        case TleSource():
            return "tle"
        case OmmSource():
            return "omm"
        case CelestrakSource():
            return "celestrak"
        case ConfigMapSource():
            return "configMap"


def source_path(source: ElementsSource) -> str:
    """Field path of a source, for messages."""
    match source:
        case TleSource():
            return "spec.elements.tle"
        case OmmSource():
            return "spec.elements.omm"
        case CelestrakSource():
            return "spec.elements.celestrak"
        case ConfigMapSource():
            return "spec.elements.configMapRef"


@dataclass(frozen=True)
class TopicSpec:
    name: str | None
    """Kafka topic name; None means the default ``satfeed.positions.<namespace>.<name>``."""
    partitions: int
    replicas: int | None
    retention_ms: int


@dataclass(frozen=True)
class SatelliteSpec:
    display_name: str | None
    norad_id: int | None
    elements: ElementsSource
    interval_seconds: float
    topic: TopicSpec
    kafka_cluster: str | None
    paused: bool
    producer_resources: Mapping[str, Any] | None


@dataclass(frozen=True)
class Satellite:
    """The identity of a Satellite object and its parsed spec."""

    namespace: str
    name: str
    uid: str
    generation: int
    spec: SatelliteSpec

    @property
    def producer_name(self) -> str:
        return f"{self.name}{PRODUCER_SUFFIX}"

    @property
    def elements_configmap_name(self) -> str:
        return f"{self.name}{ELEMENTS_SUFFIX}"

    @property
    def kafkatopic_name(self) -> str:
        return self.name

    @property
    def wanted_topic_name(self) -> str:
        """The Kafka topic the spec asks for (the operator may keep an older one: no renames)."""
        return self.spec.topic.name or f"{TOPIC_PREFIX}.{self.namespace}.{self.name}"

    def owner_reference(self) -> dict[str, Any]:
        # No blockOwnerDeletion: it would need update on satellites/finalizers where the
        # OwnerReferencesPermissionEnforcement plugin runs, and buys nothing without
        # foreground deletion.
        return {
            "apiVersion": API_VERSION,
            "kind": KIND,
            "name": self.name,
            "uid": self.uid,
            "controller": True,
        }


def parse_satellite(body: Mapping[str, Any]) -> Satellite:
    """The Satellite in ``body`` (an object as the apiserver returns it)."""
    return Satellite(
        **parse_identity(body, MAX_SATELLITE_NAME_LENGTH, PRODUCER_SUFFIX),
        spec=parse_spec(body.get("spec") or {}),
    )


def parse_identity(body: Mapping[str, Any], max_length: int, longest_suffix: str) -> dict[str, Any]:
    """``namespace``, ``name``, ``uid`` and ``generation`` of an object; refuses a name too
    long for its longest child name (``<name><longest_suffix>``) to stay a DNS label."""
    metadata = body.get("metadata") or {}
    name = str(metadata.get("name", ""))
    if len(name) > max_length:
        raise SpecError(
            "metadata.name",
            f"{name!r} is {len(name)} characters long, so the child "
            f"{name}{longest_suffix} would exceed 63 characters",
            f"use a name of at most {max_length} characters",
        )
    return {
        "namespace": str(metadata.get("namespace", "")),
        "name": name,
        "uid": str(metadata.get("uid", "")),
        "generation": int(metadata.get("generation") or 0),
    }


def parse_spec(spec: Mapping[str, Any]) -> SatelliteSpec:
    norad_id = spec.get("noradId")
    if norad_id is not None and (
        isinstance(norad_id, bool) or not isinstance(norad_id, int) or norad_id < 1
    ):
        raise SpecError(
            "spec.noradId",
            f"{norad_id!r} is not a NORAD catalogue number",
            f"give a whole number from 1 to {MAX_NORAD_ID}",
        )
    if norad_id is not None and norad_id > MAX_NORAD_ID:
        raise SpecError(
            "spec.noradId", f"{norad_id} is too large", f"give a number up to {MAX_NORAD_ID}"
        )
    elements = _parse_elements_source(spec.get("elements"), norad_id)
    display_name = spec.get("displayName")
    resources = (spec.get("producer") or {}).get("resources")
    return SatelliteSpec(
        display_name=str(display_name) if display_name else None,
        norad_id=norad_id,
        elements=elements,
        interval_seconds=parse_interval(spec),
        topic=parse_topic(spec.get("topic") or {}),
        kafka_cluster=spec.get("kafkaCluster") or None,
        paused=bool(spec.get("paused", False)),
        producer_resources=resources or None,
    )


def parse_interval(spec: Mapping[str, Any]) -> float:
    """``spec.intervalSeconds``, checked against the shared bounds."""
    interval = spec.get("intervalSeconds", DEFAULT_INTERVAL_SECONDS)
    if (
        isinstance(interval, bool)
        or not isinstance(interval, int | float)
        or not MIN_INTERVAL_SECONDS <= interval <= MAX_INTERVAL_SECONDS
    ):
        raise SpecError(
            "spec.intervalSeconds",
            f"{interval!r} is out of range",
            f"give {MIN_INTERVAL_SECONDS:g} to {MAX_INTERVAL_SECONDS:g} seconds",
        )
    return float(interval)


def _parse_elements_source(raw: Any, norad_id: int | None) -> ElementsSource:
    if raw is None:
        if norad_id is None:
            raise SpecError(
                "spec",
                "neither spec.elements nor spec.noradId is given",
                "give spec.noradId (elements then come from CelesTrak) or spec.elements",
            )
        return CelestrakSource()
    given = [key for key in ("tle", "omm", "celestrak", "configMapRef") if raw.get(key) is not None]
    if len(given) != 1:
        raise SpecError(
            "spec.elements",
            f"has {len(given)} sources ({', '.join(given) or 'none'})",
            "give exactly one of tle, omm, celestrak, configMapRef",
        )
    match given[0]:
        case "tle":
            tle = raw["tle"]
            return TleSource(line1=str(tle.get("line1", "")), line2=str(tle.get("line2", "")))
        case "omm":
            return OmmSource(record=dict(raw["omm"]))
        case "celestrak":
            if norad_id is None:
                raise SpecError(
                    "spec.noradId",
                    "is required with spec.elements.celestrak",
                    "give the NORAD catalogue number to fetch elements for",
                )
            return CelestrakSource()
        case _:
            ref = raw["configMapRef"]
            if not ref.get("name"):
                raise SpecError("spec.elements.configMapRef.name", "is empty", "name a ConfigMap")
            return ConfigMapSource(name=str(ref["name"]), key=str(ref.get("key") or ELEMENTS_KEY))


def parse_topic(raw: Mapping[str, Any], default_retention: str = DEFAULT_RETENTION) -> TopicSpec:
    name = raw.get("name")
    if name is not None and not _KAFKA_TOPIC_NAME.fullmatch(str(name)):
        raise SpecError(
            "spec.topic.name",
            f"{name!r} is not a valid Kafka topic name",
            "use 1 to 249 of the characters a-z A-Z 0-9 . _ -",
        )
    partitions = raw.get("partitions", DEFAULT_PARTITIONS)
    if not isinstance(partitions, int) or partitions < 1:
        raise SpecError(
            "spec.topic.partitions", f"{partitions!r} is not a partition count", "give 1 or more"
        )
    replicas = raw.get("replicas")
    if replicas is not None and (not isinstance(replicas, int) or replicas < 1):
        raise SpecError(
            "spec.topic.replicas", f"{replicas!r} is not a replica count", "give 1 or more"
        )
    retention = str(raw.get("retention", default_retention))
    try:
        retention_ms = parse_duration_ms(retention)
    except ValueError:
        raise SpecError(
            "spec.topic.retention",
            f"{retention!r} is not a duration",
            "write it like 24h, 90m or 1h30m",
        ) from None
    return TopicSpec(
        name=str(name) if name else None,
        partitions=partitions,
        replicas=replicas,
        retention_ms=retention_ms,
    )


def parse_duration_ms(text: str) -> int:
    """Milliseconds in a Go-style duration such as ``24h`` or ``1h30m`` (what CEL accepts)."""
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise ValueError(f"{text!r} is not a duration")
    return round(sum(float(number) * _DURATION_MS[unit] for number, unit in parts))


def validate_elements(text: str, path: str, norad_id: int | None) -> Elements:
    """The one element set in ``text`` that this Satellite tracks.

    ``text`` may hold several sets (a ConfigMap with a group file); ``norad_id`` picks one.
    Raises :class:`SpecError` naming ``path``.
    """
    try:
        candidates = parse_elements(text)
    except ElementsError as exc:
        raise SpecError(path, _describe(exc), _fix_for(path)) from None
    return _select(candidates, path, norad_id)


def validate_inline(source: TleSource | OmmSource, norad_id: int | None) -> Elements:
    """Inline elements, with field paths down to the TLE line or OMM field."""
    try:
        match source:
            case TleSource(line1=line1, line2=line2):
                elements = tle_elements(line1, line2)
            case OmmSource(record=record):
                elements = omm_elements(record)
    except ElementsError as exc:
        path = _inline_error_path(source, exc)
        raise SpecError(path, _describe(exc), _fix_for(path)) from None
    return _select([elements], source_path(source), norad_id)


def _describe(error: ElementsError) -> str:
    """The problem on one line (a condition message), without the caret drawing."""
    if isinstance(error, TleError):
        return f"line {error.line}, column {error.column}: {error.problem} ({error.hint})"
    return f"{error.problem} ({error.hint})"


def _inline_error_path(source: TleSource | OmmSource, error: ElementsError) -> str:
    if isinstance(source, TleSource) and isinstance(error, TleError):
        return f"spec.elements.tle.line{error.line}"
    if isinstance(source, OmmSource) and isinstance(error, OmmError):
        return f"spec.elements.omm.{error.field}"
    return source_path(source)


def _fix_for(path: str) -> str:
    if path.startswith("spec.elements.configMapRef"):
        return "correct the elements in the referenced ConfigMap"
    if path.startswith("spec.elements.celestrak"):
        return "check spec.noradId; the operator fetches again later"
    return "copy the element set again from its source (e.g. CelesTrak)"


_ORIGIN: Final = "the elements"


def _select(candidates: Sequence[Elements], path: str, norad_id: int | None) -> Elements:
    """The one rule of :func:`~satfeed_core.elements.select_elements`, as a SpecError."""
    try:
        return select_elements(candidates, norad_id, _ORIGIN)
    except ElementsError as error:
        fix = (
            "make spec.noradId and the elements name the same satellite"
            if norad_id is not None
            else "set spec.noradId to pick one, or give a single element set"
        )
        raise SpecError(path, error.problem.removeprefix(f"{_ORIGIN} "), fix) from None
