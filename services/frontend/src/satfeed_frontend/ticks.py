"""One browser's poll: what to send it, given what it already has.

Each browser keeps a small cursor in a ``dcc.Store``: which server process drew its page,
which tracks it shows (as a digest) and the highest sample number it has drawn. From that
alone the server knows what the browser lacks, so no per-browser state lives on the server
and every answer is sized by what is new, not by the history or by the number of browsers.

A new view (first load, a changed selection, a track that came or went, a restarted
server) gets whole figures; otherwise only new samples are sent, and when nothing is new
and the page was refreshed less than a second ago, only the cursor. Every answer says when
to ask next: just after the next record is due, so a browser asks about once per record
and sees it within a fraction of a second.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from satfeed_frontend import figures
from satfeed_frontend.data.feed import FeedState, FeedStatus, Snapshot, TopicInfo, TrackView

REFRESH_AT_LEAST_EVERY: Final = timedelta(seconds=1)
"""Ages and stale marks move on even when no sample comes (a broker outage)."""
ARRIVAL_MARGIN: Final = timedelta(milliseconds=150)
"""From a record's sample time until the frontend has it: the producer publishes at the
sample time, Kafka and the consumer take milliseconds; the rest is slack."""
MIN_WAIT: Final = timedelta(milliseconds=50)
DEFAULT_CADENCE: Final = timedelta(seconds=1)
MAX_CADENCE: Final = timedelta(seconds=2)
"""Ask at least this often, so ages and the status line stay current."""

NIGHT_REFRESH: Final = timedelta(minutes=5)
"""The night side is drawn as of the start of each such period (the terminator moves 1.25°
in it), the same for every browser, and redrawn with the next."""
NIGHT: Final = "night"
FOOTPRINTS: Final = "footprints"

PredictionSource = Callable[[Sequence[TrackView], datetime], Mapping[str, figures.PredictedTrack]]


@dataclass(frozen=True, slots=True)
class Cursor:
    instance: str
    view: str
    seq: int
    sent_at: float
    """POSIX time of the last answer that carried data."""
    next_ms: int = 0
    """When to ask again (the page sets its poll timer to it)."""
    answered_at: float = 0.0
    """POSIX time of this answer: every answer differs, so each one re-arms the timer."""

    def to_store(self) -> dict[str, Any]:
        return {
            "instance": self.instance,
            "view": self.view,
            "seq": self.seq,
            "sent": self.sent_at,
            "next_ms": self.next_ms,
            "answered": self.answered_at,
        }

    @classmethod
    def from_store(cls, data: object) -> Cursor | None:
        """None for an empty or foreign store (then the page is drawn anew)."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                instance=str(data["instance"]),
                view=str(data["view"]),
                seq=int(data["seq"]),
                sent_at=float(data["sent"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class FullDraw:
    tracks: tuple[TrackView, ...]
    """Every track (the picker lists them all)."""
    map_figure: dict[str, Any]
    altitude_figure: dict[str, Any]
    ground_figure: dict[str, Any]
    cards: list[Any]
    status: str
    cursor: Cursor


@dataclass(frozen=True)
class Increment:
    map_extension: list[Any] | None
    altitude_extension: list[Any] | None
    ground_extension: list[Any] | None
    cards: dict[str, tuple[str, str]]
    """Changed cards' class and value text, by satellite (:func:`figures.card_updates`)."""
    status: str
    cursor: Cursor
    """Per browser: :func:`poll` sets its own on a cached increment."""


def selected(tracks: Sequence[TrackView], selection: Sequence[str]) -> tuple[TrackView, ...]:
    """Tracks picked by satellite name or NORAD number; every track when nothing is picked."""
    if not selection:
        return tuple(tracks)
    wanted = set(selection)
    return tuple(t for t in tracks if t.satellite in wanted or str(t.norad_id) in wanted)


def overlays_picked(picked: object, now: datetime) -> figures.Overlays:
    """The map overlays ticked on the page (anything else in the value is ignored)."""
    names = {name for name in picked if isinstance(name, str)} if isinstance(picked, list) else ()
    night_at = None
    if NIGHT in names:
        period = NIGHT_REFRESH.total_seconds()
        night_at = datetime.fromtimestamp(now.timestamp() // period * period, UTC)
    return figures.Overlays(night_at=night_at, footprints=FOOTPRINTS in names)


def view_digest(
    instance: str,
    tracks: Sequence[TrackView],
    selection: Sequence[str],
    predictions: str,
    overlays: figures.Overlays = figures.NO_OVERLAYS,
) -> str:
    """Names what a full draw put on the page (the picker lists every track, the figures
    show the selected ones, the predictions of some moment and the overlays); any change
    needs a new full draw."""
    digest = hashlib.blake2b(digest_size=8)
    digest.update(f"{instance}\0{predictions}\0{overlays}".encode())
    for track in tracks:
        digest.update(f"\0{track.key}\0{track.display_name}\0{track.norad_id}".encode())
    digest.update("\1".join(selection).encode())
    return digest.hexdigest()


def status_text(snapshot: Snapshot, shown: int, now: datetime) -> str:
    """One line above the map: live or stale, and what needs attention."""
    status: FeedStatus = snapshot.status
    parts: list[str] = []
    if status.kafka_problem and status.kafka_problem_since:
        since = now - status.kafka_problem_since
        parts.append(
            f"Stale: {status.kafka_problem} for {figures.format_age(since)} "
            f"(since {status.kafka_problem_since:%H:%M:%S} UTC)"
        )
    else:
        total = len(snapshot.tracks)
        parts.append(
            f"Live: {shown} of {total} satellites shown"
            if shown != total
            else f"Live: {total} satellites"
        )
    waiting = snapshot.waiting_topics()
    problems = dict(status.topic_problems)
    quiet = [info for info in waiting if info.topic not in problems]
    if quiet:
        parts.append("waiting for records from " + ", ".join(_describe(info) for info in quiet))
    parts += [f"{topic}: {problem}" for topic, problem in sorted(problems.items())]
    parts += [
        f"{scope or 'all namespaces'}: {problem}"
        for scope, problem in sorted(status.discovery_problems.items())
    ]
    return " · ".join(parts)


def _describe(info: TopicInfo) -> str:
    return f"{info.source} (topic {info.topic})"


@dataclass(frozen=True)
class PollSettings:
    """What every poll of one server process shares."""

    instance: str
    """Names the server process, so a browser drawn by an earlier one is drawn anew."""
    stale_after: timedelta
    history: int
    retry_s: float
    """How soon to ask again when a record is due but has not come (``--poll-interval``)."""
    predict: PredictionSource


class UpdateCache:
    """The last few increments, shared by browsers in the same state; thread-safe.

    Browsers that draw the same view and have drawn the same samples need the same update:
    it is built once and handed to each. Only built values are kept, never per-browser
    state, and the cache is bounded.
    """

    def __init__(self, size: int = 32) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[object, ...], Increment] = OrderedDict()

    def get_or_build(self, key: tuple[object, ...], build: Callable[[], Increment]) -> Increment:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        built = build()  # outside the lock: two browsers may build it at once, harmlessly
        with self._lock:
            self._entries[key] = built
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return built


def next_poll_ms(tracks: Sequence[TrackView], now: datetime, retry_s: float) -> int:
    """When the browser should ask again: just after the next record is due.

    Producers sample on a wall-clock grid, so each track's next record is due one cadence
    (the gap between its last two samples) after its newest; asking ``ARRIVAL_MARGIN`` after
    that catches it on the first try, with one request per record and little delay. An
    overdue record (a stopped producer, a broker outage) is asked for every ``retry_s``.
    """
    due = [
        track.latest.record.time + min(track.cadence or DEFAULT_CADENCE, MAX_CADENCE)
        for track in tracks
    ]
    if not due:
        return int(retry_s * 1000)
    wait = (min(due) + ARRIVAL_MARGIN - now).total_seconds()
    if wait <= 0:
        return int(retry_s * 1000)
    return int(min(max(wait, MIN_WAIT.total_seconds()), MAX_CADENCE.total_seconds()) * 1000)


def poll(
    feed: FeedState,
    settings: PollSettings,
    stored_cursor: object,
    selection: Sequence[str],
    now: datetime,
    prediction_key: str = "",
    cache: UpdateCache | None = None,
    overlays: figures.Overlays = figures.NO_OVERLAYS,
    *,
    draw_whole: bool = True,
) -> FullDraw | Increment | Cursor | None:
    """What to send a browser: a whole drawing, an increment, or only a new cursor (when
    nothing is new: it says when to ask again). With ``draw_whole`` False, None instead of
    a whole drawing: the caller has the page ask for one.

    ``prediction_key`` changes when the predicted tracks should be drawn anew (new
    elements, or time having moved on along the orbit).
    """
    instance = settings.instance
    cursor = Cursor.from_store(stored_cursor)
    if cursor is not None and cursor.instance != instance:
        cursor = None  # drawn by a server process that has since restarted
    snapshot = feed.snapshot(after=cursor.seq if cursor else 0)
    shown = selected(snapshot.tracks, selection)
    digest = view_digest(instance, snapshot.tracks, selection, prediction_key, overlays)
    if cursor is None or cursor.view != digest:
        if not draw_whole:
            return None
        snapshot = feed.snapshot()
        shown = selected(snapshot.tracks, selection)
        return FullDraw(
            tracks=snapshot.tracks,
            map_figure=figures.map_figure(shown, settings.predict(shown, now), overlays),
            altitude_figure=figures.altitude_figure(shown),
            ground_figure=figures.ground_figure(shown),
            cards=figures.cards(shown, now, settings.stale_after),
            status=status_text(snapshot, len(shown), now),
            cursor=Cursor(
                instance,
                view_digest(instance, snapshot.tracks, selection, prediction_key, overlays),
                snapshot.head,
                now.timestamp(),
                next_poll_ms(shown, now, settings.retry_s),
                now.timestamp(),
            ),
        )
    next_ms = next_poll_ms(shown, now, settings.retry_s)
    has_new = any(track.samples for track in shown)
    if not has_new and now.timestamp() - cursor.sent_at < REFRESH_AT_LEAST_EVERY.total_seconds():
        return Cursor(instance, digest, cursor.seq, cursor.sent_at, next_ms, now.timestamp())
    answered = Cursor(instance, digest, snapshot.head, now.timestamp(), next_ms, now.timestamp())

    def build() -> Increment:
        return Increment(
            map_extension=figures.map_extension(shown, settings.history, overlays),
            altitude_extension=figures.altitude_extension(shown, settings.history),
            ground_extension=figures.ground_extension(shown, settings.history),
            cards=figures.card_updates(shown, now, settings.stale_after),
            status=status_text(snapshot, len(shown), now),
            cursor=answered,
        )

    if cache is None:
        return build()
    # The same view, the same samples drawn, the same second: the same update.
    key = (digest, cursor.seq, snapshot.head, int(now.timestamp()))
    return replace(cache.get_or_build(key, build), cursor=answered)
