"""Pure builders of the page's three plots: whole figures for a new view, and the small
``extendData`` updates that follow once per sample. (The cards are :mod:`cards`, the
geometry of the overlays :mod:`geometry`.)

Figures are plain dicts, as Plotly's JSON has them: nothing is validated or copied on the
hot path. Three figures show the same detailed tracks in the same order, and each track
keeps one colour everywhere:

- the map: longitude across, latitude up, over the base map image (:mod:`basemap`). Its
  first trace is the catalogue, every object as one point of a single WebGL
  (``scattergl``) trace, which the page fills from the update stream's frames
  (``assets/catalogue.js``), never from a drawing; then the overlays picked on the page (the
  night side, whose edge is the day/night terminator, and each detailed object's visibility
  footprint); then per detailed track its past ground track, its predicted ground track and
  its current position, in three blocks of traces (all past tracks, then all predictions,
  then all positions). Lines are broken where they cross the antimeridian;
- altitude over time, one line per track;
- latitude against longitude, one line per track, broken where it crosses the antimeridian.

The updates only carry new samples; the map's are applied by ``assets/catalogue.js`` with
the frame, the plots' by Plotly's ``extendData``, whose ``maxPoints`` drops the oldest
points in the browser, so an update's size depends on the number of new samples only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from satfeed_frontend import basemap
from satfeed_frontend.data.feed import Sample, TrackView
from satfeed_frontend.geometry import footprint_on_map, night_polygon, with_antimeridian_gaps

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
CATALOGUE_TRACE: Final = 0
"""The map's trace of every object (filled in the browser from the update stream)."""
_EXTEND_KEYS_MAP: Final = ("x", "y")
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
        """The catalogue, then the overlay traces come first on the map (the overlays drawn
        below the tracks; the catalogue's WebGL points are drawn above every line)."""
        return 1 + (self.night_at is not None) + (tracks if self.footprints else 0)


NO_OVERLAYS: Final = Overlays()


# -- whole figures ----------------------------------------------------------------------


def _night_trace(when: datetime) -> dict[str, Any]:
    lons, lats = night_polygon(when)
    return {
        "type": "scatter",
        "mode": "lines",
        "name": "night",
        "showlegend": False,
        "hoverinfo": "skip",
        "x": lons,
        "y": lats,
        "fill": "toself",
        "fillcolor": "rgba(0,0,0,0.35)",
        "line": {"color": "rgba(255,214,120,0.45)", "width": 1},
    }


def _footprint_trace(track: TrackView, hue: str) -> dict[str, Any]:
    lons, lats = _footprint(track.samples[-1]) if track.samples else ([], [])
    return {
        "type": "scatter",
        "mode": "lines",
        "name": f"{track.display_name} (footprint)",
        "legendgroup": track.key,
        "showlegend": False,
        "hoverinfo": "skip",
        "x": lons,
        "y": lats,
        "fill": "toself",  # each piece between antimeridian breaks on its own
        "fillcolor": hue + "1f",  # #rrggbbaa: a faint wash of the track's colour
        "line": {"color": hue, "width": 1},
    }


def _footprint(sample: Sample) -> tuple[list[float | None], list[float | None]]:
    record = sample.record
    return footprint_on_map(record.lon, record.lat, record.alt_km)


def catalogue_trace() -> dict[str, Any]:
    """Every object as a point, all in one WebGL trace; empty in the drawing: the page fills
    positions, names and colours from its update stream (``assets/catalogue.js``)."""
    return {
        "type": "scattergl",
        "mode": "markers",
        "name": "objects",
        "uid": "catalogue",
        "showlegend": False,
        "x": [],
        "y": [],
        "text": [],
        "hovertemplate": "%{text}<extra></extra>",
        "marker": {"size": 3, "color": [], "line": {"width": 0}},
    }


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
        past_lons, past_lats = with_antimeridian_gaps(None, lons, lats)
        past.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": track.display_name,
                "legendgroup": track.key,
                "showlegend": False,
                "hoverinfo": "skip",
                "x": past_lons,
                "y": past_lats,
                "line": {"color": hue, "width": 2},
            }
        )
        predicted = predictions.get(track.key)
        ahead_lons, ahead_lats = (
            with_antimeridian_gaps(None, list(predicted.lon), list(predicted.lat))
            if predicted
            else ([], [])
        )
        ahead.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"{track.display_name} (predicted)",
                "legendgroup": track.key,
                "showlegend": False,
                "hoverinfo": "skip",
                "x": ahead_lons,
                "y": ahead_lats,
                "line": {"color": hue, "width": 1, "dash": "dot"},
            }
        )
        now.append(
            {
                "type": "scatter",
                "mode": "markers+text",
                "name": track.display_name,
                "legendgroup": track.key,
                "x": lons[-1:],
                "y": lats[-1:],
                "text": [track.display_name],
                "textposition": "top center",
                "textfont": {"size": 11, "color": "#e8eaed"},
                "cliponaxis": False,
                "marker": {"color": hue, "size": 9, "line": {"color": "#ffffff", "width": 1}},
                "hovertemplate": f"<b>{track.display_name}</b><br>%{{x:.2f}}°, "
                "%{y:.2f}°<extra></extra>",
            }
        )
    grid = {"showgrid": True, "gridcolor": "rgba(160,180,200,0.12)", "zeroline": False}
    return {
        "data": [catalogue_trace(), *below, *past, *ahead, *now],
        "layout": {
            "uirevision": "map",  # keep the user's zoom and pan across redraws
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": basemap.OCEAN,
            "font": _FONT,
            "showlegend": False,
            "hovermode": "closest",
            "dragmode": "pan",
            # Longitude across, latitude up, a degree the same length both ways; explicit
            # ranges (else Plotly zooms in on the data), shrunk to fit rather than widened.
            "xaxis": {
                **grid,
                "range": [-180, 180],
                "dtick": 30,
                "constrain": "domain",
                "showticklabels": False,
            },
            "yaxis": {
                **grid,
                "range": [-90, 90],
                "dtick": 30,
                "scaleanchor": "x",
                "constrain": "domain",
                "showticklabels": False,
            },
            "images": [
                {
                    "source": basemap.URL,
                    "xref": "x",
                    "yref": "y",
                    "x": -180,
                    "y": 90,
                    "sizex": 360,
                    "sizey": 180,
                    "sizing": "stretch",
                    "layer": "below",
                }
            ],
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


def stations_trace(
    names: Sequence[str], lons: Sequence[float], lats: Sequence[float]
) -> dict[str, Any]:
    """The ground stations, each a labelled square, drawn last (above everything): it is the
    map's last trace, so the tracks' indices that updates extend do not move."""
    return {
        "type": "scatter",
        "mode": "markers+text",
        "name": "ground stations",
        "uid": "stations",
        "x": list(lons),
        "y": list(lats),
        "text": list(names),
        "textposition": "bottom center",
        "textfont": {"size": 11, "color": "#ffd166"},
        "cliponaxis": False,
        "marker": {"symbol": "square", "size": 9, "color": "#ffd166", "line": {"width": 1}},
        "hovertemplate": "<b>%{text}</b> (ground station)<br>%{x:.2f}°, %{y:.2f}°<extra></extra>",
    }


# -- updates --------------------------------------------------------------------------


def map_extension(
    tracks: Sequence[TrackView], history: int, overlays: Overlays = NO_OVERLAYS
) -> list[Any] | None:
    """``extendData`` for the map's detailed tracks: new points onto each past track (at
    most ``history`` kept, with a few more for the antimeridian breaks), the newest point as
    the only one of each position marker and, with footprints, a new ring in place of each
    footprint (the night side only changes with a new view)."""
    n = len(tracks)
    first = overlays.traces_before_tracks(n)
    first_footprint = first - n
    columns: dict[str, list[list[float | None]]] = {key: [] for key in _EXTEND_KEYS_MAP}
    indices: list[int] = []
    limits: list[int] = []
    for index, track in enumerate(tracks):
        if not track.samples:
            continue
        lons, lats = _lons_lats(track.samples)
        previous = round(track.before.record.lon, 4) if track.before else None
        past_lons, past_lats = with_antimeridian_gaps(previous, lons, lats)
        columns["x"] += [past_lons, [lons[-1]]]
        columns["y"] += [past_lats, [lats[-1]]]
        indices += [first + index, first + 2 * n + index]
        limits += [history + history // 10 + 2, 1]
        if overlays.footprints:
            ring_lons, ring_lats = _footprint(track.samples[-1])
            columns["x"].append(ring_lons)
            columns["y"].append(ring_lats)
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
