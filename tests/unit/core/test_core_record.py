"""satfeed_core.record: the v1 position record, its codec and its published JSON Schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from satfeed_core.elements import Elements
from satfeed_core.propagation import position_at
from satfeed_core.record import (
    PositionRecord,
    RecordError,
    decode_record,
    encode_record,
    record_key,
)
from satfeed_dev.toolchain import REPO_ROOT

SCHEMA_PATH = REPO_ROOT / "docs" / "schema" / "position-record-v1.schema.json"
EPOCH = datetime(2026, 8, 22, 12, 0, 46, 122912, tzinfo=UTC)


SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())


@pytest.fixture(scope="module")
def schema() -> Draft202012Validator:
    Draft202012Validator.check_schema(SCHEMA)
    return Draft202012Validator(SCHEMA)


def a_record(**changes: Any) -> PositionRecord:
    fields: dict[str, Any] = {
        "satellite": "iss",
        "name": "ISS (ZARYA)",
        "norad_id": 25544,
        "time": datetime(2026, 8, 22, 18, 0, 0, 250000, tzinfo=UTC),
        "lon": -94.689,
        "lat": -51.755,
        "alt_km": 440.78,
        "speed_km_s": 7.644,
        "elements_epoch": EPOCH,
    }
    fields.update(changes)
    return PositionRecord(**fields)


def encoded_fields(**changes: Any) -> dict[str, Any]:
    """The JSON object of a valid record with some fields changed (or removed, with ...)."""
    document: dict[str, Any] = json.loads(encode_record(a_record()))
    for field, value in changes.items():
        if value is ...:
            del document[field]
        else:
            document[field] = value
    return document


def decode_error(document: dict[str, Any] | str | bytes) -> RecordError:
    data = document if isinstance(document, str | bytes) else json.dumps(document)
    with pytest.raises(RecordError) as caught:
        decode_record(data)
    return caught.value


# --- round trip and the schema file --------------------------------------------------------


def test_a_propagated_position_round_trips(iss: Elements, schema: Draft202012Validator) -> None:
    position = position_at(iss, iss.epoch + timedelta(minutes=90))
    record = PositionRecord(
        satellite="iss-zarya",
        name=iss.name,
        norad_id=iss.norad_id,
        time=position.time,
        lon=position.lon_deg,
        lat=position.lat_deg,
        alt_km=position.alt_km,
        speed_km_s=position.speed_km_s,
        elements_epoch=iss.epoch,
    )
    data = encode_record(record)
    schema.validate(json.loads(data))
    assert decode_record(data) == record


@pytest.mark.parametrize(
    "record",
    [
        pytest.param(a_record(), id="typical"),
        pytest.param(a_record(lon=-180.0, lat=-90.0), id="south-west-corner"),
        pytest.param(a_record(lon=180, lat=90, alt_km=0, speed_km_s=0), id="whole-numbers"),
        pytest.param(a_record(name="", satellite="a"), id="no-name"),
        pytest.param(a_record(name="天宫 Tiangong ✓", satellite="css.tianhe-1"), id="unicode"),
        pytest.param(a_record(norad_id=1234567), id="omm-only-catalogue-number"),
    ],
)
def test_encoder_output_satisfies_the_published_schema(
    record: PositionRecord, schema: Draft202012Validator
) -> None:
    document = json.loads(encode_record(record))
    schema.validate(document)
    assert decode_record(encode_record(record)) == record


def test_schema_and_encoder_name_the_same_fields() -> None:
    written = set(json.loads(encode_record(a_record())))
    assert set(SCHEMA["required"]) == written
    assert set(SCHEMA["properties"]) == written


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("lat", 90.5, id="lat-too-high"),
        pytest.param("lat", -91, id="lat-too-low"),
        pytest.param("lon", 180.01, id="lon-too-high"),
        pytest.param("lon", -200, id="lon-too-low"),
        pytest.param("lon", "12.5", id="lon-as-string"),
        pytest.param("lat", None, id="lat-null"),
        pytest.param("alt_km", True, id="alt-boolean"),
        pytest.param("speed_km_s", -0.1, id="negative-speed"),
        pytest.param("norad_id", 0, id="norad-zero"),
        pytest.param("norad_id", "25544", id="norad-as-string"),
        pytest.param("satellite", "ISS", id="satellite-upper-case"),
        pytest.param("satellite", "", id="satellite-empty"),
        pytest.param("satellite", "iss-", id="satellite-trailing-dash"),
        pytest.param("name", 42, id="name-number"),
        pytest.param("time", "2026-08-22 18:00:00", id="time-without-offset"),
        pytest.param("time", 1787421600, id="time-as-number"),
        pytest.param("elements_epoch", "yesterday", id="epoch-not-a-time"),
        pytest.param("v", 0, id="version-zero"),
        pytest.param("v", "1", id="version-as-string"),
        pytest.param("lat", ..., id="lat-missing"),
        pytest.param("elements_epoch", ..., id="epoch-missing"),
    ],
)
def test_decoder_and_schema_reject_the_same_bad_field(
    field: str, value: Any, schema: Draft202012Validator
) -> None:
    document = encoded_fields(**{field: value})
    assert not schema.is_valid(document)
    error = decode_error(document)
    assert error.field == field
    assert str(error).startswith(f"position record field {field!r}: ")


# --- decoder messages -------------------------------------------------------------------------


def test_out_of_range_latitude_says_the_range() -> None:
    error = decode_error(encoded_fields(lat=91.2))
    assert (
        str(error) == "position record field 'lat': 91.2 is out of range: it must be from -90 to 90"
    )


def test_wrong_type_says_what_was_found() -> None:
    error = decode_error(encoded_fields(lon="12.5"))
    assert str(error) == "position record field 'lon': is a string, expected a number"


def test_missing_field() -> None:
    assert str(decode_error(encoded_fields(norad_id=...))).endswith("'norad_id': is missing")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(constant: str) -> None:
    data = json.dumps(encoded_fields(alt_km=0.0)).replace('"alt_km": 0.0', f'"alt_km": {constant}')
    error = decode_error(data)
    assert error.field == "alt_km"
    assert "not a finite number" in str(error)


def test_malformed_json() -> None:
    error = decode_error(b'{"v": 1, "satellite": "iss",')
    assert error.field is None
    assert str(error).startswith("position record: is not JSON")


def test_not_utf8() -> None:
    error = decode_error(b'{"v": 1, "name": "\xff"}')
    assert str(error).startswith("position record: is not UTF-8")


def test_json_that_is_not_an_object() -> None:
    assert str(decode_error("[1, 2]")) == "position record: is a JSON array, expected an object"


# --- growing the schema ---------------------------------------------------------------------


def test_unknown_fields_are_ignored() -> None:
    document = encoded_fields(heading_deg=271.5, footprint={"radius_km": 2200})
    assert decode_record(json.dumps(document)) == a_record()


def test_a_newer_version_with_the_v1_fields_is_read() -> None:
    document = encoded_fields(v=2, visibility="daylight")
    assert decode_record(json.dumps(document)) == a_record()


def test_a_newer_version_without_a_v1_field_is_refused() -> None:
    error = decode_error(encoded_fields(v=2, speed_km_s=...))
    assert error.field == "speed_km_s"


# --- times -----------------------------------------------------------------------------------


def test_times_are_written_in_utc_with_milliseconds_and_z() -> None:
    in_tokyo = datetime(2026, 8, 23, 3, 0, 0, 250999, tzinfo=timezone(timedelta(hours=9)))
    document = json.loads(encode_record(a_record(time=in_tokyo)))
    assert document["time"] == "2026-08-22T18:00:00.250Z"
    assert document["elements_epoch"] == "2026-08-22T12:00:46.122Z"


@pytest.mark.parametrize(
    "written",
    ["2026-08-22T20:00:00.250+02:00", "2026-08-22t18:00:00.25z", "2026-08-22T18:00:00.2500001Z"],
)
def test_any_rfc3339_time_is_read(written: str) -> None:
    record = decode_record(json.dumps(encoded_fields(time=written)))
    assert record.time == datetime(2026, 8, 22, 18, 0, 0, 250000, tzinfo=UTC)


def test_impossible_date_is_refused() -> None:
    error = decode_error(encoded_fields(time="2026-02-30T00:00:00.000Z"))
    assert error.field == "time"
    assert "not a real date" in str(error)


def test_naive_time_is_refused_when_building_a_record() -> None:
    with pytest.raises(RecordError, match=r"'time': .* has no time zone"):
        a_record(time=datetime(2026, 8, 22, 18, 0))


# --- Kafka ------------------------------------------------------------------------------------


def test_kafka_key_is_the_satellite_id() -> None:
    assert record_key(a_record(satellite="sentinel-2a")) == b"sentinel-2a"
