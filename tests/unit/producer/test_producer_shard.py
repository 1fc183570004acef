"""A group shard's pure part: who owns which member at each tick, and the batch it builds."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from satfeed_core.batch import decode_batch, encode_batch
from satfeed_core.elements import Elements, tle_elements
from satfeed_core.propagation import Sgp4Propagator
from satfeed_core.shards import ShardPlan, shard_of
from satfeed_core.usability import OUTSIDE_ENVELOPE
from satfeed_producer.shard import FailingMembers, Members, ShardTicker, newest_per_object

from tests.unit.core.tle_samples import ISS_LINE1, ISS_LINE2, edited

SNAPSHOT = datetime(2026, 8, 23, 12, 0, tzinfo=UTC)  # half a day after the newest epochs
INTERVAL = timedelta(seconds=1)


@pytest.fixture(scope="module")
def members(catalogue: list[Elements]) -> Members:
    """3,000 objects of the catalogue, a few of which fail at the snapshot."""
    return Members.of(newest_per_object(catalogue[:3000]))


def test_every_member_is_published_exactly_once_across_a_switch_from_4_to_5_shards(
    members: Members,
) -> None:
    switch = SNAPSHOT + 5 * INTERVAL
    plan = ShardPlan(shards=5, previous=4, switch_at=switch)
    shards = [ShardTicker(index, members, plan) for index in range(5)]
    for shard in shards:
        shard.prepare(SNAPSHOT)
    everyone = set(members.norad_id.tolist())
    published_by: dict[datetime, Counter[int]] = {}
    for step in range(-3, 12):  # ticks from before the switch to well after it
        when = SNAPSHOT + step * INTERVAL
        published: Counter[int] = Counter()
        failed: Counter[int] = Counter()
        for shard in shards:
            tick = shard.tick(when)
            assert tick.shards == (5 if when >= switch else 4)
            assert tick.idle == (shard.shard >= tick.shards)
            if tick.batch is not None:
                assert tick.batch.shard == shard.shard
                published.update(tick.batch.norad_id.tolist())
            failed.update(tick.failed_id.tolist())
        both = published + failed
        assert set(both) == everyone, f"members missing at {when}"
        assert max(both.values()) == 1, f"members published twice at {when}"
        published_by[when] = published
    # The new shard publishes from the switch tick on, and only the members it takes.
    before, after = published_by[switch - INTERVAL], published_by[switch]
    assert set(before) == set(after)  # the same members, by other shards
    moved = {each for each in everyone if shard_of(each, 4) != shard_of(each, 5)}
    assert {shard_of(each, 5) for each in moved} == {4}
    assert 0.15 < len(moved) / len(everyone) < 0.25


def test_a_pending_switch_is_prepared_before_its_tick(members: Members) -> None:
    plan = ShardPlan(shards=3, previous=2, switch_at=SNAPSHOT + INTERVAL)
    ticker = ShardTicker(0, members, plan)
    ticker.prepare(SNAPSHOT)
    assert set(ticker._owned) == {2, 3}  # both counts built before the switch
    ticker.tick(SNAPSHOT + INTERVAL)
    assert set(ticker._owned) == {3}  # the old count is let go after it
    ticker.replace_plan(ShardPlan.steady(4))
    assert ticker._owned == {}


def test_the_batch_holds_the_propagated_positions_in_norad_order(members: Members) -> None:
    tick = ShardTicker(0, members, ShardPlan.steady(1)).tick(SNAPSHOT)
    assert tick.batch is not None
    decoded = decode_batch(encode_batch(tick.batch))
    assert decoded.time == SNAPSHOT
    assert decoded.shard == 0
    assert np.all(np.diff(decoded.norad_id.astype(np.int64)) > 0)
    row = len(decoded) // 2
    elements = members.get(int(decoded.norad_id[row]))
    assert elements is not None
    position = Sgp4Propagator(elements).positions_at(SNAPSHOT).position()
    assert decoded.lat_deg[row] == pytest.approx(position.lat_deg, abs=1e-4)
    assert decoded.lon_deg[row] == pytest.approx(position.lon_deg, abs=1e-4)
    assert decoded.alt_km[row] == pytest.approx(position.alt_km, abs=1e-3)
    assert decoded.speed_km_s[row] == pytest.approx(position.speed_km_s, abs=1e-5)
    assert decoded.elements_epoch_s[row] == int(elements.epoch.timestamp())


def _renumbered(line: str, catalogue_number: int) -> str:
    return edited(line, 3, f"{catalogue_number:05d}")


def test_members_without_a_position_are_left_out_and_counted() -> None:
    iss = tle_elements(ISS_LINE1, ISS_LINE2, "ISS (ZARYA)")
    # The ISS's orbit with a huge drag term, under another number: decayed within two days.
    falling = tle_elements(
        edited(_renumbered(ISS_LINE1, 90001), 54, " 30000+0"),
        _renumbered(ISS_LINE2, 90001),
        "FALLING STAR",
    )
    ticker = ShardTicker(0, Members.of([iss, falling]), ShardPlan.steady(1))
    episodes = FailingMembers()

    early = ticker.tick(iss.epoch)
    assert early.batch is not None
    assert early.batch.norad_id.tolist() == [25544, 90001]
    assert episodes.update(early) == ([], [])

    late = ticker.tick(iss.epoch + timedelta(days=3))
    assert late.batch is not None
    assert late.batch.norad_id.tolist() == [25544]  # only the one with a position
    assert late.owned == 2
    assert late.failed_id.tolist() == [90001]
    [(code, count)] = late.failure_counts().items()
    assert count == 1
    assert code in (1, 3, 6, OUTSIDE_ENVELOPE)
    assert episodes.update(late) == ([90001], [])
    assert episodes.update(ticker.tick(iss.epoch + timedelta(days=3, seconds=1))) == ([], [])
    assert episodes.update(ticker.tick(iss.epoch)) == ([], [90001])  # once when it ends


def test_a_shard_beyond_the_count_is_idle_and_an_owner_of_nothing_sends_an_empty_batch() -> None:
    iss = tle_elements(ISS_LINE1, ISS_LINE2, "ISS (ZARYA)")
    idle = ShardTicker(2, Members.of([iss]), ShardPlan.steady(2)).tick(iss.epoch)
    assert idle.idle
    assert idle.batch is None
    assert idle.owned == 0
    other = 1 - shard_of(25544, 2)
    empty = ShardTicker(other, Members.of([iss]), ShardPlan.steady(2)).tick(iss.epoch)
    assert not empty.idle
    assert empty.batch is not None
    assert len(empty.batch) == 0
    assert len(decode_batch(encode_batch(empty.batch))) == 0


def test_an_object_in_several_files_is_its_newest_element_set() -> None:
    iss = tle_elements(ISS_LINE1, ISS_LINE2, "ISS (ZARYA)")
    newer = tle_elements(edited(ISS_LINE1, 21, "234.60000000"), ISS_LINE2, "ISS (ZARYA)")
    assert newer.epoch > iss.epoch
    assert newest_per_object([iss, newer, iss]) == [newer]
    with pytest.raises(ValueError, match="distinct NORAD ids"):
        Members.of([iss, newer])
