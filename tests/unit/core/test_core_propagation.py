"""satfeed_core.propagation against skyfield (positions) and python-sgp4 (which objects fail).

skyfield's EarthSatellite runs the same SGP4 and takes TEME to ITRS with UT1 and its own
WGS-84 conversion, so it is an independent check of our frame and geodetic conversions.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from numpy.typing import NDArray
from satfeed_core.elements import Elements, parse_omm_json, tle_elements
from satfeed_core.propagation import (
    PropagationError,
    PyorbitalPropagator,
    PyorbitalUnsupportedError,
    Sgp4Propagator,
    position_at,
    propagator_for,
)
from sgp4.api import SatrecArray
from skyfield.api import EarthSatellite, load, wgs84

from tests.unit.core.tle_samples import ISS_LINE1, ISS_LINE2, edited, sgp4_satrec

MEAN_EARTH_RADIUS_KM = 6371.0
# Up to three days either side of each element set's epoch, as the brief asks.
EPOCH_OFFSETS_DAYS = np.array([-3.0, -1.25, 0.0, 0.6, 1.9, 3.0])


def decaying_satellite() -> Elements:
    """The ISS's orbit with a huge drag term: SGP4 has it decay (error 6) within two days."""
    return tle_elements(edited(ISS_LINE1, 54, " 30000+0"), ISS_LINE2, "FALLING STAR")


def is_deep_space(elements: Elements) -> bool:
    """SGP4's own verdict (its SDP4 branch), from the TLE text."""
    return bool(sgp4_satrec(elements).method == "d")


def sgp4_error_codes(elements: Elements, times: NDArray[np.datetime64]) -> NDArray[np.int64]:
    """What python-sgp4, set up from the TLE text by its own parser, says at each time."""
    satrec = sgp4_satrec(elements)
    days = (times - np.datetime64("1970-01-01T00:00")) / np.timedelta64(1, "D")
    codes, _, _ = satrec.sgp4_array(np.full(days.shape, 2440587.5), days)
    return np.asarray(codes, dtype=np.int64)


def times_around_epoch(
    elements: Elements, offsets_days: NDArray[np.float64]
) -> NDArray[np.datetime64]:
    epoch = np.datetime64(elements.epoch.replace(tzinfo=None), "us")
    return epoch + (offsets_days * 86400e6).astype("timedelta64[us]")


def ground_distance_km(
    lat1: NDArray[np.float64],
    lon1: NDArray[np.float64],
    lat2: NDArray[np.float64],
    lon2: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Great-circle distance between two sub-satellite points (haversine)."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    half_chord = (
        np.sin((phi2 - phi1) / 2) ** 2
        + np.cos(phi1) * np.cos(phi2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    return np.asarray(2 * MEAN_EARTH_RADIUS_KM * np.arcsin(np.sqrt(half_chord)))


# --- the whole catalogue ------------------------------------------------------------------


def test_every_object_sgp4_can_propagate_gets_a_position(catalogue: list[Elements]) -> None:
    when = np.array(["2026-08-23T12:00:00"], dtype="datetime64[us]")
    positions = Sgp4Propagator(catalogue).positions_at(when)

    reference = SatrecArray([sgp4_satrec(each) for each in catalogue])
    expected_codes, _, _ = reference.sgp4(np.array([2461275.5]), np.array([0.5]))
    np.testing.assert_array_equal(positions.error_code, expected_codes)

    ok = expected_codes == 0
    assert np.isfinite(positions.lat_deg[[is_deep_space(each) for each in catalogue]]).any()
    for values in (positions.lon_deg, positions.lat_deg, positions.alt_km, positions.speed_km_s):
        assert np.isfinite(values[ok]).all()
        assert np.isnan(values[~ok]).all()
    assert ((positions.lon_deg[ok] >= -180.0) & (positions.lon_deg[ok] < 180.0)).all()
    assert (np.abs(positions.lat_deg[ok]) <= 90.0).all()
    assert (positions.alt_km[ok] > 0.0).all()

    failures = positions.failures()
    assert [f.elements.norad_id for f in failures] == [
        catalogue[row].norad_id for row in np.flatnonzero(~ok[:, 0])
    ]
    for failure in failures:
        assert failure.elements.name in str(failure)
        assert f"sgp4 error {failure.code}" in str(failure)


# --- agreement with skyfield --------------------------------------------------------------


@pytest.fixture(scope="module")
def skyfield_sample(catalogue: list[Elements]) -> list[Elements]:
    """150 objects at random and 60 more from the deep-space part of the catalogue."""
    rng = np.random.default_rng(20260822)
    deep_space = [each for each in catalogue if is_deep_space(each)]
    return [catalogue[i] for i in rng.choice(len(catalogue), 150, replace=False)] + [
        deep_space[i] for i in rng.choice(len(deep_space), 60, replace=False)
    ]


def skyfield_reference(
    elements: Elements, times: NDArray[np.datetime64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """skyfield's latitude, longitude, height and inertial speed at the times."""
    assert elements.tle_lines is not None
    timescale = load.timescale()  # skyfield's built-in UT1 and leap second tables
    satellite = EarthSatellite(*elements.tle_lines, elements.name, timescale)
    when = timescale.from_datetimes(
        [datetime.fromisoformat(str(t)).replace(tzinfo=UTC) for t in times]
    )
    geocentric = satellite.at(when)
    point = wgs84.geographic_position_of(geocentric)
    speed = np.linalg.norm(geocentric.velocity.km_per_s, axis=0)
    return point.latitude.degrees, point.longitude.degrees, point.elevation.km, speed


def test_sgp4_path_agrees_with_skyfield(skyfield_sample: list[Elements]) -> None:
    assert sum(is_deep_space(each) for each in skyfield_sample) >= 60
    worst_ground_km = worst_height_km = worst_speed_km_s = 0.0
    compared = 0
    for elements in skyfield_sample:
        times = times_around_epoch(elements, EPOCH_OFFSETS_DAYS)
        ours = Sgp4Propagator(elements).positions_at(times)
        lat, lon, height, speed = skyfield_reference(elements, times)
        ok = ours.error_code[0] == 0
        ground = ground_distance_km(ours.lat_deg[0], ours.lon_deg[0], lat, lon)[ok]
        if ground.size:
            worst_ground_km = max(worst_ground_km, float(ground.max()))
            worst_height_km = max(worst_height_km, float(np.abs(ours.alt_km[0] - height)[ok].max()))
            worst_speed_km_s = max(
                worst_speed_km_s, float(np.abs(ours.speed_km_s[0] - speed)[ok].max())
            )
            compared += int(ok.sum())
    assert compared > 0.95 * len(skyfield_sample) * len(EPOCH_OFFSETS_DAYS)
    assert worst_ground_km < 1.0
    assert worst_height_km < 0.5
    assert worst_speed_km_s < 1e-3


def test_pyorbital_path_agrees_with_skyfield(skyfield_sample: list[Elements]) -> None:
    near_earth = [each for each in skyfield_sample if not is_deep_space(each)]
    worst_ground_km = worst_height_km = 0.0
    for elements in near_earth:
        times = times_around_epoch(elements, EPOCH_OFFSETS_DAYS)
        ours = PyorbitalPropagator(elements).positions_at(times)
        lat, lon, height, _ = skyfield_reference(elements, times)
        ok = ours.error_code[0] == 0
        if ok.any():
            ground = ground_distance_km(ours.lat_deg[0], ours.lon_deg[0], lat, lon)[ok]
            worst_ground_km = max(worst_ground_km, float(ground.max()))
            worst_height_km = max(worst_height_km, float(np.abs(ours.alt_km[0] - height)[ok].max()))
    assert worst_ground_km < 1.0
    assert worst_height_km < 0.5


# --- which propagator ---------------------------------------------------------------------


def test_pyorbital_is_used_where_it_can_be(catalogue: list[Elements]) -> None:
    iss = tle_elements(ISS_LINE1, ISS_LINE2, "ISS (ZARYA)")
    assert isinstance(propagator_for(iss), PyorbitalPropagator)
    assert isinstance(propagator_for(catalogue[:10]), Sgp4Propagator)


def test_deep_space_goes_to_sgp4(catalogue: list[Elements]) -> None:
    deep_space = next(each for each in catalogue if is_deep_space(each))
    with pytest.raises(PyorbitalUnsupportedError, match="Deep space"):
        PyorbitalPropagator(deep_space)
    assert isinstance(propagator_for(deep_space), Sgp4Propagator)


def test_low_perigee_goes_to_sgp4() -> None:
    low = tle_elements(ISS_LINE1, edited(ISS_LINE2, 53, "16.20000000"), "LOW")
    assert low.perigee_altitude_km < 220.0
    with pytest.raises(PyorbitalUnsupportedError):
        PyorbitalPropagator(low)
    propagator = propagator_for(low)
    assert isinstance(propagator, Sgp4Propagator)
    assert propagator.positions_at(low.epoch).position().alt_km < 220.0


def test_omm_element_sets_propagate_like_their_tle() -> None:
    iss = tle_elements(ISS_LINE1, ISS_LINE2, "ISS (ZARYA)")
    omm = {
        "OBJECT_NAME": "ISS (ZARYA)",
        "NORAD_CAT_ID": 1234567,  # beyond what a TLE or sgp4init's satnum can hold
        "EPOCH": "2026-08-22T12:00:46.122912",
        "MEAN_MOTION": 15.49570248,
        "ECCENTRICITY": 0.0007668,
        "INCLINATION": 51.6331,
        "RA_OF_ASC_NODE": 331.8814,
        "ARG_OF_PERICENTER": 72.6488,
        "MEAN_ANOMALY": 287.5339,
        "BSTAR": 0.00017025,
        "MEAN_MOTION_DOT": 9.133e-5,
        "MEAN_MOTION_DDOT": 0,
    }
    from_omm = parse_omm_json(json.dumps(omm))[0]
    assert isinstance(propagator_for(from_omm), Sgp4Propagator)
    times = times_around_epoch(iss, EPOCH_OFFSETS_DAYS)
    a = Sgp4Propagator(from_omm).positions_at(times)
    b = Sgp4Propagator(iss).positions_at(times)
    assert ground_distance_km(a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg).max() < 0.001
    np.testing.assert_allclose(a.alt_km, b.alt_km, atol=0.001)


# --- times ----------------------------------------------------------------------------------


def test_the_same_instant_in_any_form_gives_the_same_position() -> None:
    propagator = propagator_for(tle_elements(ISS_LINE1, ISS_LINE2))
    utc = datetime(2026, 8, 23, 6, 30, tzinfo=UTC)
    paris = utc.astimezone(timezone(timedelta(hours=2)))
    as_numpy = np.array(["2026-08-23T06:30:00"], dtype="datetime64[ms]")
    positions = [propagator.positions_at(t).position() for t in (utc, [paris], as_numpy)]
    assert positions[0] == positions[1] == positions[2]
    assert positions[0].time == utc


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        propagator_for(tle_elements(ISS_LINE1, ISS_LINE2)).positions_at(datetime(2026, 8, 23))


def test_many_satellites_at_many_times(earth_observation: list[Elements]) -> None:
    times = np.datetime64("2026-08-22T18:00", "us") + np.arange(30) * np.timedelta64(1, "m")
    together = Sgp4Propagator(earth_observation).positions_at(times)
    assert together.lat_deg.shape == (len(earth_observation), 30)
    for row, elements in enumerate(earth_observation):
        alone = Sgp4Propagator(elements).positions_at(times)
        np.testing.assert_array_equal(together.lat_deg[row], alone.lat_deg[0])
        np.testing.assert_array_equal(together.lon_deg[row], alone.lon_deg[0])


# --- failures -------------------------------------------------------------------------------


def test_decayed_satellite_raises_an_error_naming_it_and_the_cause() -> None:
    falling = decaying_satellite()
    when = falling.epoch + timedelta(days=2)
    assert (
        sgp4_error_codes(falling, np.array([when.replace(tzinfo=None)], "datetime64[us]"))[0] == 6
    )
    with pytest.raises(PropagationError) as caught:
        position_at(falling, when)
    assert caught.value.code == 6
    message = str(caught.value)
    assert "FALLING STAR (NORAD 25544)" in message
    assert "sgp4 error 6" in message
    assert "decayed" in message


def test_eccentricity_out_of_range_raises_an_error_naming_the_cause() -> None:
    line1 = edited(ISS_LINE1, 54, " 50000-1")
    line2 = edited(ISS_LINE2, 53, "16.20000000")
    dragged = tle_elements(line1, line2, "DRAGGED")
    when = dragged.epoch + timedelta(days=1)
    assert (
        sgp4_error_codes(dragged, np.array([when.replace(tzinfo=None)], "datetime64[us]"))[0] == 1
    )
    with pytest.raises(PropagationError, match=r"DRAGGED .*sgp4 error 1, mean eccentricity"):
        position_at(dragged, when)


def test_a_time_series_through_decay_keeps_the_positions_before_it() -> None:
    falling = decaying_satellite()
    times = times_around_epoch(falling, np.linspace(0.0, 2.0, 41))
    expected_codes = sgp4_error_codes(falling, times)
    assert expected_codes[0] == 0
    assert expected_codes[-1] == 6
    # pyorbital cannot fail single times; the propagator must still give each time its answer.
    for propagator in (PyorbitalPropagator(falling), Sgp4Propagator(falling)):
        positions = propagator.positions_at(times)
        np.testing.assert_array_equal(positions.error_code[0], expected_codes)
        assert np.isfinite(positions.alt_km[0][expected_codes == 0]).all()


def test_one_failure_does_not_spoil_a_batch(earth_observation: list[Elements]) -> None:
    falling = decaying_satellite()
    batch = [*earth_observation[:3], falling, *earth_observation[3:6]]
    when = falling.epoch + timedelta(days=2)
    positions = Sgp4Propagator(batch).positions_at(when)
    failures = positions.failures()
    assert [failure.elements for failure in failures] == [falling]
    assert "FALLING STAR" in str(failures[0])
    for row, elements in enumerate(batch):
        if elements is not falling:
            alone = Sgp4Propagator(elements).positions_at(when).position()
            assert positions.position(row) == alone
    with pytest.raises(PropagationError):
        positions.position(3)


def test_position_carries_what_a_tracker_shows() -> None:
    iss = tle_elements(ISS_LINE1, ISS_LINE2, "ISS (ZARYA)")
    position = position_at(iss, iss.epoch + timedelta(hours=5))
    # Known physical facts: the ISS flies 370-440 km up at about 7.66 km/s, and never
    # further from the equator than its inclination.
    assert 370.0 < position.alt_km < 440.0
    assert position.speed_km_s == pytest.approx(7.66, abs=0.05)
    assert abs(position.lat_deg) <= iss.inclination_deg + 0.1
    assert math.isfinite(position.lon_deg)
