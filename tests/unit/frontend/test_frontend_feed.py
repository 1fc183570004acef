"""The in-memory feed: bounded per-satellite histories, read as copies by request threads."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from satfeed_frontend.data.feed import FeedState, TopicInfo

from tests.unit.frontend.frontend_samples import position


def feed_with(*topics: str, capacity: int = 5, window: timedelta | None = None) -> FeedState:
    feed = FeedState(capacity, window)
    feed.set_topics(TopicInfo(topic, f"KafkaTopic ns/{topic}") for topic in topics)
    return feed


def test_each_satellite_keeps_only_its_newest_records() -> None:
    feed = feed_with("a")
    for second in range(12):
        feed.add("a", position("terra", second))
        feed.add("a", position("aqua", second, norad_id=27424))
    tracks = {t.satellite: t for t in feed.snapshot().tracks}
    assert set(tracks) == {"terra", "aqua"}
    seconds = [s.record.time.second for s in tracks["terra"].samples]
    assert seconds == [7, 8, 9, 10, 11]
    assert tracks["terra"].latest.record.time.second == 11


def test_a_reader_gets_only_what_is_newer_than_its_cursor() -> None:
    feed = feed_with("a")
    for second in range(3):
        feed.add("a", position(second=second))
    head = feed.snapshot().head
    feed.add("a", position(second=3))
    feed.add("a", position(second=4))
    (track,) = feed.snapshot(after=head).tracks
    assert [s.record.time.second for s in track.samples] == [3, 4]
    assert track.before is not None
    assert track.before.record.time.second == 2
    (same,) = feed.snapshot(after=feed.snapshot().head).tracks
    assert same.samples == ()
    assert same.latest.record.time.second == 4


def test_replayed_and_unknown_topic_records_are_not_kept() -> None:
    feed = feed_with("a")
    assert feed.add("a", position(second=5))
    assert not feed.add("a", position(second=5)), "a replayed record was kept twice"
    assert not feed.add("a", position(second=4))
    assert not feed.add("elsewhere", position(second=6))
    (track,) = feed.snapshot().tracks
    assert len(track.samples) == 1


def test_a_topic_that_goes_takes_its_satellites_and_problems_with_it() -> None:
    feed = feed_with("a", "b")
    feed.add("a", position("terra"))
    feed.add("b", position("aqua"))
    feed.set_topic_problem("a", "does not exist in Kafka")
    before = feed.snapshot().structure
    feed.set_topics([TopicInfo("b", "KafkaTopic ns/b")])
    snapshot = feed.snapshot()
    assert [t.satellite for t in snapshot.tracks] == ["aqua"]
    assert snapshot.status.topic_problems == {}
    assert snapshot.structure != before


def test_display_name_comes_from_the_topic_then_the_record() -> None:
    feed = FeedState(5)
    feed.set_topics([TopicInfo("a", "x", display_name="Terra (EOS AM-1)"), TopicInfo("b", "y")])
    feed.add("a", position("terra"))
    feed.add("b", position("aqua", name="AQUA"))
    names = {t.satellite: t.display_name for t in feed.snapshot().tracks}
    assert names == {"terra": "Terra (EOS AM-1)", "aqua": "AQUA"}


def test_topics_without_records_are_listed_as_waiting() -> None:
    feed = feed_with("a", "b")
    feed.add("a", position())
    assert [info.topic for info in feed.snapshot().waiting_topics()] == ["b"]


def test_a_time_window_drops_older_records() -> None:
    feed = feed_with("a", capacity=100, window=timedelta(seconds=10))
    for second in range(0, 30, 2):
        feed.add("a", position(second=second))
    (track,) = feed.snapshot().tracks
    assert [s.record.time.second for s in track.samples] == [18, 20, 22, 24, 26, 28]


def test_an_outage_keeps_its_start_time() -> None:
    feed = feed_with("a")
    first, later = position(second=0).time, position(second=30).time
    feed.set_kafka_problem("Kafka is unreachable", first)
    feed.set_kafka_problem("Kafka is unreachable", later)
    assert feed.snapshot().status.kafka_problem_since == first
    feed.set_kafka_problem(None, later)
    assert feed.snapshot().status.kafka_problem is None


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        FeedState(0)


def test_readers_see_whole_updates_while_a_writer_appends() -> None:
    feed = feed_with("a", capacity=50)
    stop = threading.Event()
    problems: list[str] = []

    def read() -> None:
        while not stop.is_set():
            for track in feed.snapshot().tracks:
                seqs = [s.seq for s in track.samples]
                if seqs != sorted(seqs) or len(seqs) > 50:
                    problems.append(f"inconsistent copy: {seqs}")

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        for second in range(3000):
            feed.add("a", position(second=second / 10))
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert problems == []
    (track,) = feed.snapshot().tracks
    assert len(track.samples) == 50


def cadence_after(seconds: list[float], capacity: int = 180, window_s: float = 0) -> object:
    feed = feed_with(
        "a", capacity=capacity, window=timedelta(seconds=window_s) if window_s else None
    )
    for second in seconds:
        feed.add("a", position(second=second))
    (track,) = feed.snapshot().tracks
    return track.cadence


def test_the_cadence_is_the_sampling_interval_whatever_the_outages() -> None:
    minute = timedelta(minutes=1)
    assert cadence_after([0, 60, 120]) == minute
    # An outage leaves a gap of many intervals: the interval stays what it was.
    assert cadence_after([0, 60, 120, 900, 960]) == minute
    # One pair of consecutive samples anywhere is enough.
    assert cadence_after([0, 600, 660, 1800]) == minute
    assert cadence_after([0]) is None  # one record tells nothing yet


def test_the_cadence_follows_the_kept_history_only() -> None:
    # Sampled every second, then every minute: once the 1 s gaps have left the history
    # (capacity 3 records, or a 200 s window), the cadence is a minute.
    assert cadence_after([0, 1, 2, 62, 122], capacity=3) == timedelta(minutes=1)
    assert cadence_after([0, 1, 2, 62, 122], capacity=4) == timedelta(seconds=1)
    assert cadence_after([0, 1, 2, 62, 122, 182, 242], window_s=200) == timedelta(minutes=1)


def test_the_newest_position_per_satellite_is_what_the_stalled_alert_reads() -> None:
    feed = FeedState(5)
    feed.set_topics(
        [
            TopicInfo("t-terra", "KafkaTopic space/terra", satellite_ref=("space", "terra")),
            TopicInfo("by-name", "--topics"),
        ]
    )
    feed.add("t-terra", position("terra", second=0))
    feed.add("t-terra", position("terra", second=5))
    feed.add("by-name", position("aqua", second=9))
    [(namespace, satellite, when)] = feed.newest_positions()
    assert (namespace, satellite) == ("space", "terra")
    assert when == position("terra", second=5).time
