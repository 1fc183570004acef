"""The ground stations' moving parts in one frontend process: the watches of GroundStations
and Satellites (read-only, in the namespaces the frontend watches) and the pass planner's
thread. Built by :class:`~satfeed_frontend.service.FrontendService` when it watches
Kubernetes with predictions on (the passes come from the same elements ConfigMaps as the
predicted tracks).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from satfeed_frontend.data.elements import ElementsRegistry
from satfeed_frontend.data.ground_stations import (
    GroundStations,
    GroundStationTarget,
    KnownStation,
    SatelliteLabels,
    SatelliteTarget,
)
from satfeed_frontend.data.kube_watch import ResourceWatch
from satfeed_frontend.metrics import FrontendMetrics
from satfeed_frontend.pass_planner import PassPlanner


class StationService:
    def __init__(
        self,
        api: Any,
        namespaces: Sequence[str],
        elements: ElementsRegistry,
        metrics: FrontendMetrics,
    ) -> None:
        self.stations = GroundStations()
        self.labels = SatelliteLabels()
        self.watches = [
            ResourceWatch(api, GroundStationTarget(self.stations, metrics), namespaces, ""),
            ResourceWatch(api, SatelliteTarget(self.labels, metrics), namespaces, ""),
        ]
        self.planner = PassPlanner(
            self.stations, self.labels, elements.get, lambda: elements.version, metrics
        )

    def start(self) -> None:
        for watch in self.watches:
            watch.start()
        self.planner.start()

    def stop(self) -> None:
        for watch in self.watches:
            watch.stop()
        self.planner.stop()

    def all(self) -> list[KnownStation]:
        return self.stations.all()
