"""Map overlays: the night side (whose edge is the day/night terminator) and each satellite's
visibility footprint, checked against known geometry and known solar positions."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from satfeed_frontend import figures, geometry
from satfeed_frontend.data.feed import FeedState, TopicInfo, TrackView
from satfeed_frontend.ticks import overlays_picked

from tests.unit.frontend.frontend_samples import T0, position

# USNO: March equinox 2024-03-20 03:06 UTC, June solstice 2024-06-20 20:51 UTC.
EQUINOX = datetime(2024, 3, 20, 3, 6, tzinfo=UTC)
SOLSTICE = datetime(2024, 6, 20, 20, 51, tzinfo=UTC)
OBLIQUITY = 23.44


def distance_deg(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (haversine), in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return math.degrees(2 * math.asin(math.sqrt(h)))


def signed_area(lons: list[float], lats: list[float]) -> float:
    """Shoelace area on the lon/lat plane: negative for a clockwise ring."""
    return (
        sum(
            x1 * y2 - x2 * y1
            for x1, y1, x2, y2 in zip(lons, lats, lons[1:], lats[1:], strict=False)
        )
        / 2
    )


def test_the_sun_is_over_the_equator_at_the_equinox_and_the_tropic_at_the_solstice() -> None:
    lon, lat = geometry.subsolar_point(EQUINOX)
    assert lat == pytest.approx(0, abs=0.02)
    # At the equinox the sun's right ascension is 0, so the subsolar longitude is minus
    # Greenwich sidereal time: 14 h 58 min then, 224.5°, so 135.5° east.
    assert lon == pytest.approx(135.5, abs=0.3)
    lon, lat = geometry.subsolar_point(SOLSTICE)
    assert lat == pytest.approx(OBLIQUITY, abs=0.02)
    # 20:51 UTC, equation of time -1.7 min: the sun crosses 132.3° west.
    assert lon == pytest.approx(-132.3, abs=0.3)
    # Time zones do not matter.
    assert geometry.subsolar_point(
        SOLSTICE.astimezone(timezone(timedelta(hours=2)))
    ) == pytest.approx(geometry.subsolar_point(SOLSTICE))


def test_the_terminator_is_90_degrees_from_the_sun_and_rings_the_night_side() -> None:
    sun_lon, sun_lat = geometry.subsolar_point(SOLSTICE)
    lons, lats = geometry.night_ring(SOLSTICE)
    assert len(lons) == geometry.NIGHT_POINTS + 1
    assert (lons[0], lats[0]) == (lons[-1], lats[-1])  # closed
    for lon, lat in zip(lons, lats, strict=True):
        assert distance_deg(lon, lat, sun_lon, sun_lat) == pytest.approx(90, abs=0.02)
    # At the June solstice the terminator touches the polar circles: the Arctic has
    # midnight sun, the Antarctic polar night.
    assert max(lats) == pytest.approx(90 - OBLIQUITY, abs=0.05)
    assert min(lats) == pytest.approx(OBLIQUITY - 90, abs=0.05)
    # At the equinox it runs through both poles, along the meridians 90° from the sun.
    sun_lon, _ = geometry.subsolar_point(EQUINOX)
    lons, lats = geometry.night_ring(EQUINOX)
    assert max(lats) == pytest.approx(90, abs=0.05)
    for lon, lat in zip(lons, lats, strict=True):
        if abs(lat) < 89:
            assert abs((lon - sun_lon) % 360 - 180) == pytest.approx(90, abs=0.05)


@pytest.mark.parametrize(
    ("alt_km", "radius_deg"),
    [
        (420.0, 20.26),  # the ISS: above the horizon up to 2,250 km away
        (705.0, 25.79),  # TERRA: 2,870 km
        (35_786.0, 81.31),  # geostationary: almost a hemisphere
        (0.0, 0.0),
        (-5.0, 0.0),
        (math.nan, 0.0),  # bad input draws nothing
    ],
)
def test_the_footprint_radius_follows_from_the_altitude(alt_km: float, radius_deg: float) -> None:
    assert geometry.footprint_radius_deg(alt_km) == pytest.approx(radius_deg, abs=0.01)


def test_a_footprint_rings_the_satellite_at_its_radius_clockwise() -> None:
    lons, lats = geometry.footprint_ring(10.0, 20.0, 705.0)
    assert len(lons) == geometry.FOOTPRINT_POINTS + 1
    for lon, lat in zip(lons, lats, strict=True):
        assert distance_deg(lon, lat, 10.0, 20.0) == pytest.approx(25.79, abs=0.02)
    # Clockwise on the map: plotly.js fills the cap around the satellite, not the rest.
    assert signed_area(lons, lats) < 0
    # Near a pole and across the antimeridian the points stay valid coordinates.
    lons, lats = geometry.footprint_ring(179.0, 85.0, 705.0)
    assert all(-180 <= lon < 180 for lon in lons)
    assert all(-90 <= lat <= 90 for lat in lats)


def tracks(count: int) -> tuple[FeedState, tuple[TrackView, ...]]:
    feed = FeedState(180)
    feed.set_topics(TopicInfo(f"t{i}", f"KafkaTopic ns/s{i}") for i in range(count))
    for second in range(5):
        for i in range(count):
            feed.add(f"t{i}", position(f"s{i}", second, lon=second, norad_id=1000 + i))
    return feed, feed.snapshot().tracks


def test_overlays_are_drawn_below_the_tracks_and_footprints_follow_the_satellites() -> None:
    feed, shown = tracks(2)
    overlays = figures.Overlays(night_at=T0, footprints=True)
    data = figures.map_figure(shown, {}, overlays)["data"]
    # The catalogue first (its WebGL points are drawn over every line anyway), then the
    # overlays, then the tracks.
    assert [trace["name"] for trace in data[:4]] == [
        "objects",
        "night",
        "TERRA (footprint)",
        "TERRA (footprint)",
    ]
    assert len(data) == 4 + 3 * 2
    assert data[2]["x"] == geometry.footprint_on_map(4.0, 20.0, 705.04)[0]
    assert figures.map_figure(shown, {})["data"][1]["name"] == "TERRA"  # none picked

    head = feed.snapshot().head
    feed.add("t1", position("s1", 5, lon=5.0, norad_id=1001))
    new = feed.snapshot(after=head).tracks
    columns, indices, limits = figures.map_extension(new, 180, overlays) or []
    # Past track and marker of s1 (after the catalogue, the night and two footprints), its
    # footprint anew.
    assert indices == [4 + 1, 4 + 4 + 1, 2 + 1]
    ring = geometry.footprint_on_map(5.0, 20.0, 705.05)
    assert columns["x"][2] == ring[0]
    assert limits["x"] == [180 + 18 + 2, 1, len(ring[0])]  # the new ring replaces the old one
    assert len(json.dumps(columns["x"][2] + columns["y"][2])) < 400


def test_the_night_side_on_the_map_is_bounded_by_the_terminator() -> None:
    sun_lon, sun_lat = geometry.subsolar_point(SOLSTICE)
    lons, lats = geometry.night_polygon(SOLSTICE)
    # The terminator across the map from -180° to 180°, then closed along the south pole,
    # in the polar night at the June solstice.
    edge = list(zip(lons, lats, strict=True))[:-3]  # then two corners, and back to the start
    assert edge[0][0] == -180
    assert edge[-1][0] == 180
    for lon, lat in edge:
        assert distance_deg(lon, lat, sun_lon, sun_lat) == pytest.approx(90, abs=0.05)
    assert min(lats) == -90
    # Noon's meridian meets the terminator at the Antarctic circle, midnight's at the Arctic.
    assert min(lat for _, lat in edge) == pytest.approx(OBLIQUITY - 90, abs=0.6)
    assert max(lat for _, lat in edge) == pytest.approx(90 - OBLIQUITY, abs=0.6)
    # At the equinox (a hair after it) the terminator runs along the meridians 90° from
    # the sun, and stays a finite line.
    lons, lats = geometry.night_polygon(EQUINOX)
    assert all(math.isfinite(lat) for lat in lats)


def test_a_footprint_on_the_map_is_broken_at_the_antimeridian_or_closed_at_a_pole() -> None:
    lons, lats = geometry.footprint_on_map(10.0, 20.0, 705.0)
    assert None not in lons
    assert len(lons) == geometry.FOOTPRINT_POINTS + 1
    lons, lats = geometry.footprint_on_map(179.0, 0.0, 705.0)
    assert lons.count(None) == 2  # out across 180° and back: three pieces
    # 10° from the north pole with a 25.8° radius: the footprint covers the pole, so the
    # shape runs along every longitude and closes along the top of the map.
    lons, lats = geometry.footprint_on_map(30.0, 80.0, 705.0)
    assert None not in lons
    assert (lons[0], lons[-1]) == (-180.0, -180.0)
    assert max(lat for lat in lats if lat is not None) == 90.0


def test_the_overlay_picker_value_is_read_defensively() -> None:
    now = datetime(2026, 8, 22, 18, 7, 31, tzinfo=UTC)
    picked = overlays_picked(["night", "footprints", 5, "bogus"], now)
    assert picked == figures.Overlays(
        night_at=datetime(2026, 8, 22, 18, 5, tzinfo=UTC), footprints=True
    )
    for bad in (None, "night", {"night": 1}, 3):
        assert overlays_picked(bad, now) == figures.NO_OVERLAYS
