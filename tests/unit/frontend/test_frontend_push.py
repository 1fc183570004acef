"""Server push: one encoded update per tick for every page in the same state, a redraw when
the view changes, and a stream that survives bad queries and stalled pages."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from flask.testing import FlaskClient
from satfeed_core.batch import PositionBatch
from satfeed_core.labels import ENCODING_BATCH_V2
from satfeed_frontend.app import create_app
from satfeed_frontend.callbacks import draw_page
from satfeed_frontend.data.catalogue import Catalogue
from satfeed_frontend.data.feed import FeedState, TopicInfo
from satfeed_frontend.metrics import FrontendMetrics, Sessions
from satfeed_frontend.push import MAX_QUEUED, REDRAW, RETRY, Broadcaster, Stream
from satfeed_frontend.service import FrontendService
from satfeed_frontend.ticks import UpdateSettings, draw
from werkzeug.datastructures import MultiDict

from tests.unit.frontend.frontend_samples import T0, no_predictions, position

SETTINGS = UpdateSettings("one", timedelta(seconds=5), 180, no_predictions)


def feed_of(satellites: int, seconds: int) -> FeedState:
    feed = FeedState(180)
    feed.set_topics(TopicInfo(f"t{i}", f"KafkaTopic ns/s{i}") for i in range(satellites))
    for second in range(seconds):
        for i in range(satellites):
            feed.add(f"t{i}", position(f"s{i}", second, norad_id=100 + i))
    return feed


def broadcaster(feed: FeedState) -> tuple[Broadcaster, Sessions]:
    sessions = Sessions()
    return Broadcaster(feed, SETTINGS, lambda now: "", sessions, FrontendMetrics()), sessions


def drawn_cursor(feed: FeedState, selection: Sequence[str] = ()) -> object:
    """The cursor a whole drawing hands the page, as the page sends it back."""
    return draw(feed, SETTINGS, selection, T0).cursor.to_store()


def queued(stream: Stream) -> list[bytes | None]:
    items = []
    while not stream.queue.empty():
        items.append(stream.queue.get_nowait())
    return items


def data(message: bytes | None) -> dict[str, object]:
    assert message is not None
    assert message.startswith(b"data: ")
    assert message.endswith(b"\n\n")
    decoded: dict[str, object] = json.loads(message[len(b"data: ") :])
    return decoded


def test_pages_in_the_same_state_get_the_same_bytes_built_once() -> None:
    feed = feed_of(30, 5)
    push, sessions = broadcaster(feed)
    cursor = drawn_cursor(feed)
    pages = [Stream(f"page-{i}", (), (), cursor) for i in range(10)]
    picky = Stream("picky", ("s1",), (), drawn_cursor(feed, ["s1"]))
    for stream in [*pages, picky]:
        push.open(stream)
    for i in range(30):
        feed.add(f"t{i}", position(f"s{i}", 5, norad_id=100 + i))
    push.tick(T0 + timedelta(seconds=5, milliseconds=50))

    messages = [queued(stream) for stream in pages]
    assert all(len(each) == 1 for each in messages)
    assert all(each[0] is messages[0][0] for each in messages)  # one object, written 10 times
    update = data(messages[0][0])
    assert update["seq"] == feed.snapshot().head
    map_extension = update["map"]
    assert isinstance(map_extension, list)
    assert len(map_extension[1]) == 2 * 30  # a past track and a marker per satellite
    assert len(messages[0][0] or b"") < 1024 * 30  # under 1 KB per satellite
    (own,) = queued(picky)
    only_s1 = data(own)["map"]
    assert isinstance(only_s1, list)
    assert only_s1[1] == [1 + 0, 1 + 2]  # after the catalogue: s1's past track and marker
    assert sessions.active() == 11

    # Nothing new within the second: nothing sent. Then ages move on: a small refresh.
    push.tick(T0 + timedelta(seconds=5, milliseconds=300))
    assert queued(pages[0]) == []
    push.tick(T0 + timedelta(seconds=6, milliseconds=100))
    refresh = data(queued(pages[0])[0])
    assert refresh["map"] is None
    assert "Live: 30 satellites" in str(refresh["status"])


def test_a_new_view_asks_the_page_to_redraw_and_ends_the_stream() -> None:
    feed = feed_of(2, 3)
    push, _ = broadcaster(feed)
    stream = Stream("page", (), (), drawn_cursor(feed))
    push.open(stream)
    feed.set_topics([TopicInfo("t0", "KafkaTopic ns/s0")])  # s1's KafkaTopic went
    push.tick(T0 + timedelta(seconds=3))
    assert queued(stream) == [REDRAW, None]
    assert push.count() == 0


@pytest.mark.parametrize(
    "cursor", [None, "garbage", {"instance": "another process", "view": "v", "seq": 1, "sent": 0}]
)
def test_a_page_without_a_valid_drawing_is_asked_to_redraw(cursor: object) -> None:
    feed = feed_of(1, 3)
    push, _ = broadcaster(feed)
    stream = Stream("page", (), (), cursor)
    push.open(stream)
    push.tick(T0 + timedelta(seconds=3))
    assert queued(stream) == [REDRAW, None]


def test_a_stalled_page_is_let_go_and_catches_up_when_it_reconnects() -> None:
    feed = feed_of(1, 1)
    push, _ = broadcaster(feed)
    stalled = Stream("stalled", (), (), drawn_cursor(feed))
    push.open(stalled)
    for second in range(1, MAX_QUEUED + 2):
        feed.add("t0", position("s0", second, norad_id=100))
        push.tick(T0 + timedelta(seconds=second, milliseconds=50))
    assert push.count() == 0
    assert queued(stalled)[-1] is None  # ended: its request thread returns

    # The page reopens with the cursor it has (its drawing): every missed sample comes in one.
    again = Stream("stalled", (), (), drawn_cursor_at(feed, 1))
    push.open(again)
    push.tick(T0 + timedelta(seconds=MAX_QUEUED + 2))
    altitude = data(queued(again)[0])["altitude"]
    assert isinstance(altitude, list)
    assert len(altitude[0]["y"][0]) == MAX_QUEUED + 1


def drawn_cursor_at(feed: FeedState, seq: int) -> object:
    cursor = drawn_cursor(feed)
    assert isinstance(cursor, dict)
    return {**cursor, "seq": seq}


def test_bad_queries_make_a_stream_that_asks_for_a_redraw() -> None:
    stream = Stream.from_query(
        MultiDict(
            [("cursor", "{not json"), ("session", "x" * 1000)]
            + [("sat", f"s{i}") for i in range(500)]
            + [("overlay", "night"), ("overlay", "<script>"), ("overlay", "night")]
        )
    )
    assert stream.cursor is None
    assert len(stream.session) == 64
    assert len(stream.selection) == 100
    assert stream.overlays == ("<script>", "night")
    deep = "[" * 2000 + "]" * 2000
    assert Stream.from_query(MultiDict([("cursor", deep)])).cursor is None


def test_the_update_stream_is_server_sent_events_from_the_drawn_cursor(
    service: FrontendService,
) -> None:
    client: FlaskClient = create_app(service).server.test_client()
    service.feed.set_topics([TopicInfo("t.terra", "--topics")])
    service.feed.add("t.terra", position())
    cursor = draw_page(service, [], "page", T0)[-1]

    response = client.get(
        "/updates", query_string={"cursor": json.dumps(cursor), "session": "page"}, buffered=False
    )
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    chunks = iter(response.response)
    assert next(chunks) == RETRY
    service.feed.add("t.terra", position(second=1))
    service.push.tick(T0 + timedelta(seconds=1, milliseconds=50))
    chunk = next(chunks)
    assert isinstance(chunk, bytes)
    update = data(chunk)
    cards = update["cards"]
    assert isinstance(cards, dict)
    assert list(cards) == ["terra"]
    assert cards["terra"][1].endswith("18:00:01.000")  # the card's new sample time
    assert "satfeed_frontend_update_streams 1.0" in client.get("/metrics").text

    service.push.stop()  # a shutdown ends every stream
    assert list(chunks) == []
    response.close()
    assert service.push.count() == 0


def events(stream: Stream) -> list[tuple[str, dict[str, Any]]]:
    """What a stream was sent, as (event, decoded data)."""
    out = []
    for message in queued(stream):
        assert message is not None
        head, _, body = message.partition(b"data: ")
        kind = head.removeprefix(b"event: ").strip().decode() or "message"
        out.append((kind, json.loads(body)))
    return out


def test_every_page_gets_the_roster_once_then_one_frame_per_tick_built_once() -> None:
    feed = FeedState(180)
    group = TopicInfo("g", "--group-topics", "Cat", encoding=ENCODING_BATCH_V2, group="cat")
    feed.set_topics([group])
    cat = Catalogue(feed)
    cat.set_topics([group])
    push = Broadcaster(feed, SETTINGS, lambda now: "", Sessions(), FrontendMetrics(), catalogue=cat)
    ids = np.arange(1, 1001, dtype=np.uint32)

    def tick(second: int) -> None:
        cat.add_batch("g", batch_at(ids, second))
        push.tick(T0 + timedelta(seconds=second, milliseconds=50))

    cursor = drawn_cursor(feed)
    pages = [Stream(f"page-{i}", (), (), cursor) for i in range(3)]
    for page in pages:
        push.open(page)
    tick(0)
    first = [events(page) for page in pages]
    assert [[kind for kind, _ in each] for each in first] == [["roster", "message"]] * 3
    roster, update = first[0][0][1], first[0][1][1]
    assert (roster["from"], roster["n"], len(roster["names"])) == (0, 1000, 1000)
    frame = update["frame"]
    assert (frame["g"], frame["n"]) == (roster["g"], 1000)
    assert len(base64.b64decode(frame["p"])) == 4 * 1000
    # The next tick: the frame alone (nothing else is detailed), the same bytes for all.
    tick(1)
    second = [queued(page) for page in pages]
    assert all(len(each) == 1 and each[0] is second[0][0] for each in second)
    assert b"roster" not in (second[0][0] or b"")
    assert len(second[0][0] or b"") < 8 * 1000  # under 8 bytes an object
    # Nothing moved: nothing is sent (within the second).
    push.tick(T0 + timedelta(seconds=1, milliseconds=300))
    assert [queued(page) for page in pages] == [[], [], []]
    # A page reconnecting with the roster it has gets only the latest frame.
    again = Stream("page-0", (), (), cursor, roster=(roster["g"], 1000))
    push.open(again)
    push.tick(T0 + timedelta(seconds=1, milliseconds=400))
    assert [kind for kind, _ in events(again)] == ["message"]


def test_a_query_names_the_roster_the_page_has() -> None:
    stream = Stream.from_query(MultiDict([("roster", "1234:56")]))
    assert stream.roster == (1234, 56)
    for bad in ("", "x:1", "1:", "1" * 30 + ":1"):
        assert Stream.from_query(MultiDict([("roster", bad)])).roster is None


def batch_at(ids: np.ndarray, second: int) -> PositionBatch:
    n = len(ids)
    return PositionBatch(
        shard=0,
        time_ms=round(T0.timestamp() * 1000) + 1000 * second,
        norad_id=ids,
        lon_deg=np.full(n, float(second), dtype=np.float32),
        lat_deg=np.zeros(n, dtype=np.float32),
        alt_km=np.full(n, 550.0, dtype=np.float32),
        speed_km_s=np.full(n, 7.6, dtype=np.float32),
        elements_epoch_s=np.full(n, int(T0.timestamp()), dtype=np.uint32),
    )
