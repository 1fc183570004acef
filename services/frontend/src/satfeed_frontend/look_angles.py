"""Where to point and what to listen on, as a satellite's card says it while a ground
station is picked: azimuth, elevation, range, range rate and the received downlink.

Pure formatting of a :class:`satfeed_core.passes.SkyPoint`; the look angles themselves come
from :func:`satfeed_core.passes.look_angles` (:mod:`satfeed_frontend.pass_planner`).
"""

from __future__ import annotations

from typing import Final

from satfeed_core.passes import SkyPoint

CARD_LOOK: Final = "card-look"
"""The ``type`` of each card's look-angle text's id (``{"type": ..., "satellite": ...}``)."""


def look_text(station: str, point: SkyPoint | None, downlink_hz: float | None) -> str:
    """Three lines (four with a downlink) for a card, e.g.::

        From Svalbard: in view
        az 123.4°  el 12.3°
        range 1,234 km  -5.12 km/s
        rx 8212.3456 MHz (+123.4 kHz)

    ``point`` None: the satellite is not one the station follows (or has no elements)."""
    if point is None:
        return f"From {station}: not followed"
    seen = "in view" if point.elevation_deg >= 0.0 else "below the horizon"
    lines = [
        f"From {station}: {seen}",
        f"az {point.azimuth_deg:.1f}°  el {point.elevation_deg:.1f}°",
        f"range {point.range_km:,.0f} km  {point.range_rate_km_s:+.2f} km/s",
    ]
    if downlink_hz is not None:
        received = point.doppler_hz(downlink_hz)
        lines.append(f"rx {received / 1e6:.4f} MHz ({(received - downlink_hz) / 1e3:+.1f} kHz)")
    return "\n".join(lines)
