"""satfeed-passes: the passes of an elements file over a station, as a table or JSON."""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from satfeed_core.elements import Elements, elements_text
from satfeed_core.passes import predict_passes
from satfeed_core.passes_cli import main
from satfeed_core.stations import Station
from satfeed_dev.sample_data import EARTH_OBSERVATION, tle_file

from tests.unit.core.tle_samples import ISS_LINE1, ISS_LINE2, edited

START = "2026-08-23T00:00:00Z"
START_TIME = datetime(2026, 8, 23, tzinfo=UTC)
DARMSTADT = ["--latitude", "49.87", "--longitude", "8.65", "--altitude-m", "144"]


def run(
    args: list[str], capsys: pytest.CaptureFixture[str], environ: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """Exit status, standard output and standard error of one run."""
    try:
        status = main(args, environ or {}, now=START_TIME)
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def elements_file(tmp_path: Path, *elements: Elements) -> str:
    path = tmp_path / "chosen.tle"
    path.write_text("".join(elements_text(each) for each in elements))
    return str(path)


def by_name(elements: list[Elements], name: str) -> Elements:
    return next(each for each in elements if each.name == name)


def test_the_table_lists_every_pass_in_time_order(
    capsys: pytest.CaptureFixture[str], earth_observation: list[Elements]
) -> None:
    bundled = str(tle_file(EARTH_OBSERVATION))
    args = ["--elements-file", bundled, *DARMSTADT, "--min-elevation", "10", "--hours", "6"]
    status, out, err = run([*args, "--start", START, "--station-name", "Darmstadt"], capsys)
    assert status == 0
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == (
        "Passes over Darmstadt (49.8700° N, 8.6500° E, 144 m), minimum elevation 10°"
    )
    assert "no refraction" in lines[1]
    station = Station(49.87, 8.65, 144.0, 10.0)
    expected = sorted(
        (each.aos.time, elements.norad_id)
        for elements in earth_observation
        for each in predict_passes(
            elements, station, START_TIME, START_TIME + timedelta(hours=6)
        ).passes
        if each.aos is not None
    )
    rows = [line for line in lines if line[:4].strip() and line[25:31].strip().isdigit()]
    assert len(rows) == len(expected) > 10
    for row, (aos, norad_id) in zip(rows, expected, strict=True):
        assert int(row[25:31]) == norad_id
        assert row[33:52] == aos.strftime("%Y-%m-%d %H:%M:%S")


def test_json_carries_the_passes_with_doppler(
    capsys: pytest.CaptureFixture[str], earth_observation: list[Elements]
) -> None:
    bundled = str(tle_file(EARTH_OBSERVATION))
    args = ["--elements-file", bundled, "--norad-id", "25544", *DARMSTADT, "--start", START]
    status, out, _ = run([*args, "--json", "--frequency-mhz", "437.8"], capsys)
    assert status == 0
    document = json.loads(out)
    assert document["start"] == "2026-08-23T00:00:00.000Z"
    assert document["end"] == "2026-08-24T00:00:00.000Z"
    assert document["frequency_hz"] == pytest.approx(437.8e6)
    (iss,) = document["satellites"]
    assert (iss["name"], iss["norad_id"], iss["visibility"]) == (
        "ISS (ZARYA)",
        25544,
        "rises-and-sets",
    )
    ours = predict_passes(
        by_name(earth_observation, "ISS (ZARYA)"), Station(49.87, 8.65, 144.0), START_TIME,
        START_TIME + timedelta(days=1),
    )  # fmt: skip
    assert len(iss["passes"]) == len(ours.passes) > 3
    first = iss["passes"][0]
    assert (
        first["aos"]["time"]
        == ours.passes[0].first.time.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    )
    assert first["aos"]["frequency_hz"] > 437.8e6 > first["los"]["frequency_hz"]
    assert first["duration_s"] == pytest.approx(ours.passes[0].duration.total_seconds(), abs=1e-3)
    assert first["sunlit"] in ("sunlit", "shadow", "partly")
    assert document["skipped"] == []


def test_never_rises_and_never_sets_are_listed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, catalogue: list[Elements]
) -> None:
    chosen = elements_file(
        tmp_path, by_name(catalogue, "ISS (ZARYA)"), by_name(catalogue, "METEOSAT-11 (MSG-4)")
    )
    svalbard = ["--latitude", "78.2297", "--longitude", "15.4078", "--start", START]
    status, out, _ = run(["--elements-file", chosen, *svalbard], capsys)
    assert status == 0
    assert "never rises:  ISS (ZARYA) (25544): its orbit (inclination 51.6°)" in out
    # From 78° N the geostationary satellite stands 3° to 6° high, and dips below daily.
    assert re.search(r"^METEOSAT-11 \(MSG-4\) +40732  2026-08-23 ", out, re.MULTILINE)
    status, out, _ = run(
        ["--elements-file", chosen, *DARMSTADT, "--start", START, "--json"], capsys
    )
    visibility = {each["name"]: each["visibility"] for each in json.loads(out)["satellites"]}
    assert visibility == {"ISS (ZARYA)": "rises-and-sets", "METEOSAT-11 (MSG-4)": "never-sets"}
    status, out, _ = run(["--elements-file", chosen, *DARMSTADT, "--start", START], capsys)
    assert "never sets:   METEOSAT-11 (MSG-4) (40732): azimuth 1" in out


def test_the_station_can_come_from_the_environment(capsys: pytest.CaptureFixture[str]) -> None:
    environ = {
        "SATFEED_ELEMENTS_FILE": str(tle_file(EARTH_OBSERVATION)),
        "SATFEED_NORAD_ID": "25994",
        "SATFEED_STATION_LATITUDE": "-77.8463",
        "SATFEED_STATION_LONGITUDE": "166.6682",
        "SATFEED_STATION_NAME": "McMurdo",
        "SATFEED_PASSES_START": START,
        "SATFEED_PASSES_HOURS": "3",
        "SATFEED_PASSES_OUTPUT": "json",
    }
    status, out, _ = run([], capsys, environ)
    assert status == 0
    document = json.loads(out)
    assert document["station"]["name"] == "McMurdo"
    assert document["end"] == "2026-08-23T03:00:00.000Z"
    assert document["satellites"][0]["passes"]  # TERRA passes the pole every orbit
    # A flag wins over its variable.
    status, out, _ = run(["--hours", "1"], capsys, environ)
    assert json.loads(out)["end"] == "2026-08-23T01:00:00.000Z"


def test_stale_elements_are_warned_about(capsys: pytest.CaptureFixture[str]) -> None:
    bundled = str(tle_file(EARTH_OBSERVATION))
    late = ["--start", "2026-10-01T00:00:00", "--hours", "2"]
    args = ["--elements-file", bundled, *DARMSTADT, *late]
    status, _, err = run(args, capsys)
    assert status == 0
    assert "warning: 25 element sets are older than 14 days at the window's start" in err
    assert "fetch fresh elements" in err


def test_elements_that_cannot_be_propagated_are_skipped_or_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, earth_observation: list[Elements]
) -> None:
    falling = tmp_path / "falling.tle"
    falling.write_text(f"FALLING STAR\n{edited(ISS_LINE1, 54, ' 30000+0')}\n{ISS_LINE2}\n")
    args = ["--elements-file", str(falling), *DARMSTADT, "--start", "2026-08-30T00:00:00Z"]
    status, _, err = run(args, capsys)
    assert status == 2
    assert "FALLING STAR (NORAD 25544) cannot be propagated" in err
    assert "stop tracking it" in err
    # Among others, it is skipped with a warning and the rest are predicted.
    both = tmp_path / "both.tle"
    renamed = [edited(line, 3, "99999") for line in (edited(ISS_LINE1, 54, " 30000+0"), ISS_LINE2)]
    other = elements_text(earth_observation[0])
    both.write_text("FALLING STAR\n" + "\n".join(renamed) + "\n" + other)
    status, out, err = run(["--elements-file", str(both), *args[2:]], capsys)
    assert status == 0
    assert "warning: skipped FALLING STAR" in err
    assert "TERRA" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--latitude", "91"],
            "--latitude: station latitude: 91° is out of range: it must be -90 to 90°",
        ),
        (["--longitude", "200"], "--longitude: station longitude: 200° is out of range"),
        (["--altitude-m", "144000"], "in metres (not kilometres or feet)"),
        (
            ["--min-elevation", "-6"],
            "--min-elevation: station minimum elevation: -6° is out of range",
        ),
        (
            ["--horizon-mask", "0:5,180:3,90:2"],
            "--horizon-mask: station horizon mask point 3 azimuth: 90° is smaller than point 2",
        ),
        (["--horizon-mask", "0:5,90"], "point 2: '90' is not azimuth:elevation"),
        (["--hours", "0"], "--hours 0: the window must last more than 0 and at most 744 hours"),
        (["--hours", "-3"], "--hours -3: the window must last more than 0"),
        (["--start", "yesterday"], "--start 'yesterday' is not an ISO 8601 date and time"),
        (["--frequency-mhz", "0"], "--frequency-mhz 0 is not a frequency"),
        (["--norad-id", "1"], "--norad-id 1: "),
        (
            ["--elements-file", "no/such.tle"],
            "--elements-file no/such.tle: No such file or directory: give a TLE or OMM JSON file",
        ),
    ],
)
def test_bad_input_exits_2_saying_what_where_and_how(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    base = ["--elements-file", str(tle_file(EARTH_OBSERVATION)), *DARMSTADT, "--start", START]
    status, out, err = run([*base, *args], capsys)
    assert status == 2
    assert out == ""
    assert message in err
    assert err.splitlines()[0].startswith("usage: satfeed-passes")


def test_a_missing_flag_names_its_variable(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(["--latitude", "50", "--longitude", "8"], capsys)
    assert status == 2
    assert "--elements-file (or SATFEED_ELEMENTS_FILE) is required (e.g. data/tle/" in err
    status, _, err = run(["--elements-file", "x.tle", "--longitude", "8"], capsys)
    assert "--latitude (or SATFEED_STATION_LATITUDE) is required" in err


def test_a_broken_elements_file_is_shown_where_it_breaks(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.tle"
    broken.write_text(f"ISS\n{ISS_LINE1[:-1]}0\n{ISS_LINE2}\n")
    status, _, err = run(["--elements-file", str(broken), *DARMSTADT], capsys)
    assert status == 2
    assert f"--elements-file {broken}: line 1, column 69: checksum is 0, expected 7" in err
    assert "fetch it again from its source" in err


def test_without_numpy_it_says_which_extra_to_install(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "satfeed_core.passes", None)  # import raises ImportError
    bundled = str(tle_file(EARTH_OBSERVATION))
    status, out, err = run(["--elements-file", bundled, *DARMSTADT], capsys)
    assert status == 2
    assert out == ""
    assert "pip install 'satfeed-core[propagation]'" in err
