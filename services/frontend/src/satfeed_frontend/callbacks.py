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
    ALL,
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    no_update,
)

from satfeed_frontend.cards import CARD, CARD_VALUES
from satfeed_frontend.data.feed import TrackView
from satfeed_frontend.service import FrontendService, current_service
from satfeed_frontend.ticks import draw, overlays_picked

SELECTION_PARAMETER = "sat"
PICKER_OUTPUT = 6
"""Where the picker's value is among :func:`draw_page`'s outputs."""


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


def draw_page(
    service: FrontendService,
    selection: Sequence[str],
    session: str | None,
    now: datetime,
    overlays: object = None,
) -> tuple[Any, ...]:
    """A whole drawing for one browser: the drawing callback's outputs, in
    :func:`on_draw`'s order. (Everything after it comes through the update stream, see
    :mod:`push`.)

    ``overlays`` is the overlay picker's value, as the browser sends it."""
    if session:
        service.sessions.seen(session)
    drawing = draw(
        service.feed,
        service.settings,
        selection,
        now,
        service.prediction_key(now),
        overlays_picked(overlays, now),
    )
    return (
        drawing.map_figure,
        drawing.altitude_figure,
        drawing.ground_figure,
        drawing.cards,
        drawing.status,
        options(drawing.tracks, selection),
        no_update,  # the picker: on_draw sets it once, from the link
        drawing.cursor.to_store(),
    )


def picked_or_linked(search: str | None, picked: list[str] | None) -> list[str]:
    """The selection to draw.

    On a page's first drawing the picker is still empty (None) and the link decides; the
    first drawing sets the picker, which decides from then on (and is written into the
    address bar in the browser, see below).
    """
    if picked is None:
        return selection_from_search(search)
    return list(picked)


@callback(
    Output("map", "figure"),
    Output("altitude", "figure"),
    Output("ground", "figure"),
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
def on_draw(
    _redraw: object,
    picked: list[str] | None,
    overlays: object,
    search: str | None,
    session: str | None,
) -> tuple[Any, ...]:
    """A whole drawing: on load, on a new pick or overlay, and when the update stream says
    the view has changed. Everything after it comes through the stream."""
    selection = picked_or_linked(search, picked)
    outputs = draw_page(current_service(), selection, session, datetime.now(UTC), overlays)
    if picked is None:
        # Only the first drawing sets the picker: a late answer to a request sent before a
        # pick would otherwise undo the pick.
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

# Each pushed update, applied in one callback, in the browser.
clientside_callback(
    ClientsideFunction(namespace="satfeed", function_name="apply"),
    Output("map", "extendData"),
    Output("altitude", "extendData"),
    Output("ground", "extendData"),
    Output({"type": CARD, "satellite": ALL}, "className"),
    Output({"type": CARD_VALUES, "satellite": ALL}, "children"),
    Output("status", "children", allow_duplicate=True),
    Input("push", "data"),
    prevent_initial_call=True,
)
