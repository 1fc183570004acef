"""GroundStations and the Satellites' labels, as the page needs them to predict passes.

A GroundStation selects Satellites by *their* labels (``spec.satelliteSelector``), which
only the Satellite objects carry, so both are watched (read-only, like the KafkaTopics:
:class:`~satfeed_frontend.data.kube_watch.ResourceWatch`). Each station's spec is parsed by
:func:`satfeed_core.ground_station.parse_ground_station`, the operator's parser, so a
station means the same on the page as in its status. A spec that does not parse is logged
once (with the parser's message naming the field) and left out; the rest of the page is
not affected.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kubernetes import client
from satfeed_core.ground_station import (
    PLURAL,
    GroundStationError,
    GroundStationSpec,
    parse_ground_station,
)
from satfeed_core.labels import GROUP

from satfeed_frontend.data.kube_watch import ListFunction
from satfeed_frontend.metrics import FrontendMetrics

log = logging.getLogger(__name__)

VERSION: Final = "v1alpha1"
SATELLITES: Final = "satellites"

StationKey = tuple[str, str]
"""(namespace, GroundStation name)."""


@dataclass(frozen=True)
class KnownStation:
    key: StationKey
    spec: GroundStationSpec

    @property
    def value(self) -> str:
        """How the page (and its URL, ``?station=``) names it: ``namespace/name``."""
        return f"{self.key[0]}/{self.key[1]}"

    @property
    def display_name(self) -> str:
        return self.spec.station.name or self.key[1]


def _identity(obj: Mapping[str, Any]) -> tuple[str, str]:
    metadata = obj["metadata"]
    return str(metadata.get("namespace", "")), str(metadata["name"])


class GroundStations:
    """The GroundStations the watches have seen, parsed; thread-safe. ``version`` changes
    whenever a station comes, goes or changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_scope: dict[str, dict[StationKey, KnownStation]] = {}
        self._reported: dict[StationKey, str] = {}
        """The problem last logged per station, so each is logged once."""
        self.version = 0

    def _parse(self, obj: Mapping[str, Any]) -> KnownStation | None:
        key = _identity(obj)
        try:
            spec = parse_ground_station(key[1], obj.get("spec") or {})
        except GroundStationError as error:
            problem = str(error)
            with self._lock:
                if self._reported.get(key) == problem:
                    return None
                self._reported[key] = problem
            log.warning("GroundStation %s/%s is not shown: %s", *key, problem)
            return None
        with self._lock:
            self._reported.pop(key, None)
        return KnownStation(key, spec)

    def replace(self, scope: str, items: Sequence[Mapping[str, Any]]) -> None:
        found = {}
        for obj in items:
            parsed = self._parse(obj)
            if parsed is not None:
                found[parsed.key] = parsed
        with self._lock:
            if self._by_scope.get(scope) != found:
                self._by_scope[scope] = found
                self.version += 1

    def apply(self, scope: str, event_type: str, obj: Mapping[str, Any]) -> None:
        key = _identity(obj)
        parsed = None if event_type == "DELETED" else self._parse(obj)
        with self._lock:
            entries = self._by_scope.setdefault(scope, {})
            before = entries.get(key)
            if parsed is None:
                entries.pop(key, None)
            else:
                entries[key] = parsed
            if before != parsed:
                self.version += 1

    def all(self) -> list[KnownStation]:
        """Every usable station, by namespace and name."""
        with self._lock:
            stations = [each for scope in self._by_scope.values() for each in scope.values()]
        return sorted(stations, key=lambda each: each.key)

    def get(self, value: str) -> KnownStation | None:
        """A station by its :attr:`KnownStation.value` (``namespace/name``)."""
        namespace, _, name = value.partition("/")
        with self._lock:
            for scope in self._by_scope.values():
                if (namespace, name) in scope:
                    return scope[(namespace, name)]
        return None


class SatelliteLabels:
    """Each Satellite's labels, by (namespace, name); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_scope: dict[str, dict[tuple[str, str], dict[str, str]]] = {}
        self.version = 0

    def replace(self, scope: str, items: Sequence[Mapping[str, Any]]) -> None:
        found = {_identity(obj): _labels(obj) for obj in items}
        with self._lock:
            if self._by_scope.get(scope) != found:
                self._by_scope[scope] = found
                self.version += 1

    def apply(self, scope: str, event_type: str, obj: Mapping[str, Any]) -> None:
        key, labels = _identity(obj), _labels(obj)
        with self._lock:
            entries = self._by_scope.setdefault(scope, {})
            if event_type == "DELETED":
                changed = entries.pop(key, None) is not None
            else:
                changed = entries.get(key) != labels
                entries[key] = labels
            if changed:
                self.version += 1

    def in_namespace(self, namespace: str) -> dict[str, dict[str, str]]:
        """The Satellites of a namespace: name -> labels."""
        with self._lock:
            return {
                name: dict(labels)
                for scope in self._by_scope.values()
                for (each, name), labels in scope.items()
                if each == namespace
            }


def _labels(obj: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in (obj["metadata"].get("labels") or {}).items()}


def satfeed_objects_in(plural: str) -> Any:
    """A list function for a satfeed.io resource (``satellites``, ``groundstations``)."""

    def list_function(api: Any, scope: str) -> ListFunction:
        objects = client.CustomObjectsApi(api)
        if scope:
            return lambda **kw: objects.list_namespaced_custom_object(
                GROUP, VERSION, scope, plural, **kw
            )
        return lambda **kw: objects.list_cluster_custom_object(GROUP, VERSION, plural, **kw)

    return list_function


class GroundStationTarget:
    """The stations the page offers: optional, so a problem is logged and counted, and the
    page simply offers no station."""

    what = "GroundStations"
    rbac_hint = (
        "grant the frontend's service account get, list and watch on groundstations and "
        "satellites in satfeed.io there to show ground stations and their passes (the chart's "
        "groundStations.enabled), or turn them off with --predictions false"
    )
    list_function = staticmethod(satfeed_objects_in(PLURAL))

    def __init__(self, stations: GroundStations, metrics: FrontendMetrics) -> None:
        self.metrics = metrics
        self.replace = stations.replace
        self.apply = stations.apply

    def problem(self, scope: str, problem: str | None) -> None:
        if problem is not None:
            self.metrics.elements_errors.labels(namespace=scope).inc()


class SatelliteTarget:
    """The Satellites' labels, which the stations' selectors choose by."""

    what = "Satellites"
    rbac_hint = GroundStationTarget.rbac_hint
    list_function = staticmethod(satfeed_objects_in(SATELLITES))

    def __init__(self, labels: SatelliteLabels, metrics: FrontendMetrics) -> None:
        self.metrics = metrics
        self.replace = labels.replace
        self.apply = labels.apply

    def problem(self, scope: str, problem: str | None) -> None:
        if problem is not None:
            self.metrics.elements_errors.labels(namespace=scope).inc()
