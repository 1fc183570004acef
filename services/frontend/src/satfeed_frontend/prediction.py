"""The ground track ahead of a satellite, one orbit long, from its elements (SGP4)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Final

import numpy as np
from satfeed_core.elements import Elements
from satfeed_core.propagation import Sgp4Propagator

from satfeed_frontend.figures import PredictedTrack

MIN_STEP: Final = timedelta(seconds=30)
MAX_POINTS: Final = 240
"""Enough for a smooth line on a world map, whatever the period (a GEO day has 1440 min)."""


def predicted_track(elements: Elements, start: datetime) -> PredictedTrack:
    """Positions from ``start`` over one orbital period; times SGP4 cannot compute (a
    decayed orbit) are left out."""
    period = timedelta(days=1) / elements.mean_motion_rev_per_day
    step = max(MIN_STEP, period / MAX_POINTS)
    count = math.ceil(period / step) + 1
    times = [start + step * i for i in range(count)]
    positions = Sgp4Propagator(elements).positions_at(times)
    lons, lats = positions.lon_deg[0], positions.lat_deg[0]
    usable = np.isfinite(lons) & np.isfinite(lats)
    return PredictedTrack(
        lon=[round(float(x), 3) for x in lons[usable]],
        lat=[round(float(y), 3) for y in lats[usable]],
    )
