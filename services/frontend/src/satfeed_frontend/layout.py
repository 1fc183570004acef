"""The page: a status line, the search (the picker), the overlays and the layers, the map,
the ground station picker with its passes table and sky plot, a card per detailed object
(or a compact list of many picks), and the altitude and latitude/longitude plots. Built
per page load, so each gets its own session id; the figures and cards are filled by the
first drawing, the map's objects by the update stream, the station panel by
:func:`satfeed_frontend.station_callbacks.on_station`."""

from __future__ import annotations

import uuid

import dash
from dash import dcc, html

from satfeed_frontend import ticks


def graph_config() -> dcc.Graph.Config:
    return {
        "displaylogo": False,
        "responsive": True,
        # plotly.js fetches geo base maps from a CDN unless told otherwise: ours are local
        # (the map draws assets/world.svg; no trace reads topojson now, but none may fetch).
        "topojsonURL": dash.get_asset_url("topojson/"),  # type: ignore[no-untyped-call]
        "modeBarButtonsToRemove": ["toImage", "select2d", "lasso2d"],
    }


def page() -> html.Div:
    return html.Div(
        className="page",
        children=[
            dcc.Location(id="url", refresh=False),
            dcc.Store(id="session", data=uuid.uuid4().hex),
            # What the page has drawn, from its last whole drawing; the update stream
            # (assets/push.js) starts from it. push.js writes "redraw" to ask for a drawing.
            dcc.Store(id="cursor"),
            dcc.Store(id="redraw"),
            dcc.Store(id="following"),
            dcc.Store(id="push"),  # the latest pushed update
            html.Header(
                className="header",
                children=[
                    html.H1("satfeed"),
                    html.Div(id="status", className="status", children="Connecting…"),
                    dcc.Dropdown(
                        id="select",
                        multi=True,
                        options=[],
                        value=None,  # set by the first drawing, from the URL
                        placeholder="Search a name or NORAD number to pick objects",
                        className="select",
                        # Options come from the search over the roster, in the browser.
                        search_order="original",
                    ),
                    dcc.Checklist(
                        id="overlays",
                        options=[
                            {"label": "Day and night", "value": ticks.NIGHT},
                            {"label": "Visibility footprints", "value": ticks.FOOTPRINTS},
                        ],
                        value=[],
                        inline=True,
                        className="overlays",
                    ),
                ],
            ),
            # The layers (SatelliteGroups, and "Satellites"): set by assets/catalogue.js from
            # the roster; unticked ones are hidden, and kept in the URL (?hide=…).
            dcc.Checklist(id="layers", options=[], value=[], inline=True, className="layers"),
            dcc.Graph(id="map", className="map", config={**graph_config(), "scrollZoom": True}),
            # Ground stations (GroundStation resources): pick one for its passes, its sky and
            # look angles on the cards; kept in the URL (?station=namespace/name).
            html.Div(
                className="station-bar",
                children=[
                    dcc.Dropdown(
                        id="station",
                        options=[],
                        value=None,  # set from the URL when the stations are first listed
                        placeholder="Pick a ground station for its passes",
                        className="station",
                    ),
                    html.Span(id="station-status"),
                ],
            ),
            dcc.Store(id="station-drawn"),  # the station plan's version the panel shows
            dcc.Interval(id="station-tick", interval=1000, disabled=True),
            html.Div(
                id="station-panel",
                className="station-panel hidden",
                children=[
                    html.Div(id="passes", className="passes"),
                    dcc.Graph(id="sky", className="sky", config=graph_config()),
                ],
            ),
            html.Pre(id="listing", className="listing"),
            html.Div(id="cards", className="cards"),
            html.Div(
                className="plots",
                children=[
                    dcc.Graph(id="altitude", className="plot", config=graph_config()),
                    dcc.Graph(id="ground", className="plot", config=graph_config()),
                ],
            ),
        ],
    )
