"""Orbital elements of the shown satellites, from the ConfigMaps the operator keeps.

The operator writes each Satellite's current element set into a ConfigMap (key
``elements``) labelled like every child of the Satellite; a KafkaTopic carries the same
``satfeed.io/satellite`` label, which is how a topic finds its elements. A SatelliteGroup's
members' element sets are in ConfigMaps labelled like the group's children
(``<group>-elements-<k>``, up to 700 kB of text each), found by NORAD id: they name the
members on the page and predict a picked member's orbit. The records carry no elements, so
this is the only place predicted ground tracks can come from.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from satfeed_core.contract import ELEMENTS_KEY
from satfeed_core.elements import (
    Elements,
    ElementsError,
    load_elements,
    parse_elements,
    select_elements,
)
from satfeed_core.labels import SATELLITE_GROUP_KEY, SATELLITE_KEY

log = logging.getLogger(__name__)


SatelliteRef = tuple[str, str]
"""(namespace, Satellite name)."""


def satellite_ref(obj: Mapping[str, Any]) -> SatelliteRef | None:
    """The Satellite a child object belongs to, from its ``satfeed.io/satellite`` label."""
    metadata = obj["metadata"]
    satellite = (metadata.get("labels") or {}).get(SATELLITE_KEY)
    if not satellite:
        return None
    return str(metadata.get("namespace", "")), str(satellite)


class ElementsRegistry:
    """Elements by Satellite, fed by a ConfigMap watch; thread-safe.

    ``version`` changes with every change of any satellite's elements, so pages can redraw
    their predictions.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_scope: dict[str, dict[SatelliteRef, Elements]] = {}
        self._from_file: dict[int, Elements] = {}
        self._groups: dict[str, dict[tuple[str, str], dict[int, Elements]]] = {}
        """Scope -> (namespace, ConfigMap) -> a group's members' elements by NORAD id."""
        self._by_norad_id: dict[int, Elements] = {}
        """Rebuilt on every change (rare), so the per-record lookup is one dict access."""
        self.version = 0

    def _changed(self) -> None:
        """Call with the lock held, after any change."""
        self._by_norad_id = {
            norad_id: elements
            for chunks in self._groups.values()
            for chunk in chunks.values()
            for norad_id, elements in chunk.items()
        }
        self._by_norad_id.update(
            (elements.norad_id, elements)
            for entries in self._by_scope.values()
            for elements in entries.values()
        )
        self._by_norad_id.update(self._from_file)
        self.version += 1

    def replace(self, scope: str, configmaps: Sequence[Mapping[str, Any]]) -> None:
        found = {}
        for configmap in configmaps:
            parsed = _parse(configmap)
            if parsed is not None:
                found[parsed[0]] = parsed[1]
        with self._lock:
            if self._by_scope.get(scope) != found:
                self._by_scope[scope] = found
                self._changed()

    def apply(self, scope: str, event_type: str, configmap: Mapping[str, Any]) -> None:
        parsed = None if event_type == "DELETED" else _parse(configmap)
        ref = satellite_ref(configmap)
        if ref is None:
            return
        with self._lock:
            entries = self._by_scope.setdefault(scope, {})
            if parsed is None:
                entries.pop(ref, None)
            else:
                entries[ref] = parsed[1]
            self._changed()

    def replace_group(self, scope: str, configmaps: Sequence[Mapping[str, Any]]) -> None:
        """Every group elements ConfigMap of a scope, from a full list."""
        found = {}
        for configmap in configmaps:
            parsed = _parse_group(configmap)
            if parsed is not None:
                found[parsed[0]] = parsed[1]
        with self._lock:
            if self._groups.get(scope) != found:
                self._groups[scope] = found
                self._changed()

    def apply_group(self, scope: str, event_type: str, configmap: Mapping[str, Any]) -> None:
        metadata = configmap["metadata"]
        identity = (str(metadata.get("namespace", "")), str(metadata["name"]))
        parsed = None if event_type == "DELETED" else _parse_group(configmap)
        with self._lock:
            chunks = self._groups.setdefault(scope, {})
            if parsed is None:
                if chunks.pop(identity, None) is None:
                    return
            else:
                chunks[identity] = parsed[1]
            self._changed()

    def add_file(self, path: Path) -> None:
        """Element sets from a file, found by NORAD id (the newest epoch of each object)."""
        by_id: dict[int, list[Elements]] = {}
        for elements in load_elements(path):
            by_id.setdefault(elements.norad_id, []).append(elements)
        newest = {
            norad_id: select_elements(sets, norad_id, str(path)) for norad_id, sets in by_id.items()
        }
        with self._lock:
            self._from_file.update(newest)
            self._changed()

    def of_norad_id(self, norad_id: int) -> Elements | None:
        """Any known element set of this object: enough to judge whether a position is
        plausible (the same object in two namespaces has the same orbit)."""
        with self._lock:
            return self._by_norad_id.get(norad_id)

    def get(self, ref: SatelliteRef) -> Elements | None:
        with self._lock:
            for entries in self._by_scope.values():
                if ref in entries:
                    return entries[ref]
        return None


def _parse(configmap: Mapping[str, Any]) -> tuple[SatelliteRef, Elements] | None:
    ref = satellite_ref(configmap)
    text = (configmap.get("data") or {}).get(ELEMENTS_KEY)
    if ref is None or not text:
        return None
    try:
        elements = parse_elements(text)
    except ElementsError as error:
        name = configmap["metadata"].get("name")
        log.warning("no predicted track for %s/%s: its elements do not parse: %s", *ref, error)
        log.debug("ConfigMap %s holds the unparsable elements", name)
        return None
    return (ref, elements[0]) if elements else None


def _parse_group(
    configmap: Mapping[str, Any],
) -> tuple[tuple[str, str], dict[int, Elements]] | None:
    """A group elements ConfigMap's members by NORAD id (the newest epoch of each)."""
    metadata = configmap["metadata"]
    group = (metadata.get("labels") or {}).get(SATELLITE_GROUP_KEY)
    text = (configmap.get("data") or {}).get(ELEMENTS_KEY)
    if not group or not text:
        return None
    identity = (str(metadata.get("namespace", "")), str(metadata["name"]))
    try:
        parsed = parse_elements(text)
    except ElementsError as error:
        log.warning(
            "no names or predicted orbits from ConfigMap %s/%s of group %s: its elements do "
            "not parse: %s",
            *identity,
            group,
            error,
        )
        return None
    members: dict[int, Elements] = {}
    for elements in parsed:
        known = members.get(elements.norad_id)
        if known is None or elements.epoch > known.epoch:
            members[elements.norad_id] = elements
    return identity, members
