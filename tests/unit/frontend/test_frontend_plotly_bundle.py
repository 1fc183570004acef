"""The page's plotly.js (``assets/plotly-satfeed.min.js``, built by
``services/frontend/plotly``) carries only some trace types: every type the frontend's
figures use must be among them, or that figure would not be drawn."""

from __future__ import annotations

import re
from pathlib import Path

import plotly.graph_objects as go  # type: ignore[import-untyped]
import satfeed_frontend
from satfeed_frontend.app import ASSETS, PLOTLY_BUNDLE

SOURCES = Path(satfeed_frontend.__file__).parent


def registered() -> set[str]:
    """The trace modules the bundle registers (each is ``{moduleType:"trace",name:...}``)."""
    text = (ASSETS / PLOTLY_BUNDLE).read_text()
    return set(re.findall(r'moduleType:"trace",name:"(\w+)"', text))


def used() -> set[str]:
    """Every plotly trace type named in the frontend's code (``"type": "scattergl"``; an
    axis type such as ``"date"`` is no trace type)."""
    traces = {name.lower() for name in dir(go) if name[:1].isupper()}
    named = {
        value
        for path in SOURCES.rglob("*.py")
        for value in re.findall(r'"type":\s*"(\w+)"', path.read_text())
    }
    return named & traces


def test_the_bundle_draws_every_trace_type_the_page_uses() -> None:
    assert {"scattergl", "scatterpolar"} <= used()  # the search finds them
    assert used() <= registered()


def test_the_bundle_says_what_it_is() -> None:
    head = (ASSETS / PLOTLY_BUNDLE).read_text()[:400]
    assert "plotly.js (satfeed: scatter, scattergl, scatterpolar - minified) v4." in head
    assert "Licensed under the MIT license" in head
