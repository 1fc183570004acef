"""satfeed_core.stations: a ground station's values are checked, and its horizon mask read."""

from __future__ import annotations

import math

import pytest
from satfeed_core.stations import Station, StationError, interpolate_mask, parse_horizon_mask


def refused(**values: object) -> StationError:
    arguments: dict[str, object] = {"latitude_deg": 49.87, "longitude_deg": 8.65}
    arguments.update(values)
    with pytest.raises(StationError) as raised:
        Station(**arguments)  # type: ignore[arg-type]
    return raised.value


@pytest.mark.parametrize("latitude", [90.5, -91.0, math.nan, math.inf])
def test_a_latitude_outside_90_degrees_is_refused(latitude: float) -> None:
    error = refused(latitude_deg=latitude)
    assert error.field == "latitude"
    assert "must be -90 to 90°" in str(error)
    assert "north positive" in str(error)


@pytest.mark.parametrize("longitude", [180.5, -200.0, 359.0])
def test_a_longitude_outside_180_degrees_is_refused(longitude: float) -> None:
    error = refused(longitude_deg=longitude)
    assert str(error).startswith(f"station longitude: {longitude:g}° is out of range")
    assert "subtract 360 from a longitude given 0 to 360" in str(error)


@pytest.mark.parametrize("altitude", [144_000.0, -1_500.0])
def test_an_unreasonable_altitude_is_refused(altitude: float) -> None:
    error = refused(altitude_m=altitude)
    assert error.field == "altitude"
    assert "must be -1000 to 10000 m" in str(error)
    assert "in metres (not kilometres or feet)" in str(error)


@pytest.mark.parametrize("elevation", [-5.5, 90.5])
def test_a_minimum_elevation_outside_minus_5_to_90_is_refused(elevation: float) -> None:
    error = refused(min_elevation_deg=elevation)
    assert error.field == "minimum elevation"
    assert "must be -5 to 90°" in str(error)


def test_a_value_that_is_not_a_number_is_refused() -> None:
    error = refused(latitude_deg="49.87")
    assert "'49.87' is not a number" in str(error)


def test_edges_of_the_ranges_are_accepted() -> None:
    for latitude, longitude in ((90.0, 180.0), (-90.0, -180.0)):
        Station(latitude, longitude, altitude_m=-1000.0, min_elevation_deg=-5.0)
    Station(0.0, 0.0, altitude_m=10_000.0, min_elevation_deg=90.0)


def test_a_mask_with_unsorted_azimuths_is_refused() -> None:
    error = refused(horizon_mask=((0.0, 5.0), (180.0, 10.0), (90.0, 3.0)))
    assert error.field == "horizon mask point 3 azimuth"
    assert "90° is smaller than point 2's 180°" in str(error)
    assert "one elevation for each azimuth" in str(error)
    assert "azimuths from 0 (north) to below 360 in increasing order" in str(error)


def test_a_mask_with_a_repeated_azimuth_is_refused() -> None:
    error = refused(horizon_mask=((0.0, 5.0), (90.0, 10.0), (90.0, 3.0)))
    assert "90° repeats point 2's 90°" in str(error)


@pytest.mark.parametrize(
    ("point", "field", "text"),
    [
        ((360.0, 5.0), "horizon mask point 2 azimuth", "360° is north again: give it as 0°"),
        ((400.0, 5.0), "horizon mask point 2 azimuth", "must be 0 to 360°"),
        ((-10.0, 5.0), "horizon mask point 2 azimuth", "-10° is out of range"),
        ((120.0, 91.0), "horizon mask point 2 elevation", "must be -5 to 90°"),
        ((120.0, math.nan), "horizon mask point 2 elevation", "nan° is out of range"),
        ((120.0,), "horizon mask point 2", "(120.0,) is not an (azimuth, elevation) pair"),
        ("120:5", "horizon mask point 2", "'120:5' is not an (azimuth, elevation) pair"),
    ],
)
def test_a_mask_point_out_of_range_is_refused(point: object, field: str, text: str) -> None:
    error = refused(horizon_mask=((0.0, 5.0), point))
    assert error.field == field
    assert text in str(error)


def test_a_mask_given_as_text_is_refused() -> None:
    error = refused(horizon_mask="0:5,90:10")
    assert "not a sequence of points (text goes through parse_horizon_mask)" in str(error)


def test_mask_text_is_parsed_and_its_errors_name_the_item() -> None:
    assert parse_horizon_mask("0:5, 90:12.5,180:3") == ((0.0, 5.0), (90.0, 12.5), (180.0, 3.0))
    with pytest.raises(StationError, match=r"point 2: '90-12' is not azimuth:elevation"):
        parse_horizon_mask("0:5,90-12")
    with pytest.raises(StationError, match=r"point 1: 'north:5' is not azimuth:elevation"):
        parse_horizon_mask("north:5")


def test_the_mask_is_interpolated_around_the_circle() -> None:
    station = Station(0.0, 0.0, min_elevation_deg=2.0, horizon_mask=((10.0, 10.0), (350.0, 30.0)))
    assert station.horizon_deg(10.0) == 10.0
    assert station.horizon_deg(180.0) == pytest.approx(20.0)  # half way from 10° to 350°
    assert station.horizon_deg(0.0) == pytest.approx(20.0)  # half way from 350° to 370°
    assert station.horizon_deg(355.0) == pytest.approx(25.0)
    assert station.horizon_deg(-5.0) == pytest.approx(25.0)
    assert station.lowest_horizon_deg == 10.0
    low = Station(0.0, 0.0, min_elevation_deg=12.0, horizon_mask=((10.0, 10.0), (350.0, 30.0)))
    assert low.horizon_deg(10.0) == 12.0  # the minimum elevation still holds
    assert low.lowest_horizon_deg == 12.0
    assert interpolate_mask(((45.0, 7.0),), 300.0) == 7.0  # one point: everywhere


def test_a_station_describes_itself() -> None:
    station = Station(-77.8463, 166.6682, 10.0, 5.0, ((0.0, 3.0),), name="McMurdo")
    assert station.describe() == (
        "McMurdo (77.8463° S, 166.6682° E, 10 m), minimum elevation 5°, horizon mask of 1 point"
    )
