"""Position batch schema v2: what a group's shards publish and the frontend reads."""

from __future__ import annotations

import numpy as np
import pytest
from satfeed_core.batch import (
    BYTES_PER_OBJECT,
    HEADER,
    BatchError,
    PositionBatch,
    decode_batch,
    encode_batch,
)


def _batch(count: int = 3, **overrides: object) -> PositionBatch:
    columns: dict[str, object] = {
        "norad_id": np.arange(25544, 25544 + count, dtype=np.uint32),
        "lon_deg": np.linspace(-179.5, 179.5, count, dtype=np.float32),
        "lat_deg": np.linspace(-51.6, 51.6, count, dtype=np.float32),
        "alt_km": np.full(count, 420.5, dtype=np.float32),
        "speed_km_s": np.full(count, 7.66, dtype=np.float32),
        "elements_epoch_s": np.full(count, 1_787_400_000, dtype=np.uint32),
    }
    columns.update(overrides)
    return PositionBatch(shard=2, time_ms=1_787_443_200_250, **columns)  # type: ignore[arg-type]


def test_a_batch_round_trips_at_24_bytes_per_object() -> None:
    batch = _batch(1000)
    data = encode_batch(batch)
    assert len(data) == HEADER.size + BYTES_PER_OBJECT * 1000
    decoded = decode_batch(data)
    assert (decoded.shard, decoded.time_ms, len(decoded)) == (2, batch.time_ms, 1000)
    assert decoded.time.isoformat() == "2026-08-23T00:00:00.250000+00:00"
    for name in ("norad_id", "lon_deg", "lat_deg", "alt_km", "speed_km_s", "elements_epoch_s"):
        np.testing.assert_array_equal(getattr(decoded, name), getattr(batch, name))


def test_an_empty_batch_is_valid() -> None:
    assert len(decode_batch(encode_batch(_batch(0)))) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "shorter than the 24-byte header"),
        (b'{"v":1,"satellite":"iss"}', "not a satfeed position batch"),
        (HEADER.pack(b"SFPB", 3, 0, 0, 0, 0), "schema version 3"),
        (HEADER.pack(b"SFPB", 2, 0, 0, 2, 0) + bytes(24), "header says 2 objects (72 bytes)"),
    ],
)
def test_malformed_bytes_are_refused_with_the_reason(data: bytes, message: str) -> None:
    with pytest.raises(BatchError, match=message.replace("(", r"\(").replace(")", r"\)")):
        decode_batch(data)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("norad_id", np.array([25544, 0, 1], dtype=np.uint32), "object 1 .* norad_id"),
        ("lon_deg", np.array([0, np.nan, 0], dtype=np.float32), "object 1 .* longitude"),
        ("lat_deg", np.array([0, 0, 91], dtype=np.float32), "object 2 .* latitude"),
        ("alt_km", np.array([np.inf, 0, 0], dtype=np.float32), "object 0 .* finite height"),
        ("speed_km_s", np.array([1, -1, 0], dtype=np.float32), "object 1 .* speed"),
    ],
)
def test_values_a_reader_would_refuse_are_not_written(
    column: str, value: object, message: str
) -> None:
    with pytest.raises(BatchError, match=message):
        encode_batch(_batch(3, **{column: value}))


def test_columns_of_different_lengths_are_refused() -> None:
    with pytest.raises(BatchError, match="lat_deg has 2 values, norad_id 3"):
        encode_batch(_batch(3, lat_deg=np.zeros(2, dtype=np.float32)))
