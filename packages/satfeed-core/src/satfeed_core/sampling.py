"""Samples: element set + grid times -> position records (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from satfeed_core.elements import Elements
from satfeed_core.propagation import Engine, PropagationError, Propagator, propagator_for
from satfeed_core.record import PositionRecord


@dataclass(frozen=True)
class Identity:
    """Who the records are about: the Satellite's name and its display name."""

    satellite_id: str
    display_name: str


class Sampler:
    """Turns grid times into records for one element set (its propagator is built once)."""

    def __init__(self, elements: Elements, identity: Identity, engine: Engine = "sgp4") -> None:
        self.elements = elements
        self.identity = identity
        self._propagator = propagator_for(elements, engine)

    def sample(
        self, times: Sequence[datetime]
    ) -> tuple[list[PositionRecord], list[PropagationError]]:
        """Records for every time SGP4 can propagate to, and the errors for the others."""
        return _records(self.elements, self.identity, self._propagator, times)


def _records(
    elements: Elements, identity: Identity, propagator: Propagator, times: Sequence[datetime]
) -> tuple[list[PositionRecord], list[PropagationError]]:
    if not times:
        return [], []
    positions = propagator.positions_at(list(times))
    records: list[PositionRecord] = []
    errors: list[PropagationError] = []
    for index in range(len(times)):
        try:
            position = positions.position(0, index)
        except PropagationError as error:
            errors.append(error)
            continue
        records.append(
            PositionRecord(
                satellite=identity.satellite_id,
                name=identity.display_name,
                norad_id=elements.norad_id,
                time=position.time,
                lon=position.lon_deg,
                lat=position.lat_deg,
                alt_km=position.alt_km,
                speed_km_s=position.speed_km_s,
                elements_epoch=elements.epoch,
            )
        )
    return records, errors
