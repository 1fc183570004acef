"""What the page shows, kept in memory: bounded per-satellite histories and the feed's status.

One consumer thread writes (:class:`FeedState`'s ``add``/``set_topics``/``set_problem``);
request threads read through :meth:`FeedState.snapshot`, which copies under the lock, so a
reader never sees a half-written update and never holds the lock while building a response.

Every stored sample gets a sequence number from one counter for the whole process. A browser
remembers the highest number it has drawn; "what is new for you" is then every sample with
a higher number, found from the right end of each history in time proportional to the
answer, not to the history's length.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from satfeed_core.labels import ENCODING_BATCH_V2
from satfeed_core.record import PositionRecord


@dataclass(frozen=True, slots=True)
class TopicInfo:
    """A discovered position topic: where it came from and what to call its satellite (or
    its group)."""

    topic: str
    """The Kafka topic."""
    source: str
    """Where it was found, for people: ``KafkaTopic ns/name`` or ``--topics``."""
    display_name: str | None = None
    """From the KafkaTopic's display-name annotation; None: use the records' name."""
    satellite_ref: tuple[str, str] | None = None
    """(namespace, Satellite) the KafkaTopic belongs to, where its elements are found."""
    encoding: str | None = None
    """The KafkaTopic's ``satfeed.io/encoding`` label (``--group-topics``: batches); None:
    not known, found from the records (a batch starts with ``SFPB``)."""
    group: str | None = None
    """The SatelliteGroup whose positions the topic carries (``satfeed.io/satellite-group``)."""

    @property
    def batched(self) -> bool:
        """Position batches (schema v2) by its label: one record per shard per tick."""
        return self.encoding == ENCODING_BATCH_V2


@dataclass(frozen=True, slots=True)
class Sample:
    seq: int
    record: PositionRecord


@dataclass(frozen=True, slots=True)
class TrackView:
    """A copy of one satellite's history: the samples a reader asked for and the newest one."""

    topic: str
    satellite: str
    display_name: str
    norad_id: int
    samples: tuple[Sample, ...]
    """In time order: all kept samples, or only those after the reader's sequence number."""
    before: Sample | None
    """The sample just before ``samples`` (to join new points to the drawn line)."""
    latest: Sample
    satellite_ref: tuple[str, str] | None = None
    """From the topic: (namespace, Satellite) whose elements predict the track ahead."""
    member: bool = False
    """A picked member of a SatelliteGroup (its history kept while it is picked), not a
    Satellite of its own."""
    cadence: timedelta | None = None
    """The satellite's sampling interval: the smallest gap between consecutive kept samples.
    Producers sample at whole multiples of their interval since the Unix epoch, so every
    gap is a whole number of intervals and one an outage left is merely a larger one: one
    pair of consecutive samples anywhere in the history gives the interval. None until two
    samples are kept."""

    @property
    def key(self) -> str:
        """Identifies the track across requests: topic and satellite."""
        return f"{self.topic}/{self.satellite}"


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """Problems worth showing on the page (and in /readyz), newest state only."""

    kafka_problem: str | None
    kafka_problem_since: datetime | None
    topic_problems: Mapping[str, str]
    """Kafka topic -> what is wrong with it (missing in Kafka, unreadable)."""
    discovery_problems: Mapping[str, str]
    """Discovery scope (a namespace) -> what is wrong."""
    objects: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    """Group topic -> (its layer's name, how many objects it has given positions of)."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    head: int
    """The highest sequence number handed out so far."""
    structure: int
    """Changes whenever a track or topic comes or goes, or a display name changes."""
    topics: tuple[TopicInfo, ...]
    tracks: tuple[TrackView, ...]
    status: FeedStatus

    def waiting_topics(self) -> tuple[TopicInfo, ...]:
        """Discovered topics that have given no record yet."""
        with_data = {track.topic for track in self.tracks if not track.member}
        with_data |= set(self.status.objects)
        return tuple(info for info in self.topics if info.topic not in with_data)


@dataclass
class _Track:
    topic: str
    satellite: str
    samples: deque[Sample]
    member: bool = False
    gaps: Counter[timedelta] = field(default_factory=Counter)
    """How many times each gap between consecutive samples occurs in ``samples``, kept as
    samples come and go, so the cadence (the smallest) costs no walk over the history."""

    def append(self, sample: Sample) -> None:
        if len(self.samples) == self.samples.maxlen:
            self.drop_oldest()
        if self.samples:
            self.gaps[sample.record.time - self.samples[-1].record.time] += 1
        self.samples.append(sample)

    def drop_oldest(self) -> None:
        oldest = self.samples.popleft()
        if self.samples:
            gap = self.samples[0].record.time - oldest.record.time
            self.gaps[gap] -= 1
            if not self.gaps[gap]:
                del self.gaps[gap]

    def cadence(self) -> timedelta | None:
        return min(self.gaps, default=None)


@dataclass
class _Problems:
    kafka: str | None = None
    kafka_since: datetime | None = None
    topics: dict[str, str] = field(default_factory=dict)
    discovery: dict[str, str] = field(default_factory=dict)


class FeedState:
    """Bounded histories per (topic, satellite); thread-safe."""

    def __init__(self, capacity: int, window: timedelta | None = None) -> None:
        if capacity < 1:
            raise ValueError(f"capacity {capacity} must be at least 1")
        self.capacity = capacity
        self.window = window
        self._lock = threading.Lock()
        self._seq = 0
        self._structure = 0
        self._topics: dict[str, TopicInfo] = {}
        self._tracks: dict[tuple[str, str], _Track] = {}
        self._problems = _Problems()
        self._objects: dict[str, tuple[str, int]] = {}
        self.changed = threading.Event()
        """Set whenever a sample is kept or the topics change; whoever pushes updates
        clears it."""

    # -- written by the consumer thread -------------------------------------------------

    def set_topics(self, topics: Iterable[TopicInfo]) -> None:
        """The topics to show now; tracks of topics no longer listed are dropped."""
        wanted = {info.topic: info for info in topics}
        with self._lock:
            if wanted == self._topics:
                return
            self._topics = wanted
            for key in [key for key in self._tracks if key[0] not in wanted]:
                del self._tracks[key]
            for topic in [topic for topic in self._problems.topics if topic not in wanted]:
                del self._problems.topics[topic]
            self._objects = {t: count for t, count in self._objects.items() if t in wanted}
            self._structure += 1
        self.changed.set()

    def add(self, topic: str, record: PositionRecord) -> bool:
        """Keep a record; False (and nothing kept) if its topic is not shown, or it is not
        newer than the satellite's newest record (a replay after a reassignment)."""
        return self._add(topic, record, member=False)

    def add_member(self, topic: str, record: PositionRecord) -> bool:
        """A picked group member's position, kept as its track's next sample (see
        :meth:`satfeed_frontend.data.catalogue.Catalogue.hold_picks`)."""
        return self._add(topic, record, member=True)

    def drop_track(self, topic: str, satellite: str) -> None:
        """Forget a track (a group member no page picks any more)."""
        with self._lock:
            if self._tracks.pop((topic, satellite), None) is None:
                return
            self._structure += 1
        self.changed.set()

    def set_objects(self, objects: Mapping[str, tuple[str, int]]) -> None:
        """Group topic -> (layer, objects with positions), for the status line."""
        with self._lock:
            self._objects = dict(objects)

    def _add(self, topic: str, record: PositionRecord, member: bool) -> bool:
        with self._lock:
            if topic not in self._topics:
                return False
            key = (topic, record.satellite)
            track = self._tracks.get(key)
            if track is None:
                track = _Track(topic, record.satellite, deque(maxlen=self.capacity), member)
                self._tracks[key] = track
                self._structure += 1
            elif track.samples and record.time <= track.samples[-1].record.time:
                return False
            self._seq += 1
            track.append(Sample(self._seq, record))
            if self.window is not None:
                horizon = record.time - self.window
                while track.samples[0].record.time < horizon:
                    track.drop_oldest()
        self.changed.set()
        return True

    def newest_positions(self) -> list[tuple[str, str, datetime]]:
        """(namespace, Satellite, time of its newest position) for each Satellite whose
        KafkaTopic says which it is: what the "positions stalled" alert judges by."""
        with self._lock:
            newest = []
            for (topic, _), track in self._tracks.items():
                info = self._topics.get(topic)
                if info is None or info.satellite_ref is None or track.member or not track.samples:
                    continue
                namespace, satellite = info.satellite_ref
                newest.append((namespace, satellite, track.samples[-1].record.time))
            return newest

    def set_kafka_problem(self, problem: str | None, now: datetime) -> None:
        with self._lock:
            if problem is None:
                self._problems.kafka = self._problems.kafka_since = None
            elif self._problems.kafka is None:
                self._problems.kafka, self._problems.kafka_since = problem, now
            else:
                self._problems.kafka = problem  # keep when the outage began

    def set_topic_problem(self, topic: str, problem: str | None) -> None:
        with self._lock:
            if problem is None:
                self._problems.topics.pop(topic, None)
            else:
                self._problems.topics[topic] = problem

    def set_discovery_problem(self, scope: str, problem: str | None) -> None:
        with self._lock:
            if problem is None:
                self._problems.discovery.pop(scope, None)
            else:
                self._problems.discovery[scope] = problem

    # -- read by request threads -------------------------------------------------------

    def track_count(self) -> int:
        """Satellites with records (picked group members aside)."""
        with self._lock:
            return sum(not track.member for track in self._tracks.values())

    def snapshot(self, after: int = 0) -> Snapshot:
        """A copy of everything; each track's samples only those numbered above ``after``."""
        with self._lock:
            tracks = tuple(
                self._view(track, after)
                for track in sorted(self._tracks.values(), key=lambda t: (t.topic, t.satellite))
                if track.samples
            )
            problems = self._problems
            return Snapshot(
                head=self._seq,
                structure=self._structure,
                topics=tuple(sorted(self._topics.values(), key=lambda info: info.topic)),
                tracks=tracks,
                status=FeedStatus(
                    kafka_problem=problems.kafka,
                    kafka_problem_since=problems.kafka_since,
                    topic_problems=dict(problems.topics),
                    discovery_problems=dict(problems.discovery),
                    objects=dict(self._objects),
                ),
            )

    def _view(self, track: _Track, after: int) -> TrackView:
        samples = track.samples
        if after < samples[0].seq:
            start = 0
            wanted = tuple(samples)
        else:
            # Walk back from the newest sample: only the new ones are visited (a deque is
            # indexed in constant time near its ends).
            start = len(samples)
            while samples[start - 1].seq > after:
                start -= 1
            wanted = tuple(samples[i] for i in range(start, len(samples)))
        latest = samples[-1]
        info = self._topics[track.topic]
        return TrackView(
            topic=track.topic,
            satellite=track.satellite,
            # A group's display name names the group, not its members.
            display_name=(
                latest.record.name
                if track.member
                else info.display_name or latest.record.name or track.satellite
            ),
            norad_id=latest.record.norad_id,
            samples=wanted,
            before=samples[start - 1] if start > 0 else None,
            latest=latest,
            satellite_ref=info.satellite_ref,
            member=track.member,
            cadence=track.cadence(),
        )
