"""What a page is sent: a whole drawing for a new view, then only what is new, sized by the
news alone (not by the history)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest
from satfeed_frontend.callbacks import (
    options,
    picked_or_linked,
    selection_from_search,
)
from satfeed_frontend.data.feed import FeedState, TopicInfo
from satfeed_frontend.ticks import (
    REDRAW,
    FullDraw,
    Increment,
    Redraw,
    UpdateSettings,
    draw,
    update,
)

from tests.unit.frontend.frontend_samples import T0, no_predictions, position

STALE = timedelta(seconds=5)


def fill(feed: FeedState, satellites: int, seconds: range) -> None:
    for second in seconds:
        for i in range(satellites):
            feed.add(f"t{i}", position(f"s{i}", second, lon=(second % 360) - 180, norad_id=100 + i))


def new_feed(satellites: int, history: int = 180) -> FeedState:
    feed = FeedState(history)
    feed.set_topics(TopicInfo(f"t{i}", f"KafkaTopic ns/s{i}") for i in range(satellites))
    return feed


def settings(feed: FeedState, instance: str = "one") -> UpdateSettings:
    return UpdateSettings(instance, STALE, feed.capacity, no_predictions)


def ask(
    feed: FeedState,
    cursor: object,
    now: datetime,
    selection: Sequence[str] = (),
    instance: str = "one",
) -> FullDraw | Increment | Redraw | None:
    """What the page is sent: as Dash draws it (without a cursor), else as the update
    stream does."""
    if cursor is None:
        return draw(feed, settings(feed, instance), selection, now)
    return update(feed, settings(feed, instance), cursor, selection, now)


def size(result: FullDraw | Increment) -> int:
    if isinstance(result, FullDraw):
        parts: list[object] = [
            result.map_figure,
            result.altitude_figure,
            result.ground_figure,
            result.cards,
        ]
    else:
        parts = [
            result.map_extension,
            result.altitude_extension,
            result.ground_extension,
            result.cards,
        ]
    # Compact JSON, as Dash and the update stream send it.
    body = json.dumps(
        [*parts, result.status, result.cursor.to_store()],
        separators=(",", ":"),
        default=lambda value: value.to_plotly_json(),
    )
    return len(body.encode())


def test_the_first_drawing_has_everything_then_only_news_is_sent() -> None:
    feed = new_feed(3)
    fill(feed, 3, range(100))
    now = T0 + timedelta(seconds=99.1)  # just after the newest record
    first = ask(feed, None, now)
    assert isinstance(first, FullDraw)
    assert [len(trace["x"]) for trace in first.map_figure["data"][1:4]] == [100] * 3
    cursor = first.cursor.to_store()
    # Nothing new yet, and the page is fresh: nothing is sent.
    assert ask(feed, cursor, now + timedelta(milliseconds=150)) is None
    fill(feed, 3, range(100, 101))
    second = ask(feed, cursor, now + timedelta(milliseconds=500))
    assert isinstance(second, Increment)
    assert second.map_extension is not None
    assert [len(points) for points in second.map_extension[0]["x"]] == [1, 1] * 3


@pytest.mark.parametrize("satellites", [3, 30])
def test_an_update_is_under_1_kb_per_satellite_whatever_the_history(satellites: int) -> None:
    sizes = []
    now = T0 + timedelta(seconds=1000)
    for history in (10, 180):
        feed = new_feed(satellites, history)
        fill(feed, satellites, range(1000 - history, 1000))
        drawn = ask(feed, None, now)
        assert isinstance(drawn, FullDraw)
        fill(feed, satellites, range(1000, 1001))
        update = ask(feed, drawn.cursor.to_store(), now + timedelta(seconds=1))
        assert isinstance(update, Increment)
        sizes.append(size(update))
    # 18 times the history: only digits of counters and limits differ.
    assert sizes[1] < sizes[0] * 1.05, f"an update grew with the history: {sizes}"
    assert sizes[1] / satellites < 1024


def test_the_page_refreshes_ages_during_an_outage_without_news() -> None:
    feed = new_feed(1)
    fill(feed, 1, range(5))
    drawn = ask(feed, None, T0 + timedelta(seconds=5))
    assert isinstance(drawn, FullDraw)
    feed.set_kafka_problem("Kafka is unreachable", T0 + timedelta(seconds=6))
    later = ask(feed, drawn.cursor.to_store(), T0 + timedelta(seconds=40))
    assert isinstance(later, Increment)
    assert later.status.startswith("Stale: Kafka is unreachable for 34 s (since 18:00:06 UTC)")
    assert later.map_extension is None  # no news: nothing is appended
    assert later.cards["s0"][1].endswith("no data for 36 s")


def test_a_new_view_or_a_restarted_server_draws_the_page_anew() -> None:
    feed = new_feed(2)
    fill(feed, 2, range(3))
    now = T0 + timedelta(seconds=3)
    drawn = ask(feed, None, now)
    assert isinstance(drawn, FullDraw)
    cursor = drawn.cursor.to_store()
    picked = ask(feed, cursor, now, selection=["s1"])
    assert picked is REDRAW
    redrawn = ask(feed, None, now, selection=["s1"])
    assert isinstance(redrawn, FullDraw)
    assert [trace["name"] for trace in redrawn.altitude_figure["data"]] == ["TERRA"]
    assert len(redrawn.tracks) == 1  # the picker names the pick (the search finds the rest)
    assert ask(feed, cursor, now, instance="restarted") is REDRAW
    feed.set_topics([TopicInfo("t0", "KafkaTopic ns/s0")])  # s1's KafkaTopic went
    assert ask(feed, cursor, now) is REDRAW
    gone = ask(feed, None, now)
    assert isinstance(gone, FullDraw)
    assert len(gone.map_figure["data"]) == 1 + 3
    assert ask(feed, {"garbage": True}, now) is REDRAW


def test_selection_by_satellite_name_or_norad_number() -> None:
    feed = new_feed(3)
    fill(feed, 3, range(2))
    drawn = ask(feed, None, T0, selection=["s0", "102"])
    assert isinstance(drawn, FullDraw)
    assert len(drawn.altitude_figure["data"]) == 2


def test_status_names_topics_without_records_and_their_problems() -> None:
    feed = new_feed(3)
    fill(feed, 1, range(2))
    feed.set_topic_problem("t2", "does not exist in Kafka")
    feed.set_discovery_problem("secret", "forbidden to list KafkaTopics in namespace 'secret'")
    drawn = ask(feed, None, T0)
    assert isinstance(drawn, FullDraw)
    assert drawn.status == (
        "Live: 1 satellites · waiting for records from KafkaTopic ns/s1 (topic t1) · "
        "t2: does not exist in Kafka · secret: forbidden to list KafkaTopics in namespace 'secret'"
    )


def test_the_url_keeps_the_selection() -> None:
    assert selection_from_search("?sat=terra&sat=25544") == ["terra", "25544"]
    assert selection_from_search("?sat=terra,aqua") == ["terra", "aqua"]
    assert selection_from_search("") == []
    assert picked_or_linked("?sat=aqua", None) == ["aqua"]  # a page's first drawing: the link
    assert picked_or_linked("?sat=aqua", ["terra"]) == ["terra"]  # then the picker
    assert picked_or_linked("?sat=aqua", []) == []  # everything picked off: all shown


def test_picker_names_the_picks_and_keeps_picks_without_data() -> None:
    # Only what is picked: the search offers the rest from the roster, in the browser.
    feed = new_feed(2)
    fill(feed, 2, range(1))
    drawn = ask(feed, None, T0, selection=["s0", "101", "gone"])
    assert isinstance(drawn, FullDraw)
    entries = options(drawn.tracks, ["s0", "101", "gone"])
    assert entries == [
        {"label": "TERRA · NORAD 100", "value": "s0"},
        {"label": "TERRA · NORAD 101", "value": "s1"},
        {"label": "gone (no data)", "value": "gone"},
    ]
