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
from satfeed_frontend.figures import stations_trace
from satfeed_frontend.service import FrontendService, current_service
from satfeed_frontend.ticks import draw, overlays_picked

SELECTION_PARAMETER = "sat"
HIDDEN_PARAMETER = "hide"
"""Layers the page hides, in the URL (``?hide=starlink``); handled in the browser."""
STATION_PARAMETER = "station"
"""The picked ground station, in the URL (``?station=namespace/name``)."""
PICKER_OUTPUT = 7
"""Where the picker's value is among :func:`draw_page`'s outputs."""


def selection_from_search(search: str | None) -> list[str]:
    """``?sat=terra&sat=25544`` -> ``["terra", "25544"]``; commas also separate."""
    values = parse_qs((search or "").lstrip("?")).get(SELECTION_PARAMETER, [])
    return [part for value in values for part in value.split(",") if part]


def options(tracks: Sequence[TrackView], selection: Sequence[str]) -> list[dict[str, str]]:
    """The picker's entries for what is drawn: the picked objects by name and NORAD number
    (a group member's value is its NORAD number, a Satellite's its name); a pick that is
    not (or no longer) there stays listed, so a shared link keeps its selection. What else
    can be picked the search finds in the browser, in the roster."""
    entries = [
        {
            "label": f"{track.display_name} · NORAD {track.norad_id}",
            "value": str(track.norad_id) if track.member else track.satellite,
        }
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
    # A picked group member gets a track (its history from now on) before it is drawn.
    service.catalogue.hold_picks(selection)
    drawing = draw(
        service.feed,
        service.settings,
        selection,
        now,
        service.prediction_key(now),
        overlays_picked(overlays, now),
    )
    if service.stations is not None and (stations := service.stations.all()):
        # Last on the map, so the tracks' trace indices the updates extend stay put.
        drawing.map_figure["data"].append(
            stations_trace(
                [each.display_name for each in stations],
                [each.spec.station.longitude_deg for each in stations],
                [each.spec.station.latitude_deg for each in stations],
            )
        )
    return (
        drawing.map_figure,
        drawing.altitude_figure,
        drawing.ground_figure,
        drawing.cards,
        drawing.listing,
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
    Output("listing", "children"),
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


# The picker's choice, the hidden layers and the ground station go into the address bar, so
# a view can be shared by its link, and the address bar's into the picker, the layers and
# the station picker, so the browser's back and forward buttons step through them. One
# callback both ways (Dash allows a loop within one callback only): a pick, a layer toggled
# or a station picked becomes a new history entry through the Location component (unless
# the address already says as much: the link the page was opened with), and going back or
# forward (popstate, which the Location component turns into a new ``search``) sets the
# picker, whose change redraws the page, the layers, which assets/catalogue.js hides in
# place, and the station. In the browser, so no request is spent on it.
clientside_callback(
    """function (picked, shown, station, search, layerOptions) {
        const noUpdate = window.dash_clientside.no_update;
        const catalogue = window.satfeedCatalogue;
        const listed = (value, name) => new URLSearchParams(value || '').getAll(name)
            .flatMap(part => part.split(',')).filter(part => part);
        const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
        const triggered = (window.dash_clientside.callback_context.triggered || [])
            .map(each => each.prop_id);
        const layers = (layerOptions || []).map(option => option.value);
        if (triggered.includes('url.search')) {
            const wanted = listed(search, '"""
    + SELECTION_PARAMETER
    + """');
            const hidden = listed(search, '"""
    + HIDDEN_PARAMETER
    + """');
            catalogue.setHidden(hidden);
            const visible = layers.filter(name => !hidden.includes(name));
            const linked = listed(search, '"""
    + STATION_PARAMETER
    + """')[0] || null;
            return [
                noUpdate,
                picked && same(wanted, picked) ? noUpdate : wanted,
                layers.length && !same(visible, shown || []) ? visible : noUpdate,
                // null until the stations are listed (that sets it from the link).
                station === null || station === undefined || linked === station
                    ? noUpdate : linked,
            ];
        }
        let hidden = listed(window.location.search, '"""
    + HIDDEN_PARAMETER
    + """');
        if (triggered.includes('layers.value') && layers.length) {
            hidden = layers.filter(name => !(shown || []).includes(name));
            catalogue.setHidden(hidden);
        }
        const picks = Array.isArray(picked) ? picked
            : listed(window.location.search, '"""
    + SELECTION_PARAMETER
    + """');
        // Until the stations are listed the picker is empty: the link's station stays.
        const stations = triggered.includes('station.value') || station
            ? (station ? [station] : [])
            : listed(window.location.search, '"""
    + STATION_PARAMETER
    + """');
        const query = new URLSearchParams([
            ...picks.map(value => ['"""
    + SELECTION_PARAMETER
    + """', value]),
            ...hidden.map(value => ['"""
    + HIDDEN_PARAMETER
    + """', value]),
            ...stations.map(value => ['"""
    + STATION_PARAMETER
    + """', value]),
        ]).toString();
        const wanted = query ? '?' + query : '';
        if (wanted === window.location.search) return [noUpdate, noUpdate, noUpdate, noUpdate];
        return [wanted, noUpdate, noUpdate, noUpdate];
    }""",
    Output("url", "search"),
    Output("select", "value", allow_duplicate=True),
    Output("layers", "value", allow_duplicate=True),
    Output("station", "value", allow_duplicate=True),
    Input("select", "value"),
    Input("layers", "value"),
    Input("station", "value"),
    Input("url", "search"),
    State("layers", "options"),
    prevent_initial_call=True,
)

# The search: the picker's options from the roster the page holds (assets/catalogue.js).
clientside_callback(
    ClientsideFunction(namespace="satfeed", function_name="search"),
    Output("select", "options", allow_duplicate=True),
    Input("select", "search_value"),
    State("select", "value"),
    State("select", "options"),
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

# Each pushed update's plots, cards, list and status line, applied in one callback, in the
# browser (its catalogue frame and map points are applied by assets/catalogue.js).
clientside_callback(
    ClientsideFunction(namespace="satfeed", function_name="apply"),
    Output("altitude", "extendData"),
    Output("ground", "extendData"),
    Output({"type": CARD, "satellite": ALL}, "className"),
    Output({"type": CARD_VALUES, "satellite": ALL}, "children"),
    Output("listing", "children", allow_duplicate=True),
    Output("status", "children", allow_duplicate=True),
    Input("push", "data"),
    prevent_initial_call=True,
)
