"""Dash callbacks: thin wrappers that find this process's service and call pure code.

Registered with ``dash.callback`` on import; they never import the app. Per-browser state
is in the page's ``dcc.Store`` components (session id, cursor), never on the server.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from dash import (
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    no_update,
)

from satfeed_frontend.data.feed import TrackView
from satfeed_frontend.service import FrontendService, current_service
from satfeed_frontend.ticks import Cursor, FullDraw, overlays_picked, poll

SELECTION_PARAMETER = "sat"
PICKER_OUTPUT = 9
"""Where the picker's value is among :func:`answer_poll`'s outputs."""
CURSOR_OUTPUT = 10
"""And where the cursor is (the last)."""


def selection_from_search(search: str | None) -> list[str]:
    """``?sat=terra&sat=25544`` -> ``["terra", "25544"]``; commas also separate."""
    values = parse_qs((search or "").lstrip("?")).get(SELECTION_PARAMETER, [])
    return [part for value in values for part in value.split(",") if part]


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
    overlays: object = None,
) -> tuple[Any, ...]:
    """The poll callback's outputs for one browser, in :func:`on_poll`'s order.

    ``overlays`` is the overlay picker's value, as the browser sends it."""
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
        overlays_picked(overlays, now),
    )
    assert result is not None  # None only without draw_whole
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


def picked_or_linked(search: str | None, picked: list[str] | None) -> list[str]:
    """The selection to draw.

    On a page's first poll the picker is still empty (None) and the link decides; the
    first drawing sets the picker, which decides from then on (and is written into the
    address bar in the browser, see below).
    """
    if picked is None:
        return selection_from_search(search)
    return list(picked)


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
    Input("redraw", "data"),
    Input("select", "value"),
    Input("overlays", "value"),
    State("url", "search"),
    State("session", "data"),
)
def on_poll(
    _redraw: object,
    picked: list[str] | None,
    overlays: object,
    search: str | None,
    session: str | None,
) -> tuple[Any, ...]:
    """A whole drawing: on load, on a new pick or overlay, and when the update stream says
    the view has changed. Everything after it comes through the stream."""
    selection = picked_or_linked(search, picked)
    outputs = answer_poll(current_service(), None, selection, session, datetime.now(UTC), overlays)
    if picked is None:
        # Only the first answer sets the picker: a late answer to a poll sent before a pick
        # would otherwise undo the pick.
        outputs = (*outputs[:PICKER_OUTPUT], selection, *outputs[PICKER_OUTPUT + 1 :])
    return outputs


# The picker's choice goes into the address bar, so a view can be shared by its link, and
# the address bar's into the picker, so the browser's back and forward buttons step through
# the picks. One callback both ways (Dash allows a loop within one callback only): a pick
# becomes a new history entry through the Location component (unless the address already
# says as much: the link the page was opened with), and going back or forward (popstate,
# which the Location component turns into a new ``search``) sets the picker, whose change
# redraws the page. In the browser, so no request is spent on it.
clientside_callback(
    """function (picked, search) {
        const noUpdate = window.dash_clientside.no_update;
        const linked = value => new URLSearchParams(value || '').getAll('"""
    + SELECTION_PARAMETER
    + """').flatMap(part => part.split(',')).filter(part => part);
        const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
        const triggered = (window.dash_clientside.callback_context.triggered || [])
            .map(each => each.prop_id);
        if (triggered.includes('url.search')) {
            const wanted = linked(search);
            return [noUpdate, picked && same(wanted, picked) ? noUpdate : wanted];
        }
        if (!Array.isArray(picked) || same(linked(window.location.search), picked)) {
            return [noUpdate, noUpdate];
        }
        const query = new URLSearchParams(picked.map(value => ['"""
    + SELECTION_PARAMETER
    + """', value])).toString();
        return [query ? '?' + query : '', noUpdate];
    }""",
    Output("url", "search"),
    Output("select", "value", allow_duplicate=True),
    Input("select", "value"),
    Input("url", "search"),
    prevent_initial_call=True,
)


# After each whole drawing the page follows the update stream from there (assets/push.js).
clientside_callback(
    ClientsideFunction(namespace="satfeed", function_name="follow"),
    Output("following", "data"),
    Input("cursor", "data"),
    State("select", "value"),
    State("overlays", "value"),
    State("session", "data"),
)

# Each pushed update, applied as a poll's answer was: one callback, in the browser.
clientside_callback(
    ClientsideFunction(namespace="satfeed", function_name="apply"),
    Output("map", "extendData", allow_duplicate=True),
    Output("altitude", "extendData", allow_duplicate=True),
    Output("ground", "extendData", allow_duplicate=True),
    Output("cards", "children", allow_duplicate=True),
    Output("status", "children", allow_duplicate=True),
    Input("push", "data"),
    prevent_initial_call=True,
)
