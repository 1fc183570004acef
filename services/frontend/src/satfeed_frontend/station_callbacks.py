"""The ground station panel's callbacks: thin wrappers that find this process's service and
call pure code (:mod:`pass_table`, :mod:`sky_plot`, :mod:`look_angles`), like
:mod:`satfeed_frontend.callbacks`.

The panel is drawn whole when a station is picked and whenever the station's plan changes
(new predictions, a drawn pass over: :attr:`StationPlan.version`, kept in the page's
``station-drawn`` store); in between, once a second while a station is picked, only the sky
plot's live points (a ``Patch`` of one trace) and the cards' look angles are sent. No
station picked: the timer is off and nothing is asked for. The countdowns count in the
browser (``assets/stations.js``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import parse_qs

from dash import ALL, Input, Output, Patch, State, callback, no_update

from satfeed_frontend import pass_table, sky_plot
from satfeed_frontend.callbacks import STATION_PARAMETER
from satfeed_frontend.look_angles import CARD_LOOK, look_text
from satfeed_frontend.service import FrontendService, current_service

PANEL: Final = "station-panel"
HIDDEN_PANEL: Final = "station-panel hidden"


def station_from_search(search: str | None) -> str | None:
    values = parse_qs((search or "").lstrip("?")).get(STATION_PARAMETER, [])
    return values[0] if values else None


def station_options(service: FrontendService) -> list[dict[str, str]]:
    """Every usable GroundStation, named by its display name and namespace."""
    if service.stations is None:
        return []
    return [
        {"label": f"{each.display_name} ({each.key[0]})", "value": each.value}
        for each in service.stations.all()
    ]


@callback(
    Output("station", "options"),
    Output("station", "value", allow_duplicate=True),
    Input("cursor", "data"),
    State("station", "value"),
    State("url", "search"),
    prevent_initial_call=True,
)
def on_stations_listed(_cursor: object, picked: str | None, search: str | None) -> tuple[Any, Any]:
    """The stations, offered anew with every whole drawing of the page; the first time, the
    station the link names is picked."""
    options = station_options(current_service())
    linked = station_from_search(search)
    if picked is None and linked is not None:
        return options, linked
    return options, no_update


def draw_station(
    service: FrontendService,
    value: str | None,
    drawn: object,
    card_satellites: Sequence[str],
    now: datetime,
) -> tuple[Any, ...]:
    """The panel's outputs, in :func:`on_station`'s order: the passes table, the sky plot
    (whole, or a patch of its live points), what is drawn (the plan's version and the
    number of live points), each card's look angles, whether the timer is off, the panel's
    class and the station's status text. Between two versions of the plan only the look
    angles and the live points are sent, the latter only while someone is in the sky."""
    no_looks = [""] * len(card_satellites)
    if not value:
        return (None, no_update, None, no_looks, True, HIDDEN_PANEL, "")
    stations = service.stations
    plan = stations.planner.plan(value) if stations is not None else None
    if stations is None or plan is None:
        known = stations is not None and stations.stations.get(value) is not None
        waiting = "predicting its passes…" if known else f"no ground station {value}"
        return (None, no_update, None, no_looks, False, HIDDEN_PANEL, waiting)
    spec = plan.station.spec
    name = plan.station.display_name
    planner = stations.planner
    looks = [
        look_text(name, planner.look(plan, satellite, now), spec.downlinks_hz.get(satellite))
        for satellite in card_satellites
    ]
    points = planner.live_points(plan, now)
    status = (
        f"{name}: {spec.station.latitude_deg:.2f}°, {spec.station.longitude_deg:.2f}°, "
        f"{len(plan.elements)} satellites ({spec.selector.describe()}), passes until "
        f"{plan.end:%m-%d %H:%M} UTC"
    )
    live = sky_plot.live_points(points)
    shown = f"{plan.version}:{len(live['r'])}"  # what the page then has drawn
    if isinstance(drawn, str) and drawn.partition(":")[0] == plan.version:
        if not live["r"] and drawn == shown:
            # Nobody in the station's sky, as a second ago: the plot is left alone (each
            # redraw of a polar plot is a main-thread task of tens of ms in the page).
            return (no_update, no_update, no_update, looks, no_update, no_update, no_update)
        colours = live.pop("marker.color")
        patch = Patch()
        index = len(plan.sky_tracks[: sky_plot.TRACKS_UP_TO]) + 1  # tracks, AOS marks, live
        for key, column in live.items():
            patch["data"][index][key] = column
        patch["data"][index]["marker"]["color"] = colours
        return (no_update, patch, shown, looks, no_update, no_update, no_update)
    rows = plan.rows(now)
    notes = pass_table.notes(plan.predictions, plan.failures)
    return (
        pass_table.table(rows, notes, now),
        sky_plot.sky_figure(name, plan.sky_tracks, points),
        shown,
        looks,
        False,
        PANEL,
        status,
    )


@callback(
    Output("passes", "children"),
    Output("sky", "figure"),
    Output("station-drawn", "data"),
    Output({"type": CARD_LOOK, "satellite": ALL}, "children"),
    Output("station-tick", "disabled"),
    Output("station-panel", "className"),
    Output("station-status", "children"),
    Input("station", "value"),
    Input("station-tick", "n_intervals"),
    State("station-drawn", "data"),
    State({"type": CARD_LOOK, "satellite": ALL}, "id"),
)
def on_station(
    value: str | None, _ticks: object, drawn: object, look_ids: list[dict[str, str]]
) -> tuple[Any, ...]:
    return draw_station(
        current_service(),
        value,
        drawn,
        [str(each["satellite"]) for each in look_ids],
        datetime.now(UTC),
    )
