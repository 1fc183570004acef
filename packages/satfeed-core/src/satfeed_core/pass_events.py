"""Pass events: what a GroundStation's pass-event topic carries (schema ``pass-event-v1``).

The operator publishes three events per pass of a followed Satellite over a station, each
when it happens: ``upcoming`` (``aosNoticeSeconds`` before AOS), ``aos`` and ``los``. A
rotator controller or a recording scheduler subscribes to the station's topic
(``satfeed.passes.<namespace>.<station>``, labelled ``satfeed.io/stream: passes``).

Each record is one UTF-8 JSON object, keyed by the Satellite's name (so one Satellite's
events stay in order). Fields are documented in ``docs/pass-events.md``; ``eventId`` is the
same for the same event of the same pass, so a consumer can drop a repeat (an operator
restart between publishing and recording it may publish an event twice).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final, Literal, get_args

from satfeed_core.labels import ENCODING_PASSES_V1

SCHEMA: Final = ENCODING_PASSES_V1
EventKind = Literal["upcoming", "aos", "los"]
EVENT_KINDS: Final[tuple[EventKind, ...]] = get_args(EventKind)
TOPIC_PREFIX: Final = "satfeed.passes"
"""A station's topic: ``satfeed.passes.<namespace>.<station>``."""
PASS_FIELDS: Final = (
    "satellite",
    "noradId",
    "aos",
    "aosAzimuth",
    "culmination",
    "maxElevation",
    "maxElevationAzimuth",
    "los",
    "losAzimuth",
    "durationSeconds",
    "sunlit",
    "downlinkMHz",
)
"""The pass's fields, as in the GroundStation's ``status.passes`` entries."""


class PassEventError(ValueError):
    """A record that is not a pass event of this schema; the message says what is wrong."""


def topic_name(namespace: str, station: str) -> str:
    return f"{TOPIC_PREFIX}.{namespace}.{station}"


def event_id(namespace: str, station: str, satellite: str, culmination: str, kind: str) -> str:
    """Stable across re-predictions: a pass is known by its culmination, to the minute (new
    elements move it by seconds)."""
    return f"{namespace}/{station}/{satellite}/{culmination[:16]}/{kind}"


def build_event(
    kind: EventKind,
    namespace: str,
    station: str,
    pass_entry: Mapping[str, Any],
    at: datetime,
) -> dict[str, Any]:
    """The event ``kind`` of the pass ``pass_entry`` (a ``status.passes`` entry)."""
    if kind not in EVENT_KINDS:
        raise PassEventError(f"{kind!r} is not a pass event kind ({', '.join(EVENT_KINDS)})")
    return {
        "schema": SCHEMA,
        "eventId": event_id(
            namespace, station, str(pass_entry["satellite"]), str(pass_entry["culmination"]), kind
        ),
        "event": kind,
        "time": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "namespace": namespace,
        "station": station,
        **{key: pass_entry[key] for key in PASS_FIELDS if key in pass_entry},
    }


def encode(event: Mapping[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()


def decode(value: bytes) -> dict[str, Any]:
    """A pass event from a record's value; raises :class:`PassEventError` saying why not."""
    try:
        event = json.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PassEventError(f"not JSON: {error}") from None
    if not isinstance(event, dict):
        raise PassEventError(f"a JSON {type(event).__name__}, not an object")
    if event.get("schema") != SCHEMA:
        raise PassEventError(f"schema {event.get('schema')!r}, expected {SCHEMA!r}")
    if event.get("event") not in EVENT_KINDS:
        raise PassEventError(f"event {event.get('event')!r} is not one of {EVENT_KINDS}")
    for key in ("eventId", "time", "station", "satellite", "culmination", "maxElevation"):
        if key not in event:
            raise PassEventError(f"{key} is missing")
    return event
