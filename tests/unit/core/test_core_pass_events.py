"""Pass events as the operator publishes them: built from a real pass, valid against the
documented JSON Schema, and refused with a reason when they are not pass events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from satfeed_core import pass_events
from satfeed_core.elements import Elements
from satfeed_core.passes import predict_passes
from satfeed_core.stations import Station
from satfeed_dev.toolchain import REPO_ROOT

SCHEMA = json.loads((REPO_ROOT / "docs/schema/pass-event-v1.schema.json").read_text())
START = datetime(2026, 8, 23, tzinfo=UTC)


def a_pass_entry(iss: Elements) -> dict[str, Any]:
    prediction = predict_passes(iss, Station(49.87, 8.65), START, START + timedelta(hours=24))
    one = next(each for each in prediction.passes if each.aos and each.los)
    assert one.aos is not None
    assert one.los is not None
    return {
        "satellite": "iss",
        "noradId": iss.norad_id,
        "aos": f"{one.aos.time:%Y-%m-%dT%H:%M:%SZ}",
        "aosAzimuth": round(one.aos.azimuth_deg, 2),
        "culmination": f"{one.culmination.time:%Y-%m-%dT%H:%M:%SZ}",
        "maxElevation": round(one.culmination.elevation_deg, 2),
        "maxElevationAzimuth": round(one.culmination.azimuth_deg, 2),
        "los": f"{one.los.time:%Y-%m-%dT%H:%M:%SZ}",
        "losAzimuth": round(one.los.azimuth_deg, 2),
        "durationSeconds": round(one.duration.total_seconds()),
        "sunlit": one.sunlit,
        "downlinkMHz": 145.825,
    }


@pytest.mark.parametrize("kind", pass_events.EVENT_KINDS)
def test_each_event_is_valid_against_the_documented_schema(
    iss: Elements, kind: pass_events.EventKind
) -> None:
    Draft202012Validator.check_schema(SCHEMA)
    entry = a_pass_entry(iss)
    event = pass_events.build_event(kind, "default", "darmstadt", entry, START)
    Draft202012Validator(SCHEMA).validate(event)
    decoded = pass_events.decode(pass_events.encode(event))
    assert decoded == event
    assert decoded["eventId"] == f"default/darmstadt/iss/{entry['culmination'][:16]}/{kind}"
    assert decoded["time"] == "2026-08-23T00:00:00.000Z"


def test_the_same_pass_moved_by_seconds_keeps_its_event_ids(iss: Elements) -> None:
    entry = a_pass_entry(iss)
    moved = {**entry, "culmination": entry["culmination"][:17] + "59Z"}
    first = pass_events.build_event("aos", "ns", "s", entry, START)
    second = pass_events.build_event("aos", "ns", "s", moved, START)
    assert first["eventId"] == second["eventId"]


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (b"\xff", "not JSON"),
        (b"[1]", "not an object"),
        (b'{"schema": "position-v1"}', "expected 'pass-event-v1'"),
        (b'{"schema": "pass-event-v1", "event": "rise"}', "event 'rise'"),
        (b'{"schema": "pass-event-v1", "event": "aos"}', "eventId is missing"),
    ],
)
def test_what_is_not_a_pass_event_is_refused_with_why(value: bytes, words: str) -> None:
    with pytest.raises(pass_events.PassEventError, match=words):
        pass_events.decode(value)
