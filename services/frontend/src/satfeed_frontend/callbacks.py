"""Dash callbacks: thin wrappers that find this process's service and call pure code.

Registered with ``dash.callback`` on import; they never import the app. Per-browser state
is in the page's ``dcc.Store`` components (session id, cursor), never on the server.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

from dash import Input, Output, State, callback, clientside_callback, no_update

from satfeed_frontend.data.feed import TrackView
from satfeed_frontend.service import FrontendService, current_service
from satfeed_frontend.ticks import Cursor, FullDraw, poll

SELECTION_PARAMETER = "sat"
PICKER_OUTPUT = 9
"""Where the picker's value is among :func:`answer_poll`'s outputs."""
CURSOR_OUTPUT = 10
"""And where the cursor is (the last)."""


def selection_from_search(search: str | None) -> list[str]:
    """``?sat=terra&sat=25544`` -> ``["terra", "25544"]``; commas also separate."""
    values = parse_qs((search or "").lstrip("?")).get(SELECTION_PARAMETER, [])
    return [part for value in values for part in value.split(",") if part]


def search_from_selection(selection: Sequence[str] | None) -> str:
    if not selection:
        return ""
    return "?" + urlencode([(SELECTION_PARAMETER, value) for value in selection])


def options(tracks: Sequence[TrackView], selection: Sequence[str]) -> list[dict[str, str]]:
    """Picker entries: searchable by name and NORAD number; a picked satellite that is not
    (or no longer) there stays listed, so a shared link keeps its selection."""
    entries = [
        {"label": f"{track.display_name} · NORAD {track.norad_id}", "value": track.satellite}
        for track in tracks
    ]
    known = {entry["value"] for entry in entries} | {str(t.norad_id) for t in tracks}
    entries += [
        {"label": f"{value} (no data)", "value": value} for value in selection if value not in known
    ]
    return entries


def answer_poll(
    service: FrontendService,
    cursor: object,
    selection: Sequence[str],
    session: str | None,
    now: datetime,
) -> tuple[Any, ...]:
    """The poll callback's outputs for one browser, in :func:`on_poll`'s order."""
    if session:
        service.sessions.seen(session)
    result = poll(
        service.feed,
        service.poll_settings,
        cursor,
        selection,
        now,
        service.prediction_key(now),
        service.updates,
    )
    if isinstance(result, FullDraw):
        return (
            result.map_figure,
            no_update,
            result.altitude_figure,
            no_update,
            result.ground_figure,
            no_update,
            result.cards,
            result.status,
            options(result.tracks, selection),
            no_update,  # the picker: on_poll sets it once, from the link
            result.cursor.to_store(),
        )
    if isinstance(result, Cursor):  # nothing new: only when to ask again
        return (*[no_update] * (CURSOR_OUTPUT), result.to_store())
    return (
        no_update,
        result.map_extension or no_update,
        no_update,
        result.altitude_extension or no_update,
        no_update,
        result.ground_extension or no_update,
        result.cards_patch,
        result.status,
        no_update,
        no_update,
        result.cursor.to_store(),
    )


def picked_or_linked(search: str | None, picked: list[str] | None) -> tuple[list[str], Any]:
    """The selection to draw, and the URL's new query if it must change.

    On a page's first poll the picker is still empty (None) and the link decides; the
    first drawing sets the picker, which decides from then on and is copied into the URL,
    so the view can be shared. One source per moment: a poll sent just after a pick, still
    carrying the old URL, cannot undo the pick.
    """
    if picked is None:
        return selection_from_search(search), no_update
    wanted = search_from_selection(picked)
    return list(picked), (no_update if wanted == (search or "") else wanted)


# One callback for polls, picks and links: the picker and the URL update each other, which
# Dash allows only within a single callback.
@callback(
    Output("map", "figure"),
    Output("map", "extendData"),
    Output("altitude", "figure"),
    Output("altitude", "extendData"),
    Output("ground", "figure"),
    Output("ground", "extendData"),
    Output("cards", "children"),
    Output("status", "children"),
    Output("select", "options"),
    Output("select", "value"),
    Output("cursor", "data"),
    Output("url", "search"),
    Input("poll", "n_intervals"),
    Input("watchdog", "n_intervals"),
    Input("url", "search"),
    Input("select", "value"),
    State("cursor", "data"),
    State("session", "data"),
)
def on_poll(
    _n_intervals: int | None,
    _watchdog: int | None,
    search: str | None,
    picked: list[str] | None,
    cursor: object,
    session: str | None,
) -> tuple[Any, ...]:
    selection, new_search = picked_or_linked(search, picked)
    outputs = answer_poll(current_service(), cursor, selection, session, datetime.now(UTC))
    if picked is None:
        # Only the first answer sets the picker: a late answer to a poll sent before a pick
        # would otherwise undo the pick.
        outputs = (*outputs[:PICKER_OUTPUT], selection, *outputs[PICKER_OUTPUT + 1 :])
    return (*outputs, new_search)


# The page asks again when the server says (just after the next record is due): each
# answer arms the poll timer for exactly one more poll, after its delay. So a browser never
# has two polls in flight, however slow the server, and Dash never drops an answer for a
# newer one. In the browser, so no request is spent on it.
clientside_callback(
    "function (cursor, fired) {"
    " if (!cursor || !cursor.next_ms) { return window.dash_clientside.no_update; }"
    " return [cursor.next_ms, (fired || 0) + 1]; }",
    Output("poll", "interval"),
    Output("poll", "max_intervals"),
    Input("cursor", "data"),
    State("poll", "n_intervals"),
)
