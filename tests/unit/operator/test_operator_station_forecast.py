"""A GroundStation's passes, status, notices, pass events and wake-ups, from its spec and
its Satellites' elements: pure, against real bundled elements."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from satfeed_core.elements import load_elements
from satfeed_core.ground_station import GroundStationSpec, parse_ground_station
from satfeed_dev.sample_data import EARTH_OBSERVATION, tle_file
from satfeed_operator import station_forecast as sf

START = datetime(2026, 8, 23, 0, 0, tzinfo=UTC)
"""A day after the bundled elements' epoch."""


@pytest.fixture(scope="module")
def terra_aqua() -> list[sf.FollowedSatellite]:
    by_id = {each.norad_id: each for each in load_elements(tle_file(EARTH_OBSERVATION))}
    return [sf.FollowedSatellite("terra", by_id[25994]), sf.FollowedSatellite("aqua", by_id[27424])]


def svalbard(**spec: object) -> GroundStationSpec:
    return parse_ground_station(
        "svalbard", {"latitude": 78.23, "longitude": 15.39, "minElevation": 5, **spec}
    )


def test_the_status_lists_passes_by_aos_and_the_next_per_satellite(
    terra_aqua: list[sf.FollowedSatellite],
) -> None:
    spec = svalbard(downlinks=[{"satellite": "terra", "frequencyMHz": 8212.5}])
    forecast = sf.forecast(spec, terra_aqua, START, START + timedelta(hours=12))
    status = sf.station_status(spec, forecast, START)
    passes = status["passes"]
    assert status["satellites"] == 2
    assert len(passes) > 8  # polar orbiters over a polar station: every orbit
    assert [each["aos"] for each in passes if "aos" in each] == sorted(
        each["aos"] for each in passes if "aos" in each
    )
    assert status["nextPass"] == passes[0]
    assert {each["satellite"] for each in passes} == {"terra", "aqua"}
    assert all(("downlinkMHz" in each) == (each["satellite"] == "terra") for each in passes)
    assert status["nextPerSatellite"].startswith(("aqua ", "terra "))
    assert [each["visibility"] for each in status["satelliteStates"]] == ["rises-and-sets"] * 2

    later = passes[3]["los"]  # whole seconds: the pass ends within the second after
    moment = datetime.fromisoformat(later.replace("Z", "+00:00")) + timedelta(seconds=1)
    moved_on = sf.station_status(spec, forecast, moment)
    # Passes that are over drop out; the rest stay as they were.
    assert moved_on["passes"] == [each for each in passes if each.get("los", "~") > later]
    assert len(moved_on["passes"]) < len(passes)


def test_a_satellite_without_elements_is_listed_as_unusable_with_why() -> None:
    spec = svalbard()
    followed = [sf.FollowedSatellite("lost", None, "the Satellite is InvalidSpec: no TLE")]
    forecast = sf.forecast(spec, followed, START, START + timedelta(hours=6))
    status = sf.station_status(spec, forecast, START)
    assert status["satelliteStates"] == [
        {
            "satellite": "lost",
            "visibility": "unusable",
            "passes": 0,
            "message": "the Satellite is InvalidSpec: no TLE",
        }
    ]
    assert status["nextPass"] is None
    assert status["nextPerSatellite"] == "lost unusable"


def test_events_come_in_time_order_notice_aos_los(
    terra_aqua: list[sf.FollowedSatellite],
) -> None:
    spec = svalbard(aosNoticeSeconds=120)
    forecast = sf.forecast(spec, terra_aqua, START, START + timedelta(hours=12))
    events = sf.due_events(spec, forecast, START, START + timedelta(hours=6))
    assert [each.at for each in events] == sorted(each.at for each in events)
    first_full = next(each for each in events if each.kind == "upcoming")
    same_pass = [each for each in events if each.row.pass_ is first_full.row.pass_]
    assert [each.kind for each in same_pass] == ["upcoming", "aos", "los"]
    aos = first_full.row.pass_.aos
    assert aos is not None
    assert first_full.at == aos.time - timedelta(seconds=120)
    # Each event is due exactly once over consecutive windows.
    half = START + timedelta(hours=3)
    split = sf.due_events(spec, forecast, START, half) + sf.due_events(
        spec, forecast, half, START + timedelta(hours=6)
    )
    assert [(e.kind, e.at) for e in split] == [(e.kind, e.at) for e in events]


def test_the_clock_wakes_for_the_notice_the_aos_and_the_los(
    terra_aqua: list[sf.FollowedSatellite],
) -> None:
    spec = svalbard(aosNoticeSeconds=300)
    forecast = sf.forecast(spec, terra_aqua, START, START + timedelta(hours=12))
    upcoming = sf.upcoming(forecast, START)
    first = next(row for row in upcoming if row.pass_.aos is not None and row.begins > START)
    aos = first.pass_.aos
    assert aos is not None
    notice_at = aos.time - timedelta(seconds=300)
    before = notice_at - timedelta(seconds=1)
    assert sf.next_wake(spec, forecast, before) == notice_at
    assert sf.notices_due(spec, forecast, before) == []
    assert first in sf.notices_due(spec, forecast, notice_at)
    assert sf.next_wake(spec, forecast, notice_at) <= aos.time
    message = sf.notice_message(first, notice_at)
    assert message.startswith(f"{first.satellite} rises in 5 min: AOS {aos.time:%H:%M:%S}Z")
    # With no pass near, the window still moves on after REFRESH.
    quiet = parse_ground_station("s", {"latitude": 0, "longitude": 0, "minElevation": 89})
    quiet_forecast = sf.forecast(quiet, terra_aqua, START, START + timedelta(hours=2))
    assert sf.next_wake(quiet, quiet_forecast, START) == START + sf.REFRESH


def test_the_status_stays_bounded_however_many_satellites(
    terra_aqua: list[sf.FollowedSatellite],
) -> None:
    spec = svalbard(lookAheadHours=168)
    many = [
        sf.FollowedSatellite(f"sat-{i}", each.elements) for i in range(10) for each in terra_aqua
    ]
    forecast = sf.forecast(spec, many, START, START + timedelta(hours=168))
    status = sf.station_status(spec, forecast, START)
    assert len(status["passes"]) == sf.MAX_STATUS_PASSES
    assert status["satellites"] == 20


def test_new_elements_of_one_satellite_repredict_only_that_one(
    terra_aqua: list[sf.FollowedSatellite],
) -> None:
    spec = svalbard()
    end = START + timedelta(hours=12)
    before = sf.forecast(spec, terra_aqua, START, end)
    terra = terra_aqua[0]
    assert terra.elements is not None
    newer = sf.FollowedSatellite("terra", replace(terra.elements, epoch=terra.elements.epoch))
    moved = sf.FollowedSatellite("aqua", None, "the Satellite is InvalidSpec: gone")
    after = sf.forecast(spec, [newer, moved], START, end, previous=before)
    by_name = {each.name: each for each in after.satellites}
    assert by_name["terra"] is before.satellites[1]  # sorted: aqua, terra; same elements
    assert by_name["aqua"].visibility == sf.UNUSABLE
    # Another window predicts everything again.
    later = sf.forecast(spec, [newer], START + timedelta(hours=1), end, previous=before)
    assert later.satellites[0] is not before.satellites[1]


@pytest.mark.parametrize(
    ("published_through", "begins"),
    [
        (None, "2026-08-23T10:14:06Z"),  # nothing to catch up: from now, a second early
        ("2026-08-23T10:02:00Z", "2026-08-23T10:01:59Z"),  # from the oldest unpublished event
        ("2026-08-23T07:00:00Z", "2026-08-23T09:14:06Z"),  # but never more than an hour back
    ],
)
def test_the_window_the_status_names_is_the_window_predicted(
    terra_aqua: list[sf.FollowedSatellite], published_through: str | None, begins: str
) -> None:
    moment = datetime(2026, 8, 23, 10, 14, 7, 654321, tzinfo=UTC)
    spec = svalbard(lookAheadHours=12)
    through = datetime.fromisoformat(published_through) if published_through else None
    start, end = sf.forecast_window(moment, through, spec.look_ahead)
    status = sf.station_status(spec, sf.forecast(spec, terra_aqua, start, end), moment)
    assert (status["predictedAt"], status["predictedUntil"]) == (begins, "2026-08-23T22:14:07Z")
    # Whole seconds, so the printed window is exactly the one predicted: a pass the window's
    # end cuts short is the same when predicted again from the status.
    assert (start.microsecond, end.microsecond) == (0, 0)
