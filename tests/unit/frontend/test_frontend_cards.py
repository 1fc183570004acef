"""The satellites' cards: live values, stale marks, and the ids pushed updates write to."""

from __future__ import annotations

from datetime import timedelta

import pytest
from satfeed_frontend import cards
from satfeed_frontend.data.feed import FeedState, TopicInfo, TrackView
from satfeed_frontend.look_angles import CARD_LOOK

from tests.unit.frontend.frontend_samples import T0, position
from tests.unit.frontend.frontend_samples import sample_tracks as tracks

STALE_AFTER = timedelta(seconds=5)


def test_cards_show_live_values_and_mark_stale_satellites() -> None:
    _, (track,) = tracks(1, 3)
    now = T0 + timedelta(seconds=3)
    values = cards.card_values(track, now, STALE_AFTER).splitlines()
    assert values == ["-168.000°", "20.000°", "705.0 km", "7.500 km/s", "2 d old", "18:00:02.000"]
    assert len(values) == len(cards.CARD_LABELS.splitlines())
    (card,) = cards.cards([track], now, STALE_AFTER)
    assert card.to_plotly_json()["props"]["className"] == "card"  # type: ignore[no-untyped-call]
    later = T0 + timedelta(seconds=62)
    assert cards.card_class(track, later, STALE_AFTER) == "card stale"
    assert cards.card_values(track, later, STALE_AFTER).endswith("no data for 60 s")


def every(interval_s: float, samples: int) -> TrackView:
    """A satellite sampled every ``interval_s`` seconds, last at ``T0``."""
    feed = FeedState(180)
    feed.set_topics([TopicInfo("t", "KafkaTopic ns/sat")])
    for n in range(samples):
        feed.add("t", position(second=(n - samples + 1) * interval_s))
    (track,) = feed.snapshot().tracks
    return track


@pytest.mark.parametrize(
    ("interval_s", "since_s", "stale"),
    [
        (60, 30, False),  # between two records of a satellite sampled each minute
        (60, 170, False),  # two records late: not yet
        (60, 200, True),  # three intervals and more
        (1, 4, False),  # a second-by-second satellite: the 5 s floor holds
        (1, 6, True),
        (10, 29, False),
        (10, 31, True),
    ],
)
def test_staleness_follows_each_satellites_own_cadence(
    interval_s: float, since_s: float, stale: bool
) -> None:
    track = every(interval_s, 5)
    now = T0 + timedelta(seconds=since_s)
    assert cards.is_stale(track, now, STALE_AFTER) is stale
    assert (cards.card_class(track, now, STALE_AFTER) == "card stale") is stale
    assert ("no data for" in cards.card_values(track, now, STALE_AFTER)) is stale


def test_the_stale_limit_is_three_intervals_never_under_the_floor() -> None:
    assert cards.stale_limit(timedelta(minutes=1), STALE_AFTER) == timedelta(minutes=3)
    assert cards.stale_limit(timedelta(seconds=1), STALE_AFTER) == STALE_AFTER
    assert cards.stale_limit(None, STALE_AFTER) == STALE_AFTER  # one record so far
    # A gap from an outage does not stretch it: a satellite sampled each minute that was
    # silent for an hour once is still stale three minutes after its newest record.
    feed = FeedState(180)
    feed.set_topics([TopicInfo("t", "KafkaTopic ns/sat")])
    for second in (-3720, -3660, -60, 0):
        feed.add("t", position(second=second))
    (track,) = feed.snapshot().tracks
    assert not cards.is_stale(track, T0 + timedelta(minutes=2), STALE_AFTER)
    assert cards.is_stale(track, T0 + timedelta(minutes=4), STALE_AFTER)


def card_of(elements_age: timedelta) -> tuple[str, str]:
    """The class and the elements line of a card whose elements were this old at ``T0``."""
    feed = FeedState(180)
    feed.set_topics([TopicInfo("t", "KafkaTopic ns/sat")])
    feed.add("t", position(elements_age=elements_age))
    (track,) = feed.snapshot().tracks
    values = cards.card_values(track, T0, STALE_AFTER).splitlines()
    assert cards.CARD_LABELS.splitlines()[4] == "Elements"
    return cards.card_class(track, T0, STALE_AFTER), values[4]


@pytest.mark.parametrize(
    ("age", "line", "card_class"),
    [
        (timedelta(minutes=20), "0 h old", "card"),
        (timedelta(hours=5, minutes=59), "5 h old", "card"),  # hours under a day
        (timedelta(days=1, hours=23), "1 d old", "card"),
        (timedelta(days=14), "14 d old", "card"),
        (timedelta(days=14, minutes=1), "14 d old · stale elements", "card stale-elements"),
        (timedelta(days=40), "40 d old · stale elements", "card stale-elements"),
        (timedelta(hours=-2), "0 h old", "card"),  # an epoch just after the sample
    ],
)
def test_cards_show_the_age_of_the_elements_and_mark_them_stale_past_14_days(
    age: timedelta, line: str, card_class: str
) -> None:
    assert card_of(age) == (card_class, line)


def test_a_card_can_be_stale_in_data_and_elements_and_updates_say_both() -> None:
    feed = FeedState(180)
    feed.set_topics([TopicInfo("t", "KafkaTopic ns/sat")])
    feed.add("t", position(elements_age=timedelta(days=20)))
    head = feed.snapshot().head
    feed.add("t", position(second=1, elements_age=timedelta(days=20)))
    fresh = cards.card_updates(feed.snapshot(after=head).tracks, T0, STALE_AFTER)
    assert fresh["terra"][0] == "card stale-elements"
    assert "20 d old · stale elements" in fresh["terra"][1]
    later = T0 + timedelta(minutes=1)
    (track,) = feed.snapshot(after=feed.snapshot().head).tracks
    stale = cards.card_updates([track], later, STALE_AFTER)
    assert stale["terra"][0] == "card stale stale-elements"


def test_card_updates_touch_only_cards_with_news_or_staleness() -> None:
    feed, _ = tracks(3, 3)
    head = feed.snapshot().head
    feed.add("t1", position("s1", 3, norad_id=1001))
    updates = cards.card_updates(
        feed.snapshot(after=head).tracks, T0 + timedelta(seconds=3), STALE_AFTER
    )
    assert list(updates) == ["s1"]
    assert updates["s1"][0] == "card"
    assert updates["s1"][1].endswith("18:00:03.000")
    stale = cards.card_updates(
        feed.snapshot(after=feed.snapshot().head).tracks, T0 + timedelta(minutes=5), STALE_AFTER
    )
    assert sorted(stale) == ["s0", "s1", "s2"]
    assert {card_class for card_class, _ in stale.values()} == {"card stale"}


def test_cards_carry_the_ids_updates_write_to() -> None:
    _, (track,) = tracks(1, 3)
    (card,) = cards.cards([track], T0 + timedelta(seconds=3), STALE_AFTER)
    drawn = card.to_plotly_json()  # type: ignore[no-untyped-call]
    assert drawn["props"]["id"] == {"type": cards.CARD, "satellite": track.satellite}
    ids = [child.to_plotly_json()["props"].get("id") for child in drawn["props"]["children"]]
    assert {"type": cards.CARD_VALUES, "satellite": track.satellite} in ids
    # and where a picked ground station's look angles go
    assert {"type": CARD_LOOK, "satellite": track.satellite} in ids


def test_ages_read_naturally() -> None:
    assert [cards.format_age(timedelta(seconds=s)) for s in (4, 600, 10_800, 432_000)] == [
        "4 s",
        "10 min",
        "3.0 h",
        "5.0 d",
    ]
