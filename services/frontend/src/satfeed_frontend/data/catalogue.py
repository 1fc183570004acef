"""Every object the page draws as one point: the latest positions in arrays indexed by a
stable roster, shared by every page.

The page draws all objects, the members of SatelliteGroups and the individual Satellites
alike, in one WebGL trace. What it needs for that is small and the same for every page:

- the **roster**: for each index, the object's name, NORAD id, layer (its group, or
  "Satellites") and, for a Satellite, the value that picks it. Sent to a page once, then
  only what was appended (:meth:`Catalogue.roster_message`); a removal or a rename starts
  a new *generation*, which pages receive whole;
- a **frame** per tick: every object's longitude and latitude in roster order, quantised
  to int16 (:func:`quantise`), base64 in the update stream: 16,069 objects in 86 kB, 5.3
  bytes per object.

The consumer thread writes positions (:meth:`Catalogue.add_batch` for a schema-v2 batch,
whole numpy columns at once; :meth:`Catalogue.add_record` for a schema-v1 record), the push
thread reads frames. Histories are not kept here: a Satellite's history is in
:class:`~satfeed_frontend.data.feed.FeedState` as before, and a group member gets one only
while some page picks it (:meth:`Catalogue.hold_picks`), fed into the same FeedState as a
track of its group's topic, so its card, past track, plots and predicted orbit are drawn by
the code that draws a Satellite's.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import numpy as np
from numpy.typing import NDArray
from satfeed_core.batch import PositionBatch
from satfeed_core.elements import Elements
from satfeed_core.record import PositionRecord
from satfeed_core.usability import MOON_DISTANCE_KM, WGS84_A_KM, WGS84_E2, radius_bounds_km

from satfeed_frontend.data.feed import FeedState, TopicInfo
from satfeed_frontend.data.tick_gate import TickGate

log = logging.getLogger(__name__)

SATELLITES_LAYER: Final = "Satellites"
"""The layer of every individual Satellite (schema-v1 topic)."""
MISSING: Final = -32768
"""A quantised coordinate with no position: not drawn."""
LON_SCALE: Final = 32767 / 180.0
LAT_SCALE: Final = 32767 / 90.0
LON_STEP_DEG: Final = 1 / LON_SCALE
"""0.0055°: a quantised longitude is within half of it (0.0027°, 306 m at the equator)."""
LAT_STEP_DEG: Final = 1 / LAT_SCALE
"""0.0027°: a quantised latitude is within half of it (0.0014°, 153 m)."""
PICK_LEASE_S: Final = 60.0
"""A group member picked by no open page for this long loses its history."""
MEMBER_PREFIX: Final = "norad-"
"""A picked group member's track in the feed is ``norad-<id>`` in its group's topic."""
LAYER_COLOURS: Final = (
    "#4cc9f0", "#f9c74f", "#f94144", "#90be6d", "#f3722c", "#b388eb", "#43aa8b", "#ff8fab",
    "#577590", "#e9ff70", "#9b5de5", "#00f5d4",
)  # fmt: skip
"""One per layer, in the order layers appear (distinct on the dark map)."""

Key = tuple[str, str, str]
"""("v1", topic, satellite) for a Satellite; ("v2", topic, NORAD id) for a group member."""


def quantise(lon: NDArray[np.floating], lat: NDArray[np.floating]) -> bytes:
    """Longitudes then latitudes as little-endian int16 (``n`` each), :data:`MISSING` where
    either is not a number."""
    ok = np.isfinite(lon) & np.isfinite(lat)
    out = np.full(2 * len(lon), MISSING, dtype="<i2")
    n = len(lon)
    with np.errstate(invalid="ignore"):
        out[:n][ok] = np.clip(np.rint(lon[ok] * LON_SCALE), -32767, 32767)
        out[n:][ok] = np.clip(np.rint(lat[ok] * LAT_SCALE), -32767, 32767)
    return out.tobytes()


def dequantise(data: bytes) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """What the page computes from a frame (``assets/catalogue.js`` does the same): NaN where
    :data:`MISSING`."""
    values = np.frombuffer(data, dtype="<i2")
    n = len(values) // 2
    lon = np.where(values[:n] == MISSING, np.nan, values[:n] / LON_SCALE)
    lat = np.where(values[n:] == MISSING, np.nan, values[n:] / LAT_SCALE)
    return lon, lat


def geodetic_radius_km(
    lat_deg: NDArray[np.floating], alt_km: NDArray[np.floating]
) -> NDArray[np.float64]:
    """Distance from the Earth's centre of WGS-84 latitudes and heights (as
    :func:`satfeed_core.usability.geodetic_radius_km`, on whole arrays)."""
    phi = np.radians(np.asarray(lat_deg, dtype=np.float64))
    h = np.asarray(alt_km, dtype=np.float64)
    sin_lat, cos_lat = np.sin(phi), np.cos(phi)
    normal = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * sin_lat * sin_lat)
    return np.asarray(
        np.hypot((normal + h) * cos_lat, (normal * (1.0 - WGS84_E2) + h) * sin_lat),
        dtype=np.float64,
    )


def member_satellite(norad_id: int) -> str:
    return f"{MEMBER_PREFIX}{norad_id}"


def pick_norad_id(value: str) -> int | None:
    """The NORAD id a pick names (``25544`` or ``norad-25544``), if it names one."""
    text = value.removeprefix(MEMBER_PREFIX)
    return int(text) if text.isdigit() and 0 < len(text) <= 9 else None


@dataclass(frozen=True)
class BatchResult:
    kept: int
    implausible: int
    """Positions no orbit of the object could hold: skipped."""
    older: int
    """Positions not newer than the object's newest: skipped."""
    example: str = ""
    """An implausible position, for the log."""


@dataclass(frozen=True)
class Frame:
    generation: int
    count: int
    version: int
    body: bytes
    """``{"g":…,"n":…,"t":…,"p":"<base64>"}``: spliced into the pushed update as is."""


class Catalogue:
    """Roster, latest positions, picks and the tick gate; thread-safe."""

    def __init__(
        self,
        feed: FeedState,
        elements_of: Callable[[int], Elements | None] = lambda norad_id: None,
        elements_version: Callable[[], int] = lambda: 0,
        clock: Callable[[], float] = time.monotonic,
        gate: TickGate | None = None,
    ) -> None:
        self.feed = feed
        self._elements_of = elements_of
        self._elements_version = elements_version
        self._clock = clock
        self._lock = threading.Lock()
        self._tick = threading.Condition(self._lock)
        self._gate = gate or TickGate()
        # A new process starts from a generation no earlier process gave out, so a page
        # that reconnects after a restart never mistakes the new roster for its old one.
        self._generation = secrets.randbelow(1 << 30) * 2
        self._keys: list[Key] = []
        self._index: dict[Key, int] = {}
        self._names: list[str] = []
        self._values: list[str | None] = []
        self._layers: list[str] = []
        self._layer_index: dict[str, int] = {}
        capacity = 64
        self._norad = np.zeros(capacity, dtype=np.uint32)
        self._layer = np.zeros(capacity, dtype=np.uint16)
        self._lon = np.full(capacity, np.nan, dtype=np.float32)
        self._lat = np.full(capacity, np.nan, dtype=np.float32)
        self._alt = np.full(capacity, np.nan, dtype=np.float32)
        self._speed = np.full(capacity, np.nan, dtype=np.float32)
        self._time_ms = np.zeros(capacity, dtype=np.int64)
        self._epoch_s = np.zeros(capacity, dtype=np.int64)
        self._low_km = np.zeros(capacity, dtype=np.float32)
        self._high_km = np.full(capacity, MOON_DISTANCE_KM, dtype=np.float32)
        self._known = np.zeros(capacity, dtype=bool)
        """Whether the bounds come from the object's elements (else: ground to Moon)."""
        self._version = 0
        """Moves on whenever a position changes."""
        self._latest_ms = 0
        self._frame: Frame | None = None
        self._roster_cache: dict[tuple[int, int, int, int], bytes] = {}
        self._topic_layer: dict[str, str] = {}
        self._detected: set[str] = set()
        """Topics without a label that turned out to carry batches: groups by their records."""
        self._members: dict[str, tuple[NDArray[np.uint32], NDArray[np.int64]]] = {}
        """Group topic -> its members' NORAD ids, sorted, and their roster indices."""
        self._names_version = -1
        self._picks: dict[str, float] = {}
        self._picked: dict[int, Key] = {}
        """Roster index -> key, of the group members some page picks."""

    # -- roster ------------------------------------------------------------------------

    def _grow(self, needed: int) -> None:
        capacity = len(self._norad)
        if needed <= capacity:
            return
        size = max(needed, capacity * 2)

        def grown(array: NDArray[np.generic], fill: float) -> NDArray[np.generic]:
            out = np.full(size, fill, dtype=array.dtype)
            out[:capacity] = array
            return out

        self._norad = grown(self._norad, 0)  # type: ignore[assignment]
        self._layer = grown(self._layer, 0)  # type: ignore[assignment]
        self._lon = grown(self._lon, np.nan)  # type: ignore[assignment]
        self._lat = grown(self._lat, np.nan)  # type: ignore[assignment]
        self._alt = grown(self._alt, np.nan)  # type: ignore[assignment]
        self._speed = grown(self._speed, np.nan)  # type: ignore[assignment]
        self._time_ms = grown(self._time_ms, 0)  # type: ignore[assignment]
        self._epoch_s = grown(self._epoch_s, 0)  # type: ignore[assignment]
        self._low_km = grown(self._low_km, 0)  # type: ignore[assignment]
        self._high_km = grown(self._high_km, MOON_DISTANCE_KM)  # type: ignore[assignment]
        self._known = grown(self._known, 0)

    def _layer_of(self, name: str) -> int:
        index = self._layer_index.get(name)
        if index is None:
            index = self._layer_index[name] = len(self._layers)
            self._layers.append(name)
        return index

    def _add(self, key: Key, name: str, value: str | None, norad_id: int, layer: int) -> int:
        index = len(self._keys)
        self._grow(index + 1)
        self._keys.append(key)
        self._index[key] = index
        self._names.append(name)
        self._values.append(value)
        self._norad[index] = norad_id
        self._layer[index] = layer
        self._bounds(index, self._elements_of(norad_id))
        return index

    def _bounds(self, index: int, elements: Elements | None) -> None:
        if elements is None:
            self._low_km[index], self._high_km[index] = 0.0, MOON_DISTANCE_KM
            self._known[index] = False
        else:
            self._low_km[index], self._high_km[index] = radius_bounds_km(elements)
            self._known[index] = True

    def _member_name(self, norad_id: int) -> str:
        elements = self._elements_of(norad_id)
        return elements.name if elements is not None and elements.name else f"NORAD {norad_id}"

    def _compact(self, keep: NDArray[np.bool_]) -> None:
        """Keep only the entries ``keep`` marks; starts a new generation."""
        n = len(self._keys)
        order = np.flatnonzero(keep[:n])
        kept = len(order)
        for name in (
            "_norad", "_layer", "_lon", "_lat", "_alt", "_speed", "_time_ms", "_epoch_s",
            "_low_km", "_high_km", "_known",
        ):  # fmt: skip
            array = getattr(self, name)
            array[:kept] = array[order]
            if name in ("_lon", "_lat", "_alt", "_speed"):
                array[kept:] = np.nan
        self._keys = [self._keys[i] for i in order]
        self._names = [self._names[i] for i in order]
        self._values = [self._values[i] for i in order]
        self._index = {key: i for i, key in enumerate(self._keys)}
        # Layers without entries go; the others keep their order (and so their colours).
        used = sorted({int(each) for each in self._layer[:kept]})
        renumber = np.zeros(max(len(self._layers), 1), dtype=np.uint16)
        for new, old in enumerate(used):
            renumber[old] = new
        self._layer[:kept] = renumber[self._layer[:kept]]
        self._layers = [self._layers[old] for old in used]
        self._layer_index = {name: i for i, name in enumerate(self._layers)}
        self._rebuild_members()
        self._new_generation()

    def _new_generation(self) -> None:
        self._generation += 1
        self._version += 1
        before = set(self._picked.values())
        self._picked = {}  # indices changed: picks are looked up anew
        self._resolve_picks()
        for key in before - set(self._picked.values()):
            self.feed.drop_track(key[1], member_satellite(int(key[2])))

    def _rebuild_members(self) -> None:
        by_topic: dict[str, list[int]] = {}
        for index, key in enumerate(self._keys):
            if key[0] == "v2":
                by_topic.setdefault(key[1], []).append(index)
        self._members = {}
        for topic, indices in by_topic.items():
            idx = np.asarray(indices, dtype=np.int64)
            ids = self._norad[idx]
            order = np.argsort(ids, kind="stable")
            self._members[topic] = (ids[order], idx[order])

    def _member_indices(self, topic: str, norad_ids: NDArray[np.uint32]) -> NDArray[np.int64]:
        """Roster indices of a group topic's objects, adding those not in the roster yet."""
        ids, idx = self._members.get(topic, (np.zeros(0, np.uint32), np.zeros(0, np.int64)))
        position = np.searchsorted(ids, norad_ids)
        found = position < len(ids)
        found[found] = ids[position[found]] == norad_ids[found]
        if not found.all():
            layer = self._layer_of(self._topic_layer.get(topic, topic))
            for norad_id in np.unique(norad_ids[~found]):
                value = int(norad_id)
                self._add(("v2", topic, str(value)), self._member_name(value), None, value, layer)
            self._rebuild_members()
            self._resolve_picks()
            ids, idx = self._members[topic]
            position = np.searchsorted(ids, norad_ids)
        return idx[np.minimum(position, len(idx) - 1)]

    # -- written by the consumer thread -------------------------------------------------

    def set_topics(self, infos: Iterable[TopicInfo]) -> None:
        """The topics read now: each one's layer, and entries of topics no longer read go."""
        with self._lock:
            wanted = {info.topic: info for info in infos}
            self._detected &= set(wanted)
            self._topic_layer = {
                topic: (
                    (info.display_name or info.group or topic)
                    if info.group is not None or info.batched or topic in self._detected
                    else SATELLITES_LAYER
                )
                for topic, info in wanted.items()
            }
            keep = np.array([key[1] in wanted for key in self._keys], dtype=bool)
            if not keep.all():
                self._compact(keep)
                self._publish_counts()
            self._gate.forget({s for s in self._gate.sources() if _source_topic(s) in wanted})

    def add_batch(self, topic: str, batch: PositionBatch) -> BatchResult:
        """A group's batch: every object's position at the batch's time, in one go."""
        with self._lock:
            if topic not in self._topic_layer:
                return BatchResult(0, 0, 0)
            if self._topic_layer[topic] == SATELLITES_LAYER:
                self._topic_layer[topic] = topic  # found to be a group by its records
                self._detected.add(topic)
            n_before = len(self._keys)
            idx = self._member_indices(topic, batch.norad_id)
            time_ms = batch.time_ms
            newer = self._time_ms[idx] < time_ms
            with np.errstate(invalid="ignore"):
                radius = geodetic_radius_km(batch.lat_deg, batch.alt_km)
                plausible = (
                    (radius >= self._low_km[idx])
                    & (radius <= self._high_km[idx])
                    & (self._known[idx] | (batch.alt_km >= 0))
                )
            take = newer & plausible
            chosen = idx[take]
            self._lon[chosen] = batch.lon_deg[take]
            self._lat[chosen] = batch.lat_deg[take]
            self._alt[chosen] = batch.alt_km[take]
            self._speed[chosen] = batch.speed_km_s[take]
            self._time_ms[chosen] = time_ms
            self._epoch_s[chosen] = batch.elements_epoch_s[take]
            self._version += 1
            self._latest_ms = max(self._latest_ms, time_ms)
            if self._picked:
                for index in np.intersect1d(chosen, np.fromiter(self._picked, np.int64)):
                    self._feed_member(int(index))
            if len(self._keys) != n_before:
                self._publish_counts()
            self._arrived(("v2", topic, batch.shard), time_ms)
            self.feed.changed.set()
            bad = np.flatnonzero(~plausible)
            example = ""
            if len(bad):
                row = int(bad[0])
                example = (
                    f"NORAD {int(batch.norad_id[row])} at {float(batch.alt_km[row]):.0f} km, "
                    f"{batch.time.isoformat()}"
                )
            return BatchResult(
                kept=int(take.sum()),
                implausible=len(bad),
                older=int((~newer & plausible).sum()),
                example=example,
            )

    def add_record(self, topic: str, record: PositionRecord, display_name: str | None) -> None:
        """A Satellite's record (schema v1), already kept in the feed."""
        with self._lock:
            if topic not in self._topic_layer:
                return
            key: Key = ("v1", topic, record.satellite)
            name = display_name or record.name or record.satellite
            index = self._index.get(key)
            if index is None:
                layer = self._layer_of(self._topic_layer[topic])
                index = self._add(key, name, record.satellite, record.norad_id, layer)
                self._publish_counts()
            elif self._names[index] != name or int(self._norad[index]) != record.norad_id:
                self._names[index] = name
                self._norad[index] = record.norad_id
                self._new_generation()
            time_ms = round(record.time.timestamp() * 1000)
            if time_ms > self._time_ms[index]:
                self._lon[index] = record.lon
                self._lat[index] = record.lat
                self._alt[index] = record.alt_km
                self._speed[index] = record.speed_km_s
                self._time_ms[index] = time_ms
                self._epoch_s[index] = int(record.elements_epoch.timestamp())
                self._version += 1
                self._latest_ms = max(self._latest_ms, time_ms)
            self._arrived(("v1", topic, record.satellite), time_ms)

    def _arrived(self, source: Hashable, time_ms: int) -> None:
        self._gate.arrived(source, time_ms, self._clock())
        if self._gate.complete(self._clock()):
            self._tick.notify_all()

    def _publish_counts(self) -> None:
        counts: dict[str, int] = {}
        layers: dict[str, str] = {}
        for key in self._keys:
            if key[0] == "v2":
                counts[key[1]] = counts.get(key[1], 0) + 1
                layers[key[1]] = self._topic_layer.get(key[1], key[1])
        self.feed.set_objects({topic: (layers[topic], n) for topic, n in counts.items()})

    # -- read by the push thread ----------------------------------------------------------

    def wait_for_tick(self, timeout: float) -> float | None:
        """Wait until the pending tick is complete (its records all in, or its deadline
        passed), at most ``timeout`` seconds, and take it: returns how long after its first
        record that was; None at once when no tick is pending, or after the timeout."""
        with self._tick:
            deadline = self._clock() + timeout
            while self._gate.pending():
                now = self._clock()
                if self._gate.complete(now):
                    opened = self._gate.opened_at()
                    self._gate.take()
                    return now - opened
                if now >= deadline:
                    return None
                due = self._gate.deadline() or deadline
                self._tick.wait(max(0.0, min(deadline, due) - now) + 0.001)
            return None

    def tick_pending(self) -> bool:
        with self._lock:
            return self._gate.pending()

    def roster_state(self) -> tuple[int, int]:
        with self._lock:
            return self._generation, len(self._keys)

    def frame(self) -> Frame | None:
        """Every object's position now, quantised, in roster order (None: no objects)."""
        with self._lock:
            cached = self._frame
            if cached is not None and cached.version == self._version:
                return cached
            n = len(self._keys)
            if n == 0:
                return None
            generation, version, latest = self._generation, self._version, self._latest_ms
            lon, lat = self._lon[:n].copy(), self._lat[:n].copy()
        encoded = base64.b64encode(quantise(lon, lat)).decode("ascii")
        body = f'{{"g":{generation},"n":{n},"t":{latest},"p":"{encoded}"}}'.encode()
        frame = Frame(generation, n, version, body)
        with self._lock:
            if self._version == version:
                self._frame = frame
        return frame

    def roster_message(self, since: tuple[int, int] | None) -> bytes | None:
        """What a page that has the roster ``since`` (generation, entries) lacks, as JSON:
        the entries appended since, or the whole roster of a new generation. None when it
        lacks nothing."""
        with self._lock:
            generation, n = self._generation, len(self._keys)
            start = since[1] if since is not None and since[0] == generation else 0
            if since is not None and since == (generation, n):
                return None
            if start > n:
                start = 0
            cache_key = (generation, n, start, len(self._layers))
            cached = self._roster_cache.get(cache_key)
            if cached is not None:
                return cached
            names = self._names[start:n]
            values = {str(i): v for i, v in enumerate(self._values[start:n], start) if v}
            norad = self._norad[start:n].tolist()
            layer = self._layer[start:n].tolist()
            layers = [
                {"name": name, "colour": LAYER_COLOURS[i % len(LAYER_COLOURS)]}
                for i, name in enumerate(self._layers)
            ]
        body = json.dumps(
            {
                "g": generation,
                "from": start,
                "n": n,
                "names": names,
                "norad": norad,
                "layer": layer,
                "values": values,
                "layers": layers,
            },
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
        with self._lock:
            if len(self._roster_cache) > 8:
                self._roster_cache.clear()
            self._roster_cache[cache_key] = body
        return body

    def count(self) -> int:
        with self._lock:
            return len(self._keys)

    def refresh_names(self) -> None:
        """Group members' names and plausibility bounds from the elements, when those
        changed (a new generation if a name did)."""
        version = self._elements_version()
        with self._lock:
            if version == self._names_version:
                return
            self._names_version = version
            renamed = False
            for index, key in enumerate(self._keys):
                if key[0] != "v2":
                    continue
                norad_id = int(self._norad[index])
                elements = self._elements_of(norad_id)
                self._bounds(index, elements)
                name = self._member_name(norad_id)
                if name != self._names[index]:
                    self._names[index] = name
                    renamed = True
            if renamed:
                self._new_generation()

    # -- picks ----------------------------------------------------------------------------

    def hold_picks(self, values: Iterable[str]) -> None:
        """The values some page picks now (URL ``sat=``): group members among them get a
        history (from their latest position on), kept until no page has picked them for
        :data:`PICK_LEASE_S`."""
        now = self._clock()
        with self._lock:
            new = False
            for value in values:
                new |= value not in self._picks
                self._picks[value] = now
            expired = [v for v, held in self._picks.items() if now - held > PICK_LEASE_S]
            for value in expired:
                del self._picks[value]
            if new or expired:
                self._resolve_picks()

    def _resolve_picks(self) -> None:
        """Call with the lock held: which roster entries the picks name."""
        wanted: set[int] = set()
        n = len(self._keys)
        for value in self._picks:
            norad_id = pick_norad_id(value)
            if norad_id is None:
                continue
            for found in np.flatnonzero(self._norad[:n] == norad_id).tolist():
                if self._keys[found][0] == "v2":
                    wanted.add(found)
        for picked, key in list(self._picked.items()):
            if picked not in wanted:
                del self._picked[picked]
                self.feed.drop_track(key[1], member_satellite(int(key[2])))
        for new in wanted - set(self._picked):
            self._picked[new] = self._keys[new]
            self._feed_member(new)

    def _feed_member(self, index: int) -> None:
        """A picked member's latest position into the feed, as its track's next sample."""
        if not np.isfinite(self._lon[index]) or self._time_ms[index] <= 0:
            return
        _, topic, _ = self._keys[index]
        norad_id = int(self._norad[index])
        try:
            record = PositionRecord(
                satellite=member_satellite(norad_id),
                name=self._names[index],
                norad_id=norad_id,
                time=datetime.fromtimestamp(int(self._time_ms[index]) / 1000, UTC),
                lon=float(self._lon[index]),
                lat=float(self._lat[index]),
                alt_km=float(self._alt[index]),
                speed_km_s=float(self._speed[index]),
                elements_epoch=datetime.fromtimestamp(int(self._epoch_s[index]), UTC),
            )
        except ValueError:  # a value no record may hold: not drawn as a track
            return
        self.feed.add_member(topic, record)

    def picked_keys(self) -> Mapping[int, Key]:
        with self._lock:
            return dict(self._picked)


def _source_topic(source: Hashable) -> str | None:
    return source[1] if isinstance(source, tuple) and len(source) == 3 else None
