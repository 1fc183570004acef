"""Server push: one encoded update per tick, written to every open page.

A page is drawn whole by Dash (the drawing callback, on load and whenever its view
changes), then opens an update stream (Server-Sent Events, ``GET /updates``) with the
cursor of that drawing, its selection and its overlays. One broadcaster thread per process
wakes when the consumer has kept new records (or every ``--tick-interval`` at the latest),
groups the open streams by what they have drawn, builds and encodes each group's update
once (:func:`ticks.update`) and hands the same bytes to every stream of the group; each
stream's request thread only writes them out. So a tick's building and
encoding is paid once per distinct view, and a browser adds a queue hand-over and a socket
write, not a Dash request.

Every update also carries the catalogue's *frame*: every object's position in roster order,
quantised, base64 (:mod:`satfeed_frontend.data.catalogue`), built once per tick for every
page. A page is sent the roster before its first frame (``event: roster``: the whole
roster, or what was appended since the roster the page says it has), so objects that come
and go never need a new drawing.

A tick is pushed when it is complete: when every Satellite and every group shard due at
its time has delivered its record (:mod:`satfeed_frontend.data.tick_gate`), at most
:data:`~satfeed_frontend.data.tick_gate.MAX_WAIT_S` after its first record; so a tick of a
16,069-object group written by four shards is one update, not four.

A stream whose view has changed (a detailed object came or went, the predictions are due,
the server restarted) gets a ``redraw`` event and ends: the page asks Dash for a whole
drawing and opens a new stream from there. A stream that falls behind (a stalled browser)
is ended too; the page reopens it with the cursor it has and catches up in one update.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from plotly.io.json import to_json_plotly  # type: ignore[import-untyped]
from werkzeug.datastructures import MultiDict

from satfeed_frontend.data.catalogue import Catalogue, Frame
from satfeed_frontend.data.feed import FeedState
from satfeed_frontend.data.tick_gate import MAX_WAIT_S
from satfeed_frontend.metrics import FrontendMetrics, Sessions
from satfeed_frontend.ticks import (
    Cursor,
    Increment,
    Redraw,
    UpdateSettings,
    overlays_picked,
    update,
)

log = logging.getLogger(__name__)

UPDATES_PATH: Final = "/updates"
KEEPALIVE_S: Final = 5.0
"""An idle stream writes a comment this often, so a closed page is noticed and let go."""
MAX_QUEUED: Final = 16
"""Updates a stream may fall behind before it is ended (the page reopens it)."""
MAX_SELECTED: Final = 100

RETRY: Final = b"retry: 2000\n\n"
REDRAW: Final = b"event: redraw\ndata: {}\n\n"
KEEPALIVE: Final = b": keep-alive\n\n"


@dataclass(eq=False)
class Stream:
    """One open page's update stream."""

    session: str
    selection: tuple[str, ...]
    overlays: tuple[str, ...]
    cursor: object
    """What the page has drawn, in the form the page keeps it (see :class:`ticks.Cursor`)."""
    queue: queue.SimpleQueue[bytes | None] = field(default_factory=queue.SimpleQueue)
    roster: tuple[int, int] | None = None
    """The roster the page has: (generation, entries), None for none."""
    frame_version: int = -1
    """The last catalogue frame sent to it."""

    @classmethod
    def from_query(cls, args: MultiDict[str, str]) -> Stream:
        """From ``/updates``' query: ``session``, ``cursor`` (JSON), ``sat`` and ``overlay``
        (repeated). Anything malformed counts as missing, which asks for a redraw."""
        try:
            cursor: object = json.loads(str(args.get("cursor") or "null"))
        except (ValueError, RecursionError):  # also JSON nested deeper than Python recurses
            cursor = None
        roster: tuple[int, int] | None = None
        generation, _, count = str(args.get("roster") or "").partition(":")
        if generation.isdigit() and count.isdigit() and len(generation + count) < 24:
            roster = (int(generation), int(count))
        return cls(
            session=str(args.get("session") or "")[:64],
            selection=tuple(str(each)[:64] for each in args.getlist("sat")[:MAX_SELECTED]),
            overlays=tuple(sorted({str(each) for each in args.getlist("overlay")[:4]})),
            cursor=cursor,
            roster=roster,
        )

    def group(self) -> tuple[object, ...]:
        """Streams with equal groups are sent the same update."""
        known = Cursor.from_store(self.cursor)
        drawn = None if known is None else (known.instance, known.view, known.seq, known.sent_at)
        return (self.selection, self.overlays, drawn)

    def messages(self, keepalive_s: float = KEEPALIVE_S) -> Iterator[bytes]:
        """What the request thread writes, until the stream is ended."""
        yield RETRY  # also sends the headers at once
        while True:
            try:
                message = self.queue.get(timeout=keepalive_s)
            except queue.Empty:
                yield KEEPALIVE
                continue
            if message is None:
                return
            yield message
            if message is REDRAW:
                return


def encode(update: Increment | None, frame: Frame | None = None) -> bytes:
    """One SSE ``data`` event: the three ``extendData`` triples, the changed cards' class
    and value text by satellite, the compact list, the status line and the new cursor
    position the page keeps for a reconnect; and the catalogue's frame, spliced in as it
    was encoded once for every page."""
    body: dict[str, Any] = {}
    if update is not None:
        body = {
            "seq": update.cursor.seq,
            "sent": update.cursor.sent_at,
            "map": update.map_extension,
            "altitude": update.altitude_extension,
            "ground": update.ground_extension,
            "cards": update.cards or None,
            "listing": update.listing,
            "status": update.status,
        }
    text = str(to_json_plotly(body)).encode()
    if frame is not None:
        text = text[:-1] + (b"," if body else b"") + b'"frame":' + frame.body + b"}"
    return b"data: " + text + b"\n\n"


def roster_event(body: bytes) -> bytes:
    return b"event: roster\ndata: " + body + b"\n\n"


class Broadcaster:
    """The open streams and the thread that feeds them; thread-safe."""

    def __init__(
        self,
        feed: FeedState,
        settings: UpdateSettings,
        prediction_key: Callable[[datetime], str],
        sessions: Sessions,
        metrics: FrontendMetrics,
        tick_s: float = 0.25,
        catalogue: Catalogue | None = None,
    ) -> None:
        """``tick_s``: without new records, how often to look whether ages and stale marks
        are due (a refresh goes out at least every second, see
        :data:`ticks.REFRESH_AT_LEAST_EVERY`)."""
        self._tick_s = tick_s
        self._feed = feed
        self._settings = settings
        self._prediction_key = prediction_key
        self._sessions = sessions
        self._metrics = metrics
        self._catalogue = catalogue if catalogue is not None else Catalogue(feed)
        self._lock = threading.Lock()
        self._streams: set[Stream] = set()
        self._stopping = threading.Event()
        self._urgent = threading.Event()
        """A page opened its stream: send it what it lacks without waiting for a tick."""
        self._thread: threading.Thread | None = None

    def open(self, stream: Stream) -> None:
        with self._lock:
            if self._stopping.is_set():
                stream.queue.put(None)
                return
            self._streams.add(stream)
        self._sessions.seen(stream.session)
        self._urgent.set()
        self._feed.changed.set()  # send it what it lacks at once

    def close(self, stream: Stream) -> None:
        self._end(stream)

    def _end(self, stream: Stream, last: bytes | None = None) -> None:
        """Ends a stream: its request thread writes what is queued (and ``last``), then
        returns."""
        with self._lock:
            self._streams.discard(stream)
        if last is not None:
            stream.queue.put(last)
        stream.queue.put(None)

    def count(self) -> int:
        with self._lock:
            return len(self._streams)

    def tick(self, now: datetime) -> None:
        """Send each group of streams what it lacks, built and encoded once per group, and
        every stream the catalogue's frame (encoded once) and the roster it lacks."""
        with self._lock:
            streams = list(self._streams)
        catalogue = self._catalogue
        catalogue.refresh_names()
        catalogue.hold_picks({value for stream in streams for value in stream.selection})
        if not streams:
            return
        frame = catalogue.frame()
        roster_state = catalogue.roster_state()
        rosters: dict[tuple[int, int] | None, bytes | None] = {}
        groups: dict[tuple[object, ...], list[Stream]] = {}
        for stream in streams:
            groups.setdefault(stream.group(), []).append(stream)
        prediction_key = self._prediction_key(now)
        for members in groups.values():
            first = members[0]
            frame_due = frame is not None and any(
                stream.frame_version != frame.version for stream in members
            )
            result = update(
                self._feed,
                self._settings,
                first.cursor,
                first.selection,
                now,
                prediction_key,
                overlays_picked(list(first.overlays), now),
                refresh=frame_due,
            )
            if isinstance(result, Redraw):
                for stream in members:  # a new view: the page draws it whole, then reopens
                    self._sessions.seen(stream.session)
                    stream.cursor = None
                    self._end(stream, REDRAW)
                continue
            cursor: dict[str, Any] | None = None if result is None else result.cursor.to_store()
            messages: dict[bool, bytes] = {}
            for stream in members:
                self._sessions.seen(stream.session)
                if stream.queue.qsize() >= MAX_QUEUED:  # fallen behind: reopened, caught up
                    self._end(stream)
                    continue
                if frame is not None and stream.roster != roster_state:
                    if stream.roster not in rosters:
                        rosters[stream.roster] = catalogue.roster_message(stream.roster)
                    body = rosters[stream.roster]
                    if body is not None:
                        stream.queue.put(roster_event(body))
                        self._metrics.update_bytes.observe(len(body))
                    stream.roster = roster_state
                with_frame = frame is not None and stream.frame_version != frame.version
                if result is None and not with_frame:
                    continue  # nothing new, and the page was refreshed less than a second ago
                if with_frame not in messages:
                    messages[with_frame] = encode(result, frame if with_frame else None)
                    self._metrics.update_bytes.observe(len(messages[with_frame]))
                if with_frame and frame is not None:
                    stream.frame_version = frame.version
                if cursor is not None:
                    stream.cursor = cursor
                stream.queue.put(messages[with_frame])

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="push", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ends every stream (so a shutdown does not wait for open pages) and the thread."""
        self._stopping.set()
        self._feed.changed.set()
        with self._lock:
            streams, self._streams = self._streams, set()
        for stream in streams:
            stream.queue.put(None)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stopping.is_set():
            if self._feed.changed.wait(self._tick_s) and not self._urgent.is_set():
                # New records: wait for the rest of their tick (every shard, every Satellite).
                waited = self._catalogue.wait_for_tick(MAX_WAIT_S)
                if waited is not None:
                    self._metrics.tick_wait_seconds.observe(waited)
            self._urgent.clear()
            self._feed.changed.clear()
            if self._stopping.is_set():
                return
            with self._metrics.push_seconds.time():
                try:
                    self.tick(datetime.now(UTC))
                except Exception:  # a bug must not end the updates of every page
                    log.exception("building the pushed update failed")
