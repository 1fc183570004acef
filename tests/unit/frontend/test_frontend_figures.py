"""Figure and extension builders: whole figures for a new view, small updates after."""

from __future__ import annotations

import json

import pytest
from satfeed_frontend import basemap, figures, geometry

from tests.unit.frontend.frontend_samples import position
from tests.unit.frontend.frontend_samples import sample_tracks as tracks


def test_map_has_a_past_track_a_prediction_and_a_marker_per_satellite() -> None:
    _, shown = tracks(3, 10)
    predicted = {shown[1].key: figures.PredictedTrack(lon=[1.0, 2.0], lat=[3.0, 4.0])}
    figure = figures.map_figure(shown, predicted)
    catalogue, *data = figure["data"]
    # Every object is a point of one WebGL trace, which the page fills from its stream.
    assert (catalogue["type"], catalogue["uid"], catalogue["x"]) == ("scattergl", "catalogue", [])
    assert len(data) == 9
    assert [len(trace["x"]) for trace in data[:3]] == [10, 10, 10]
    assert [trace["x"] for trace in data[3:6]] == [[], [1.0, 2.0], []]
    assert [trace["text"] for trace in data[6:]] == [["TERRA"]] * 3
    assert data[6]["x"] == [-161.0]  # the newest position
    assert data[0]["line"]["color"] == data[6]["marker"]["color"] != data[7]["marker"]["color"]
    # Longitude across, latitude up, the whole world in view over the local base map.
    layout = figure["layout"]
    assert (layout["xaxis"]["range"], layout["yaxis"]["range"]) == ([-180, 180], [-90, 90])
    assert layout["images"][0]["source"] == "assets/world.svg"


def test_extensions_carry_only_new_points_and_cap_the_drawn_history() -> None:
    feed, _ = tracks(2, 10)
    head = feed.snapshot().head
    feed.add("t0", position("s0", 10, lon=-160, norad_id=1000))
    new = feed.snapshot(after=head).tracks
    columns, indices, limits = figures.map_extension(new, 180) or []
    # s0's past track and s0's marker, after the catalogue (2 tracks: 5 = 1 + 2 * 2 + 0)
    assert indices == [1, 5]
    assert columns["x"] == [[-160.0], [-160.0]]
    # A few more points than the history: the antimeridian breaks count as points.
    assert limits == {"x": [180 + 18 + 2, 1], "y": [180 + 18 + 2, 1]}
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


def test_the_map_breaks_a_track_where_it_crosses_the_antimeridian() -> None:
    feed, _ = tracks(1, 0)
    for second, lon in enumerate((178.0, 179.5, -179.0, -178.0)):
        feed.add("t0", position("s0", second, lon=lon, norad_id=1000))
    (track,) = feed.snapshot().tracks
    past = figures.map_figure([track], {})["data"][1]
    assert past["x"] == [178.0, 179.5, None, -179.0, -178.0]
    assert past["y"] == [20.0, 20.0, None, 20.0, 20.0]


def test_the_flat_plot_breaks_lines_at_the_antimeridian() -> None:
    lons, lats = geometry.with_antimeridian_gaps(179.0, [-179.5, -178.0], [1.0, 2.0])
    assert lons == [None, -179.5, -178.0]
    assert lats == [None, 1.0, 2.0]
    assert geometry.with_antimeridian_gaps(None, [10.0, 11.0], [0.0, 0.0])[0] == [10.0, 11.0]


def test_the_base_map_asset_is_made_from_the_bundled_natural_earth_data() -> None:
    # Regenerate with: uv run --frozen python -m satfeed_frontend.basemap
    made = basemap.world_svg(json.loads(basemap.TOPOJSON.read_text()))
    assert basemap.SVG.read_text() == made
    assert "http" not in made.replace('xmlns="http://www.w3.org/2000/svg"', "")  # no fetches
