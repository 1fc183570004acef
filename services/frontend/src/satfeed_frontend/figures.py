"""Pure builders of the page's three plots: whole figures for a new view, and the small
``extendData`` updates that follow once per sample. (The cards are :mod:`cards`, the
geometry of the overlays :mod:`geometry`.)

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from satfeed_frontend.data.feed import Sample, TrackView
from satfeed_frontend.geometry import footprint_ring, night_ring, with_antimeridian_gaps

# Plotly's and D3's qualitative colours, then Light24's: 34 distinguishable colours before a
# repeat, which 50 satellites share two to a colour at worst, each still named on the map.
PALETTE: Final = (
    "#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692", "#b6e880",
    "#ff97ff", "#fecb52", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#fd3216", "#00fe35", "#6a76fc", "#fed4c4",
    "#fe00ce", "#0df9ff", "#f6f926", "#ff9616", "#479b55", "#eea6fb", "#dc587d", "#d626ff",
    "#6e899c", "#00b5f7",
)  # fmt: skip

LEGEND_UP_TO: Final = 8
"""The altitude and ground-track plots show a legend for this many satellites at most."""
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
