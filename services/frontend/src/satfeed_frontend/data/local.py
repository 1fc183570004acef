"""Positions computed in this process (``--local-elements``): no Kafka, no Kubernetes.

The producer's code, shared through satfeed_core, does the work: the elements source reads
and checks the file (the same messages for a bad file, the same "usable now and over the
next orbit" test), the sampler turns elements and grid times into schema-v1 records, and
the cadence puts them on the same wall-clock grid. The records then take the consumer's
path into the page: each object is shown as if it had a topic of its own (``local.<id>``),
its records go into :class:`FeedState` and the :class:`Catalogue`, whose tick gate wakes
the push thread. So the page, the cards and the updates are the ones a Kafka-fed frontend
serves.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Final

from satfeed_core import cadence
from satfeed_core.contract import DEFAULT_ELEMENTS_STALE_AFTER
from satfeed_core.elements import Elements
from satfeed_core.elements_source import ElementsSource
from satfeed_core.sampling import Identity, Sampler

from satfeed_frontend.data.catalogue import Catalogue
from satfeed_frontend.data.feed import FeedState, TopicInfo
from satfeed_frontend.metrics import FrontendMetrics

log = logging.getLogger(__name__)

NORAD_IDS_FLAG: Final = "--local-norad-ids (SATFEED_LOCAL_NORAD_IDS)"
_NOT_ID: Final = re.compile(r"[^a-z0-9]+")


def load_local_elements(
    path: Path,
    norad_ids: Sequence[int],
    stale_after: timedelta = DEFAULT_ELEMENTS_STALE_AFTER,
) -> list[Elements]:
    """Each object's elements, picked and checked as the producer does; raises ValueError
    or OSError with the producer's messages (stale elements are used, with a warning)."""
    source = ElementsSource(
        text=None, path=path, norad_id=None, stale_after=stale_after, norad_flag=NORAD_IDS_FLAG
    )
    return source.load_all(norad_ids)


def satellite_ids(objects: Sequence[Elements]) -> list[str]:
    """A record key for each object: its name as a Kubernetes object name ("NOAA 19" ->
    ``noaa-19``), or ``norad-<id>`` without a name; the NORAD id is added where two
    would be equal."""
    names = [_NOT_ID.sub("-", each.name.lower()).strip("-")[:40] for each in objects]
    ids = [name or f"norad-{each.norad_id}" for name, each in zip(names, objects, strict=True)]
    return [
        f"{sid}-{each.norad_id}" if ids.count(sid) > 1 else sid
        for sid, each in zip(ids, objects, strict=True)
    ]


@dataclass(frozen=True)
class _Object:
    topic: str
    sampler: Sampler


class LocalPositions:
    """One thread: backfills ``history`` grid times, then samples every object at each grid
    time and feeds the records in, as the consumer thread does with Kafka's."""

    reachable: Final = True
    """Nothing to reach: the service is ready at once."""

    def __init__(
        self,
        objects: Sequence[Elements],
        origin: Path,
        interval_s: float,
        feed: FeedState,
        catalogue: Catalogue,
        metrics: FrontendMetrics,
    ) -> None:
        self.interval_s = interval_s
        self.feed = feed
        self.catalogue = catalogue
        self.metrics = metrics
        metrics.satellites.set_function(feed.track_count)  # read at each scrape
        self._objects = [
            _Object(f"local.{sid}", Sampler(each, Identity(sid, each.name or sid)))
            for sid, each in zip(satellite_ids(objects), objects, strict=True)
        ]
        self._infos = [
            TopicInfo(obj.topic, f"--local-elements {origin}", obj.sampler.identity.display_name)
            for obj in self._objects
        ]
        self._failing: set[str] = set()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="local-positions", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        self.feed.set_topics(self._infos)
        self.catalogue.set_topics(self._infos)
        started = time.time()
        self._publish(cadence.backfill_indices(started, self.interval_s, self.feed.capacity))
        next_tick = cadence.next_index(started, self.interval_s)
        while not self._stopping.is_set():
            due = cadence.grid_time(next_tick, self.interval_s).timestamp()
            # Woken at the grid time from the clock, as the producer is: waits never drift.
            if self._stopping.wait(max(due - time.time(), 0.0)):
                break
            late = cadence.grid_index(time.time(), self.interval_s)
            self._publish(range(next_tick, late + 1))
            next_tick = late + 1

    def _publish(self, indices: Sequence[int]) -> None:
        times = [cadence.grid_time(i, self.interval_s) for i in indices]
        for obj in self._objects:
            records, errors = obj.sampler.sample(times)
            for record in records:
                if self.feed.add(obj.topic, record):
                    self.metrics.records_consumed.inc()
                    self.metrics.positions_consumed.inc()
                    self.catalogue.add_record(obj.topic, record, record.name)
            self._report(obj, errors[0] if errors else None, bool(records))

    def _report(self, obj: _Object, error: Exception | None, published: bool) -> None:
        """A propagation failure once per episode, as the producer logs it."""
        name = obj.sampler.identity.satellite_id
        if error is not None and name not in self._failing:
            self._failing.add(name)
            log.error("%s; its positions are skipped until they can be computed again", error)
        elif error is None and published and name in self._failing:
            self._failing.discard(name)
            log.info("positions of %s can be computed again", name)
