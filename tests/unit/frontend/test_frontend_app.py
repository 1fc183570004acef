"""The served app, through Flask's test client: health, readiness, metrics, a page that
loads nothing from elsewhere, and the drawing callback called directly."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from prometheus_client import generate_latest
from satfeed_frontend.app import create_app
from satfeed_frontend.callbacks import draw_page
from satfeed_frontend.data.consumer import start_offset
from satfeed_frontend.data.feed import TopicInfo
from satfeed_frontend.metrics import FrontendMetrics
from satfeed_frontend.service import FrontendService

from tests.unit.frontend.frontend_samples import T0, position


@pytest.fixture
def client(service: FrontendService) -> FlaskClient:
    test_client: FlaskClient = create_app(service).server.test_client()
    return test_client


def test_health_readiness_and_metrics(client: FlaskClient, service: FrontendService) -> None:
    assert client.get("/healthz").status_code == 200
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503
    assert "127.0.0.1:1 has not answered" in not_ready.text
    metrics = client.get("/metrics").text
    for name in (
        "satfeed_frontend_records_consumed_total",
        "satfeed_frontend_records_malformed_total",
        "satfeed_frontend_consumer_lag_records",
        "satfeed_frontend_sessions",
    ):
        assert name in metrics


def test_the_page_loads_nothing_from_other_hosts(client: FlaskClient) -> None:
    index = client.get("/")
    assert index.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', index.text)
    assert urls, "the page has no scripts or stylesheets"
    assert [url for url in urls if "//" in url] == []
    assert client.get("/assets/topojson/world_110m.json").status_code == 200
    assert client.get("/assets/world.svg").status_code == 200  # the map's base map
    # plotly.js is ours (the page's trace types only), loaded by the page before Dash starts,
    # after the browser's own built-ins are restored from Dash's polyfill (which made
    # Plotly's per-point colour parsing five times slower); Dash's whole plotly.js is not.
    bundle = re.search(r'<script src="(assets/plotly-satfeed\.min\.js\?v=\w{12})"', index.text)
    assert bundle is not None
    assert client.get("/" + bundle.group(1)).status_code == 200
    assert "plotly.min.js" not in index.text
    assert index.text.count("plotly-satfeed") == 1  # not among Dash's assets as well
    assert index.text.index("satfeedNatives.restore()") < bundle.start()
    assert bundle.start() < index.text.index("new DashRenderer")
    assert index.text.index("satfeedNatives = {") < index.text.index("polyfill@")
    assert index.text.index("polyfill@") < index.text.index("satfeedNatives.restore()")


def test_the_drawing_callback_draws_the_page_whole_and_counts_sessions(
    service: FrontendService,
) -> None:
    service.feed.set_topics([TopicInfo("t.terra", "--topics")])
    service.feed.add("t.terra", position())
    outputs = draw_page(service, [], "browser-1", T0)
    map_figure, cards, options, cursor = outputs[0], outputs[3], outputs[6], outputs[-1]
    # The catalogue (filled by the page from its stream), then terra's three traces.
    assert [trace["type"] for trace in map_figure["data"]] == ["scattergl"] + ["scatter"] * 3
    assert len(cards) == 1
    assert options == [{"label": "TERRA · NORAD 25994", "value": "terra"}]
    assert cursor["seq"] == 1
    assert service.sessions.active() == 1
    draw_page(service, [], "browser-2", T0 + timedelta(seconds=1))
    assert service.sessions.active() == 2


def test_drawing_times_are_published_under_the_new_and_the_deprecated_name() -> None:
    metrics = FrontendMetrics()
    metrics.drawn(0.02)
    published = generate_latest(metrics.registry).decode()
    assert "satfeed_frontend_draw_seconds_count 1.0" in published
    # Kept for one release, for dashboards and alerts written against the polling design.
    assert "satfeed_frontend_poll_seconds_count 1.0" in published
    assert "satfeed_frontend_poll_seconds_sum 0.02" in published


@pytest.mark.parametrize(
    ("low", "high", "history", "in_window", "expected"),
    [
        (0, 1000, 180, None, 820),  # the last 180 records
        (900, 1000, 180, None, 900),  # fewer left than the history
        (0, 1000, 180, 950, 950),  # the window is shorter than 180 records
        (0, 1000, 180, 100, 820),  # the history is shorter than the window
        (0, 1000, 180, -1, 1000),  # every record is older than the window
    ],
)
def test_backfill_start(
    low: int, high: int, history: int, in_window: int | None, expected: int
) -> None:
    assert start_offset(low, high, history, in_window) == expected
