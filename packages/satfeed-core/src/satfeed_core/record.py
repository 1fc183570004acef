"""Position record schema v1: what producers publish to Kafka and the frontend reads.

One JSON object per satellite position, keyed in Kafka by the satellite id. The schema is
``docs/schema/position-record-v1.schema.json``; ``docs/record-schema.md`` explains it.

Readers are tolerant: they ignore fields they do not know, and accept a record of a newer
schema version as long as it still has every v1 field, so the schema can grow without
breaking deployed readers. Writers are strict: :class:`PositionRecord` refuses values out
of range, and :func:`encode_record` writes exactly the v1 fields.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

SCHEMA_VERSION: Final = 1

# A Kubernetes object name (DNS-1123 subdomain), which a Satellite's name is.
_SATELLITE_ID: Final = re.compile(
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
)
_SATELLITE_ID_MAX_LENGTH: Final = 253
# RFC 3339 date-time: a full time of day and a UTC offset, fractional seconds optional.
_RFC3339: Final = re.compile(
    r"(?P<seconds>\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})"
    r"(?P<fraction>\.\d+)?(?P<offset>[Zz]|[+-]\d{2}:\d{2})"
)
# How a Python value from json.loads is called in JSON.
_JSON_TYPE_NAMES: Final = {
    bool: "boolean",
    int: "number",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
    type(None): "null",
}


class RecordError(ValueError):
    """A position record that is not valid v1; ``field`` names the culprit if there is one."""

    def __init__(self, field: str | None, problem: str) -> None:
        self.field = field
        self.problem = problem
        where = f"position record field {field!r}" if field else "position record"
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True, slots=True)
class PositionRecord:
    """One satellite's position at one time, as schema v1 carries it.

    Both times are kept in UTC at millisecond precision, the precision the wire format
    has, so that decoding an encoded record gives back an equal record.
    """

    satellite: str
    """The Kubernetes Satellite's name; also the Kafka record key."""
    name: str
    """Display name."""
    norad_id: int
    time: datetime
    """When the satellite is at this position."""
    lon: float
    """Geodetic longitude, degrees, -180..180."""
    lat: float
    """Geodetic latitude on WGS-84, degrees, -90..90."""
    alt_km: float
    """Height above the WGS-84 ellipsoid, km."""
    speed_km_s: float
    """Magnitude of the inertial velocity, km/s."""
    elements_epoch: datetime
    """Epoch of the element set the position was computed from."""

    def __post_init__(self) -> None:
        _check_type("satellite", self.satellite, str)
        if not _SATELLITE_ID.fullmatch(self.satellite) or (
            len(self.satellite) > _SATELLITE_ID_MAX_LENGTH
        ):
            raise RecordError(
                "satellite",
                f"{self.satellite!r} is not a Kubernetes object name (lower-case letters, "
                f"digits, '-' and '.', starting and ending with a letter or digit, at most "
                f"{_SATELLITE_ID_MAX_LENGTH} characters)",
            )
        _check_type("name", self.name, str)
        if (
            isinstance(self.norad_id, bool)
            or not isinstance(self.norad_id, int)
            or self.norad_id < 1
        ):
            raise RecordError("norad_id", f"{self.norad_id!r} is not a positive whole number")
        _check_number("lon", self.lon, -180.0, 180.0)
        _check_number("lat", self.lat, -90.0, 90.0)
        _check_number("alt_km", self.alt_km)
        _check_number("speed_km_s", self.speed_km_s, 0.0)
        for field in ("time", "elements_epoch"):
            value = getattr(self, field)
            _check_type(field, value, datetime)
            if value.tzinfo is None:
                raise RecordError(field, f"{value.isoformat()} has no time zone")
            utc_ms = value.astimezone(UTC).replace(microsecond=value.microsecond // 1000 * 1000)
            object.__setattr__(self, field, utc_ms)  # frozen: the one place it is set


def encode_record(record: PositionRecord) -> bytes:
    """The record as compact UTF-8 JSON, schema v1."""
    document = {
        "v": SCHEMA_VERSION,
        "satellite": record.satellite,
        "name": record.name,
        "norad_id": record.norad_id,
        "time": format_time(record.time),
        "lon": record.lon,
        "lat": record.lat,
        "alt_km": record.alt_km,
        "speed_km_s": record.speed_km_s,
        "elements_epoch": format_time(record.elements_epoch),
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def record_key(record: PositionRecord) -> bytes:
    """The Kafka record key: the satellite id, so one satellite's records stay in order."""
    return record.satellite.encode()


def decode_record(data: bytes | str) -> PositionRecord:
    """A record from JSON of schema v1 or newer; raises :class:`RecordError` naming the field.

    Unknown fields are ignored. ``NaN`` and ``Infinity`` (which Python's json accepts but
    JSON does not) are rejected where a v1 field holds them.
    """
    try:
        document = json.loads(data)
    except UnicodeDecodeError as exc:
        raise RecordError(None, f"is not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise RecordError(None, f"is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise RecordError(None, f"is a JSON {_json_type(document)}, expected an object")
    version = _field(document, "v")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise RecordError("v", f"schema version {version!r} is not a whole number from 1 up")
    return PositionRecord(
        satellite=_field(document, "satellite"),
        name=_field(document, "name"),
        norad_id=_field(document, "norad_id"),
        time=_parse_time("time", _field(document, "time")),
        lon=_field(document, "lon"),
        lat=_field(document, "lat"),
        alt_km=_field(document, "alt_km"),
        speed_km_s=_field(document, "speed_km_s"),
        elements_epoch=_parse_time("elements_epoch", _field(document, "elements_epoch")),
    )


def format_time(when: datetime) -> str:
    """RFC 3339 in UTC with milliseconds and ``Z``, e.g. ``2026-08-22T12:00:00.000Z``."""
    return when.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def _field(document: dict[str, Any], field: str) -> Any:
    """A field's raw JSON value; PositionRecord checks its type."""
    if field not in document:
        raise RecordError(field, "is missing")
    return document[field]


def _parse_time(field: str, raw: object) -> datetime:
    if not isinstance(raw, str):
        raise RecordError(field, f"is a {_json_type(raw)}, expected a string")
    match = _RFC3339.fullmatch(raw)
    if not match:
        raise RecordError(
            field, f"{raw!r} is not an RFC 3339 time such as '2026-08-22T12:00:00.000Z'"
        )
    # fromisoformat takes at most 6 fraction digits and no lower-case 'z'.
    fraction = (match["fraction"] or "")[:7]
    offset = "+00:00" if match["offset"] in "Zz" else match["offset"]
    try:
        return datetime.fromisoformat(match["seconds"] + fraction + offset)
    except ValueError as exc:
        raise RecordError(field, f"{raw!r} is not a real date and time: {exc}") from None


def _check_type(field: str, value: object, expected: type) -> None:
    # bool is an int to Python, never a number or string in a record.
    if isinstance(value, bool) or not isinstance(value, expected):
        wanted = _JSON_TYPE_NAMES.get(expected, expected.__name__)
        raise RecordError(field, f"is a {_json_type(value)}, expected a {wanted}")


def _check_number(
    field: str, value: object, low: float = -math.inf, high: float = math.inf
) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecordError(field, f"is a {_json_type(value)}, expected a number")
    if not math.isfinite(value):
        raise RecordError(field, f"{value} is not a finite number")
    if not low <= value <= high:
        allowed = f"at least {low:g}" if math.isinf(high) else f"from {low:g} to {high:g}"
        raise RecordError(field, f"{value} is out of range: it must be {allowed}")


def _json_type(value: object) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)
