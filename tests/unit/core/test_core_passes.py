"""satfeed_core.passes against skyfield (events, look angles, sunlit) and on its own terms.

skyfield runs the same SGP4, turns the Earth by UT1 (0.09 s after UTC in 2026, which our
model leaves out: up to 0.007° of look angle for a low satellite) and finds events to half
a second, so the bounds here are those of the benchmark's worst cases with room to spare.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from satfeed_core.elements import Elements, tle_elements
from satfeed_core.passes import (
    SPEED_OF_LIGHT_KM_S,
    PassPrediction,
    PassPredictionError,
    Visibility,
    doppler_shifted_hz,
    look_angles,
    predict_passes,
    predict_passes_many,
)
from satfeed_core.stations import Station
from satfeed_core.sun import sun_position_km
from skyfield.api import EarthSatellite, Loader, load, wgs84
from skyfield_data import get_skyfield_data_path

from tests.unit.core.tle_samples import ISS_LINE1, ISS_LINE2, edited

START = datetime(2026, 8, 23, tzinfo=UTC)  # half a day after the bundled elements' epochs
DAY = timedelta(days=1)
TIMESCALE = load.timescale()

DARMSTADT = Station(49.8700, 8.6500, 144.0, name="Darmstadt")
SVALBARD = Station(78.2297, 15.4078, 500.0, name="Svalbard")
MCMURDO = Station(-77.8463, 166.6682, 10.0, name="McMurdo")
FAIRBANKS = Station(64.8587, -147.8576, 150.0, name="Fairbanks")


@pytest.fixture(scope="module")
def ephemeris() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # finals2000A.all's date; unused
        return Loader(get_skyfield_data_path(), verbose=False)("de421.bsp")


def by_name(elements: list[Elements], name: str) -> Elements:
    return next(each for each in elements if each.name == name)


def skyfield_satellite(elements: Elements) -> Any:
    assert elements.tle_lines is not None
    return EarthSatellite(*elements.tle_lines, elements.name, TIMESCALE)


def topos(station: Station) -> Any:
    return wgs84.latlon(station.latitude_deg, station.longitude_deg, station.altitude_m)


def skyfield_altitude(elements: Elements, station: Station, when: list[datetime]) -> Any:
    seen = (skyfield_satellite(elements) - topos(station)).at(TIMESCALE.from_datetimes(when))
    return seen.altaz()[0].degrees


def as_datetime64(times: list[datetime]) -> NDArray[np.datetime64]:
    return np.array([each.replace(tzinfo=None) for each in times], dtype="datetime64[us]")


# --- passes against skyfield ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "station", "days"),
    [
        ("ISS (ZARYA)", DARMSTADT, 1),  # low, inclined
        ("TERRA", SVALBARD, 1),  # Sun-synchronous over the Arctic: a pass every orbit
        ("SENTINEL-2A", MCMURDO, 1),  # and over the Antarctic
        ("MERIDIAN 7", FAIRBANKS, 2),  # Molniya-type: twelve-hour passes
    ],
)
def test_events_agree_with_skyfield_find_events(
    catalogue: list[Elements], name: str, station: Station, days: int
) -> None:
    elements = by_name(catalogue, name)
    prediction = predict_passes(elements, station, START, START + days * DAY)
    times, kinds = skyfield_satellite(elements).find_events(
        topos(station),
        TIMESCALE.from_datetime(START),
        TIMESCALE.from_datetime(START + days * DAY),
        altitude_degrees=0.0,
    )
    theirs = {kind: [t.utc_datetime() for t, k in zip(times, kinds, strict=True) if k == kind]
              for kind in (0, 1, 2)}  # fmt: skip
    ours_aos = [each.aos.time for each in prediction.passes if each.aos]
    ours_los = [each.los.time for each in prediction.passes if each.los]
    assert prediction.visibility is Visibility.RISES_AND_SETS
    assert len(ours_aos) >= 2
    assert len(ours_los) >= 2
    for ours, reference in ((ours_aos, theirs[0]), (ours_los, theirs[2])):
        # Every rise and set skyfield finds, we find within a second ...
        for their in reference:
            assert min(abs((mine - their).total_seconds()) for mine in ours) < 1.0, their
        # ... and each of ours that it does not (find_events can miss one near the window's
        # ends, or between two maxima) is a real crossing of skyfield's horizon.
        for mine in ours:
            if min((abs((mine - t).total_seconds()) for t in reference), default=99.0) > 1.0:
                around = [mine - timedelta(seconds=2), mine + timedelta(seconds=2)]
                before, after = skyfield_altitude(elements, station, around)
                assert before * after < 0, mine
    # Each culmination is skyfield's highest point of that pass, to a second.
    for each in prediction.passes:
        if each.aos is None or each.los is None:
            continue
        inside = [t for t in theirs[1] if each.aos.time < t < each.los.time]
        altitudes = skyfield_altitude(elements, station, inside)
        highest = inside[int(np.argmax(altitudes))]
        assert abs((each.culmination.time - highest).total_seconds()) < 1.0
        assert each.culmination.elevation_deg == pytest.approx(float(np.max(altitudes)), abs=0.05)
    # At our AOS and LOS skyfield has the satellite on the horizon.
    at_events = skyfield_altitude(elements, station, ours_aos + ours_los)
    assert np.all(np.abs(at_events) < 0.01)


def test_look_angles_agree_with_skyfield(earth_observation: list[Elements]) -> None:
    iss = by_name(earth_observation, "ISS (ZARYA)")
    first = predict_passes(iss, DARMSTADT, START, START + DAY).passes[0]
    times = [first.first.time + timedelta(seconds=s) for s in range(0, 400, 7)]
    times = [each for each in times if each <= first.last.time]
    ours = look_angles(iss, DARMSTADT, as_datetime64(times))
    at = (skyfield_satellite(iss) - topos(DARMSTADT)).at(TIMESCALE.from_datetimes(times))
    altitude, azimuth, distance = at.altaz()
    range_rate = at.frame_latlon_and_rates(topos(DARMSTADT))[5].km_per_s
    assert len(times) > 20
    np.testing.assert_allclose(ours.elevation_deg, altitude.degrees, atol=0.01)
    azimuth_error = (ours.azimuth_deg - azimuth.degrees + 180.0) % 360.0 - 180.0
    np.testing.assert_allclose(azimuth_error * np.cos(np.radians(altitude.degrees)), 0, atol=0.01)
    np.testing.assert_allclose(ours.range_km, distance.km, atol=0.1)
    np.testing.assert_allclose(ours.range_rate_km_s, range_rate, atol=0.002)
    assert not ours.error_code.any()


def test_sunlit_agrees_with_skyfield_away_from_the_shadow_edge(
    earth_observation: list[Elements], ephemeris: Any
) -> None:
    iss = by_name(earth_observation, "ISS (ZARYA)")
    times = [START + timedelta(minutes=m) for m in range(0, 2 * 1440, 3)]
    ours = look_angles(iss, DARMSTADT, as_datetime64(times)).sunlit
    satellite = skyfield_satellite(iss)
    theirs = satellite.at(TIMESCALE.from_datetimes(times)).is_sunlit(ephemeris)
    assert 0 < ours.sum() < len(times)  # both sides of the terminator are tried
    for index in np.flatnonzero(ours != theirs):
        # A disagreement may only lie within seconds of skyfield's own shadow edge.
        around = [times[index] + timedelta(seconds=s) for s in (-10, 10)]
        flags = satellite.at(TIMESCALE.from_datetimes(around)).is_sunlit(ephemeris)
        assert flags[0] != flags[1], times[index]


def test_sun_model_is_within_a_hundredth_of_a_degree_of_de421(ephemeris: Any) -> None:
    days = [START + timedelta(days=d) for d in range(0, 365, 17)]
    ours = sun_position_km(as_datetime64(days))
    earth, sun = ephemeris["earth"], ephemeris["sun"]
    # Equator and equinox of date, as TEME is (to within the equation of the equinoxes).
    from skyfield.framelib import true_equator_and_equinox_of_date

    theirs = earth.at(TIMESCALE.from_datetimes(days)).observe(sun).apparent()
    xyz = theirs.frame_xyz(true_equator_and_equinox_of_date).km.T
    cosine = np.einsum("ij,ij->i", ours, xyz) / np.linalg.norm(ours, axis=1)
    angle = np.degrees(np.arccos(np.clip(cosine / np.linalg.norm(xyz, axis=1), -1, 1)))
    assert angle.max() < 0.01
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), np.linalg.norm(xyz, axis=1), rtol=1e-4)


# --- what a station sees -------------------------------------------------------------------


def test_a_geostationary_satellite_in_view_never_sets(catalogue: list[Elements]) -> None:
    meteosat = by_name(catalogue, "METEOSAT-11 (MSG-4)")  # over 0° longitude
    # Even a two-hour window says so: the search looks on to a whole sidereal day.
    for end in (START + timedelta(hours=2), START + 2 * DAY):
        prediction = predict_passes(meteosat, DARMSTADT, START, end)
        assert prediction.visibility is Visibility.NEVER_SETS
        assert prediction.passes == ()
        assert "keeps its place" in prediction.reason
        low, high = prediction.sampled_elevation_range_deg
        assert 25.0 < low <= prediction.at_start.elevation_deg <= high < 40.0
    # The range is sampled every 10 minutes; skyfield's hourly altitudes lie within it.
    hourly = [START + timedelta(hours=h) for h in range(49)]
    altitude = skyfield_altitude(meteosat, DARMSTADT, hourly)
    assert low - 0.05 < altitude.min()
    assert altitude.max() < high + 0.05


def test_a_geostationary_satellite_below_the_horizon_never_rises(
    catalogue: list[Elements],
) -> None:
    goes = by_name(catalogue, "GOES 18")  # over the Pacific, 137° W
    prediction = predict_passes(goes, DARMSTADT, START, START + timedelta(hours=3))
    assert prediction.visibility is Visibility.NEVER_RISES
    assert "geosynchronous" in prediction.reason
    assert prediction.sampled_elevation_range_deg[1] < 0.0
    altitude = skyfield_altitude(goes, DARMSTADT, [START + timedelta(hours=h) for h in range(25)])
    assert np.all(altitude < 0.0)


def test_a_low_inclination_orbit_never_rises_over_a_polar_station(
    earth_observation: list[Elements],
) -> None:
    iss = by_name(earth_observation, "ISS (ZARYA)")  # 51.6° inclination
    for station in (SVALBARD, MCMURDO):
        prediction = predict_passes(iss, station, START, START + timedelta(hours=6))
        assert prediction.visibility is Visibility.NEVER_RISES
        assert prediction.passes == ()
        assert "inclination 51.6°" in prediction.reason
        day = [START + timedelta(minutes=m) for m in range(0, 1440, 2)]
        altitude = skyfield_altitude(iss, station, day)
        assert np.all(altitude < 0.0)
    # Over Darmstadt it rises.
    assert predict_passes(iss, DARMSTADT, START, START + DAY).passes


def test_no_pass_in_a_short_window_is_not_never_rises(earth_observation: list[Elements]) -> None:
    iss = by_name(earth_observation, "ISS (ZARYA)")
    passes = predict_passes(iss, DARMSTADT, START, START + DAY).passes
    gap_start = passes[-2].last.time + timedelta(minutes=1)
    quiet = predict_passes(iss, DARMSTADT, gap_start, gap_start + timedelta(minutes=20))
    assert quiet.visibility is Visibility.RISES_AND_SETS
    assert quiet.passes == ()
    assert quiet.reason == ""


def test_a_pass_cut_by_the_window_has_no_aos_or_los(earth_observation: list[Elements]) -> None:
    iss = by_name(earth_observation, "ISS (ZARYA)")
    whole = predict_passes(iss, DARMSTADT, START, START + DAY).passes[1]
    assert whole.aos is not None
    assert whole.los is not None
    start = whole.aos.time + timedelta(seconds=30)
    end = whole.los.time - timedelta(seconds=30)
    (cut,) = predict_passes(iss, DARMSTADT, start, end).passes
    assert cut.aos is None
    assert cut.los is None
    assert (cut.first.time, cut.last.time) == (start, end)
    assert cut.duration == end - start
    assert abs(cut.culmination.time - whole.culmination.time) < timedelta(milliseconds=10)


def test_a_horizon_mask_delays_aos_and_advances_los(earth_observation: list[Elements]) -> None:
    iss = by_name(earth_observation, "ISS (ZARYA)")
    open_sky = DARMSTADT
    hills = Station(
        DARMSTADT.latitude_deg, DARMSTADT.longitude_deg, DARMSTADT.altitude_m,
        horizon_mask=((0.0, 4.0), (90.0, 25.0), (180.0, 6.0), (270.0, 15.0)),
    )  # fmt: skip
    free = predict_passes(iss, open_sky, START, START + DAY).passes
    masked = predict_passes(iss, hills, START, START + DAY).passes
    assert masked
    assert len(masked) <= len(free)
    for each in masked:
        assert each.aos is not None
        assert each.los is not None
        # Rises where the satellite clears the mask at its azimuth, not the bare horizon.
        for point in (each.aos, each.los):
            horizon = hills.horizon_deg(point.azimuth_deg)
            assert point.elevation_deg == pytest.approx(horizon, abs=1e-3)
        containing = next(f for f in free if f.first.time <= each.first.time <= f.last.time)
        assert containing.aos is not None
        assert containing.los is not None
        assert each.aos.time > containing.aos.time
        assert each.los.time < containing.los.time
        assert each.culmination.elevation_deg <= containing.culmination.elevation_deg + 1e-6
    # At least one pass rises a good while later behind the hills.
    delays = [
        each.first.time - f.first.time
        for each in masked
        for f in free
        if f.first.time <= each.first.time <= f.last.time
    ]
    assert max(delays) > timedelta(seconds=30)


def test_minimum_elevation_is_where_aos_and_los_lie(earth_observation: list[Elements]) -> None:
    terra = by_name(earth_observation, "TERRA")
    high = Station(SVALBARD.latitude_deg, SVALBARD.longitude_deg, SVALBARD.altitude_m, 30.0)
    prediction = predict_passes(terra, high, START, START + DAY)
    assert prediction.passes
    for each in prediction.passes:
        assert each.aos is not None
        assert each.los is not None
        assert each.aos.elevation_deg == pytest.approx(30.0, abs=1e-3)
        assert each.los.elevation_deg == pytest.approx(30.0, abs=1e-3)
        assert each.culmination.elevation_deg > 30.0


def test_doppler_is_higher_while_approaching_and_matches_the_range(
    earth_observation: list[Elements],
) -> None:
    iss = by_name(earth_observation, "ISS (ZARYA)")
    downlink = 437.8e6
    for each in predict_passes(iss, DARMSTADT, START, START + DAY).passes:
        assert each.aos is not None
        assert each.los is not None
        assert each.aos.range_rate_km_s < -1.0  # coming towards the station
        assert each.aos.doppler_hz(downlink) > downlink + 3e3
        assert each.los.range_rate_km_s > 1.0
        assert each.los.doppler_hz(downlink) < downlink - 3e3
        at_culmination = abs(each.culmination.doppler_hz(downlink) - downlink)
        assert at_culmination < abs(each.aos.doppler_hz(downlink) - downlink)
    # Range rate is the range's derivative (a central difference over one second).
    when = predict_passes(iss, DARMSTADT, START, START + DAY).passes[0].aos
    assert when is not None
    times = [when.time + timedelta(seconds=s) for s in (-0.5, 0.0, 0.5)]
    seen = look_angles(iss, DARMSTADT, as_datetime64(times))
    assert seen.range_rate_km_s[1] == pytest.approx(seen.range_km[2] - seen.range_km[0], abs=1e-4)
    shifted = seen.doppler_hz(downlink)[1]
    assert shifted == pytest.approx(downlink * (1 - seen.range_rate_km_s[1] / SPEED_OF_LIGHT_KM_S))
    assert float(doppler_shifted_hz(downlink, 0.0)) == downlink


def test_one_search_for_many_stations_matches_one_at_a_time(
    earth_observation: list[Elements],
) -> None:
    terra = by_name(earth_observation, "TERRA")
    stations = [SVALBARD, DARMSTADT, MCMURDO]
    together = predict_passes_many(terra, stations, START, START + DAY)
    for station, prediction in zip(stations, together, strict=True):
        alone = predict_passes(terra, station, START, START + DAY)
        assert prediction.station == station
        culminations = [each.culmination.time for each in prediction.passes]
        assert culminations == [each.culmination.time for each in alone.passes]


def test_elements_that_decay_in_the_window_give_the_passes_before(
    earth_observation: list[Elements],
) -> None:
    # The ISS's orbit with a huge drag term: SGP4 has it decay (error 6) within two days.
    falling = tle_elements(edited(ISS_LINE1, 54, " 30000+0"), ISS_LINE2, "FALLING STAR")
    prediction = predict_passes(falling, DARMSTADT, falling.epoch, falling.epoch + 3 * DAY)
    assert prediction.failure is not None
    assert prediction.failure.code == 6
    assert all(each.last.time < prediction.failure.when for each in prediction.passes)
    decayed = r"FALLING STAR \(NORAD 25544\) cannot be propagated"
    with pytest.raises(PassPredictionError, match=decayed):
        predict_passes(falling, DARMSTADT, falling.epoch + 3 * DAY, falling.epoch + 4 * DAY)


# --- bad windows ---------------------------------------------------------------------------


def prediction_error(start: datetime, end: datetime) -> str:
    iss = tle_elements(ISS_LINE1, ISS_LINE2, "ISS")
    with pytest.raises(PassPredictionError) as raised:
        predict_passes(iss, DARMSTADT, start, end)
    return str(raised.value)


def test_an_empty_window_is_refused() -> None:
    message = prediction_error(START, START)
    assert "the window is empty" in message
    assert "give an end after the start" in message


def test_a_reversed_window_is_refused() -> None:
    message = prediction_error(START, START - timedelta(hours=1))
    assert "the window is reversed: it ends at 2026-08-22T23:00:00+00:00" in message


def test_a_window_without_time_zone_is_refused() -> None:
    message = prediction_error(START.replace(tzinfo=None), START + DAY)
    assert "the window's start 2026-08-23T00:00:00 has no time zone" in message
    assert "give aware datetimes" in message


def test_a_window_of_months_is_refused() -> None:
    message = prediction_error(START, START + timedelta(days=60))
    assert "the window of 60 days is longer than 31 days" in message
    assert "predict a shorter window" in message


def test_no_station_gives_no_prediction(earth_observation: list[Elements]) -> None:
    assert predict_passes_many(earth_observation[0], [], START, START + DAY) == []


def test_prediction_names_station_and_window(earth_observation: list[Elements]) -> None:
    prediction: PassPrediction = predict_passes(earth_observation[0], DARMSTADT, START, START + DAY)
    assert (prediction.start, prediction.end, prediction.station) == (START, START + DAY, DARMSTADT)
    assert prediction.at_start.time == START
