"""--local-elements: positions computed in the frontend's process, no Kafka, no Kubernetes."""

from __future__ import annotations

from pathlib import Path

import pytest
from satfeed_core import cadence
from satfeed_dev.sample_data import tle_file
from satfeed_dev.tle_edit import checksum, three_line_sets
from satfeed_dev.waiting import wait_for
from satfeed_frontend.config import DiscoveryMode, parse_config
from satfeed_frontend.data.local import load_local_elements, satellite_ids
from satfeed_frontend.service import FrontendService

EARTH_OBSERVATION = tle_file("earth-observation.tle")
EXAMPLES = (25994, 27424, 28376)  # TERRA, AQUA, AURA


def test_local_elements_need_no_kafka_and_choose_the_local_mode() -> None:
    config = parse_config(
        ["--local-elements", "e.tle", "--local-norad-ids", "25994, 27424", "--local-interval", "2"],
        environ={},
    )
    assert config.discovery is DiscoveryMode.LOCAL
    assert config.local_elements == Path("e.tle")
    assert config.local_norad_ids == (25994, 27424)
    assert config.local_interval_s == 2.0
    from_env = parse_config([], environ={"SATFEED_LOCAL_ELEMENTS": "e.tle"})
    assert (from_env.discovery, from_env.local_interval_s) == (DiscoveryMode.LOCAL, 1.0)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--local-elements", "e.tle", "--bootstrap-servers", "k:9092"],
            "without Kafka: drop --bootstrap-servers (KAFKA_BOOTSTRAP_SERVERS)",
        ),
        (["--local-elements", "e.tle", "--topics", "a"], "drop --topics / --group-topics"),
        (["--local-elements", "e.tle", "--local-interval", "0.01"], "use 0.1 to 3600 seconds"),
        (["--local-elements", "e.tle", "--local-norad-ids", "terra"], "'terra' is not a NORAD id"),
        (["--local-norad-ids", "25994"], "need --local-elements"),
        ([], "unless --local-elements computes the positions in this process"),
    ],
)
def test_bad_local_settings_are_usage_errors_naming_the_flag(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse_config(argv, environ={})
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_every_object_of_the_file_or_the_ones_named() -> None:
    every = load_local_elements(EARTH_OBSERVATION, ())
    assert len(every) == 25
    named = load_local_elements(EARTH_OBSERVATION, EXAMPLES)
    assert [each.name for each in named] == ["TERRA", "AQUA", "AURA"]


def test_an_id_not_in_the_file_names_the_frontends_flag() -> None:
    with pytest.raises(ValueError, match="holds no element set for NORAD 1 ") as error:
        load_local_elements(EARTH_OBSERVATION, (1,))
    assert str(error.value).endswith("correct --local-norad-ids (SATFEED_LOCAL_NORAD_IDS)")


def test_unusable_elements_are_refused_as_the_producer_refuses_them(tmp_path: Path) -> None:
    # A real satellite whose epoch lies 20 years back: SGP4 finds it long decayed.
    lines = three_line_sets(EARTH_OBSERVATION)["ISS (ZARYA)"]
    line1 = lines[1][:18] + "06" + lines[1][20:68]
    path = tmp_path / "old.tle"
    path.write_text("\n".join([lines[0], line1 + str(checksum(line1)), lines[2]]) + "\n")
    with pytest.raises(ValueError, match=r"ISS \(ZARYA\) \(NORAD 25544\) cannot be propagated"):
        load_local_elements(path, ())


def test_satellite_ids_are_object_names_and_unique() -> None:
    objects = load_local_elements(EARTH_OBSERVATION, (*EXAMPLES, 33591))
    assert satellite_ids(objects) == ["terra", "aqua", "aura", "noaa-19"]
    assert satellite_ids([objects[0], objects[0]]) == ["terra-25994", "terra-25994"]


def test_the_service_backfills_and_then_adds_a_record_per_grid_time() -> None:
    config = parse_config(
        ["--local-elements", str(EARTH_OBSERVATION), "--history", "30", "--local-interval", "0.2"],
        environ={},
    )
    objects = load_local_elements(EARTH_OBSERVATION, EXAMPLES)
    service = FrontendService(config, local_objects=objects)
    service.start()
    try:
        assert service.readiness() == (True, "ok")
        wait_for(lambda: service.feed.track_count() == 3, 10, "a track per object")
        first = {t.key: t.latest.record.time for t in service.feed.snapshot().tracks}
        wait_for(
            lambda: all(
                t.latest.record.time > first[t.key] for t in service.feed.snapshot().tracks
            ),
            10,
            "a newer position of every object",
        )
        tracks = service.feed.snapshot().tracks
        assert sorted(t.latest.record.satellite for t in tracks) == ["aqua", "aura", "terra"]
        for track in tracks:
            times = [s.record.time for s in track.samples]
            assert len(times) == 30  # the backfill filled the history
            # On the producer's grid, one step apart: nothing skipped, nothing twice.
            indices = [cadence.grid_index(t.timestamp(), 0.2) for t in times]
            assert indices == list(range(indices[0], indices[0] + 30))
            assert [cadence.grid_time(i, 0.2) for i in indices] == times
    finally:
        service.stop()
