"""Shard assignment and shard plans: stable members, few moves, one switch tick for all."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from satfeed_core.shards import ShardPlan, ShardPlanError, shard_of

CATALOGUE = range(1, 60_001)


def test_members_spread_evenly_over_the_shards() -> None:
    counts = Counter(shard_of(norad_id, 4) for norad_id in CATALOGUE)
    assert sorted(counts) == [0, 1, 2, 3]
    assert max(counts.values()) / min(counts.values()) < 1.05


@pytest.mark.parametrize("shards", [1, 2, 3, 7])
def test_one_more_shard_moves_only_the_members_it_takes(shards: int) -> None:
    moved = [
        (before, after)
        for norad_id in CATALOGUE
        if (before := shard_of(norad_id, shards)) != (after := shard_of(norad_id, shards + 1))
    ]
    assert {after for _, after in moved} == {shards}
    assert len(moved) / len(CATALOGUE) == pytest.approx(1 / (shards + 1), rel=0.05)


def test_fewer_shards_is_a_valid_count() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        shard_of(25544, 0)


def test_a_plan_switches_at_its_time_and_round_trips() -> None:
    switch = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    plan = ShardPlan(shards=5, previous=4, switch_at=switch)
    assert plan.shards_at(switch - timedelta(milliseconds=1)) == 4
    assert plan.shards_at(switch) == 5
    assert ShardPlan.from_json(plan.to_json()) == plan
    assert ShardPlan.steady(3).shards_at(switch) == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ("[1]", "not a JSON object"),
        ('{"shards": 2}', "lacks previous, switchAt"),
        ('{"shards": 0, "previous": 1, "switchAt": "2026-12-02T12:00:00+00:00"}', "1..64"),
        ('{"shards": 2, "previous": true, "switchAt": "2026-12-02T12:00:00+00:00"}', "whole"),
        ('{"shards": 2, "previous": 2, "switchAt": "noon"}', "'switchAt'"),
        ('{"shards": 2, "previous": 2, "switchAt": "2026-12-02T12:00:00"}', "time zone"),
    ],
)
def test_a_bad_plan_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ShardPlanError, match=message):
        ShardPlan.from_json(text)
