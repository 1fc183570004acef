"""The page in Chromium: live, local, error-free, and still 1 Hz with ten pages open."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path

import pytest
from satfeed_dev.frontend_bed import (
    FrontendRunner,
    RunningFrontend,
    create_ready_topic,
    grant_reader,
    kafkatopic,
)
from satfeed_dev.testbed import TestBed
from satfeed_dev.waiting import wait_for
from satfeed_frontend.service import PREDICTION_REFRESH

from tests.integration.frontend.conftest import WatchedPage

pytestmark = pytest.mark.integration

SATELLITES = {"terra": "TERRA", "aqua": "AQUA", "noaa-19": "NOAA 19"}


@pytest.fixture
def live_frontend(
    testbed: TestBed,
    namespace: str,
    frontends: FrontendRunner,
    elements_file: Callable[[str], Path],
) -> RunningFrontend:
    """A frontend showing three satellites, each fed by a real producer at 1 Hz."""
    for satellite, tle_name in SATELLITES.items():
        topic = create_ready_topic(testbed, kafkatopic(satellite, namespace, display_name=tle_name))
        frontends.start_producer(topic, satellite, elements_file(tle_name), "--backfill", "60")
    return frontends.start(kubeconfig=grant_reader(testbed.kube, namespace), namespaces=[namespace])


def sample_time(page: WatchedPage, satellite: str) -> datetime:
    """The "Sample" line of a card: when the shown position was sampled."""
    sampled = page.card_values(satellite).splitlines()[-1].split(" ")[0]
    return datetime.strptime(sampled, "%H:%M:%S.%f")


def all_cards(page: WatchedPage) -> bool:
    return sorted(page.satellites_shown()) == sorted(SATELLITES)


def test_the_page_is_live_complete_local_and_error_free(
    live_frontend: RunningFrontend, open_page: Callable[[str], WatchedPage], run_root: Path
) -> None:
    page = open_page(live_frontend.url)
    wait_for(lambda: all_cards(page), 30, "a card per satellite")

    # Card values change every second (once the page has loaded, which takes a moment).
    def changed_since(before: str) -> Callable[[], bool]:
        return lambda: page.card_values("terra") != before

    wait_for(changed_since(page.card_values("terra")), 10, "the first update")
    for second in range(5):
        wait_for(changed_since(page.card_values("terra")), 1.5, f"new values (second {second})")

    # The map has every object in one WebGL trace (here the three satellites), then a past
    # track, a prediction and a marker per satellite; the plots a line each.
    catalogue, *traces = page.graph_traces("map")
    assert (catalogue["type"], catalogue["points"]) == ("scattergl", len(SATELLITES))
    assert len(traces) == 3 * len(SATELLITES)
    markers = traces[2 * len(SATELLITES) :]
    assert sorted(str(t["name"]) for t in markers) == sorted(SATELLITES.values())
    assert all(t["points"] == 1 for t in markers)
    assert all(int(str(t["points"])) >= 60 for t in traces[: len(SATELLITES)])  # backfilled
    assert len(page.graph_traces("altitude")) == len(SATELLITES)
    assert len(page.graph_traces("ground")) == len(SATELLITES)

    screenshot = run_root / "artifacts" / "frontend-dashboard.png"
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    page.page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.read_bytes().startswith(b"\x89PNG")

    assert page.console_errors == []
    elsewhere = [url for url in page.requests if not url.startswith(live_frontend.url)]
    assert elsewhere == [], "the page loaded something from another host"


def test_the_url_keeps_the_selection(
    live_frontend: RunningFrontend, open_page: Callable[[str], WatchedPage]
) -> None:
    page = open_page(live_frontend.url + "?sat=aqua")
    wait_for(lambda: page.satellites_shown() == ["aqua"], 30, "only aqua's card")
    wait_for(
        lambda: [t["name"] for t in page.graph_traces("altitude")] == ["AQUA"],
        10,
        "only aqua's altitude",
    )
    # Picking another satellite (found by its NORAD number) updates the URL, to share the view.
    page.page.click("#select")
    page.page.fill(".dash-dropdown-search", "33591")
    page.page.get_by_text("NOAA 19 · NORAD 33591", exact=True).click()
    page.page.click("h1")  # close the picker, which hands over its value
    wait_for(
        lambda: "sat=noaa-19" in page.page.url,
        20,
        f"the URL to carry the new pick (picker: {page.page.inner_text('#select')!r})",
    )
    wait_for(lambda: sorted(page.satellites_shown()) == ["aqua", "noaa-19"], 10, "both cards")

    # The browser's back button goes back to the previous pick, forward to the next.
    page.page.go_back()
    wait_for(lambda: page.satellites_shown() == ["aqua"], 10, "only aqua's card after back")
    assert page.page.url.endswith("?sat=aqua")
    assert page.page.inner_text("#select").count("NORAD") == 1, "the picker shows the pick"
    page.page.go_forward()
    wait_for(
        lambda: sorted(page.satellites_shown()) == ["aqua", "noaa-19"],
        10,
        "both cards after forward",
    )
    assert "sat=noaa-19" in page.page.url
    assert page.console_errors == []


def test_the_night_side_and_the_footprints_can_be_shown_on_the_map(
    live_frontend: RunningFrontend, open_page: Callable[[str], WatchedPage], run_root: Path
) -> None:
    page = open_page(live_frontend.url)
    wait_for(lambda: all_cards(page), 30, "a card per satellite")
    tracks = 1 + 3 * len(SATELLITES)  # the catalogue, then three traces per satellite
    wait_for(lambda: len(page.graph_traces("map")) == tracks, 10, "the map's tracks")  # no overlays

    page.page.get_by_label("Day and night").check()
    page.page.get_by_label("Visibility footprints").check()
    overlays = 1 + len(SATELLITES)

    def overlay_traces() -> list[dict[str, object]] | None:
        traces = page.graph_traces("map")
        return traces[1 : 1 + overlays] if len(traces) == overlays + tracks else None

    drawn = wait_for(overlay_traces, 10, "the night side and a footprint per satellite")
    assert drawn[0]["name"] == "night"
    assert sorted(str(t["name"]) for t in drawn[1:]) == sorted(
        f"{name} (footprint)" for name in SATELLITES.values()
    )
    # A ring each (broken where it crosses the antimeridian, or closed along a pole it
    # covers), not a growing line.
    ring = range(25, 32)
    assert all(t["points"] in ring for t in drawn[1:])

    # A footprint moves with its satellite.
    def footprint_start() -> float:
        start: float = page.page.evaluate(
            "() => document.querySelector('#map .js-plotly-plot').data[2].x.find(x => x !== null)"
        )
        return start

    before = footprint_start()
    # A deadline, not a speed test: under a full suite's load the page may lag a few ticks.
    wait_for(lambda: footprint_start() != before, 15, "the footprint to move")
    assert all(t["points"] in ring for t in page.graph_traces("map")[2 : 1 + overlays])

    screenshot = run_root / "artifacts" / "frontend-overlays.png"
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    page.page.locator("#map").screenshot(path=str(screenshot))

    page.page.get_by_label("Day and night").uncheck()
    page.page.get_by_label("Visibility footprints").uncheck()
    wait_for(lambda: len(page.graph_traces("map")) == tracks, 10, "the overlays gone")
    assert page.console_errors == []


def test_ten_open_pages_still_update_at_1_hz(
    live_frontend: RunningFrontend, open_page: Callable[[str], WatchedPage]
) -> None:
    pages = [open_page(live_frontend.url) for _ in range(10)]
    for page in pages:
        wait_for(partial(all_cards, page), 60, "every page to show every satellite")
    # Every PREDICTION_REFRESH the predicted tracks are drawn anew, a request each page
    # rightly makes: the window counted below starts where it cannot contain that moment.
    wait_for(lambda: _seconds_to_prediction_refresh() > 45, 60, "45 s before the next prediction")
    first = [sample_time(page, "terra") for page in pages]
    asked_before = [len(page.requests) for page in pages]

    def advanced() -> list[float] | None:
        advances = [
            (sample_time(page, "terra") - t0).total_seconds()
            for page, t0 in zip(pages, first, strict=True)
        ]
        return advances if min(advances) >= 5 else None

    # Counted on the samples' 1 s grid, not in a wall-clock window (ten pages on two cores
    # may lag a tick or two): every page moves on by five samples, well within the deadline.
    wait_for(advanced, 30, "every page to show five newer samples of terra")
    # Pushed over each page's update stream: no request per update.
    asked = [page.requests[n:] for page, n in zip(pages, asked_before, strict=True)]
    assert asked == [[]] * 10, asked
    assert live_frontend.metric("satfeed_frontend_update_streams") == 10
    assert live_frontend.metric("satfeed_frontend_sessions") >= 10
    assert [page.console_errors for page in pages] == [[]] * 10


def _seconds_to_prediction_refresh() -> float:
    period = PREDICTION_REFRESH.total_seconds()
    return period - time.time() % period
