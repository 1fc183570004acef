"""A ground station's sky as a polar plot: azimuth around (north up, east to the right),
elevation inwards (the horizon on the rim, 90° at the centre), with the tracks of the
current and next passes and where the satellites in view are now.

Pure: a Plotly figure as a plain dict, and the small patch that moves the live points. The
radius is the zenith distance ``90 - elevation``, so a satellite below the horizon is off
the plot (it is left out). The live points are the figure's last trace
(:data:`LIVE_TRACE_UID`), which :func:`live_points` rewrites each second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from satfeed_frontend.figures import color

LIVE_TRACE_UID: Final = "live"
TRACKS_UP_TO: Final = 4
"""Pass tracks drawn at most: the passes in progress and the next ones (a plot with more is
a tangle)."""
_FONT: Final = {"family": "system-ui, sans-serif", "size": 12, "color": "#c8ced6"}


@dataclass(frozen=True)
class SkyTrack:
    """One pass across the sky, from AOS to LOS."""

    label: str
    colour_index: int
    azimuth_deg: Sequence[float]
    elevation_deg: Sequence[float]
    aos_text: str
    """Shown at the track's start, e.g. ``AOS 12:03:41``."""


@dataclass(frozen=True)
class LivePoint:
    label: str
    colour_index: int
    azimuth_deg: float
    elevation_deg: float


def zenith_distance(elevations_deg: Sequence[float]) -> list[float]:
    return [round(90.0 - each, 3) for each in elevations_deg]


def live_points(points: Sequence[LivePoint]) -> dict[str, list[Any]]:
    """The live trace's coordinates, names and colours: only points above the horizon."""
    shown = [each for each in points if each.elevation_deg >= 0.0]
    return {
        "r": zenith_distance([each.elevation_deg for each in shown]),
        "theta": [round(each.azimuth_deg, 3) for each in shown],
        "text": [each.label for each in shown],
        "customdata": [round(each.elevation_deg, 2) for each in shown],
        "marker.color": [color(each.colour_index) for each in shown],
    }


def _track_trace(track: SkyTrack) -> dict[str, Any]:
    hue = color(track.colour_index)
    return {
        "type": "scatterpolar",
        "mode": "lines",
        "name": track.label,
        "r": zenith_distance(track.elevation_deg),
        "theta": [round(each, 3) for each in track.azimuth_deg],
        "line": {"color": hue, "width": 2},
        "customdata": [round(each, 2) for each in track.elevation_deg],
        "hovertemplate": f"<b>{track.label}</b><br>az %{{theta:.1f}}°, el %{{customdata:.1f}}°"
        "<extra></extra>",
    }


def _aos_trace(tracks: Sequence[SkyTrack]) -> dict[str, Any]:
    started = [each for each in tracks if each.azimuth_deg]
    return {
        "type": "scatterpolar",
        "mode": "markers+text",
        "name": "AOS",
        "showlegend": False,
        "r": [round(90.0 - each.elevation_deg[0], 3) for each in started],
        "theta": [round(each.azimuth_deg[0], 3) for each in started],
        "text": [each.aos_text for each in started],
        "textposition": "bottom center",
        "textfont": {"size": 10, "color": "#9fb0c0"},
        "marker": {"size": 6, "symbol": "triangle-up", "color": "#9fb0c0"},
        "hoverinfo": "text",
    }


def sky_figure(
    station: str, tracks: Sequence[SkyTrack], points: Sequence[LivePoint]
) -> dict[str, Any]:
    """The sky of ``station`` with pass tracks and the live points (the last trace)."""
    live = live_points(points)
    colours = live.pop("marker.color")
    return {
        "data": [
            *(_track_trace(each) for each in tracks[:TRACKS_UP_TO]),
            _aos_trace(tracks[:TRACKS_UP_TO]),
            {
                "type": "scatterpolar",
                "uid": LIVE_TRACE_UID,
                "mode": "markers+text",
                "name": "now",
                "showlegend": False,
                **live,
                "textposition": "top center",
                "textfont": {"size": 11, "color": "#e8eaed"},
                "marker": {"size": 11, "color": colours, "line": {"color": "#ffffff", "width": 1}},
                "hovertemplate": "<b>%{text}</b><br>az %{theta:.1f}°, el %{customdata:.1f}°"
                "<extra></extra>",
            },
        ],
        "layout": {
            "uirevision": station,
            "margin": {"l": 30, "r": 30, "t": 30, "b": 30},
            "paper_bgcolor": "rgba(0,0,0,0)",
            "font": _FONT,
            "showlegend": bool(tracks),
            "legend": {"orientation": "h", "y": -0.05},
            "title": {"text": f"Sky over {station}", "font": {"size": 13}, "x": 0.02},
            "polar": {
                "bgcolor": "#111b25",
                "angularaxis": {
                    "rotation": 90,  # north up
                    "direction": "clockwise",  # east to the right, as seen on a map
                    "tickmode": "array",
                    "tickvals": [0, 45, 90, 135, 180, 225, 270, 315],
                    "ticktext": ["N", "NE", "E", "SE", "S", "SW", "W", "NW"],
                    "gridcolor": "#2a3642",
                },
                "radialaxis": {
                    "range": [0, 90],
                    "tickmode": "array",
                    "tickvals": [0, 30, 60, 90],
                    "ticktext": ["90°", "60°", "30°", "0°"],
                    "angle": 90,
                    "tickangle": 90,
                    "gridcolor": "#2a3642",
                },
            },
        },
    }
