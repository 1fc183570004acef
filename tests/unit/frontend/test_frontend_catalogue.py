"""The catalogue: every object in arrays indexed by a stable roster, quantised frames, a
tick's records gathered across shards, and picked group members given a history."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from satfeed_core.batch import PositionBatch, decode_batch, encode_batch
from satfeed_core.elements import Elements, load_elements
from satfeed_core.labels import ENCODING_BATCH_V2
from satfeed_dev.sample_data import EARTH_OBSERVATION, tle_file
from satfeed_frontend.data.catalogue import (
    LAT_STEP_DEG,
    LON_STEP_DEG,
    MISSING,
    PICK_LEASE_S,
    SATELLITES_LAYER,
    Catalogue,
    dequantise,
    quantise,
)
from satfeed_frontend.data.feed import FeedState, TopicInfo
from satfeed_frontend.data.tick_gate import MAX_WAIT_S, TickGate

from tests.unit.frontend.frontend_samples import T0, position

GROUP = TopicInfo("g.cat", "--group-topics", "Catalogue", encoding=ENCODING_BATCH_V2, group="cat")
SATELLITE = TopicInfo("t.terra", "--topics")
T0_MS = round(T0.timestamp() * 1000)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def batch(
    norad_ids: Sequence[int],
    second: int = 0,
    shard: int = 0,
    lon: float | Sequence[float] = 10.0,
    alt_km: float = 550.0,
) -> PositionBatch:
    n = len(norad_ids)
    return PositionBatch(
        shard=shard,
        time_ms=T0_MS + 1000 * second,
        norad_id=np.asarray(norad_ids, dtype=np.uint32),
        lon_deg=np.broadcast_to(np.asarray(lon, dtype=np.float32), (n,)).copy(),
        lat_deg=np.full(n, 20.0, dtype=np.float32),
        alt_km=np.full(n, alt_km, dtype=np.float32),
        speed_km_s=np.full(n, 7.6, dtype=np.float32),
        elements_epoch_s=np.full(n, int(T0.timestamp()) - 86_400, dtype=np.uint32),
    )


def catalogue(clock: Clock | None = None) -> tuple[FeedState, Catalogue]:
    feed = FeedState(180)
    feed.set_topics([GROUP, SATELLITE])
    cat = Catalogue(feed, clock=clock or Clock())
    cat.set_topics([GROUP, SATELLITE])
    return feed, cat


def roster(cat: Catalogue, since: tuple[int, int] | None = None) -> dict[str, Any]:
    body = cat.roster_message(since)
    assert body is not None
    decoded: dict[str, Any] = json.loads(body)
    return decoded


def frame_positions(cat: Catalogue) -> tuple[np.ndarray, np.ndarray]:
    frame = cat.frame()
    assert frame is not None
    body = json.loads(frame.body)
    assert (body["g"], body["n"]) == (frame.generation, frame.count)
    return dequantise(base64.b64decode(body["p"]))


# -- quantisation -------------------------------------------------------------------------


def test_quantised_positions_come_back_within_half_a_step() -> None:
    rng = np.random.default_rng(7)
    lon = np.concatenate([rng.uniform(-180, 180, 10_000), [-180.0, 180.0, 0.0]])
    lat = np.concatenate([rng.uniform(-90, 90, 10_000), [-90.0, 90.0, 0.0]])
    data = quantise(lon, lat)
    assert len(data) == 4 * len(lon)  # 4 bytes an object, 5.3 as base64: under 8
    back_lon, back_lat = dequantise(data)
    assert np.max(np.abs(back_lon - lon)) <= LON_STEP_DEG / 2 + 1e-9
    assert np.max(np.abs(back_lat - lat)) <= LAT_STEP_DEG / 2 + 1e-9
    # The stated precision: 0.0028° of longitude (306 m at the equator), 0.0014° of latitude.
    assert LON_STEP_DEG / 2 < 0.0028
    assert LAT_STEP_DEG / 2 < 0.0014


def test_an_object_without_a_position_is_missing_not_zero() -> None:
    data = quantise(np.array([10.0, np.nan, 5.0]), np.array([1.0, 2.0, np.inf]))
    values = np.frombuffer(data, dtype="<i2")
    assert list(values[[1, 2, 4, 5]]) == [MISSING, MISSING, MISSING, MISSING]
    lon, lat = dequantise(data)
    assert np.isnan(lon[1:]).all()
    assert np.isnan(lat[1:]).all()


# -- roster ---------------------------------------------------------------------------------


def test_a_batch_adds_its_objects_to_the_roster_and_positions_them_in_one_go() -> None:
    feed, cat = catalogue()
    result = cat.add_batch(GROUP.topic, batch([300, 100, 200], lon=[30.0, 10.0, 20.0]))
    assert (result.kept, result.implausible, result.older) == (3, 0, 0)
    whole = roster(cat)
    assert whole["from"] == 0
    assert whole["n"] == 3
    assert sorted(whole["norad"]) == [100, 200, 300]
    assert whole["names"] == [f"NORAD {n}" for n in whole["norad"]]  # no elements known
    assert whole["layers"][0]["name"] == "Catalogue"
    assert whole["values"] == {}  # a member is picked by its NORAD id
    lon, _ = frame_positions(cat)
    by_norad = dict(zip(whole["norad"], lon, strict=True))
    assert by_norad == pytest.approx({100: 10.0, 200: 20.0, 300: 30.0}, abs=0.003)
    # The group's status: its layer and how many objects it has.
    assert feed.snapshot().status.objects == {"g.cat": ("Catalogue", 3)}


def test_the_roster_is_stable_and_pages_get_only_what_was_appended() -> None:
    _, cat = catalogue()
    cat.add_batch(GROUP.topic, batch([100, 200]))
    first = roster(cat)
    state = (first["g"], first["n"])
    assert cat.roster_message(state) is None  # nothing new
    # Another shard's batch brings new objects: appended, the old ones keep their index.
    cat.add_batch(GROUP.topic, batch([150, 100], shard=1, second=0))
    cat.add_record(SATELLITE.topic, position(), None)
    appended = roster(cat, state)
    assert (appended["g"], appended["from"], appended["n"]) == (first["g"], 2, 4)
    assert appended["names"] == ["NORAD 150", "TERRA"]
    assert appended["values"] == {"3": "terra"}  # a Satellite is picked by its name
    assert [layer["name"] for layer in appended["layers"]] == ["Catalogue", SATELLITES_LAYER]
    assert appended["layer"] == [0, 1]
    # A page with a roster of another generation (an earlier process) gets it whole.
    assert roster(cat, (first["g"] + 1, 2))["from"] == 0


def test_objects_of_a_topic_that_goes_leave_in_a_new_generation() -> None:
    feed, cat = catalogue()
    cat.add_batch(GROUP.topic, batch([100, 200]))
    cat.add_record(SATELLITE.topic, position(), None)
    before = roster(cat)
    feed.set_topics([SATELLITE])
    cat.set_topics([SATELLITE])
    after = roster(cat, (before["g"], before["n"]))
    assert after["g"] != before["g"]
    assert after["from"] == 0
    assert after["names"] == ["TERRA"]
    assert after["layer"] == [0]
    assert [layer["name"] for layer in after["layers"]] == [SATELLITES_LAYER]
    lon, _ = frame_positions(cat)
    assert lon == pytest.approx([10.0], abs=0.003)


def test_older_and_implausible_positions_are_skipped_and_counted() -> None:
    _, cat = catalogue()
    cat.add_batch(GROUP.topic, batch([100, 200], second=5, lon=50.0))
    stale = cat.add_batch(GROUP.topic, batch([100, 200], second=4, lon=40.0))
    assert (stale.kept, stale.older) == (0, 2)
    # Below the ground (no elements to judge by): never drawn.
    low = cat.add_batch(GROUP.topic, batch([100], second=6, lon=60.0, alt_km=-20.0))
    assert (low.kept, low.implausible) == (0, 1)
    assert "NORAD 100 at -20 km" in low.example
    lon, _ = frame_positions(cat)
    assert lon == pytest.approx([50.0, 50.0], abs=0.003)


def test_a_frame_is_built_once_per_change_and_is_under_8_bytes_an_object() -> None:
    _, cat = catalogue()
    ids = list(range(1, 16_070))
    for shard in range(4):
        cat.add_batch(GROUP.topic, batch(ids[shard::4], shard=shard))
    frame = cat.frame()
    assert frame is not None
    assert cat.frame() is frame  # nothing moved: the same bytes
    assert frame.count == 16_069
    assert len(frame.body) / 16_069 < 5.4
    cat.add_batch(GROUP.topic, batch(ids[::4], second=1))
    assert cat.frame() is not frame


# -- a tick gathered across shards --------------------------------------------------------


def test_a_tick_is_complete_when_every_shard_has_delivered_it() -> None:
    gate = TickGate()
    for second in range(3):  # the shards' cadence: one batch a second each
        for shard in range(4):
            gate.arrived(("g", shard), 1000 * second, now=second)
        assert gate.complete(now=second + 0.01)
        gate.take()
    gate.arrived(("g", 0), 3000, now=3.0)
    gate.arrived(("g", 1), 3000, now=3.05)
    assert gate.pending()
    assert not gate.complete(now=3.1)
    assert gate.missing() == 2
    gate.arrived(("g", 2), 3000, now=3.2)
    gate.arrived(("g", 3), 3000, now=3.3)
    assert gate.complete(now=3.3)
    assert gate.take() == 3000
    assert not gate.pending()


def test_a_late_or_stopped_shard_holds_a_tick_back_half_a_second_at_most() -> None:
    gate = TickGate()
    for second in range(3):
        for shard in range(2):
            gate.arrived(("g", shard), 1000 * second, now=second)
        gate.take()
    gate.arrived(("g", 0), 3000, now=3.0)
    assert not gate.complete(now=3.0 + MAX_WAIT_S - 0.01)
    assert gate.complete(now=3.0 + MAX_WAIT_S)
    gate.take()
    # A record of the next tick completes a pending one at once.
    gate.arrived(("g", 0), 4000, now=4.0)
    gate.arrived(("g", 0), 5000, now=4.1)
    assert gate.complete(now=4.1)
    gate.take()
    # Shard 1 has been silent for more than three of its intervals: no longer waited for.
    gate.arrived(("g", 0), 6000, now=6.0)
    assert gate.missing() == 0
    assert gate.complete(now=6.0)


def test_sources_of_other_cadences_are_waited_for_only_when_due() -> None:
    gate = TickGate()
    gate.arrived("every-minute", 0, now=0.0)
    gate.arrived("every-minute", 60_000, now=60.0)
    gate.take()
    for second in range(61, 63):
        gate.arrived("every-second", 1000 * second, now=second)
        gate.take()
    gate.arrived("every-second", 63_000, now=63.0)
    assert gate.complete(now=63.0)  # the minute's source is not due before 120 s


def test_the_push_waits_for_the_tick_the_catalogue_gathers_across_shards() -> None:
    clock = Clock()
    _, cat = catalogue(clock)
    ids = list(range(1, 101))
    for second in range(2):
        for shard in range(4):
            cat.add_batch(GROUP.topic, batch(ids[shard::4], second=second, shard=shard))
        assert cat.wait_for_tick(0) is not None
    assert cat.wait_for_tick(0) is None  # nothing pending: no wait at all
    for shard in range(3):
        cat.add_batch(GROUP.topic, batch(ids[shard::4], second=2, shard=shard))
        clock.now += 0.01
    assert cat.tick_pending()
    assert cat.wait_for_tick(0) is None  # shard 3 is due: not complete yet
    cat.add_batch(GROUP.topic, batch(ids[3::4], second=2, shard=3))
    assert cat.wait_for_tick(0) == pytest.approx(0.03)  # one push for the four batches


# -- picks --------------------------------------------------------------------------------


def test_a_picked_member_gets_a_track_from_its_pick_on_and_loses_it_after_the_lease() -> None:
    clock = Clock()
    feed, cat = catalogue(clock)
    cat.add_batch(GROUP.topic, batch([25544, 100]))
    cat.hold_picks(["25544"])
    (track,) = feed.snapshot().tracks
    assert (track.topic, track.satellite, track.member) == ("g.cat", "norad-25544", True)
    assert track.display_name == "NORAD 25544"  # the member's name, not its group's
    assert len(track.samples) == 1  # seeded with its latest position
    cat.add_batch(GROUP.topic, batch([25544, 100], second=1, lon=11.0))
    (track,) = feed.snapshot().tracks
    assert [s.record.lon for s in track.samples] == pytest.approx([10.0, 11.0])
    # Satellites are counted apart from the members picked.
    assert feed.track_count() == 0
    clock.now += PICK_LEASE_S / 2
    cat.hold_picks(["25544"])  # still picked by a page
    clock.now += PICK_LEASE_S / 2 + 1
    cat.hold_picks([])
    assert len(feed.snapshot().tracks) == 1
    clock.now += PICK_LEASE_S
    cat.hold_picks([])
    assert feed.snapshot().tracks == ()


def test_names_and_plausible_heights_come_from_the_elements_once_known() -> None:
    iss = next(e for e in load_elements(tle_file(EARTH_OBSERVATION)) if e.norad_id == 25544)
    known: dict[int, Elements] = {}
    version = [0]
    feed = FeedState(10)
    feed.set_topics([GROUP])
    cat = Catalogue(feed, elements_of=known.get, elements_version=lambda: version[0])
    cat.set_topics([GROUP])
    cat.add_batch(GROUP.topic, batch([25544]))
    cat.refresh_names()  # as the push thread does each tick
    assert roster(cat)["names"] == ["NORAD 25544"]
    known[25544] = iss
    cat.refresh_names()  # the elements' version did not move: nothing read
    assert roster(cat)["names"] == ["NORAD 25544"]
    before = roster(cat)["g"]
    version[0] += 1
    cat.refresh_names()
    renamed = roster(cat)
    assert renamed["names"] == ["ISS (ZARYA)"]
    assert renamed["g"] != before
    # 30,000 km up is a place the ISS's orbit cannot hold: skipped now its orbit is known.
    far = cat.add_batch(GROUP.topic, batch([25544], second=1, alt_km=30_000.0))
    assert far.implausible == 1


def test_an_unlabelled_topic_is_found_to_be_a_group_by_its_records() -> None:
    feed = FeedState(10)
    plain = TopicInfo("positions.all", "--topic-pattern .*")
    feed.set_topics([plain])
    cat = Catalogue(feed)
    cat.set_topics([plain])
    cat.add_batch(plain.topic, batch([1, 2]))
    cat.set_topics([plain])  # rediscovered: still a group
    cat.add_batch(plain.topic, batch([3], second=1))
    assert [layer["name"] for layer in roster(cat)["layers"]] == ["positions.all"]
    assert roster(cat)["layer"] == [0, 0, 0]


def test_an_encoded_batch_decodes_into_the_catalogue_as_the_consumer_reads_it() -> None:
    _, cat = catalogue()
    data = encode_batch(batch([7, 8, 9], second=3))
    result = cat.add_batch(GROUP.topic, decode_batch(data))
    assert result.kept == 3


def test_a_batch_of_a_topic_no_longer_read_is_ignored() -> None:
    _, cat = catalogue()
    assert cat.add_batch("not.read", batch([1])).kept == 0
    assert cat.count() == 0
