"""A SatelliteGroup of thousands of objects and two Satellites on one page, in Chromium: every
object in one WebGL trace moving each second, a member found by its NORAD id and shown like
a Satellite, the pick kept in the URL, a group's layer hidden and shown."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from satfeed_core.elements import Elements
from satfeed_dev.catalogue_feed import CatalogueFeed, catalogue, snapshot_offset
from satfeed_dev.frontend_bed import (
    FrontendRunner,
    RunningFrontend,
    create_ready_topic,
    grant_reader,
    group_elements_configmaps,
    group_kafkatopic,
    kafkatopic,
)
from satfeed_dev.testbed import TestBed
from satfeed_dev.waiting import wait_for

from tests.integration.frontend.conftest import WatchedPage

pytestmark = pytest.mark.integration

MEMBERS = 3000
SHARDS = 2
GROUP = "debris"
LAYER = "Debris and friends"
SATELLITES = {"terra": "TERRA", "aqua": "AQUA"}

CATALOGUE_POINTS = """() => {
  const trace = (document.querySelector('#map .js-plotly-plot')?.data || [])[0];
  if (!trace || trace.uid !== 'catalogue') return null;
  const x = Array.from(trace.x || []);
  return {count: x.length, drawn: x.filter(v => Number.isFinite(v)).length, x: x,
          stats: window.satfeedStats};
}"""


@dataclass
class Scene:
    frontend: RunningFrontend
    members: list[Elements]
    feed: CatalogueFeed
    flying: int
    """Members with a position (SGP4 places all but the odd decayed one)."""

    @property
    def objects(self) -> int:
        return self.flying + len(SATELLITES)


@pytest.fixture
def scene(
    testbed: TestBed,
    namespace: str,
    frontends: FrontendRunner,
    elements_file: Callable[[str], Path],
) -> Iterator[Scene]:
    """A group of 3,000 catalogue objects in two shards (position batches written at 1 Hz,
    its KafkaTopic labelled as the operator labels a group's, its members' elements in
    ConfigMaps) and two Satellites fed by real producers."""
    members = [m for m in catalogue(MEMBERS + 10) if m.norad_id not in (25994, 27424)][:MEMBERS]
    for configmap in group_elements_configmaps(GROUP, namespace, members):
        testbed.kube.apply(configmap)
    topic = create_ready_topic(
        testbed, group_kafkatopic(GROUP, namespace, partitions=SHARDS, display_name=LAYER)
    )
    feed = CatalogueFeed(
        testbed.kafka.bootstrap_servers,
        topic,
        members,
        SHARDS,
        propagate_earlier=snapshot_offset(members),
    )
    feed.backfill(2)
    feed.start()
    try:
        for satellite, tle_name in SATELLITES.items():
            kt = kafkatopic(satellite, namespace, display_name=tle_name, satellite=satellite)
            satellite_topic = create_ready_topic(testbed, kt)
            frontends.start_producer(
                satellite_topic, satellite, elements_file(tle_name), "--backfill", "10"
            )
        frontend = frontends.start(
            kubeconfig=grant_reader(testbed.kube, namespace, elements=True),
            namespaces=[namespace],
        )
        flying = sum(len(batch) for batch in feed.batches(datetime.now(UTC)))
        yield Scene(frontend, members, feed, flying)
    finally:
        feed.stop()


def catalogue_points(page: WatchedPage) -> dict[str, object] | None:
    points: dict[str, object] | None = page.page.evaluate(CATALOGUE_POINTS)
    return points


class Points(dict[str, object]):
    """What the catalogue trace holds; false until it holds what is awaited (and then shown
    as its counts, when a wait times out)."""

    def __init__(self, points: dict[str, object] | None, ok: bool) -> None:
        super().__init__(points or {})
        self.ok = ok

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return repr({k: v for k, v in self.items() if k != "x"})


def every_object_drawn(page: WatchedPage, total: int, hidden: int = 0) -> Points:
    points = catalogue_points(page) or {}
    ok = points.get("count") == total and points.get("drawn") == total - hidden
    return Points(points, ok)


def test_every_object_is_a_point_of_one_trace_that_moves_every_second(
    scene: Scene, open_page: Callable[[str], WatchedPage]
) -> None:
    page = open_page(scene.frontend.url)
    wait_for(lambda: every_object_drawn(page, scene.objects), 60, "every object on the map")
    # One WebGL trace for the 3,000-odd objects; the two Satellites (nothing picked, and few of
    # them) with a card and their tracks as before.
    traces = page.graph_traces("map")
    assert [t["type"] for t in traces[:1]] == ["scattergl"]
    assert sum(t["type"] == "scattergl" for t in traces) == 1
    wait_for(lambda: sorted(page.satellites_shown()) == sorted(SATELLITES), 30, "their cards")

    # The points move every second: a member's and a Satellite's longitude, tick after tick.
    def longitudes() -> tuple[float, float]:
        points = catalogue_points(page)
        assert points is not None
        x = points["x"]
        assert isinstance(x, list)
        return x[0], x[-1]

    def moved_since(before: tuple[float, float]) -> Callable[[], bool]:
        return lambda: all(now != then for now, then in zip(longitudes(), before, strict=True))

    for second in range(3):
        wait_for(
            moved_since(longitudes()), 1.6, f"every point to move (second {second})", interval=0.05
        )

    status = page.page.inner_text("#status")
    assert status.startswith(f"Live: 2 satellites, {LAYER} {scene.flying:,} objects"), status
    assert scene.frontend.metric("satfeed_frontend_objects") == scene.objects
    # A tick's batches from both shards go out as one update: the page was not asked to
    # draw anew, and nothing was fetched from another host.
    assert page.console_errors == []
    elsewhere = [url for url in page.requests if not url.startswith(scene.frontend.url)]
    assert elsewhere == [], "the page loaded something from another host"


def test_a_member_found_by_its_norad_id_gets_a_card_tracks_and_the_url_keeps_it(
    scene: Scene, open_page: Callable[[str], WatchedPage]
) -> None:
    member = next(m for m in scene.members[1500:] if m.name)
    label = f"{member.name} · NORAD {member.norad_id}"
    card = f'.card[data-norad="{member.norad_id}"]'
    page = open_page(scene.frontend.url)
    wait_for(lambda: every_object_drawn(page, scene.objects), 60, "every object on the map")

    page.page.click("#select")
    page.page.fill(".dash-dropdown-search", str(member.norad_id))
    page.page.get_by_text(label, exact=True).click()
    page.page.click("h1")  # close the picker, which hands over its value
    page.page.wait_for_selector(card, timeout=20_000)
    assert member.name in page.page.inner_text(card)
    assert f"sat={member.norad_id}" in page.page.url
    # Only the pick is detailed now: its card, its past track growing from the pick on, and
    # its orbit ahead from the group's elements ConfigMaps; its altitude on the plot.
    wait_for(lambda: page.satellites_shown() == [f"norad-{member.norad_id}"], 20, "one card")

    def predicted() -> int:
        named = {str(t["name"]): int(str(t["points"])) for t in page.graph_traces("map")[1:]}
        return named.get(f"{member.name} (predicted)", 0)

    assert wait_for(predicted, 20, "the predicted orbit") > 100
    wait_for(
        lambda: [t["name"] for t in page.graph_traces("altitude")] == [member.name],
        20,
        "its altitude",
    )
    values = page.card_values(f"norad-{member.norad_id}")
    wait_for(lambda: page.card_values(f"norad-{member.norad_id}") != values, 5, "live values")

    # The link restores the pick on a page of its own.
    shared = open_page(page.page.url)
    shared.page.wait_for_selector(card, timeout=30_000)
    assert shared.satellites_shown() == [f"norad-{member.norad_id}"]
    assert shared.page.inner_text("#select").count("NORAD") == 1, "the picker names the pick"
    assert page.console_errors == shared.console_errors == []


def test_a_groups_layer_hides_and_shows_and_the_url_keeps_it(
    scene: Scene, open_page: Callable[[str], WatchedPage]
) -> None:
    page = open_page(scene.frontend.url)
    wait_for(lambda: every_object_drawn(page, scene.objects), 60, "every object on the map")
    layer = page.page.get_by_label(LAYER)
    assert layer.is_checked()
    assert page.page.get_by_label("Satellites").is_checked()

    layer.uncheck()
    wait_for(
        lambda: every_object_drawn(page, scene.objects, hidden=scene.flying),
        10,
        "only the two Satellites",
    )
    wait_for(lambda: "hide=" in page.page.url, 10, "the hidden layer in the URL")
    assert re.search(r"hide=Debris(\+|%20)and(\+|%20)friends", page.page.url), page.page.url
    # Hidden, the group's points stay hidden as new frames come.
    frames = page.page.evaluate("window.satfeedStats.applied")
    wait_for(lambda: page.page.evaluate("window.satfeedStats.applied") > frames + 1, 5, "frames")
    assert every_object_drawn(page, scene.objects, hidden=scene.flying)

    # A page opened from the link starts with the group hidden.
    shared = open_page(page.page.url)
    wait_for(
        lambda: every_object_drawn(shared, scene.objects, hidden=scene.flying),
        60,
        "the link's hidden layer",
    )
    assert not shared.page.get_by_label(LAYER).is_checked()

    layer.check()
    wait_for(lambda: every_object_drawn(page, scene.objects), 10, "every object again")
    wait_for(lambda: "hide=" not in page.page.url, 10, "the URL without the hidden layer")
    assert page.console_errors == shared.console_errors == []
