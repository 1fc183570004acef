"""A GroundStation's spec as the operator and the frontend read it, and the CRD that
repeats its bounds for the apiserver."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from satfeed_core import ground_station as gs
from satfeed_core import stations

CRD = Path(__file__).parents[3] / "charts/satfeed-operator/crds/groundstations.satfeed.io.yaml"
DARMSTADT: dict[str, Any] = {"latitude": 49.87, "longitude": 8.65, "altitudeMeters": 144}


def spec_schema() -> dict[str, Any]:
    crd = yaml.safe_load(CRD.read_text())
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    properties: dict[str, Any] = schema["properties"]["spec"]["properties"]
    return properties


def test_defaults_follow_every_satellite_for_a_day() -> None:
    parsed = gs.parse_ground_station("darmstadt", DARMSTADT)
    assert parsed.station.name == "darmstadt"
    assert parsed.station.altitude_m == 144
    assert parsed.look_ahead == timedelta(hours=24)
    assert parsed.aos_notice == timedelta(seconds=300)
    assert parsed.selector.matches({"anything": "at-all"})
    assert parsed.selector.describe() == "(all Satellites)"
    assert parsed.downlinks_hz == {}


def test_the_crd_s_bounds_and_defaults_are_the_contract_s() -> None:
    props = spec_schema()
    assert (props["latitude"]["minimum"], props["latitude"]["maximum"]) == (
        stations.MIN_LATITUDE_DEG,
        stations.MAX_LATITUDE_DEG,
    )
    assert (props["longitude"]["minimum"], props["longitude"]["maximum"]) == (
        stations.MIN_LONGITUDE_DEG,
        stations.MAX_LONGITUDE_DEG,
    )
    assert (props["altitudeMeters"]["minimum"], props["altitudeMeters"]["maximum"]) == (
        stations.MIN_ALTITUDE_M,
        stations.MAX_ALTITUDE_M,
    )
    for key in ("minElevation",):
        assert (props[key]["minimum"], props[key]["maximum"]) == (
            stations.MIN_ELEVATION_DEG,
            stations.MAX_ELEVATION_DEG,
        )
    look = props["lookAheadHours"]
    assert (look["minimum"], look["maximum"], look["default"]) == (
        gs.MIN_LOOK_AHEAD_HOURS,
        gs.MAX_LOOK_AHEAD_HOURS,
        gs.DEFAULT_LOOK_AHEAD_HOURS,
    )
    notice = props["aosNoticeSeconds"]
    assert (notice["maximum"], notice["default"]) == (
        gs.MAX_AOS_NOTICE_SECONDS,
        gs.DEFAULT_AOS_NOTICE_SECONDS,
    )
    assert props["downlinks"]["items"]["properties"]["frequencyMHz"]["maximum"] == (
        gs.MAX_DOWNLINK_MHZ
    )
    assert props["horizonMask"]["maxItems"] == gs.MAX_HORIZON_POINTS
    operators = props["satelliteSelector"]["properties"]["matchExpressions"]["items"]
    assert tuple(operators["properties"]["operator"]["enum"]) == gs.SELECTOR_OPERATORS


def test_a_horizon_mask_in_any_order_is_sorted_by_azimuth() -> None:
    mask = [{"azimuth": 180, "elevation": 3}, {"azimuth": 0, "elevation": 5}]
    parsed = gs.parse_ground_station("s", {**DARMSTADT, "horizonMask": mask})
    assert parsed.station.horizon_mask == ((0.0, 5.0), (180.0, 3.0))


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"latitude": 91}, "spec.latitude", "out of range"),
        ({"latitude": "north"}, "spec.latitude", "not a number"),
        ({"longitude": 190}, "spec.longitude", "subtract 360"),
        ({"altitudeMeters": 144_000}, "spec.altitudeMeters", "metres"),
        ({"minElevation": -10}, "spec.minElevation", "out of range"),
        ({"minElevation": 95}, "spec.minElevation", "out of range"),
        (
            {"horizonMask": [{"azimuth": 90, "elevation": 5}, {"azimuth": 90, "elevation": 9}]},
            "spec.horizonMask[1].azimuth",
            "one elevation for each azimuth",
        ),
        ({"horizonMask": [{"azimuth": 360, "elevation": 5}]}, "spec.horizonMask[0].azimuth", "0°"),
        ({"horizonMask": [[0, 5]]}, "spec.horizonMask[0]", "azimuth, elevation"),
        ({"horizonMask": "0:5"}, "spec.horizonMask", "not a list"),
        ({"lookAheadHours": 0.5}, "spec.lookAheadHours", "1 to 168"),
        ({"lookAheadHours": 24 * 30}, "spec.lookAheadHours", "1 to 168"),
        ({"aosNoticeSeconds": -1}, "spec.aosNoticeSeconds", "0 to 86400"),
        (
            {"downlinks": [{"satellite": "terra", "frequencyMHz": 0}]},
            "spec.downlinks[0].frequencyMHz",
            "MHz",
        ),
        (
            {
                "downlinks": [
                    {"satellite": "terra", "frequencyMHz": 8212.5},
                    {"satellite": "terra", "frequencyMHz": 8160},
                ]
            },
            "spec.downlinks[1].satellite",
            "listed twice",
        ),
        (
            {"satelliteSelector": {"matchExpressions": [{"key": "k", "operator": "Like"}]}},
            "spec.satelliteSelector.matchExpressions[0].operator",
            "In, NotIn, Exists, DoesNotExist",
        ),
        (
            {"satelliteSelector": {"matchExpressions": [{"key": "k", "operator": "In"}]}},
            "spec.satelliteSelector.matchExpressions[0].values",
            "needs values",
        ),
        (
            {"satelliteSelector": {"matchLabels": {"k": 1}}},
            "spec.satelliteSelector.matchLabels",
            "",
        ),
    ],
)
def test_bad_specs_name_the_field_and_the_fix(
    change: dict[str, Any], path: str, words: str
) -> None:
    with pytest.raises(gs.GroundStationError) as raised:
        gs.parse_ground_station("s", {**DARMSTADT, **change})
    assert raised.value.path == path
    assert words in str(raised.value)


def test_a_missing_latitude_is_named() -> None:
    with pytest.raises(gs.GroundStationError, match=r"spec\.latitude: is missing"):
        gs.parse_ground_station("s", {"longitude": 8.65})


def test_the_selector_matches_as_kubernetes_does() -> None:
    selector = gs.parse_selector(
        {
            "matchLabels": {"team": "eo"},
            "matchExpressions": [
                {"key": "band", "operator": "In", "values": ["x", "s"]},
                {"key": "retired", "operator": "DoesNotExist"},
            ],
        }
    )
    assert selector.matches({"team": "eo", "band": "x"})
    assert not selector.matches({"team": "eo", "band": "l"})
    assert not selector.matches({"team": "eo", "band": "x", "retired": "yes"})
    assert not selector.matches({"band": "x"})
    assert selector.describe() == "team=eo,band in (x,s),!retired"


def test_downlinks_are_kept_in_hz_by_satellite() -> None:
    parsed = gs.parse_ground_station(
        "s", {**DARMSTADT, "downlinks": [{"satellite": "terra", "frequencyMHz": 8212.5}]}
    )
    assert parsed.downlinks_hz == {"terra": 8_212_500_000.0}
