"""The Dash app and its Flask server: the page, its update stream ``/updates`` (see
:mod:`satfeed_frontend.push`), ``/healthz``, ``/readyz``, ``/metrics``.

Everything the page loads comes from this server (Dash's own bundles, plotly.js, the base
map, the stylesheet): it works with no Internet access, and Dash's debug tools stay off.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import flask
from dash import Dash
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from satfeed_frontend import callbacks as _callbacks  # noqa: F401 (registers the callbacks)
from satfeed_frontend import layout
from satfeed_frontend import station_callbacks as _station_callbacks  # noqa: F401 (the same)
from satfeed_frontend.push import UPDATES_PATH, Stream
from satfeed_frontend.service import EXTENSION_KEY, FrontendService

ASSETS: Final = Path(__file__).parent / "assets"
NATIVES: Final = Path(__file__).parent / "natives.js"
INDEX: Final = """<!DOCTYPE html>
<html>
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            <script>NATIVES</script>
            {%scripts%}
            <script>window.satfeedNatives.restore();</script>
            <!-- plotly.js with only the traces the page draws: dcc.Graph takes window.Plotly
                 and fetches Dash's whole plotly.js (4.8 MB, three times as slow to start) no
                 more. Before the renderer starts, so it is there when the graphs are. -->
            <script src="PLOTLY"></script>
            {%renderer%}
        </footer>
    </body>
</html>"""
"""Dash's index page, with the browser's own built-ins kept from its polyfill (natives.js)
and our plotly.js bundle."""
PLOTLY_BUNDLE: Final = "plotly-satfeed.min.js"
"""plotly.js with the trace types the page draws (scatter, scattergl, scatterpolar), built
by services/frontend/plotly/ and kept in assets/; loaded by the index page itself (not among
Dash's assets: after natives.js has restored the built-ins)."""
DRAWING_PATH: Final = "/_dash-update-component"
"""Dash's callback requests; the only callback served here draws the page whole."""


def create_app(service: FrontendService) -> Dash:
    app = Dash(
        __name__,
        title="satfeed",
        update_title="",  # else the title would flicker "Updating..." on every drawing
        assets_folder=str(ASSETS),
        serve_locally=True,
        external_stylesheets=[],
        external_scripts=[],
        enable_mcp=False,
        assets_ignore=re.escape(PLOTLY_BUNDLE),  # served from assets/, loaded by INDEX
    )
    app.index_string = INDEX.replace("NATIVES", NATIVES.read_text()).replace("PLOTLY", plotly_url())
    app.layout = layout.page
    server: flask.Flask = app.server
    server.extensions[EXTENSION_KEY] = service
    metrics = service.metrics

    @server.get("/healthz")
    def healthz() -> flask.Response:
        return _text("ok", 200)

    @server.get("/readyz")
    def readyz() -> flask.Response:
        ready, why = service.readiness()
        return _text(why, 200 if ready else 503)

    @server.get("/metrics")
    def prometheus_metrics() -> flask.Response:
        return flask.Response(generate_latest(metrics.registry), mimetype=CONTENT_TYPE_LATEST)

    @server.get(UPDATES_PATH)
    def updates() -> flask.Response:
        """The page's update stream (Server-Sent Events): see :mod:`satfeed_frontend.push`."""
        stream = Stream.from_query(flask.request.args)
        service.push.open(stream)

        def messages() -> Iterator[bytes]:
            try:
                yield from stream.messages()
            finally:  # the page went away, or the stream ended
                service.push.close(stream)

        return flask.Response(
            messages(),
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    @server.before_request
    def start_timer() -> None:
        flask.g.started = time.perf_counter()

    @server.after_request
    def measure_drawing(response: flask.Response) -> flask.Response:
        if flask.request.path == DRAWING_PATH and "started" in flask.g:
            metrics.drawn(time.perf_counter() - flask.g.started)
            if response.status_code == 200:
                metrics.update_bytes.observe(response.calculate_content_length() or 0)
        return response

    return app


def plotly_url() -> str:
    """The bundle's address, relative to the page (as a path prefix keeps it), with its
    content's hash: a new bundle is fetched anew, an unchanged one revalidated."""
    digest = hashlib.sha256((ASSETS / PLOTLY_BUNDLE).read_bytes()).hexdigest()[:12]
    return f"assets/{PLOTLY_BUNDLE}?v={digest}"


def _text(body: str, status: int) -> flask.Response:
    return flask.Response(body + "\n", status=status, mimetype="text/plain")
