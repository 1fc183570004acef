"""Pure builders of what the page draws: whole figures for a new view, and the small
updates (``extendData`` triples, a ``Patch`` of the cards) that follow once per sample.

Figures are plain dicts, as Plotly's JSON has them: nothing is validated or copied on the
hot path. Three figures show the same tracks in the same order, and each track keeps one
colour everywhere:

- the map (``scattergeo``): per track its past ground track, its predicted ground track and
  its current position, in three blocks of traces (all past tracks, then all predictions,
  then all positions, so markers are drawn on top);
- altitude over time, one line per track;
- latitude against longitude, one line per track, broken where it crosses the antimeridian.

The updates only carry new samples; Plotly's ``maxPoints`` drops the oldest points in the
browser, so an update's size depends on the number of new samples only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from dash import Patch, html

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

CARD_VALUES_INDEX: Final = 3
"""Where a card's value text sits among its children (the card patch writes there)."""
CARD_LABELS: Final = "Longitude\nLatitude\nAltitude\nSpeed\nElements\nSample"

_EXTEND_KEYS_MAP: Final = ("lon", "lat")
_FONT: Final = {"family": "system-ui, sans-serif", "size": 12}


@dataclass(frozen=True, slots=True)
class PredictedTrack:
    """Ground track ahead, from the satellite's elements."""

    lon: Sequence[float]
    lat: Sequence[float]


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def plot_time(when: datetime) -> str:
    """A UTC time as Plotly's date axes read it (they ignore time zones)."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


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


# -- whole figures ----------------------------------------------------------------------


def map_figure(
    tracks: Sequence[TrackView], predictions: Mapping[str, PredictedTrack]
) -> dict[str, Any]:
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
        "data": [*past, *ahead, *now],
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


def _xy_layout(x_title: str, y_title: str, **extra: Any) -> dict[str, Any]:
    axis = {"gridcolor": "#2a3642", "zerolinecolor": "#2a3642"}
    return {
        "uirevision": "plot",
        "margin": {"l": 60, "r": 10, "t": 10, "b": 40},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "#111b25",
        "font": {**_FONT, "color": "#c8ced6"},
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
    return {"data": data, "layout": _xy_layout("time (UTC)", "altitude (km)")}


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
            xaxis=degrees,
            yaxis={"range": [-90, 90], "dtick": 30},
        ),
    }


# -- updates --------------------------------------------------------------------------


def map_extension(tracks: Sequence[TrackView], history: int) -> list[Any] | None:
    """``extendData`` for the map: new points onto each past track (at most ``history``
    kept) and the newest point as the only one of each position marker."""
    n = len(tracks)
    columns: dict[str, list[list[float]]] = {key: [] for key in _EXTEND_KEYS_MAP}
    indices: list[int] = []
    limits: list[int] = []
    for index, track in enumerate(tracks):
        if not track.samples:
            continue
        lons, lats = _lons_lats(track.samples)
        columns["lon"] += [lons, lons[-1:]]
        columns["lat"] += [lats, lats[-1:]]
        indices += [index, 2 * n + index]
        limits += [history, 1]
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
                html.Div(card_values(track, now, stale_after), className="card-values"),
            ],
        )
        for index, track in enumerate(tracks)
    ]


def _data_attributes(track: TrackView) -> dict[str, Any]:
    """``data-satellite`` and ``data-norad`` find a card in a browser (and in tests)."""
    return {"data-satellite": track.satellite, "data-norad": str(track.norad_id)}


def cards_patch(tracks: Sequence[TrackView], now: datetime, stale_after: timedelta) -> Patch:
    """New values (and stale marks) for the cards :func:`cards` drew for these tracks: only
    the cards with new samples, or stale ones (whose "no data for" age grows)."""
    patch = Patch()
    for index, track in enumerate(tracks):
        if not track.samples and not is_stale(track, now, stale_after):
            continue
        card = patch[index]["props"]
        card["className"] = card_class(track, now, stale_after)
        card["children"][CARD_VALUES_INDEX]["props"]["children"] = card_values(
            track, now, stale_after
        )
    return patch
