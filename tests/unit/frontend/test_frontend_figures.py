"""Figure, extension and card builders: whole figures for a new view, small updates after."""

from __future__ import annotations

from datetime import timedelta

import pytest
from satfeed_frontend import figures
from satfeed_frontend.data.feed import FeedState, TopicInfo, TrackView

from tests.unit.frontend.frontend_samples import T0, position

STALE_AFTER = timedelta(seconds=5)


def tracks(
    count: int, samples: int, capacity: int = 180
) -> tuple[FeedState, tuple[TrackView, ...]]:
    feed = FeedState(capacity)
    feed.set_topics(TopicInfo(f"t{i}", f"KafkaTopic ns/s{i}") for i in range(count))
    for second in range(samples):
        for i in range(count):
            feed.add(f"t{i}", position(f"s{i}", second, lon=-170 + second, norad_id=1000 + i))
    return feed, feed.snapshot().tracks


def test_map_has_a_past_track_a_prediction_and_a_marker_per_satellite() -> None:
    _, shown = tracks(3, 10)
    predicted = {shown[1].key: figures.PredictedTrack(lon=[1.0, 2.0], lat=[3.0, 4.0])}
    figure = figures.map_figure(shown, predicted)
    data = figure["data"]
    assert len(data) == 9
    assert [len(trace["lon"]) for trace in data[:3]] == [10, 10, 10]
    assert [trace["lon"] for trace in data[3:6]] == [[], [1.0, 2.0], []]
    assert [trace["text"] for trace in data[6:]] == [["TERRA"]] * 3
    assert data[6]["lon"] == [-161.0]  # the newest position
    assert data[0]["line"]["color"] == data[6]["marker"]["color"] != data[7]["marker"]["color"]
    # Offline base map, the whole world in view.
    assert figure["layout"]["geo"]["lonaxis"]["range"] == [-180, 180]


def test_extensions_carry_only_new_points_and_cap_the_drawn_history() -> None:
    feed, _ = tracks(2, 10)
    head = feed.snapshot().head
    feed.add("t0", position("s0", 10, lon=-160, norad_id=1000))
    new = feed.snapshot(after=head).tracks
    columns, indices, limits = figures.map_extension(new, 180) or []
    assert indices == [0, 4]  # s0's past track and s0's marker (2 tracks: 4 = 2 * 2 + 0)
    assert columns["lon"] == [[-160.0], [-160.0]]
    assert limits == {"lon": [180, 1], "lat": [180, 1]}
    altitude = figures.altitude_extension(new, 180)
    # 2026-08-22 18:00:10 UTC in milliseconds since the epoch, as a date axis reads it
    assert altitude == [{"x": [[1_787_421_610_000]], "y": [[705.1]]}, [0], 180]
    assert figures.map_extension(feed.snapshot(after=feed.snapshot().head).tracks, 180) is None


@pytest.mark.parametrize(("satellites", "legend"), [(1, False), (3, True), (30, False)])
def test_plots_name_a_few_satellites_in_a_legend_and_leave_many_to_the_cards(
    satellites: int, legend: bool
) -> None:
    _, shown = tracks(satellites, 2)
    for figure in (figures.altitude_figure(shown), figures.ground_figure(shown)):
        assert figure["layout"]["showlegend"] is legend


def test_the_flat_plot_breaks_lines_at_the_antimeridian() -> None:
    lons, lats = figures.with_antimeridian_gaps(179.0, [-179.5, -178.0], [1.0, 2.0])
    assert lons == [None, -179.5, -178.0]
    assert lats == [None, 1.0, 2.0]
    assert figures.with_antimeridian_gaps(None, [10.0, 11.0], [0.0, 0.0])[0] == [10.0, 11.0]


def test_cards_show_live_values_and_mark_stale_satellites() -> None:
    _, (track,) = tracks(1, 3)
    now = T0 + timedelta(seconds=3)
    values = figures.card_values(track, now, STALE_AFTER).splitlines()
    assert values == ["-168.000°", "20.000°", "705.0 km", "7.500 km/s", "2.0 d old", "18:00:02.000"]
    assert len(values) == len(figures.CARD_LABELS.splitlines())
    (card,) = figures.cards([track], now, STALE_AFTER)
    assert card.to_plotly_json()["props"]["className"] == "card"  # type: ignore[no-untyped-call]
    later = T0 + timedelta(seconds=62)
    assert figures.card_class(track, later, STALE_AFTER) == "card stale"
    assert figures.card_values(track, later, STALE_AFTER).endswith("no data for 60 s")


def test_card_updates_touch_only_cards_with_news_or_staleness() -> None:
    feed, _ = tracks(3, 3)
    head = feed.snapshot().head
    feed.add("t1", position("s1", 3, norad_id=1001))
    updates = figures.card_updates(
        feed.snapshot(after=head).tracks, T0 + timedelta(seconds=3), STALE_AFTER
    )
    assert list(updates) == ["s1"]
    assert updates["s1"][0] == "card"
    assert updates["s1"][1].endswith("18:00:03.000")
    stale = figures.card_updates(
        feed.snapshot(after=feed.snapshot().head).tracks, T0 + timedelta(minutes=5), STALE_AFTER
    )
    assert sorted(stale) == ["s0", "s1", "s2"]
    assert {card_class for card_class, _ in stale.values()} == {"card stale"}


def test_cards_carry_the_ids_updates_write_to() -> None:
    _, (track,) = tracks(1, 3)
    (card,) = figures.cards([track], T0 + timedelta(seconds=3), STALE_AFTER)
    drawn = card.to_plotly_json()  # type: ignore[no-untyped-call]
    assert drawn["props"]["id"] == {"type": figures.CARD, "satellite": track.satellite}
    values = drawn["props"]["children"][-1].to_plotly_json()
    assert values["props"]["id"] == {"type": figures.CARD_VALUES, "satellite": track.satellite}


def test_ages_read_naturally() -> None:
    assert [figures.format_age(timedelta(seconds=s)) for s in (4, 600, 10_800, 432_000)] == [
        "4 s",
        "10 min",
        "3.0 h",
        "5.0 d",
    ]
