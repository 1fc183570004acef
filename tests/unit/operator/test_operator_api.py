"""Parsing and validating a Satellite without a cluster: every error names its field."""

from __future__ import annotations

from typing import Any

import pytest
from satfeed_core.elements import elements_text
from satfeed_operator.api import (
    CelestrakSource,
    ConfigMapSource,
    OmmSource,
    SpecError,
    TleSource,
    parse_duration_ms,
    parse_satellite,
    parse_spec,
    validate_elements,
    validate_inline,
)

from tests.unit.core.tle_samples import edited

TERRA = TleSource(
    "1 25994U 99068A   26234.60019697  .00000275  00000+0  64813-4 0  9995",
    "2 25994  97.9406 281.4964 0003021  47.3925 112.8934 14.61146993419305",
)
AQUA_3LE = (
    "AQUA\n"
    "1 27424U 02022A   26234.66015816  .00000614  00000+0  13188-3 0  9999\n"
    "2 27424  98.4347 205.2938 0001811  85.9128  87.8197 14.62173921292985\n"
)
TERRA_OMM: dict[str, Any] = {
    "OBJECT_NAME": "TERRA",
    "NORAD_CAT_ID": 25994,
    "EPOCH": "2026-08-22T14:24:17.018208",
    "MEAN_MOTION": 14.61146993,
    "ECCENTRICITY": 0.0003021,
    "INCLINATION": 97.9406,
    "RA_OF_ASC_NODE": 281.4964,
    "ARG_OF_PERICENTER": 47.3925,
    "MEAN_ANOMALY": 112.8934,
    "BSTAR": 6.4813e-5,
}


def tle_spec(**extra: Any) -> dict[str, Any]:
    return {"elements": {"tle": {"line1": TERRA.line1, "line2": TERRA.line2}}, **extra}


def spec_error(spec: dict[str, Any]) -> SpecError:
    with pytest.raises(SpecError) as caught:
        parse_spec(spec)
    return caught.value


def test_defaults_of_a_minimal_spec() -> None:
    spec = parse_spec({"noradId": 25994})
    assert spec.elements == CelestrakSource()
    assert spec.interval_seconds == 1.0
    assert (spec.topic.partitions, spec.topic.retention_ms, spec.topic.name) == (
        1,
        86_400_000,
        None,
    )
    assert spec.paused is False
    assert spec.kafka_cluster is None


def test_each_elements_source_is_parsed() -> None:
    assert parse_spec(tle_spec()).elements == TERRA
    assert parse_spec({"elements": {"omm": TERRA_OMM}}).elements == OmmSource(TERRA_OMM)
    assert parse_spec({"noradId": 1, "elements": {"celestrak": {}}}).elements == CelestrakSource()
    assert parse_spec({"elements": {"configMapRef": {"name": "eos"}}}).elements == (
        ConfigMapSource("eos", "elements")
    )


@pytest.mark.parametrize(
    ("spec", "path", "fix"),
    [
        ({}, "spec", "give spec.noradId"),
        ({"elements": {}}, "spec.elements", "exactly one of"),
        ({"elements": {"celestrak": {}}}, "spec.noradId", "NORAD catalogue number"),
        ({"noradId": 0}, "spec.noradId", "from 1 to"),
        ({"noradId": True}, "spec.noradId", "from 1 to"),
        (tle_spec(intervalSeconds=0), "spec.intervalSeconds", "0.1 to 3600"),
        (tle_spec(intervalSeconds=3600.5), "spec.intervalSeconds", "0.1 to 3600"),
        (tle_spec(topic={"name": "a b"}), "spec.topic.name", "a-z A-Z 0-9"),
        (tle_spec(topic={"partitions": 0}), "spec.topic.partitions", "1 or more"),
        (tle_spec(topic={"retention": "1 day"}), "spec.topic.retention", "24h"),
    ],
)
def test_invalid_specs_name_the_field_and_the_fix(
    spec: dict[str, Any], path: str, fix: str
) -> None:
    error = spec_error(spec)
    assert error.path == path
    assert fix in str(error)


def test_a_name_too_long_for_the_children_is_refused() -> None:
    body = {"metadata": {"name": "x" * 55, "namespace": "ns", "uid": "u"}, "spec": tle_spec()}
    with pytest.raises(SpecError, match="at most 54 characters") as caught:
        parse_satellite(body)
    assert caught.value.path == "metadata.name"


def test_child_names_and_the_default_topic() -> None:
    satellite = parse_satellite(
        {"metadata": {"name": "terra", "namespace": "eo", "uid": "u-1"}, "spec": tle_spec()}
    )
    assert (satellite.producer_name, satellite.elements_configmap_name) == (
        "terra-producer",
        "terra-elements",
    )
    assert satellite.wanted_topic_name == "satfeed.positions.eo.terra"
    assert satellite.owner_reference()["uid"] == "u-1"


@pytest.mark.parametrize(
    ("text", "ms"), [("24h", 86_400_000), ("90m", 5_400_000), ("1h30m", 5_400_000), ("1.5s", 1500)]
)
def test_durations(text: str, ms: int) -> None:
    assert parse_duration_ms(text) == ms


@pytest.mark.parametrize("text", ["", "24", "1d", "h", "1h 30m", "-1h"])
def test_not_durations(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration_ms(text)


def test_a_bad_checksum_points_at_the_line_and_column() -> None:
    broken = TleSource(TERRA.line1[:68] + "6", TERRA.line2)
    with pytest.raises(SpecError) as caught:
        validate_inline(broken, None)
    assert caught.value.path == "spec.elements.tle.line1"
    assert "column 69: checksum is 6, expected 5" in str(caught.value)
    assert "\n" not in str(caught.value)  # it goes into a one-line condition message


def test_an_omm_problem_points_at_the_field() -> None:
    record = {**TERRA_OMM, "ECCENTRICITY": 1.5}
    with pytest.raises(SpecError) as caught:
        validate_inline(OmmSource(record), 25994)
    assert caught.value.path == "spec.elements.omm.ECCENTRICITY"


def test_inline_elements_become_the_producer_file() -> None:
    terra = validate_inline(TERRA, 25994)
    assert terra.norad_id == 25994
    assert elements_text(terra) == f"{TERRA.line1}\n{TERRA.line2}\n"
    omm_text = elements_text(validate_inline(OmmSource(TERRA_OMM), 25994))
    assert validate_elements(omm_text, "x", 25994).name == "TERRA"


def test_only_the_selected_set_of_a_group_goes_to_the_producer() -> None:
    """One rule everywhere: by NORAD id, then the newest epoch; the file holds just that."""
    newer_line1 = edited(TERRA.line1, 19, "26365.00000000")
    group = f"TERRA\n{TERRA.line1}\n{TERRA.line2}\nTERRA\n{newer_line1}\n{TERRA.line2}\n"
    chosen = validate_elements(group + AQUA_3LE, "p", 25994)
    assert chosen.epoch.year == 2026
    assert chosen.epoch.timetuple().tm_yday == 365
    assert elements_text(chosen) == f"TERRA\n{newer_line1}\n{TERRA.line2}\n"


def test_the_norad_id_picks_from_a_group_and_must_match() -> None:
    group = f"TERRA\n{TERRA.line1}\n{TERRA.line2}\n{AQUA_3LE}"
    assert validate_elements(group, "p", 27424).name == "AQUA"
    with pytest.raises(SpecError, match="holds element sets of 2 objects"):
        validate_elements(group, "p", None)
    with pytest.raises(SpecError, match="no element set for NORAD 28376"):
        validate_elements(group, "p", 28376)
