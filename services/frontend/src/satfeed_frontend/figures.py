"""Pure builders of what the page draws: whole figures for a new view, and the small
updates (``extendData`` triples, the changed cards) that follow once per sample.

Figures are plain dicts, as Plotly's JSON has them: nothing is validated or copied on the
hot path. Three figures show the same tracks in the same order, and each track keeps one
colour everywhere:

- the map (``scattergeo``): per track its past ground track, its predicted ground track and
  its current position, in three blocks of traces (all past tracks, then all predictions,
  then all positions, so markers are drawn on top); before them, the overlays picked on
  the page: the night side (its edge is the day/night terminator) and each satellite's
  visibility footprint;
- altitude over time, one line per track;
- latitude against longitude, one line per track, broken where it crosses the antimeridian.

The updates only carry new samples; Plotly's ``maxPoints`` drops the oldest points in the
browser, so an update's size depends on the number of new samples only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from dash import html
from pyorbital import astronomy

from satfeed_frontend.data.feed import Sample, TrackView

# Plotly's and D3's qualitative colours, then Light24's: 34 distinguishable colours before a
# repeat, which 50 satellites share two to a colour at worst, each still named on the map.
PALETTE: Final = (
    "#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692", "#b6e880",
    "#ff97ff", "#fecb52", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#fd3216", "#00fe35", "#6a76fc", "#fed4c4",
    "#fe00ce", "#0df9ff", "#f6f926", "#ff9616", "#479b55", "#eea6fb", "#dc587d", "#d626ff",
    "#6e899c", "#00b5f7",
)  # fmt: skip

CARD: Final = "card"
CARD_VALUES: Final = "card-values"
"""The ``type`` of the cards' and their value texts' ids (``{"type": ..., "satellite": ...}``):
a pushed update writes those two properties of each card by id, so a tick changes text in
place, where a patch of the cards' container had Dash mount every card anew."""
LEGEND_UP_TO: Final = 8
"""The altitude and ground-track plots show a legend for this many satellites at most."""
CARD_LABELS: Final = "Longitude\nLatitude\nAltitude\nSpeed\nElements\nSample"

EARTH_RADIUS_KM: Final = 6371.0
"""Mean radius: footprints are drawn on a sphere."""
NIGHT_POINTS: Final = 72
FOOTPRINT_POINTS: Final = 24
"""A footprint ring's segments: smooth enough at map scale, and small enough to send anew
with every sample (about 300 bytes)."""

_EXTEND_KEYS_MAP: Final = ("lon", "lat")
_FONT: Final = {"family": "system-ui, sans-serif", "size": 12}


@dataclass(frozen=True, slots=True)
class PredictedTrack:
    """Ground track ahead, from the satellite's elements."""

    lon: Sequence[float]
    lat: Sequence[float]


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def plot_time(when: datetime) -> int:
    """A time as a date axis reads it fastest: milliseconds since the epoch (UTC; a date
    string is parsed again at every redraw, which was a tenth of the page's drawing time)."""
    return round(when.timestamp() * 1000)


def _lons_lats(samples: Sequence[Sample]) -> tuple[list[float], list[float]]:
    return (
        [round(s.record.lon, 4) for s in samples],
        [round(s.record.lat, 4) for s in samples],
    )


def with_antimeridian_gaps(
    previous_lon: float | None, lons: Sequence[float], lats: Sequence[float]
) -> tuple[list[float | None], list[float | None]]:
    """Lines on a flat lon/lat plot with a gap (None) wherever the track jumps across ±180°,
    so no line is drawn across the whole plot. ``previous_lon`` is the point the line
    already ends at in the browser, if any."""
    out_lons: list[float | None] = []
    out_lats: list[float | None] = []
    last = previous_lon
    for lon, lat in zip(lons, lats, strict=True):
        if last is not None and abs(lon - last) > 180:
            out_lons.append(None)
            out_lats.append(None)
        out_lons.append(lon)
        out_lats.append(lat)
        last = lon
    return out_lons, out_lats


# -- overlays: the night side and the visibility footprints -----------------------------


@dataclass(frozen=True, slots=True)
class Overlays:
    """What the map draws besides the tracks, as picked on the page."""

    night_at: datetime | None = None
    """Shade the night side as it is at this moment (None: no shading)."""
    footprints: bool = False
    """Draw each satellite's visibility footprint around its current position."""

    def traces_before_tracks(self, tracks: int) -> int:
        """Overlay traces come first on the map (drawn below the tracks)."""
        return (self.night_at is not None) + (tracks if self.footprints else 0)


NO_OVERLAYS: Final = Overlays()


def _wrap_lon(lon: float) -> float:
    return (lon + 180.0) % 360.0 - 180.0


def subsolar_point(when: datetime) -> tuple[float, float]:
    """(longitude, latitude) in degrees of the point where the sun is at the zenith: the
    sun's declination, and its right ascension less Greenwich sidereal time
    (``pyorbital.astronomy``)."""
    utc = when.astimezone(UTC).replace(tzinfo=None)
    right_ascension, declination = astronomy.sun_ra_dec(utc)
    lon = math.degrees(float(right_ascension) - float(astronomy.gmst(utc)))
    return _wrap_lon(lon), math.degrees(float(declination))


def footprint_radius_deg(alt_km: float) -> float:
    """Angular radius (as seen from the Earth's centre) of the circle on the ground from which
    a satellite at ``alt_km`` is above the horizon: arccos(R / (R + h))."""
    if not alt_km > 0:  # also NaN
        return 0.0
    return math.degrees(math.acos(EARTH_RADIUS_KM / (EARTH_RADIUS_KM + alt_km)))


def small_circle(
    lon: float, lat: float, radius_deg: float, points: int, digits: int = 2
) -> tuple[list[float], list[float]]:
    """The closed ring of ``points`` + 1 points at ``radius_deg`` (great-circle distance) from
    (``lon``, ``lat``), clockwise on the map: the winding by which plotly.js (d3-geo) fills
    the cap around the centre rather than the rest of the globe."""
    phi, lam, delta = math.radians(lat), math.radians(lon), math.radians(radius_deg)
    lons, lats = [], []
    for step in range(points + 1):
        bearing = 2 * math.pi * (step % points) / points
        sin_lat = math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(
            bearing
        )
        lat2 = math.asin(max(-1.0, min(1.0, sin_lat)))
        lon2 = lam + math.atan2(
            math.sin(bearing) * math.sin(delta) * math.cos(phi),
            math.cos(delta) - math.sin(phi) * sin_lat,
        )
        lons.append(round(_wrap_lon(math.degrees(lon2)), digits))
        lats.append(round(math.degrees(lat2), digits))
    return lons, lats


def night_ring(when: datetime) -> tuple[list[float], list[float]]:
    """The terminator at ``when``, as the ring around the night side: every point 90° from
    the subsolar point, wound around the antisolar point."""
    lon, lat = subsolar_point(when)
    return small_circle(_wrap_lon(lon + 180.0), -lat, 90.0, NIGHT_POINTS)


def footprint_ring(lon: float, lat: float, alt_km: float) -> tuple[list[float], list[float]]:
    return small_circle(lon, lat, footprint_radius_deg(alt_km), FOOTPRINT_POINTS)


# -- whole figures ----------------------------------------------------------------------


def _night_trace(when: datetime) -> dict[str, Any]:
    lons, lats = night_ring(when)
    return {
        "type": "scattergeo",
        "mode": "lines",
        "name": "night",
        "showlegend": False,
        "hoverinfo": "skip",
        "lon": lons,
        "lat": lats,
        "fill": "toself",
        "fillcolor": "rgba(0,0,0,0.35)",
        "line": {"color": "rgba(255,214,120,0.45)", "width": 1},
    }


def _footprint_trace(track: TrackView, hue: str) -> dict[str, Any]:
    lons, lats = _footprint(track.samples[-1]) if track.samples else ([], [])
    return {
        "type": "scattergeo",
        "mode": "lines",
        "name": f"{track.display_name} (footprint)",
        "legendgroup": track.key,
        "showlegend": False,
        "hoverinfo": "skip",
        "lon": lons,
        "lat": lats,
        "fill": "toself",
        "fillcolor": hue + "1f",  # #rrggbbaa: a faint wash of the track's colour
        "line": {"color": hue, "width": 1},
    }


def _footprint(sample: Sample) -> tuple[list[float], list[float]]:
    record = sample.record
    return footprint_ring(record.lon, record.lat, record.alt_km)


def map_figure(
    tracks: Sequence[TrackView],
    predictions: Mapping[str, PredictedTrack],
    overlays: Overlays = NO_OVERLAYS,
) -> dict[str, Any]:
    below: list[dict[str, Any]] = []
    if overlays.night_at is not None:
        below.append(_night_trace(overlays.night_at))
    if overlays.footprints:
        below += [_footprint_trace(track, color(index)) for index, track in enumerate(tracks)]
    past, ahead, now = [], [], []
    for index, track in enumerate(tracks):
        lons, lats = _lons_lats(track.samples)
        hue = color(index)
        past.append(
            {
                "type": "scattergeo",
                "mode": "lines",
                "name": track.display_name,
                "legendgroup": track.key,
                "showlegend": False,
                "hoverinfo": "skip",
                "lon": lons,
                "lat": lats,
                "line": {"color": hue, "width": 2},
            }
        )
        predicted = predictions.get(track.key)
        ahead.append(
            {
                "type": "scattergeo",
                "mode": "lines",
                "name": f"{track.display_name} (predicted)",
                "legendgroup": track.key,
                "showlegend": False,
                "hoverinfo": "skip",
                "lon": list(predicted.lon) if predicted else [],
                "lat": list(predicted.lat) if predicted else [],
                "line": {"color": hue, "width": 1, "dash": "dot"},
            }
        )
        now.append(
            {
                "type": "scattergeo",
                "mode": "markers+text",
                "name": track.display_name,
                "legendgroup": track.key,
                "lon": lons[-1:],
                "lat": lats[-1:],
                "text": [track.display_name],
                "textposition": "top center",
                "textfont": {"size": 11, "color": "#e8eaed"},
                "marker": {"color": hue, "size": 9, "line": {"color": "#ffffff", "width": 1}},
                "hovertemplate": f"<b>{track.display_name}</b><br>%{{lon:.2f}}°, "
                "%{lat:.2f}°<extra></extra>",
            }
        )
    return {
        "data": [*below, *past, *ahead, *now],
        "layout": {
            "uirevision": "map",  # keep the user's zoom and pan across redraws
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
            "paper_bgcolor": "rgba(0,0,0,0)",
            "font": _FONT,
            "showlegend": False,
            "geo": {
                "projection": {"type": "natural earth"},
                "resolution": 110,
                "showland": True,
                "landcolor": "#2b3a4a",
                "showocean": True,
                "oceancolor": "#0e1a26",
                "showcountries": True,
                "countrycolor": "#4a5b6c",
                "coastlinecolor": "#6c7d8e",
                "showlakes": False,
                "bgcolor": "rgba(0,0,0,0)",
                # Explicit ranges: without them plotly.js zooms in on the data.
                "lataxis": {
                    "range": [-90, 90],
                    "showgrid": True,
                    "gridcolor": "#22303d",
                    "dtick": 30,
                },
                "lonaxis": {
                    "range": [-180, 180],
                    "showgrid": True,
                    "gridcolor": "#22303d",
                    "dtick": 30,
                },
            },
        },
    }


def _xy_layout(x_title: str, y_title: str, satellites: int, **extra: Any) -> dict[str, Any]:
    axis = {"gridcolor": "#2a3642", "zerolinecolor": "#2a3642"}
    return {
        "uirevision": "plot",
        "margin": {"l": 60, "r": 10, "t": 10, "b": 40},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "#111b25",
        "font": {**_FONT, "color": "#c8ced6"},
        # Beyond a few names the cards (same colours) are the key: a long legend is hard
        # to read and was redrawn with every tick's points.
        "showlegend": 1 < satellites <= LEGEND_UP_TO,
        "legend": {"orientation": "h", "y": -0.2},
        "xaxis": {**axis, "title": {"text": x_title}, **extra.pop("xaxis", {})},
        "yaxis": {**axis, "title": {"text": y_title}, **extra.pop("yaxis", {})},
        **extra,
    }


def altitude_figure(tracks: Sequence[TrackView]) -> dict[str, Any]:
    data = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": track.display_name,
            "x": [plot_time(s.record.time) for s in track.samples],
            "y": [round(s.record.alt_km, 2) for s in track.samples],
            "line": {"color": color(index), "width": 2},
            "hovertemplate": "%{y:.1f} km<extra>" + track.display_name + "</extra>",
        }
        for index, track in enumerate(tracks)
    ]
    return {
        "data": data,
        "layout": _xy_layout("time (UTC)", "altitude (km)", len(tracks), xaxis={"type": "date"}),
    }


def ground_figure(tracks: Sequence[TrackView]) -> dict[str, Any]:
    data = []
    for index, track in enumerate(tracks):
        lons, lats = with_antimeridian_gaps(None, *_lons_lats(track.samples))
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": track.display_name,
                "x": lons,
                "y": lats,
                "line": {"color": color(index), "width": 2},
                "hovertemplate": "%{x:.2f}°, %{y:.2f}°<extra>" + track.display_name + "</extra>",
            }
        )
    degrees = {"range": [-180, 180], "dtick": 60}
    return {
        "data": data,
        "layout": _xy_layout(
            "longitude (°)",
            "latitude (°)",
            len(tracks),
            xaxis=degrees,
            yaxis={"range": [-90, 90], "dtick": 30},
        ),
    }


# -- updates --------------------------------------------------------------------------


def map_extension(
    tracks: Sequence[TrackView], history: int, overlays: Overlays = NO_OVERLAYS
) -> list[Any] | None:
    """``extendData`` for the map: new points onto each past track (at most ``history``
    kept), the newest point as the only one of each position marker and, with footprints,
    a new ring in place of each footprint (the night side only changes with a new view)."""
    n = len(tracks)
    first = overlays.traces_before_tracks(n)
    first_footprint = first - n
    columns: dict[str, list[list[float]]] = {key: [] for key in _EXTEND_KEYS_MAP}
    indices: list[int] = []
    limits: list[int] = []
    for index, track in enumerate(tracks):
        if not track.samples:
            continue
        lons, lats = _lons_lats(track.samples)
        columns["lon"] += [lons, lons[-1:]]
        columns["lat"] += [lats, lats[-1:]]
        indices += [first + index, first + 2 * n + index]
        limits += [history, 1]
        if overlays.footprints:
            ring_lons, ring_lats = _footprint(track.samples[-1])
            columns["lon"].append(ring_lons)
            columns["lat"].append(ring_lats)
            indices.append(first_footprint + index)
            limits.append(len(ring_lons))
    if not indices:
        return None
    return [columns, indices, {key: limits for key in _EXTEND_KEYS_MAP}]


def altitude_extension(tracks: Sequence[TrackView], history: int) -> list[Any] | None:
    xs, ys, indices = [], [], []
    for index, track in enumerate(tracks):
        if track.samples:
            xs.append([plot_time(s.record.time) for s in track.samples])
            ys.append([round(s.record.alt_km, 2) for s in track.samples])
            indices.append(index)
    if not indices:
        return None
    return [{"x": xs, "y": ys}, indices, history]


def ground_extension(tracks: Sequence[TrackView], history: int) -> list[Any] | None:
    xs, ys, indices = [], [], []
    for index, track in enumerate(tracks):
        if track.samples:
            previous = round(track.before.record.lon, 4) if track.before else None
            lons, lats = with_antimeridian_gaps(previous, *_lons_lats(track.samples))
            xs.append(lons)
            ys.append(lats)
            indices.append(index)
    if not indices:
        return None
    # A line's gaps count as points; a few more than the history keeps every sample.
    return [{"x": xs, "y": ys}, indices, history + history // 10 + 2]


# -- cards ----------------------------------------------------------------------------


def format_age(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.1f} d"


def is_stale(track: TrackView, now: datetime, stale_after: timedelta) -> bool:
    return now - track.latest.record.time > stale_after


def card_values(track: TrackView, now: datetime, stale_after: timedelta) -> str:
    """The value column of a card, one line per label in :data:`CARD_LABELS`."""
    record = track.latest.record
    sampled = record.time.strftime("%H:%M:%S.%f")[:-3]
    if is_stale(track, now, stale_after):
        sampled += f" · no data for {format_age(now - record.time)}"
    return "\n".join(
        (
            f"{record.lon:.3f}°",
            f"{record.lat:.3f}°",
            f"{record.alt_km:.1f} km",
            f"{record.speed_km_s:.3f} km/s",
            f"{format_age(record.time - record.elements_epoch)} old",
            sampled,
        )
    )


def card_class(track: TrackView, now: datetime, stale_after: timedelta) -> str:
    return "card stale" if is_stale(track, now, stale_after) else "card"


def cards(tracks: Sequence[TrackView], now: datetime, stale_after: timedelta) -> list[html.Div]:
    return [
        html.Div(
            id={"type": CARD, "satellite": track.satellite},
            className=card_class(track, now, stale_after),
            **_data_attributes(track),
            children=[
                html.Div(
                    [
                        html.Span(className="swatch", style={"background": color(index)}),
                        track.display_name,
                    ],
                    className="card-title",
                ),
                html.Div(f"NORAD {track.norad_id} · {track.satellite}", className="card-sub"),
                html.Div(CARD_LABELS, className="card-labels"),
                html.Div(
                    card_values(track, now, stale_after),
                    id={"type": CARD_VALUES, "satellite": track.satellite},
                    className="card-values",
                ),
            ],
        )
        for index, track in enumerate(tracks)
    ]


def _data_attributes(track: TrackView) -> dict[str, Any]:
    """``data-satellite`` and ``data-norad`` find a card in a browser (and in tests)."""
    return {"data-satellite": track.satellite, "data-norad": str(track.norad_id)}


def card_updates(
    tracks: Sequence[TrackView], now: datetime, stale_after: timedelta
) -> dict[str, tuple[str, str]]:
    """The class and value text of the cards :func:`cards` drew for these tracks, by
    satellite: only the cards with new samples, or stale ones (whose "no data for" age
    grows)."""
    return {
        track.satellite: (card_class(track, now, stale_after), card_values(track, now, stale_after))
        for track in tracks
        if track.samples or is_stale(track, now, stale_after)
    }
