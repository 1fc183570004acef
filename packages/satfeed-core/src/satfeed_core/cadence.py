"""When to sample: a fixed grid aligned to the wall clock.

Sample times are whole multiples of the interval since the Unix epoch (at 1 s: every whole
second; at 10 s: :00, :10, ...). Each wait is computed from the clock to the next grid time,
never by adding intervals up, so the cadence does not drift however long the producer runs,
and every producer with the same interval samples at the same instants.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

_UNIX_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(seconds: float) -> int:
    return round(seconds * 1_000_000)


# The grid is computed in whole microseconds: float division of today's Unix time by 0.1
# is off by a few millionths of a tick, enough to land on the wrong side of a boundary.
def grid_index(unix_time: float, interval_s: float) -> int:
    """Index of the last grid time at or before ``unix_time``."""
    return _micros(unix_time) // _micros(interval_s)


def grid_time(index: int, interval_s: float) -> datetime:
    """The grid time with this index, as an aware UTC datetime (microsecond resolution)."""
    return _UNIX_EPOCH + timedelta(microseconds=index * _micros(interval_s))


def next_index(unix_time: float, interval_s: float) -> int:
    """Index of the first grid time strictly after ``unix_time``."""
    return grid_index(unix_time, interval_s) + 1


def backfill_indices(
    unix_time: float, interval_s: float, count: int, after: datetime | None = None
) -> range:
    """The last ``count`` grid indices at or before ``unix_time``, oldest first.

    With ``after`` (the newest sample already in the topic), only later ones: a restarted
    producer fills the gap it left instead of writing samples a second time.
    """
    last = grid_index(unix_time, interval_s)
    first = last - count + 1
    if after is not None:
        first = max(first, grid_index(after.timestamp(), interval_s) + 1)
    return range(first, last + 1) if count > 0 else range(0)
