"""The GroundStation resource's spec as the operator and the frontend both read it.

A ``GroundStation`` (``satfeed.io/v1alpha1``) is a place on Earth, the part of its sky it
can use, and which Satellites it follows. The operator predicts their passes into the
station's status and pass-event topic; the frontend draws the station, its passes and its
sky. Both parse the spec here, so a station means the same to each. The CRD's schema
repeats the bounds (from :mod:`satfeed_core.stations`) for the apiserver; a unit test holds
the two equal.

Pure Python: no numpy, no Kubernetes client.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final

from satfeed_core.spec_errors import SpecError
from satfeed_core.stations import Station, StationError

KIND: Final = "GroundStation"
PLURAL: Final = "groundstations"
"""``kubectl get groundstations`` (short name ``gs``), group ``satfeed.io``, ``v1alpha1``."""

DEFAULT_LOOK_AHEAD_HOURS: Final = 24.0
MIN_LOOK_AHEAD_HOURS: Final = 1.0
MAX_LOOK_AHEAD_HOURS: Final = 168.0
"""A week: element sets drift by kilometres a day, so passes further ahead are guesses."""
DEFAULT_AOS_NOTICE_SECONDS: Final = 300
MAX_AOS_NOTICE_SECONDS: Final = 86_400
MAX_DOWNLINK_MHZ: Final = 300_000.0
"""300 GHz: the top of the EHF band; anything above is not a radio downlink."""
MAX_HORIZON_POINTS: Final = 360
MAX_DOWNLINKS: Final = 256
SELECTOR_OPERATORS: Final = ("In", "NotIn", "Exists", "DoesNotExist")


class GroundStationError(SpecError):
    """A GroundStation spec field that cannot be used."""


@dataclass(frozen=True)
class SelectorRequirement:
    key: str
    operator: str
    values: tuple[str, ...]

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.operator == "Exists":
            return self.key in labels
        if self.operator == "DoesNotExist":
            return self.key not in labels
        if self.operator == "In":
            return labels.get(self.key) in self.values
        return labels.get(self.key) not in self.values  # NotIn (absent keys match too)


@dataclass(frozen=True)
class SatelliteSelector:
    """A Kubernetes label selector over Satellites; empty selects every Satellite."""

    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[SelectorRequirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(key) == value for key, value in self.match_labels) and all(
            requirement.matches(labels) for requirement in self.match_expressions
        )

    def describe(self) -> str:
        """As ``kubectl get -l`` takes it; ``(all Satellites)`` when empty."""
        parts = [f"{key}={value}" for key, value in self.match_labels]
        for requirement in self.match_expressions:
            values = ",".join(requirement.values)
            parts.append(
                {
                    "In": f"{requirement.key} in ({values})",
                    "NotIn": f"{requirement.key} notin ({values})",
                    "Exists": requirement.key,
                    "DoesNotExist": f"!{requirement.key}",
                }[requirement.operator]
            )
        return ",".join(parts) or "(all Satellites)"


@dataclass(frozen=True)
class GroundStationSpec:
    station: Station
    selector: SatelliteSelector
    look_ahead: timedelta
    aos_notice: timedelta
    downlinks_hz: Mapping[str, float] = field(default_factory=dict)
    """Downlink frequency by Satellite name (Hz)."""
    kafka_cluster: str | None = None


def _number(spec: Mapping[str, Any], key: str, default: float | None, fix: str) -> float:
    value = spec.get(key, default)
    if value is None:
        raise GroundStationError(f"spec.{key}", "is missing", fix)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise GroundStationError(f"spec.{key}", f"{value!r} is not a number", fix)
    return float(value)


def _station_path(error: StationError) -> str:
    """The spec path of a :class:`StationError`'s field (``horizon mask point 3 azimuth``
    is ``spec.horizonMask[2].azimuth``)."""
    words = error.field.split()
    if words[:2] == ["horizon", "mask"]:
        if len(words) >= 4 and words[2] == "point":
            return f"spec.horizonMask[{int(words[3]) - 1}]" + (
                f".{words[4]}" if len(words) > 4 else ""
            )
        return "spec.horizonMask"
    return {
        "latitude": "spec.latitude",
        "longitude": "spec.longitude",
        "altitude": "spec.altitudeMeters",
        "minimum elevation": "spec.minElevation",
    }.get(error.field, "spec")


def _horizon_mask(raw: object) -> tuple[tuple[float, float], ...]:
    if raw is None:
        return ()
    fix = "give horizonMask as a list of {azimuth, elevation} points in degrees"
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        raise GroundStationError("spec.horizonMask", f"{raw!r} is not a list", fix)
    if len(raw) > MAX_HORIZON_POINTS:
        raise GroundStationError(
            "spec.horizonMask",
            f"has {len(raw)} points, more than {MAX_HORIZON_POINTS}",
            "one point per degree of azimuth is more than any antenna needs",
        )
    points: list[tuple[Any, Any]] = []
    for index, point in enumerate(raw):
        if not isinstance(point, Mapping) or set(point) != {"azimuth", "elevation"}:
            raise GroundStationError(
                f"spec.horizonMask[{index}]", f"{point!r} is not {{azimuth, elevation}}", fix
            )
        points.append((point["azimuth"], point["elevation"]))
    # The resource lists points in any order; Station wants them by azimuth (and still
    # refuses an azimuth given twice). Non-numbers sort last and fail in Station.
    return tuple(sorted(points, key=_azimuth_order))


def _azimuth_order(point: tuple[Any, Any]) -> tuple[int, float]:
    azimuth = point[0]
    if isinstance(azimuth, bool) or not isinstance(azimuth, int | float):
        return (1, 0.0)
    return (0, float(azimuth))


def _requirement(index: int, raw: object) -> SelectorRequirement:
    path = f"spec.satelliteSelector.matchExpressions[{index}]"
    if not isinstance(raw, Mapping) or not isinstance(raw.get("key"), str) or not raw["key"]:
        raise GroundStationError(path, f"{raw!r} has no key", "give key, operator and values")
    operator = raw.get("operator")
    if operator not in SELECTOR_OPERATORS:
        raise GroundStationError(
            f"{path}.operator",
            f"{operator!r} is not a label selector operator",
            f"use one of {', '.join(SELECTOR_OPERATORS)}",
        )
    values = raw.get("values") or []
    if not isinstance(values, list) or not all(isinstance(each, str) for each in values):
        raise GroundStationError(f"{path}.values", f"{values!r} is not a list of strings", "")
    if operator in ("In", "NotIn") and not values:
        raise GroundStationError(
            f"{path}.values", f"is empty, but {operator} needs values", "list the values"
        )
    if operator in ("Exists", "DoesNotExist") and values:
        raise GroundStationError(
            f"{path}.values", f"must be empty for {operator}", "remove the values"
        )
    return SelectorRequirement(str(raw["key"]), str(operator), tuple(values))


def parse_selector(raw: object) -> SatelliteSelector:
    """``spec.satelliteSelector``: a Kubernetes ``LabelSelector`` (absent: all)."""
    if raw is None:
        return SatelliteSelector()
    if not isinstance(raw, Mapping):
        raise GroundStationError(
            "spec.satelliteSelector",
            f"{raw!r} is not a label selector",
            "give matchLabels and/or matchExpressions",
        )
    labels = raw.get("matchLabels") or {}
    if not isinstance(labels, Mapping) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in labels.items()
    ):
        raise GroundStationError(
            "spec.satelliteSelector.matchLabels",
            f"{labels!r} is not a map of strings",
            "give label: value pairs",
        )
    expressions = raw.get("matchExpressions") or []
    if not isinstance(expressions, list):
        raise GroundStationError(
            "spec.satelliteSelector.matchExpressions", f"{expressions!r} is not a list", ""
        )
    return SatelliteSelector(
        match_labels=tuple(sorted(labels.items())),
        match_expressions=tuple(
            _requirement(index, each) for index, each in enumerate(expressions)
        ),
    )


def _downlinks(raw: object) -> dict[str, float]:
    if raw is None:
        return {}
    fix = "give downlinks as a list of {satellite: <Satellite name>, frequencyMHz: <number>}"
    if not isinstance(raw, list):
        raise GroundStationError("spec.downlinks", f"{raw!r} is not a list", fix)
    if len(raw) > MAX_DOWNLINKS:
        raise GroundStationError(
            "spec.downlinks", f"has {len(raw)} entries, more than {MAX_DOWNLINKS}", fix
        )
    downlinks: dict[str, float] = {}
    for index, entry in enumerate(raw):
        path = f"spec.downlinks[{index}]"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("satellite"), str):
            raise GroundStationError(path, f"{entry!r} names no satellite", fix)
        satellite = str(entry["satellite"])
        if satellite in downlinks:
            raise GroundStationError(
                f"{path}.satellite",
                f"{satellite!r} is listed twice",
                "give one downlink frequency per satellite",
            )
        mhz = entry.get("frequencyMHz")
        if (
            isinstance(mhz, bool)
            or not isinstance(mhz, int | float)
            or not (math.isfinite(mhz) and 0 < mhz <= MAX_DOWNLINK_MHZ)
        ):
            raise GroundStationError(
                f"{path}.frequencyMHz",
                f"{mhz!r} is not a frequency above 0 and at most {MAX_DOWNLINK_MHZ:g} MHz",
                "give the downlink's centre frequency in MHz, e.g. 8212.5 for TERRA's X band",
            )
        downlinks[satellite] = float(mhz) * 1e6
    return downlinks


def parse_ground_station(name: str, spec: Mapping[str, Any]) -> GroundStationSpec:
    """A GroundStation's ``spec``; raises :class:`GroundStationError` naming the field."""
    latitude = _number(spec, "latitude", None, "give the geodetic latitude in degrees")
    longitude = _number(spec, "longitude", None, "give the longitude in degrees east")
    look_ahead_hours = _number(
        spec, "lookAheadHours", DEFAULT_LOOK_AHEAD_HOURS, "give a number of hours"
    )
    if not MIN_LOOK_AHEAD_HOURS <= look_ahead_hours <= MAX_LOOK_AHEAD_HOURS:
        raise GroundStationError(
            "spec.lookAheadHours",
            f"{look_ahead_hours:g} is out of range",
            f"give {MIN_LOOK_AHEAD_HOURS:g} to {MAX_LOOK_AHEAD_HOURS:g} hours",
        )
    notice = _number(spec, "aosNoticeSeconds", DEFAULT_AOS_NOTICE_SECONDS, "give seconds")
    if not 0 <= notice <= MAX_AOS_NOTICE_SECONDS:
        raise GroundStationError(
            "spec.aosNoticeSeconds",
            f"{notice:g} is out of range",
            f"give 0 to {MAX_AOS_NOTICE_SECONDS} seconds",
        )
    try:
        station = Station(
            latitude_deg=latitude,
            longitude_deg=longitude,
            altitude_m=_number(spec, "altitudeMeters", 0.0, "give metres"),
            min_elevation_deg=_number(spec, "minElevation", 0.0, "give degrees"),
            horizon_mask=_horizon_mask(spec.get("horizonMask")),
            name=str(spec.get("displayName") or name),
        )
    except StationError as error:
        raise GroundStationError(_station_path(error), error.problem, error.hint) from None
    cluster = spec.get("kafkaCluster")
    return GroundStationSpec(
        station=station,
        selector=parse_selector(spec.get("satelliteSelector")),
        look_ahead=timedelta(hours=look_ahead_hours),
        aos_notice=timedelta(seconds=notice),
        downlinks_hz=_downlinks(spec.get("downlinks")),
        kafka_cluster=str(cluster) if cluster else None,
    )
