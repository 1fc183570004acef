"""A ground station's passes as the page lists them: one row per pass still to come (or in
progress), in time order, then the satellites that never rise or never set over it.

Pure: rows from :class:`satfeed_core.passes.PassPrediction` objects and a time, and the Dash
table of them. The countdown cells carry their target time (``data-aos``, ``data-los``, in
ms since the epoch); ``assets/stations.js`` rewrites their text every second in the
browser with the same wording as :func:`countdown`, so the count needs no request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from dash import html
from satfeed_core.passes import Pass, PassPrediction, Visibility

from satfeed_frontend.figures import plot_time

ROWS_UP_TO: Final = 40
"""Passes listed at most (a day of a few polar orbiters over a polar station is about 40)."""


@dataclass(frozen=True)
class Followed:
    """A Satellite a station follows, as its passes were predicted."""

    satellite: str
    """The Satellite's name (``metadata.name``): what ``downlinks`` and the cards name."""
    label: str
    """What the table calls it: the elements' name, else the Satellite's."""
    downlink_hz: float | None = None


@dataclass(frozen=True)
class PassRow:
    satellite: str
    label: str
    aos: datetime | None
    """None: already up when the prediction's window began."""
    aos_azimuth_deg: float
    culmination: datetime
    max_elevation_deg: float
    max_elevation_azimuth_deg: float
    los: datetime | None
    """None: still up when the prediction's window ends."""
    los_azimuth_deg: float
    duration: timedelta
    sunlit: str
    downlink_hz: float | None
    doppler_hz: tuple[float, float, float] | None
    """The downlink as received at AOS, culmination and LOS."""

    def in_progress(self, now: datetime) -> bool:
        start = self.aos or datetime.min.replace(tzinfo=UTC)
        return start <= now and (self.los is None or now < self.los)


@dataclass(frozen=True)
class Note:
    """A satellite listed below the passes: never rises, never sets, no pass, or failed."""

    label: str
    what: str
    """``never rises``, ``never sets``, ``no pass`` or ``no prediction``."""
    why: str


def _row(followed: Followed, one: Pass) -> PassRow:
    top = one.culmination
    doppler = None
    if followed.downlink_hz is not None:
        frequency = followed.downlink_hz
        doppler = (
            one.first.doppler_hz(frequency),
            top.doppler_hz(frequency),
            one.last.doppler_hz(frequency),
        )
    return PassRow(
        satellite=followed.satellite,
        label=followed.label,
        aos=None if one.aos is None else one.aos.time,
        aos_azimuth_deg=one.first.azimuth_deg,
        culmination=top.time,
        max_elevation_deg=top.elevation_deg,
        max_elevation_azimuth_deg=top.azimuth_deg,
        los=None if one.los is None else one.los.time,
        los_azimuth_deg=one.last.azimuth_deg,
        duration=one.duration,
        sunlit=one.sunlit,
        downlink_hz=followed.downlink_hz,
        doppler_hz=doppler,
    )


def pass_rows(
    predictions: Sequence[tuple[Followed, PassPrediction]],
    now: datetime,
    limit: int = ROWS_UP_TO,
) -> list[PassRow]:
    """The passes not over by ``now`` (in progress first, as they began first), in time
    order, at most ``limit``."""
    rows = [
        _row(followed, one)
        for followed, prediction in predictions
        for one in prediction.passes
        if one.last.time > now
    ]
    rows.sort(key=lambda row: (row.aos or datetime.min.replace(tzinfo=UTC), row.label))
    return rows[:limit]


def notes(
    predictions: Sequence[tuple[Followed, PassPrediction]],
    failures: Sequence[tuple[Followed, str]] = (),
) -> list[Note]:
    """Satellites without a pass to list, and why: never rises or never sets over the
    station (not "no pass"), no pass in the window, or no prediction at all."""
    found = []
    for followed, prediction in predictions:
        if prediction.visibility is Visibility.NEVER_SETS:
            low, high = prediction.sampled_elevation_range_deg
            start = prediction.at_start
            found.append(
                Note(
                    followed.label,
                    "never sets",
                    f"always up: azimuth {start.azimuth_deg:.1f}°, elevation {low:.1f}° to "
                    f"{high:.1f}°",
                )
            )
        elif prediction.visibility is Visibility.NEVER_RISES:
            found.append(Note(followed.label, "never rises", prediction.reason))
        elif not prediction.passes:
            found.append(Note(followed.label, "no pass", "none in the look-ahead window"))
    found += [Note(followed.label, "no prediction", why) for followed, why in failures]
    return sorted(found, key=lambda note: (note.what, note.label))


def countdown(now: datetime, aos: datetime | None, los: datetime | None) -> str:
    """``in 1 h 02 min``, ``in 4 min 05 s``; during a pass ``up, LOS in 3 min 10 s``;
    ``over`` after it. (``assets/stations.js`` words it the same.)"""
    if aos is not None and now < aos:
        return "in " + _span(aos - now)
    if los is None:
        return "up"
    if now < los:
        return "up, LOS in " + _span(los - now)
    return "over"


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {seconds:02d} s"
    return f"{seconds} s"


def clock(when: datetime | None, fallback: str) -> str:
    return fallback if when is None else when.astimezone(UTC).strftime("%m-%d %H:%M:%S")


def duration_text(length: timedelta) -> str:
    seconds = round(length.total_seconds())
    return f"{seconds // 60}:{seconds % 60:02d}"


def downlink_text(row: PassRow) -> str:
    """The Doppler-corrected downlink: received frequency at AOS, culmination and LOS as
    offsets from the nominal one, in kHz (empty without a downlink for the satellite)."""
    if row.downlink_hz is None or row.doppler_hz is None:
        return ""
    offsets = "/".join(f"{(each - row.downlink_hz) / 1e3:+.1f}" for each in row.doppler_hz)
    return f"{row.downlink_hz / 1e6:g} MHz {offsets} kHz"


HEADER: Final = (
    "Satellite",
    "AOS (UTC)",
    "Countdown",
    "AOS az",
    "Max el",
    "at az",
    "LOS (UTC)",
    "LOS az",
    "Duration",
    "Sunlit",
    "Downlink (AOS/max/LOS)",
)


def table(rows: Sequence[PassRow], listed: Sequence[Note], now: datetime) -> html.Div:
    """The table and, under it, the satellites without passes to list."""
    body = [
        html.Tr(
            className="pass up" if row.in_progress(now) else "pass",
            **_data({"data-satellite": row.satellite}),
            children=[
                html.Td(row.label),
                html.Td(clock(row.aos, "(up)")),
                html.Td(
                    countdown(now, row.aos, row.los),
                    className="countdown",
                    **_data(_countdown_targets(row)),
                ),
                html.Td(f"{row.aos_azimuth_deg:.0f}°"),
                html.Td(f"{row.max_elevation_deg:.1f}°"),
                html.Td(f"{row.max_elevation_azimuth_deg:.0f}°"),
                html.Td(clock(row.los, "(up)")),
                html.Td(f"{row.los_azimuth_deg:.0f}°"),
                html.Td(duration_text(row.duration)),
                html.Td(row.sunlit),
                html.Td(downlink_text(row)),
            ],
        )
        for row in rows
    ]
    if not rows:
        body = [html.Tr(html.Td("No pass in the look-ahead window.", colSpan=len(HEADER)))]
    return html.Div(
        [
            html.Table(
                className="passes-table",
                children=[
                    html.Thead(html.Tr([html.Th(each) for each in HEADER])),
                    html.Tbody(body),
                ],
            ),
            html.Ul(
                className="pass-notes",
                children=[
                    html.Li(
                        f"{note.label}: {note.what} ({note.why})", **_data({"data-note": note.what})
                    )
                    for note in listed
                ],
            ),
        ]
    )


def _data(attributes: dict[str, str]) -> dict[str, Any]:
    """``data-*`` attributes, which Dash's components take as keyword arguments."""
    return attributes


def _countdown_targets(row: PassRow) -> dict[str, str]:
    targets = {}
    if row.aos is not None:
        targets["data-aos"] = str(plot_time(row.aos))
    if row.los is not None:
        targets["data-los"] = str(plot_time(row.los))
    return targets
