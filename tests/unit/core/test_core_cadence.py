"""The sampling grid: aligned to the wall clock, drift-free, and backfill without repeats."""

from __future__ import annotations

from datetime import UTC, datetime

from satfeed_core.cadence import backfill_indices, grid_index, grid_time, next_index


def test_grid_times_are_whole_multiples_of_the_interval() -> None:
    now = datetime(2026, 11, 27, 12, 0, 7, 400_000, tzinfo=UTC).timestamp()
    assert grid_time(next_index(now, 1.0), 1.0) == datetime(2026, 11, 27, 12, 0, 8, tzinfo=UTC)
    assert grid_time(next_index(now, 10.0), 10.0) == datetime(2026, 11, 27, 12, 0, 10, tzinfo=UTC)
    assert grid_time(next_index(now, 0.1), 0.1) == datetime(
        2026, 11, 27, 12, 0, 7, 500_000, tzinfo=UTC
    )


def test_grid_does_not_drift_over_hours() -> None:
    start = datetime(2026, 11, 27, 0, 0, 0, tzinfo=UTC).timestamp()
    index = next_index(start, 0.1)
    # Ten hours of 0.1 s ticks later the grid time is still exact to the microsecond.
    later = grid_time(index + 360_000, 0.1)
    assert later == datetime(2026, 11, 27, 10, 0, 0, 100_000, tzinfo=UTC)
    assert grid_index(later.timestamp(), 0.1) == index + 360_000


def test_a_time_on_the_grid_is_its_own_index() -> None:
    for interval in (0.1, 0.3, 1.0, 7.0, 3600.0):
        for index in (1, 12345, 5_000_000):
            assert grid_index(grid_time(index, interval).timestamp(), interval) == index


def test_backfill_covers_the_last_n_grid_times() -> None:
    now = datetime(2026, 11, 27, 12, 0, 7, 400_000, tzinfo=UTC).timestamp()
    indices = backfill_indices(now, 1.0, 3)
    assert [grid_time(i, 1.0).second for i in indices] == [5, 6, 7]


def test_backfill_after_a_restart_only_fills_the_gap() -> None:
    now = datetime(2026, 11, 27, 12, 0, 10, tzinfo=UTC).timestamp()
    newest_in_topic = datetime(2026, 11, 27, 12, 0, 7, tzinfo=UTC)
    indices = backfill_indices(now, 1.0, 180, after=newest_in_topic)
    assert [grid_time(i, 1.0).second for i in indices] == [8, 9, 10]
    assert list(backfill_indices(now, 1.0, 0)) == []
