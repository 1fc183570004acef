"""Figure and extension builders: whole figures for a new view, small updates after."""

from __future__ import annotations

import pytest
from satfeed_frontend import figures, geometry

from tests.unit.frontend.frontend_samples import position
from tests.unit.frontend.frontend_samples import sample_tracks as tracks


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
    lons, lats = geometry.with_antimeridian_gaps(179.0, [-179.5, -178.0], [1.0, 2.0])
    assert lons == [None, -179.5, -178.0]
    assert lats == [None, 1.0, 2.0]
    assert geometry.with_antimeridian_gaps(None, [10.0, 11.0], [0.0, 0.0])[0] == [10.0, 11.0]
