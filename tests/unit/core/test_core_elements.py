"""satfeed_core.elements: TLE and OMM parsing, validation messages, derived orbit values.

Parsed and derived values are checked against python-sgp4 (an independent parser and
SGP4's own initialisation), not against numbers copied from our output.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from satfeed_core.elements import (
    Elements,
    ElementsError,
    OmmError,
    TleError,
    omm_elements,
    parse_elements,
    parse_omm_json,
    parse_tle,
    tle_elements,
)
from satfeed_dev.sample_data import tle_file
from sgp4 import omm
from sgp4.alpha5 import to_alpha5
from sgp4.api import WGS72, Satrec

from tests.unit.core.tle_samples import ISS_LINE1, ISS_LINE2, ISS_NAME, edited, sgp4_satrec


def iss_omm(**changes: object) -> dict[str, object]:
    """The ISS element set as CelesTrak writes it in OMM JSON."""
    record: dict[str, object] = {
        "OBJECT_NAME": ISS_NAME,
        "OBJECT_ID": "1998-067A",
        "EPOCH": "2026-08-22T12:00:46.122912",
        "MEAN_MOTION": 15.49570248,
        "ECCENTRICITY": 0.0007668,
        "INCLINATION": 51.6331,
        "RA_OF_ASC_NODE": 331.8814,
        "ARG_OF_PERICENTER": 72.6488,
        "MEAN_ANOMALY": 287.5339,
        "EPHEMERIS_TYPE": 0,
        "CLASSIFICATION_TYPE": "U",
        "NORAD_CAT_ID": 25544,
        "ELEMENT_SET_NO": 999,
        "REV_AT_EPOCH": 58203,
        "BSTAR": 0.00017025,
        "MEAN_MOTION_DOT": 9.133e-5,
        "MEAN_MOTION_DDOT": 0,
    }
    record.update(changes)
    return record


# --- the bundled data ---------------------------------------------------------------------


def test_bundled_files_hold_what_their_sources_note_says(
    catalogue: list[Elements], earth_observation: list[Elements]
) -> None:
    assert len(catalogue) == 16069
    assert len({each.norad_id for each in catalogue}) == 16069
    assert len(earth_observation) == 25
    assert {each.name for each in earth_observation} >= {ISS_NAME, "TERRA", "SENTINEL-1D"}
    epochs = [each.epoch for each in catalogue]
    assert min(epochs).date().isoformat() == "2026-07-25"
    assert max(epochs).date().isoformat() == "2026-08-23"


def test_asking_for_a_file_that_is_not_bundled_lists_those_that_are() -> None:
    with pytest.raises(FileNotFoundError, match=r"catalog-large\.tle, earth-observation\.tle"):
        tle_file("starlink.tle")


def test_every_catalogue_value_matches_sgp4s_own_tle_parser(catalogue: list[Elements]) -> None:
    satrecs = [sgp4_satrec(each) for each in catalogue]
    ours = np.array(
        [
            (
                each.epoch.timestamp(),
                each.inclination_deg,
                each.raan_deg,
                each.eccentricity,
                each.arg_of_perigee_deg,
                each.mean_anomaly_deg,
                each.mean_motion_rev_per_day,
                each.bstar_per_earth_radius,
                each.mean_motion_dot,
                each.mean_motion_ddot,
            )
            for each in catalogue
        ]
    )
    xpdotp = 1440.0 / (2.0 * math.pi)
    theirs = np.array(
        [
            (
                (s.jdsatepoch - 2440587.5) * 86400.0 + s.jdsatepochF * 86400.0,
                math.degrees(s.inclo),
                math.degrees(s.nodeo),
                s.ecco,
                math.degrees(s.argpo),
                math.degrees(s.mo),
                s.no_kozai * xpdotp,
                s.bstar,
                s.ndot * xpdotp * 1440.0,
                s.nddot * xpdotp * 1440.0 * 1440.0,
            )
            for s in satrecs
        ]
    )
    # The epoch (in Unix seconds) to the microsecond a datetime holds; the rest exactly.
    np.testing.assert_allclose(ours[:, 0], theirs[:, 0], rtol=0, atol=2e-6)
    np.testing.assert_allclose(ours[:, 1:], theirs[:, 1:], rtol=1e-12, atol=1e-15)


def test_orbit_values_match_sgp4s_initialisation(catalogue: list[Elements]) -> None:
    for each in catalogue[::7]:
        satrec = sgp4_satrec(each)
        assert each.period_minutes == pytest.approx(2 * math.pi / satrec.no_kozai, rel=1e-12)
        assert each.perigee_altitude_km == pytest.approx(satrec.altp * satrec.radiusearthkm)
        assert each.apogee_altitude_km == pytest.approx(satrec.alta * satrec.radiusearthkm)


def test_orbit_values_of_known_satellites_are_physically_right(
    earth_observation: list[Elements], catalogue: list[Elements]
) -> None:
    iss = next(each for each in earth_observation if each.norad_id == 25544)
    assert 92.0 < iss.period_minutes < 93.5
    assert 51.6 < iss.inclination_deg < 51.7
    assert 370.0 < iss.perigee_altitude_km < iss.apogee_altitude_km < 440.0
    # A geostationary satellite circles once a sidereal day, 35,786 km above the equator.
    geostationary = [
        each
        for each in catalogue
        if abs(each.period_minutes - 1436.07) < 1.0 and each.eccentricity < 0.0005
    ]
    assert len(geostationary) > 100
    for each in geostationary:
        assert each.perigee_altitude_km == pytest.approx(35786.0, abs=60.0)
        assert each.apogee_altitude_km == pytest.approx(35786.0, abs=60.0)


def test_age_counts_from_the_epoch_field_of_line_1() -> None:
    iss = tle_elements(ISS_LINE1, ISS_LINE2)
    # 26234.50053383: day 234 of 2026 is 22 August; .50053383 of a day is 12:00:46.1229.
    epoch = datetime(2026, 8, 22, 12, 0, 46, 122912, tzinfo=UTC)
    assert abs(iss.epoch - epoch) < timedelta(microseconds=1)
    assert abs(iss.age_at(epoch + timedelta(days=2)) - timedelta(days=2)) < timedelta(
        microseconds=1
    )
    assert iss.age_at(epoch - timedelta(hours=1)) < timedelta(0)
    with pytest.raises(ValueError, match="no time zone"):
        iss.age_at(datetime(2026, 8, 23))


# --- TLE layouts ---------------------------------------------------------------------------


def test_two_and_three_line_sets_parse_alike() -> None:
    two_line = parse_tle(f"{ISS_LINE1}\n{ISS_LINE2}\n")
    three_line = parse_tle(f"{ISS_NAME}\n{ISS_LINE1}\n{ISS_LINE2}\n")
    three_le = parse_tle(f"0 {ISS_NAME}\r\n{ISS_LINE1}\r\n{ISS_LINE2}\r\n")
    assert two_line[0].name == ""
    assert three_line[0].name == three_le[0].name == ISS_NAME
    assert two_line[0].epoch == three_line[0].epoch == three_le[0].epoch
    assert three_line[0].tle_lines == (ISS_LINE1, ISS_LINE2)


def test_blank_lines_and_trailing_spaces_are_ignored() -> None:
    text = f"\n{ISS_NAME}   \n{ISS_LINE1}  \n\n{ISS_LINE2}\t\n\n{ISS_LINE1}\n{ISS_LINE2}\n"
    parsed = parse_tle(text)
    assert [each.name for each in parsed] == [ISS_NAME, ""]


@pytest.mark.parametrize("norad_id", [100000, 123456, 339999])
def test_alpha5_catalogue_numbers(norad_id: int) -> None:
    alpha5 = to_alpha5(norad_id)
    elements = tle_elements(edited(ISS_LINE1, 3, alpha5), edited(ISS_LINE2, 3, alpha5))
    assert elements.norad_id == norad_id


# --- TLE errors: each names the TLE line and column ---------------------------------------


def tle_error(line1: str, line2: str) -> TleError:
    with pytest.raises(TleError) as caught:
        parse_tle(f"{ISS_NAME}\n{line1}\n{line2}\n")
    return caught.value


def test_wrong_checksum() -> None:
    error = tle_error(ISS_LINE1[:68] + "5", ISS_LINE2)
    assert str(error).startswith("line 1, column 69: checksum is 5, expected 7")
    assert (error.line, error.column) == (1, 69)
    # The message shows the line with a caret under the column, and what to do.
    shown, caret = str(error).splitlines()[1:3]
    assert shown.strip() == ISS_LINE1[:68] + "5"
    assert caret.index("^") == shown.index(ISS_LINE1[0]) + 68
    assert "fetch it again" in str(error)


def test_checksum_counts_minus_signs_as_one() -> None:
    # The same line with B* negated: one more '-', so the checksum must rise by one.
    negative_bstar = ISS_LINE1[:53] + "-" + ISS_LINE1[54:68] + "8"
    assert tle_elements(negative_bstar, ISS_LINE2).bstar_per_earth_radius == pytest.approx(
        -0.17025e-3
    )
    error = tle_error(ISS_LINE1[:53] + "-" + ISS_LINE1[54:], ISS_LINE2)
    assert str(error).startswith("line 1, column 69: checksum is 7, expected 8")


def test_short_line() -> None:
    error = tle_error(ISS_LINE1, ISS_LINE2[:68])
    assert str(error).startswith("line 2, column 69: line is 68 characters long, expected 69")


def test_long_line() -> None:
    error = tle_error(ISS_LINE1 + "0", ISS_LINE2)
    assert str(error).startswith("line 1, column 70: line is 70 characters long, expected 69")


def test_wrong_line_number() -> None:
    error = tle_error(ISS_LINE1, edited(ISS_LINE2, 1, "3"))
    assert str(error).startswith("line 2, column 1: line number is '3', expected '2'")


def test_broken_start_of_line_1_is_not_taken_for_a_name() -> None:
    error = tle_error(edited(ISS_LINE1, 1, "X"), ISS_LINE2)
    assert str(error).startswith("line 1, column 1: line number is 'X', expected '1'")


def test_catalogue_numbers_differ() -> None:
    error = tle_error(ISS_LINE1, edited(ISS_LINE2, 3, "25545"))
    assert str(error).startswith(
        "line 2, column 3: catalogue number '25545' differs from line 1's '25544'"
    )


def test_bad_catalogue_number() -> None:
    error = tle_error(edited(ISS_LINE1, 3, "I0001"), edited(ISS_LINE2, 3, "I0001"))
    assert str(error).startswith("line 1, column 3: catalogue number 'I0001' is neither")
    assert "OMM" in error.hint


@pytest.mark.parametrize(
    ("line", "column", "text", "expected"),
    [
        pytest.param(2, 9, "200.0000", "line 2, column 9: inclination 200.0000 is out of range: "
                     "it must be at least 0 and at most 180", id="inclination"),
        pytest.param(2, 18, "360.5000", "line 2, column 18: right ascension of the node "
                     "360.5000 is out of range", id="raan"),
        pytest.param(2, 35, "-10.0000", "line 2, column 35: argument of perigee -10.0000 is "
                     "out of range", id="argument-of-perigee"),
        pytest.param(2, 44, "400.0000", "line 2, column 44: mean anomaly 400.0000 is out of "
                     "range", id="mean-anomaly"),
        pytest.param(2, 53, " 0.00000000", "line 2, column 53: mean motion 0.00000000 is out "
                     "of range: it must be above 0", id="mean-motion-zero"),
        pytest.param(2, 53, "15.4957O248", "line 2, column 53: mean motion '15.4957O248' is "
                     "not a number", id="mean-motion-letter"),
        pytest.param(2, 27, "00076.8", "line 2, column 27: eccentricity '00076.8' is not 7 "
                     "digits", id="eccentricity"),
        pytest.param(1, 19, "2X", "line 1, column 19: epoch year '2X' is not two digits",
                     id="epoch-year"),
        pytest.param(1, 21, "366.50053383", "line 1, column 21: epoch day of year 366.50053383 "
                     "is out of range: it must be at least 1 and below 366",
                     id="epoch-day-past-year-end"),
        pytest.param(1, 21, "000.50053383", "line 1, column 21: epoch day of year 000.50053383 "
                     "is out of range", id="epoch-day-zero"),
        pytest.param(1, 34, " .000O9133", "line 1, column 34: mean motion derivative "
                     "'.000O9133' is not a number", id="mean-motion-derivative"),
        pytest.param(1, 54, " 17025x3", "line 1, column 54: B* drag term ' 17025x3' is not of "
                     "the form", id="bstar"),
        pytest.param(1, 45, " 000 0+0", "line 1, column 45: mean motion second derivative",
                     id="mean-motion-second-derivative"),
        pytest.param(2, 17, "1", "line 2, column 17: expected a space between fields, found "
                     "'1'", id="shifted-fields"),
    ],
)  # fmt: skip
def test_field_out_of_range_or_malformed(line: int, column: int, text: str, expected: str) -> None:
    line1 = edited(ISS_LINE1, column, text) if line == 1 else ISS_LINE1
    line2 = edited(ISS_LINE2, column, text) if line == 2 else ISS_LINE2
    error = tle_error(line1, line2)
    assert str(error).startswith(expected)
    assert (error.line, error.column) == (line, column)


def test_leap_year_has_a_day_366() -> None:
    leap_day = edited(ISS_LINE1, 19, "24366.50000000")
    assert tle_elements(leap_day, ISS_LINE2).epoch == datetime(2024, 12, 31, 12, tzinfo=UTC)


def test_missing_line_2() -> None:
    with pytest.raises(TleError) as caught:
        parse_tle(f"{ISS_NAME}\n{ISS_LINE1}\n{ISS_LINE2}\nNEXT SATELLITE\n{ISS_LINE1}\n")
    assert str(caught.value).startswith("line 2, column 1: missing: the input ends before line 2")
    assert caught.value.input_line == 6
    assert "'NEXT SATELLITE'" in str(caught.value)


def test_error_in_a_long_file_says_where() -> None:
    text = f"{ISS_NAME}\n{ISS_LINE1}\n{ISS_LINE2}\n" * 3 + f"BROKEN\n{ISS_LINE1}\n{ISS_LINE2[:-1]}0"
    with pytest.raises(TleError) as caught:
        parse_tle(text)
    assert caught.value.input_line == 12
    assert "input line 12, element set 'BROKEN'" in str(caught.value).splitlines()[0]


# --- not element sets at all ----------------------------------------------------------------


def test_garbage_text_is_neither_tle_nor_omm() -> None:
    with pytest.raises(ElementsError, match="neither TLE text nor OMM JSON") as caught:
        parse_elements("hello, this is not an element set\nnor is this\n")
    assert not isinstance(caught.value, TleError)


def test_empty_input() -> None:
    with pytest.raises(ElementsError, match="neither TLE text nor OMM JSON"):
        parse_elements("")


def test_binary_input() -> None:
    with pytest.raises(ElementsError, match="not UTF-8"):
        parse_elements(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


def test_broken_json() -> None:
    with pytest.raises(ElementsError, match="not valid JSON"):
        parse_elements('[{"NORAD_CAT_ID": 25544,')


# --- OMM -------------------------------------------------------------------------------------


def test_omm_and_tle_of_the_same_element_set_agree() -> None:
    from_omm = parse_elements(json.dumps([iss_omm()]))[0]
    from_tle = tle_elements(ISS_LINE1, ISS_LINE2, ISS_NAME)
    assert from_omm.omm is not None
    assert from_omm.tle_lines is None
    assert from_omm.name == from_tle.name
    assert from_omm.norad_id == from_tle.norad_id
    assert abs(from_omm.epoch - from_tle.epoch) < timedelta(microseconds=1)
    for field in ("mean_motion_rev_per_day", "eccentricity", "inclination_deg", "raan_deg",
                  "arg_of_perigee_deg", "mean_anomaly_deg", "bstar_per_earth_radius",
                  "mean_motion_dot", "mean_motion_ddot"):  # fmt: skip
        assert getattr(from_omm, field) == pytest.approx(getattr(from_tle, field)), field


def test_omm_matches_sgp4s_own_omm_reader() -> None:
    record = iss_omm()
    ours = parse_omm_json(json.dumps(record))[0]
    theirs = Satrec()
    omm.initialize(theirs, {key: str(value) for key, value in record.items()}, WGS72)
    assert ours.inclination_deg == pytest.approx(math.degrees(theirs.inclo))
    assert ours.period_minutes == pytest.approx(2 * math.pi / theirs.no_kozai)
    assert ours.perigee_altitude_km == pytest.approx(theirs.altp * theirs.radiusearthkm)


def test_omm_carries_catalogue_numbers_a_tle_cannot() -> None:
    elements = parse_omm_json(json.dumps(iss_omm(NORAD_CAT_ID=1234567)))[0]
    assert elements.norad_id == 1234567


def test_omm_with_strings_for_numbers_as_space_track_writes_it() -> None:
    record = {key: str(value) for key, value in iss_omm().items()}
    assert parse_omm_json(json.dumps(record))[0].inclination_deg == 51.6331


def test_an_already_decoded_omm_record() -> None:
    assert omm_elements(iss_omm()) == parse_omm_json(json.dumps(iss_omm()))[0]
    with pytest.raises(OmmError, match="OMM record 1, field BSTAR: is missing"):
        omm_elements({key: value for key, value in iss_omm().items() if key != "BSTAR"})


def test_single_omm_object_without_a_list() -> None:
    assert parse_elements(json.dumps(iss_omm()))[0].norad_id == 25544


def omm_error(**changes: object) -> OmmError:
    with pytest.raises(OmmError) as caught:
        parse_omm_json(json.dumps([iss_omm(), iss_omm(**changes)]))
    assert caught.value.record == 2
    return caught.value


def test_omm_missing_field() -> None:
    record = iss_omm()
    del record["MEAN_MOTION"]
    with pytest.raises(OmmError) as caught:
        parse_omm_json(json.dumps(record))
    assert str(caught.value).startswith("OMM record 1, field MEAN_MOTION: is missing")
    assert caught.value.field == "MEAN_MOTION"


def test_omm_eccentricity_out_of_range() -> None:
    error = omm_error(ECCENTRICITY=1.2)
    assert str(error).startswith("OMM record 2, field ECCENTRICITY: 1.2 is out of range")


def test_omm_inclination_out_of_range() -> None:
    assert omm_error(INCLINATION=-1).field == "INCLINATION"


def test_omm_wrong_type() -> None:
    error = omm_error(MEAN_ANOMALY=[287.5])
    assert str(error).startswith("OMM record 2, field MEAN_ANOMALY: is [287.5], expected a number")


def test_omm_bad_catalogue_number() -> None:
    assert str(omm_error(NORAD_CAT_ID="ISS")).startswith("OMM record 2, field NORAD_CAT_ID:")


def test_omm_bad_epoch() -> None:
    error = omm_error(EPOCH="22 Aug 2026")
    assert str(error).startswith("OMM record 2, field EPOCH: '22 Aug 2026' is not an ISO 8601")


def test_omm_not_for_standard_sgp4() -> None:
    error = omm_error(MEAN_ELEMENT_THEORY="SGP4-XP")
    assert error.field == "MEAN_ELEMENT_THEORY"
    assert "SGP4-XP" in error.hint


def test_omm_nan_is_not_json() -> None:
    text = json.dumps([iss_omm()]).replace("0.0007668", "NaN")
    with pytest.raises(ElementsError, match="NaN is not a number JSON allows"):
        parse_omm_json(text)


def test_omm_record_that_is_not_an_object() -> None:
    with pytest.raises(ElementsError, match=r"OMM record 2 is not a JSON object: \[1, 2\]"):
        parse_omm_json(json.dumps([iss_omm(), [1, 2]]))
