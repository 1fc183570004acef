"""What a page lacks, given what it has drawn: a whole drawing, or an update.

These are the page's *detailed* objects: what is picked (``?sat=``), or with nothing picked
every Satellite when there are at most :data:`CARDS_UP_TO` of them. Each gets a card, its
past and predicted track on the map and a line on the two plots; more picks than
:data:`CARDS_UP_TO` are listed compactly instead. Every object, detailed or not, is also a
point of the map's catalogue trace, which the update stream fills with a frame per tick
(:mod:`satfeed_frontend.data.catalogue`, :mod:`satfeed_frontend.push`).

A page is drawn whole (:func:`draw`) by Dash, on load and whenever its view changes; the
drawing ends with a small cursor: which server process drew it, which tracks it details (as
a digest) and the highest sample number drawn. From that alone :func:`update` knows what
the page lacks, so no per-page state lives on the server and every update is sized by what
is new, not by the history or by the number of pages. The broadcaster
(:mod:`satfeed_frontend.push`) asks once per tick for each group of pages that have drawn
the same, and writes the answer to every page of the group.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from satfeed_frontend import cards, figures
from satfeed_frontend.data.feed import FeedState, FeedStatus, Snapshot, TopicInfo, TrackView

CARDS_UP_TO: Final = 36
"""Detailed objects (card, tracks, plot lines) at most; more picks are listed compactly, and
more Satellites than this with nothing picked are points on the map only."""
REFRESH_AT_LEAST_EVERY: Final = timedelta(seconds=1)
"""Ages and stale marks move on even when no sample comes (a broker outage)."""

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
    """POSIX time of the last drawing or update sent."""

    def to_store(self) -> dict[str, Any]:
        return {"instance": self.instance, "view": self.view, "seq": self.seq, "sent": self.sent_at}

    @classmethod
    def from_store(cls, data: object) -> Cursor | None:
        """None for an empty or foreign cursor (then the page is drawn anew)."""
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
    """The picked tracks (the picker names them), or the detailed ones when none is picked."""
    map_figure: dict[str, Any]
    altitude_figure: dict[str, Any]
    ground_figure: dict[str, Any]
    cards: list[Any]
    listing: str
    """Past :data:`CARDS_UP_TO` picks: one line per pick instead of cards."""
    status: str
    cursor: Cursor


@dataclass(frozen=True)
class Increment:
    map_extension: list[Any] | None
    altitude_extension: list[Any] | None
    ground_extension: list[Any] | None
    cards: dict[str, tuple[str, str]]
    """Changed cards' class and value text, by satellite (:func:`cards.card_updates`)."""
    status: str
    cursor: Cursor
    """Where the pages that are sent this update are then."""
    listing: str | None = None
    """The compact list anew (past :data:`CARDS_UP_TO` picks), when something in it changed."""


@dataclass(frozen=True)
class Redraw:
    """The page's view has changed (a track came or went, predictions are due, the server
    restarted) or its cursor is not one this process made: it needs a whole drawing."""


REDRAW: Final = Redraw()


def selected(tracks: Sequence[TrackView], selection: Sequence[str]) -> tuple[TrackView, ...]:
    """Tracks picked by satellite name or NORAD number; with nothing picked, every Satellite
    (not the group members other pages picked)."""
    if not selection:
        return tuple(t for t in tracks if not t.member)
    wanted = set(selection)
    return tuple(t for t in tracks if t.satellite in wanted or str(t.norad_id) in wanted)


def detailed(
    tracks: Sequence[TrackView], selection: Sequence[str]
) -> tuple[tuple[TrackView, ...], tuple[TrackView, ...]]:
    """(tracks with a card each, tracks listed compactly): the picked ones, or with nothing
    picked the Satellites when there are few."""
    shown = selected(tracks, selection)
    if len(shown) <= CARDS_UP_TO:
        return shown, ()
    return (), (shown if selection else ())


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
    """Names what a full draw put on the page (the detailed tracks, the predictions of some
    moment and the overlays); any change needs a new full draw. Objects that come and go
    without being detailed do not: they reach the page as roster updates on its stream."""
    digest = hashlib.blake2b(digest_size=8)
    digest.update(f"{instance}\0{predictions}\0{overlays}".encode())
    for track in tracks:
        digest.update(f"\0{track.key}\0{track.display_name}\0{track.norad_id}".encode())
    digest.update("\1".join(selection).encode())
    return digest.hexdigest()


def status_text(snapshot: Snapshot, shown: int, now: datetime) -> str:
    """``shown``: how many objects the page's picks name (0: nothing picked)."""
    """One line above the map: live or stale, and what needs attention."""
    status: FeedStatus = snapshot.status
    parts: list[str] = []
    if status.kafka_problem and status.kafka_problem_since:
        since = now - status.kafka_problem_since
        parts.append(
            f"Stale: {status.kafka_problem} for {cards.format_age(since)} "
            f"(since {status.kafka_problem_since:%H:%M:%S} UTC)"
        )
    else:
        satellites = sum(not track.member for track in snapshot.tracks)
        groups = sorted(status.objects.values())
        live = [f"{satellites} satellites"] if satellites or not groups else []
        live += [f"{layer} {count:,} objects" for layer, count in groups]
        parts.append("Live: " + ", ".join(live))
        if shown:
            parts.append(f"{shown} picked")
        elif satellites > CARDS_UP_TO or groups:
            parts.append("search, or click a point, to pick objects")
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
class UpdateSettings:
    """What every drawing and update of one server process shares."""

    instance: str
    """Names the server process, so a page drawn by an earlier one is drawn anew."""
    stale_after: timedelta
    history: int
    predict: PredictionSource


def draw(
    feed: FeedState,
    settings: UpdateSettings,
    selection: Sequence[str],
    now: datetime,
    prediction_key: str = "",
    overlays: figures.Overlays = figures.NO_OVERLAYS,
) -> FullDraw:
    """A whole drawing of the page.

    ``prediction_key`` changes when the predicted tracks should be drawn anew (new
    elements, or time having moved on along the orbit).
    """
    instance = settings.instance
    snapshot = feed.snapshot()
    shown, listed = detailed(snapshot.tracks, selection)
    return FullDraw(
        tracks=shown or listed,
        map_figure=figures.map_figure(shown, settings.predict(shown, now), overlays),
        altitude_figure=figures.altitude_figure(shown),
        ground_figure=figures.ground_figure(shown),
        cards=cards.cards(shown, now, settings.stale_after),
        listing=cards.listing(listed, now, settings.stale_after),
        status=status_text(snapshot, len(shown or listed) if selection else 0, now),
        cursor=Cursor(
            instance,
            view_digest(instance, shown or listed, selection, prediction_key, overlays),
            snapshot.head,
            now.timestamp(),
        ),
    )


def update(
    feed: FeedState,
    settings: UpdateSettings,
    stored_cursor: object,
    selection: Sequence[str],
    now: datetime,
    prediction_key: str = "",
    overlays: figures.Overlays = figures.NO_OVERLAYS,
    refresh: bool = False,
) -> Increment | Redraw | None:
    """What a page that has drawn up to ``stored_cursor`` lacks: the new samples (and the
    cards and status line as of ``now``), :data:`REDRAW` when its view has changed, or None
    when nothing is new and the page was refreshed less than a second ago (unless
    ``refresh``: an update goes out anyway, with the catalogue's frame, and refreshes the
    cards' ages and the status line with it rather than in an update of its own)."""
    instance = settings.instance
    cursor = Cursor.from_store(stored_cursor)
    if cursor is None or cursor.instance != instance:
        return REDRAW  # never drawn, or drawn by a server process that has since restarted
    snapshot = feed.snapshot(after=cursor.seq)
    shown, listed = detailed(snapshot.tracks, selection)
    digest = view_digest(instance, shown or listed, selection, prediction_key, overlays)
    if cursor.view != digest:
        return REDRAW
    has_new = any(track.samples for track in shown or listed)
    fresh = now.timestamp() - cursor.sent_at < REFRESH_AT_LEAST_EVERY.total_seconds()
    if not has_new and not refresh and fresh:
        return None
    return Increment(
        map_extension=figures.map_extension(shown, settings.history, overlays),
        altitude_extension=figures.altitude_extension(shown, settings.history),
        ground_extension=figures.ground_extension(shown, settings.history),
        cards=cards.card_updates(shown, now, settings.stale_after),
        status=status_text(snapshot, len(shown or listed) if selection else 0, now),
        cursor=Cursor(instance, digest, snapshot.head, now.timestamp()),
        listing=cards.listing(listed, now, settings.stale_after) if listed else None,
    )
