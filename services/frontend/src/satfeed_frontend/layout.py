"""The page: a status line and the satellite picker, the map, one card per satellite, and the
altitude and latitude/longitude plots. Built per page load, so each gets its own session id;
the figures and cards are filled by the first drawing."""

from __future__ import annotations

import uuid

import dash
from dash import dcc, html

from satfeed_frontend import ticks


def graph_config() -> dcc.Graph.Config:
    return {
        "displaylogo": False,
        "responsive": True,
        # plotly.js fetches its base map from a CDN unless told otherwise: ours is local.
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
                        placeholder="All satellites: type a name or NORAD number to pick some",
                        className="select",
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
            dcc.Graph(id="map", className="map", config=graph_config()),
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
