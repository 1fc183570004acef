"""Fixtures of the frontend's integration tests: frontends and producers stopped after each
test, element files, and Chromium pages that record console errors and every request."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Request
from satfeed_dev.browser import launch_chromium
from satfeed_dev.frontend_bed import FrontendRunner
from satfeed_dev.sample_data import tle_file
from satfeed_dev.testbed import TestBed
from satfeed_dev.tle_edit import three_line_sets


@pytest.fixture
def frontends(
    testbed: TestBed, run_root: Path, request: pytest.FixtureRequest
) -> Iterator[FrontendRunner]:
    runner = FrontendRunner(testbed, run_root / "frontend" / request.node.name)
    try:
        yield runner
    finally:
        runner.stop_all()


@pytest.fixture(scope="session")
def tle_sets() -> dict[str, list[str]]:
    return three_line_sets(tle_file("earth-observation.tle"))


@pytest.fixture
def elements_file(tmp_path: Path, tle_sets: dict[str, list[str]]) -> Callable[[str], Path]:
    """``elements_file("TERRA")``: a file with that satellite's TLE."""

    def write(name: str) -> Path:
        path = tmp_path / f"{name.lower().replace(' ', '-')}.tle"
        path.write_text("\n".join(tle_sets[name]) + "\n")
        return path

    return write


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launch_chromium() as chromium:
        yield chromium


@dataclass
class WatchedPage:
    """A page with what it logged and asked for."""

    page: Page
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def card_values(self, satellite: str) -> str:
        return self.page.inner_text(f'.card[data-satellite="{satellite}"] .card-values')

    def satellites_shown(self) -> list[str]:
        shown: list[str] = self.page.eval_on_selector_all(
            ".card", "cards => cards.map(card => card.dataset.satellite)"
        )
        return shown

    def graph_traces(self, graph_id: str) -> list[dict[str, object]]:
        """The traces plotly.js draws in a graph: name and number of points."""
        traces: list[dict[str, object]] = self.page.evaluate(
            """id => (document.querySelector('#' + id + ' .js-plotly-plot')?.data || [])
                .map(t => ({name: t.name, type: t.type, points: (t.lon || t.x || []).length}))""",
            graph_id,
        )
        return traces


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[[str], WatchedPage]]:
    opened: list[WatchedPage] = []

    def open_(url: str) -> WatchedPage:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        watched = WatchedPage(context.new_page())

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                watched.console_errors.append(message.text)

        def on_request(request: Request) -> None:
            watched.requests.append(request.url)

        watched.page.on("console", on_console)
        watched.page.on("pageerror", lambda error: watched.console_errors.append(str(error)))
        watched.page.on("request", on_request)
        watched.page.goto(url)
        opened.append(watched)
        return watched

    try:
        yield open_
    finally:
        for watched in opened:
            watched.page.context.close()
