"""When a tick's records are all in: the push waits for the tick, not for a fixed pause.

Producers sample at whole multiples of their interval since the Unix epoch, so the records
of one tick share one sample time: one record per Satellite (schema v1) and one batch per
shard of each SatelliteGroup (schema v2). A *source* is whatever writes one of them per
tick: a Satellite's topic, or one shard of a group's topic.

A tick is complete when every source that is due at its time has delivered it. A source is
due at time T when its last sample plus its own interval (the smallest gap seen between its
samples) is at most T, and it has not been silent for more than :data:`ALIVE_INTERVALS` of
its intervals (a stopped producer is not waited for forever). A source with one sample so
far has no known interval and is not waited for. Whatever happens, a tick is complete
:data:`MAX_WAIT_S` after its first record came, or as soon as a record of a later tick comes.

Pure and single-threaded: :class:`satfeed_frontend.data.catalogue.Catalogue` holds it under
its lock, and the consumer and the push thread call it with their clocks.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Final

MAX_WAIT_S: Final = 0.5
"""The longest the push waits for the rest of a tick after its first record (a shard or a
producer that is late or gone); well under the page's 1.5 s sample-to-screen budget."""
ALIVE_INTERVALS: Final = 3
"""A source silent for more of its own intervals than this is no longer waited for (the page
marks it stale after three intervals too)."""


@dataclass
class _Source:
    last_ms: int
    interval_ms: int | None = None


class TickGate:
    def __init__(self, max_wait_s: float = MAX_WAIT_S) -> None:
        self.max_wait_s = max_wait_s
        self._sources: dict[Hashable, _Source] = {}
        self._open_ms: int | None = None
        """The sample time of the tick being gathered (None: nothing is pending)."""
        self._opened_at = 0.0
        self._closed_early = False
        """A record of a later tick came while this one was pending: it is complete."""
        self._waiting: set[Hashable] = set()
        """The sources due at the pending tick that have not delivered it: found once when
        the tick opens, then each arrival crosses itself off (no walk over every source
        per record: 1,000 Satellites are 1,000 records a tick)."""

    def arrived(self, source: Hashable, time_ms: int, now: float) -> None:
        """A record (or batch) of ``source`` sampled at ``time_ms`` came at ``now`` (s)."""
        known = self._sources.get(source)
        if known is None:
            self._sources[source] = _Source(time_ms)
        elif time_ms > known.last_ms:
            gap = time_ms - known.last_ms
            if known.interval_ms is None or gap < known.interval_ms:
                known.interval_ms = gap
            known.last_ms = time_ms
        if self._open_ms is None:
            self._open_ms, self._opened_at = time_ms, now
            self._waiting = {key for key, each in self._sources.items() if _due(each, time_ms)}
        elif time_ms > self._open_ms:
            # A later tick has begun: the pending one is as complete as it will be.
            self._closed_early = True
            self._open_ms = max(self._open_ms, time_ms)
        if time_ms >= self._open_ms:
            self._waiting.discard(source)

    def pending(self) -> bool:
        return self._open_ms is not None

    def opened_at(self) -> float:
        """When the pending tick's first record came."""
        return self._opened_at

    def deadline(self) -> float | None:
        """When the pending tick is complete at the latest (None: nothing pending)."""
        return None if self._open_ms is None else self._opened_at + self.max_wait_s

    def missing(self) -> int:
        """Sources due at the pending tick's time that have not delivered it."""
        return 0 if self._open_ms is None else len(self._waiting)

    def complete(self, now: float) -> bool:
        """Whether the pending tick may be pushed now."""
        if self._open_ms is None:
            return False
        if self._closed_early or now >= self._opened_at + self.max_wait_s:
            return True
        return self.missing() == 0

    def take(self) -> int | None:
        """The pending tick's time, which is then no longer pending (None if none was)."""
        tick, self._open_ms, self._closed_early = self._open_ms, None, False
        self._waiting = set()
        return tick

    def forget(self, keep: set[Hashable] | None = None) -> None:
        """Drop every source (or all but ``keep``): their topics are no longer read."""
        self._sources = {k: v for k, v in self._sources.items() if keep is not None and k in keep}
        self._waiting &= set(self._sources)

    def sources(self) -> set[Hashable]:
        return set(self._sources)


def _due(source: _Source, tick_ms: int) -> bool:
    """Whether ``source`` should deliver a sample at ``tick_ms``: its next sample is due by
    then, and it has not been silent for more than :data:`ALIVE_INTERVALS` intervals."""
    interval = source.interval_ms
    if interval is None or source.last_ms >= tick_ms:
        return False
    return source.last_ms + interval <= tick_ms <= source.last_ms + ALIVE_INTERVALS * interval
