"""Dash callbacks: thin wrappers that find this process's service and call pure code.

Registered with ``dash.callback`` on import; they never import the app. Per-browser state
is in the page's ``dcc.Store`` components (session id, cursor), never on the server.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

from dash import Input, Output, State, callback, ctx, no_update
from dash.exceptions import PreventUpdate

from satfeed_frontend.data.feed import TrackView
from satfeed_frontend.service import FrontendService, current_service
from satfeed_frontend.ticks import FullDraw, poll

SELECTION_PARAMETER = "sat"


def selection_from_search(search: str | None) -> list[str]:
    """``?sat=terra&sat=25544`` -> ``["terra", "25544"]``; commas also separate."""
    values = parse_qs((search or "").lstrip("?")).get(SELECTION_PARAMETER, [])
    return [part for value in values for part in value.split(",") if part]


def search_from_selection(selection: Sequence[str] | None) -> str:
    if not selection:
        return ""
    return "?" + urlencode([(SELECTION_PARAMETER, value) for value in selection])


@callback(
    Output("url", "search"),
    Output("select", "value"),
    Input("url", "search"),
    Input("select", "value"),
)
def sync_selection(search: str | None, selection: list[str] | None) -> tuple[Any, Any]:
    """The picker and the URL say the same, so a view can be shared by its link."""
    if ctx.triggered_id == "select":
        wanted = search_from_selection(selection)
        return (no_update if wanted == (search or "") else wanted), no_update
    from_url = selection_from_search(search)
    return no_update, (no_update if from_url == (selection or []) else from_url)


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
        service.instance,
        cursor,
        selection,
        now,
        service.config.stale_after,
        service.config.history,
        service.predictions,
    )
    if result is None:
        raise PreventUpdate
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
            result.cursor.to_store(),
        )
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
        result.cursor.to_store(),
    )


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
    Output("cursor", "data"),
    Input("poll", "n_intervals"),
    Input("select", "value"),
    State("cursor", "data"),
    State("session", "data"),
)
def on_poll(
    _n_intervals: int | None, selection: list[str] | None, cursor: object, session: str | None
) -> tuple[Any, ...]:
    return answer_poll(current_service(), cursor, selection or [], session, datetime.now(UTC))
