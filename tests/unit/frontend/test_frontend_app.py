"""The served app, through Flask's test client: health, readiness, metrics, a page that
loads nothing from elsewhere, and the poll callback called directly."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from dash import no_update
from flask.testing import FlaskClient
from satfeed_frontend.app import create_app
from satfeed_frontend.callbacks import answer_poll
from satfeed_frontend.data.consumer import start_offset
from satfeed_frontend.data.feed import TopicInfo
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


def test_poll_callback_draws_counts_sessions_and_answers_little_when_nothing_is_new(
    service: FrontendService,
) -> None:
    service.feed.set_topics([TopicInfo("t.terra", "--topics")])
    service.feed.add("t.terra", position())
    outputs = answer_poll(service, None, [], "browser-1", T0)
    map_figure, cards, options, cursor = outputs[0], outputs[6], outputs[8], outputs[10]
    assert len(map_figure["data"]) == 3
    assert len(cards) == 1
    assert options == [{"label": "TERRA · NORAD 25994", "value": "terra"}]
    assert service.sessions.active() == 1
    waiting = answer_poll(service, cursor, [], "browser-1", T0 + timedelta(milliseconds=250))
    assert all(output is no_update for output in waiting[:-1])
    assert waiting[-1]["next_ms"] == 900  # just after the next record is due
    service.feed.add("t.terra", position(second=1))
    update = answer_poll(service, cursor, [], "browser-2", T0 + timedelta(seconds=1))
    assert update[0] is no_update
    assert update[1][1] == [0, 2]
    assert service.sessions.active() == 2


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
