"""Position batch record schema v2: one Kafka record per shard per tick for a group.

A :class:`~satfeed_core.record.PositionRecord` (schema v1) is one JSON object per satellite
position: readable, about 230 bytes, and a few microseconds to encode and decode in Python.
A SatelliteGroup of 16,069 objects at 1 Hz would need 16,069 of them a second; a batch
carries all of one shard's objects at one time as little-endian columns, 24 bytes per
object, encoded and decoded as whole numpy arrays. ``docs/record-schema-v2.md`` is the
contract; ``bench/group_producer.py`` measures both encodings.

Layout (all little-endian; ``n`` objects):

=======  ==========  ==========  ====================================================
offset   size        type        field
=======  ==========  ==========  ====================================================
0        4           bytes       magic ``SFPB``
4        2           uint16      schema version, 2
6        2           uint16      shard index
8        8           int64       time of every position, ms since the Unix epoch, UTC
16       4           uint32      ``n``
20       4           uint32      reserved, 0
24       4n          uint32      NORAD catalogue numbers
24+4n    4n          float32     geodetic longitude, degrees, -180..180
24+8n    4n          float32     geodetic latitude on WGS-84, degrees, -90..90
24+12n   4n          float32     height above the WGS-84 ellipsoid, km
24+16n   4n          float32     inertial speed, km/s
24+20n   4n          uint32      epoch of each object's element set, s since the Unix epoch
=======  ==========  ==========  ====================================================

Needs numpy (the ``propagation`` extra).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import numpy as np
from numpy.typing import NDArray

SCHEMA_VERSION: Final = 2
MAGIC: Final = b"SFPB"
HEADER: Final = struct.Struct("<4sHHqII")
BYTES_PER_OBJECT: Final = 24
MAX_OBJECTS: Final = 40_000
"""Bounds one record to under 1 MB, Kafka's default largest message."""

_COLUMNS: Final = (
    ("norad_id", "<u4"),
    ("lon_deg", "<f4"),
    ("lat_deg", "<f4"),
    ("alt_km", "<f4"),
    ("speed_km_s", "<f4"),
    ("elements_epoch_s", "<u4"),
)


class BatchError(ValueError):
    """A position batch that is not valid v2: says what is wrong and where."""


@dataclass(frozen=True, eq=False)
class PositionBatch:
    """One shard's objects at one time, one array element per object (same order in all)."""

    shard: int
    time_ms: int
    """When every object is at its position: ms since the Unix epoch, UTC."""
    norad_id: NDArray[np.uint32]
    lon_deg: NDArray[np.float32]
    lat_deg: NDArray[np.float32]
    alt_km: NDArray[np.float32]
    speed_km_s: NDArray[np.float32]
    elements_epoch_s: NDArray[np.uint32]

    def __len__(self) -> int:
        return len(self.norad_id)

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.time_ms / 1000, UTC)


def encode_batch(batch: PositionBatch) -> bytes:
    """The batch as v2 bytes; raises :class:`BatchError` for values a reader would refuse."""
    _check(batch)
    header = HEADER.pack(MAGIC, SCHEMA_VERSION, batch.shard, batch.time_ms, len(batch), 0)
    columns = (
        np.ascontiguousarray(getattr(batch, name), dtype=dtype).tobytes()
        for name, dtype in _COLUMNS
    )
    return header + b"".join(columns)


def decode_batch(data: bytes) -> PositionBatch:
    """A batch from v2 bytes (arrays are read-only views of ``data``)."""
    if len(data) < HEADER.size:
        raise BatchError(
            f"position batch: {len(data)} bytes is shorter than the {HEADER.size}-byte header"
        )
    magic, version, shard, time_ms, count, _ = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise BatchError(
            f"position batch: starts with {magic!r}, not {MAGIC!r}: not a satfeed position "
            f"batch (schema v1 records are JSON and start with '{{')"
        )
    if version != SCHEMA_VERSION:
        raise BatchError(f"position batch: schema version {version}, this reader knows 2")
    expected = HEADER.size + BYTES_PER_OBJECT * count
    if len(data) != expected:
        raise BatchError(
            f"position batch: header says {count} objects ({expected} bytes), "
            f"the record has {len(data)} bytes"
        )
    arrays = {
        name: np.frombuffer(data, dtype=dtype, count=count, offset=HEADER.size + 4 * count * i)
        for i, (name, dtype) in enumerate(_COLUMNS)
    }
    batch = PositionBatch(shard=shard, time_ms=time_ms, **arrays)
    _check(batch)
    return batch


def _check(batch: PositionBatch) -> None:
    count = len(batch.norad_id)
    if count > MAX_OBJECTS:
        raise BatchError(f"position batch: {count} objects, at most {MAX_OBJECTS} fit one record")
    for name, _ in _COLUMNS[1:]:
        if len(getattr(batch, name)) != count:
            raise BatchError(
                f"position batch: {name} has {len(getattr(batch, name))} values, norad_id {count}"
            )
    if not 0 <= batch.shard <= 0xFFFF:
        raise BatchError(f"position batch: shard {batch.shard} is not 0..65535")
    problems = (
        ("norad_id", batch.norad_id < 1, "is not a positive catalogue number"),
        ("lon_deg", ~(np.abs(batch.lon_deg) <= 180), "is not a longitude from -180 to 180"),
        ("lat_deg", ~(np.abs(batch.lat_deg) <= 90), "is not a latitude from -90 to 90"),
        ("alt_km", ~np.isfinite(batch.alt_km), "is not a finite height"),
        ("speed_km_s", ~(batch.speed_km_s >= 0), "is not a speed of 0 or more"),
    )
    for name, bad, problem in problems:
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise BatchError(
                f"position batch: object {row} (NORAD {int(batch.norad_id[row])}) {name} "
                f"{getattr(batch, name)[row]!r} {problem}"
            )
