"""When each GroundStation next needs a reconcile: a notice is due, a pass begins or ends.

Passes are times, not events the apiserver sends, so the operator keeps its own clock: each
reconcile of a station says when it next changes (``station_forecast.next_wake``), and one
task wakes the stations as their times come. kopf's timers and daemons would do
this too, but they make kopf put a finalizer on every station, and deleting one would then
wait for the operator.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Final

log = logging.getLogger(__name__)

StationKey = tuple[str, str]
"""A GroundStation's (namespace, name)."""
LONGEST_SLEEP_SECONDS: Final = 60.0
"""The clock looks again at least this often, so a wall-clock jump costs at most a minute."""
RETRY_SECONDS: Final = 30.0


class StationClock:
    def __init__(self) -> None:
        self._due: dict[StationKey, datetime] = {}
        self._changed = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()

    def wake_at(self, key: StationKey, when: datetime) -> None:
        self._due[key] = when
        self._changed.set()

    def forget(self, key: StationKey) -> None:
        self._due.pop(key, None)

    def due_at(self, key: StationKey) -> datetime | None:
        return self._due.get(key)

    async def run(self, wake: Callable[[StationKey], Awaitable[None]]) -> None:
        """Call ``wake`` for each station when its time comes; runs until cancelled."""
        try:
            while True:
                self._changed.clear()
                moment = datetime.now(UTC)
                for key in [key for key, when in self._due.items() if when <= moment]:
                    del self._due[key]
                    task = asyncio.create_task(self._wake(wake, key, moment))
                    self._running.add(task)
                    task.add_done_callback(self._running.discard)
                sleep = min(
                    [LONGEST_SLEEP_SECONDS]
                    + [(when - moment).total_seconds() for when in self._due.values()]
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), max(0.0, sleep))
        finally:
            for task in self._running:
                task.cancel()

    async def _wake(
        self, wake: Callable[[StationKey], Awaitable[None]], key: StationKey, moment: datetime
    ) -> None:
        try:
            await wake(key)
        except Exception:
            log.exception(
                "reconcile of ground station %s/%s failed; again in %g s", *key, RETRY_SECONDS
            )
            if key not in self._due:
                self.wake_at(key, moment + timedelta(seconds=RETRY_SECONDS))
