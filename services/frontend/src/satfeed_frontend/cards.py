"""The card of each satellite: its text, its classes (stale data, stale elements), and the
part of it a pushed update rewrites.

A card is drawn whole with the page; after that an update writes two properties of it by
id, its class and its value text, so a tick changes text in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from dash import html
from satfeed_core.contract import DEFAULT_ELEMENTS_STALE_AFTER

from satfeed_frontend.data.feed import TrackView
from satfeed_frontend.figures import color
from satfeed_frontend.look_angles import CARD_LOOK

CARD: Final = "card"
CARD_VALUES: Final = "card-values"
"""The ``type`` of the cards' and their value texts' ids (``{"type": ..., "satellite": ...}``):
a pushed update writes those two properties of each card by id, so a tick changes text in
place, where a patch of the cards' container had Dash mount every card anew."""
CARD_LABELS: Final = "Longitude\nLatitude\nAltitude\nSpeed\nElements\nSample"
STALE_AFTER_INTERVALS: Final = 3
"""A satellite is stale once this many of its own sampling intervals pass without a new
record: one late or lost record is not yet an outage, three in a row are."""


def format_age(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.1f} d"


def stale_limit(cadence: timedelta | None, floor: timedelta) -> timedelta:
    """How long a satellite sampled every ``cadence`` may go without a new record before it
    shows as stale: :data:`STALE_AFTER_INTERVALS` of its intervals, and never less than
    ``floor`` (``--stale-after``), so a fast satellite's late record is not an alarm. Without
    a known cadence (one record so far), the floor."""
    if cadence is None:
        return floor
    return max(floor, STALE_AFTER_INTERVALS * cadence)


def is_stale(track: TrackView, now: datetime, floor: timedelta) -> bool:
    """No new record for longer than the track's :func:`stale_limit`."""
    return now - track.latest.record.time > stale_limit(track.cadence, floor)


def format_elements_age(age: timedelta) -> str:
    """Whole days, or whole hours under a day: an element set's age needs no more."""
    age = max(age, timedelta(0))  # an epoch just after the sample (fresh elements)
    if age < timedelta(days=1):
        return f"{age // timedelta(hours=1)} h old"
    return f"{age // timedelta(days=1)} d old"


def elements_age(track: TrackView) -> timedelta:
    """How old the elements were that the newest position was computed from."""
    record = track.latest.record
    return record.time - record.elements_epoch


def has_stale_elements(track: TrackView) -> bool:
    return elements_age(track) > DEFAULT_ELEMENTS_STALE_AFTER


def card_values(track: TrackView, now: datetime, stale_after: timedelta) -> str:
    """The value column of a card, one line per label in :data:`CARD_LABELS`."""
    record = track.latest.record
    sampled = record.time.strftime("%H:%M:%S.%f")[:-3]
    if is_stale(track, now, stale_after):
        sampled += f" · no data for {format_age(now - record.time)}"
    elements = format_elements_age(elements_age(track))
    if has_stale_elements(track):
        elements += " · stale elements"
    return "\n".join(
        (
            f"{record.lon:.3f}°",
            f"{record.lat:.3f}°",
            f"{record.alt_km:.1f} km",
            f"{record.speed_km_s:.3f} km/s",
            elements,
            sampled,
        )
    )


def card_class(track: TrackView, now: datetime, stale_after: timedelta) -> str:
    """``card``, plus ``stale`` without new records and ``stale-elements`` with old ones."""
    classes = ["card"]
    if is_stale(track, now, stale_after):
        classes.append("stale")
    if has_stale_elements(track):
        classes.append("stale-elements")
    return " ".join(classes)


def cards(tracks: Sequence[TrackView], now: datetime, stale_after: timedelta) -> list[html.Div]:
    return [
        html.Div(
            id={"type": CARD, "satellite": track.satellite},
            className=card_class(track, now, stale_after),
            **_data_attributes(track),
            children=[
                html.Div(
                    [
                        html.Span(className="swatch", style={"background": color(index)}),
                        track.display_name,
                    ],
                    className="card-title",
                ),
                html.Div(f"NORAD {track.norad_id} · {track.satellite}", className="card-sub"),
                html.Div(CARD_LABELS, className="card-labels"),
                html.Div(
                    card_values(track, now, stale_after),
                    id={"type": CARD_VALUES, "satellite": track.satellite},
                    className="card-values",
                ),
                # Look angles from the picked ground station (filled each second while
                # one is picked: callbacks.on_station).
                html.Div(id={"type": CARD_LOOK, "satellite": track.satellite}, className=CARD_LOOK),
            ],
        )
        for index, track in enumerate(tracks)
    ]


def _data_attributes(track: TrackView) -> dict[str, Any]:
    """``data-satellite`` and ``data-norad`` find a card in a browser (and in tests)."""
    return {"data-satellite": track.satellite, "data-norad": str(track.norad_id)}


def card_updates(
    tracks: Sequence[TrackView], now: datetime, stale_after: timedelta
) -> dict[str, tuple[str, str]]:
    """The class and value text of the cards :func:`cards` drew for these tracks, by
    satellite: only the cards with new samples, or stale ones (whose "no data for" age
    grows)."""
    return {
        track.satellite: (card_class(track, now, stale_after), card_values(track, now, stale_after))
        for track in tracks
        if track.samples or is_stale(track, now, stale_after)
    }


def listing(tracks: Sequence[TrackView], now: datetime, stale_after: timedelta) -> str:
    """Picks past a few dozen: one line each (name, NORAD id, where, how high, when), one
    text for all of them, instead of a card each."""
    lines = []
    for track in tracks:
        record = track.latest.record
        line = (
            f"{track.display_name[:28]:<28} {track.norad_id:>9}  {record.lon:8.3f}° "
            f"{record.lat:7.3f}°  {record.alt_km:9.1f} km  {record.time:%H:%M:%S}"
        )
        if is_stale(track, now, stale_after):
            line += f" · no data for {format_age(now - record.time)}"
        lines.append(line)
    return "\n".join(lines)
