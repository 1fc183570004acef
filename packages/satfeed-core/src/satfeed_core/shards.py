"""Which shard of a SatelliteGroup propagates which member, and from which tick.

A member belongs to shard ``shard_of(norad_id, shards)``: Lamping and Veach's jump
consistent hash of the NORAD id. Going from N to N+1 shards moves only the members the new
shard takes (about 1/(N+1) of them); the rest stay where they were.

A change of the shard count takes effect at one tick for every shard at once: the operator
writes a :class:`ShardPlan` (old count, new count, the time of the switch, far enough ahead
for every shard's pod to have read it and for new shards to have started), and every
producer uses the count in force at each tick's time. So a member that moves is published
by its old shard up to the tick before the switch and by its new one from the switch on:
no gap and no duplicate, as long as the shards' clocks agree to within an interval.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

MAX_SHARDS: Final = 64
"""The CRD's bound too; a 16,069-object catalogue needs 1 to 4."""
DEFAULT_MEMBERS_PER_SHARD: Final = 5000

_MASK64: Final = (1 << 64) - 1


def shard_of(norad_id: int, shards: int) -> int:
    """The shard (0 .. shards-1) that owns ``norad_id`` when there are ``shards`` of them."""
    if shards < 1:
        raise ValueError(f"shards must be at least 1, not {shards}")
    key = _splitmix64(norad_id)
    bucket, candidate = -1, 0
    while candidate < shards:
        bucket = candidate
        key = (key * 2862933555777941757 + 1) & _MASK64
        candidate = int((bucket + 1) * ((1 << 31) / ((key >> 33) + 1)))
    return bucket


def _splitmix64(value: int) -> int:
    """Spreads neighbouring catalogue numbers over the whole 64-bit range first."""
    z = (value + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


class ShardPlanError(ValueError):
    """A shard plan file that cannot be read."""


@dataclass(frozen=True, slots=True)
class ShardPlan:
    """``previous`` shards before ``switch_at``, ``shards`` from then on."""

    shards: int
    previous: int
    switch_at: datetime

    def __post_init__(self) -> None:
        for field, value in (("shards", self.shards), ("previous", self.previous)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ShardPlanError(f"shard plan {field!r}: {value!r} is not a whole number")
            if not 1 <= value <= MAX_SHARDS:
                raise ShardPlanError(f"shard plan {field!r}: {value} is not 1..{MAX_SHARDS}")
        if self.switch_at.tzinfo is None:
            raise ShardPlanError("shard plan 'switchAt' has no time zone")

    @classmethod
    def steady(cls, shards: int) -> ShardPlan:
        return cls(shards=shards, previous=shards, switch_at=datetime(1970, 1, 1, tzinfo=UTC))

    def shards_at(self, when: datetime) -> int:
        """How many shards share the members at ``when``."""
        return self.shards if when >= self.switch_at else self.previous

    def to_json(self) -> str:
        return json.dumps(
            {
                "shards": self.shards,
                "previous": self.previous,
                "switchAt": self.switch_at.astimezone(UTC).isoformat(),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> ShardPlan:
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise ShardPlanError(f"shard plan is not JSON: {exc}") from None
        if not isinstance(document, dict):
            raise ShardPlanError("shard plan is not a JSON object")
        missing = {"shards", "previous", "switchAt"} - document.keys()
        if missing:
            raise ShardPlanError(f"shard plan lacks {', '.join(sorted(missing))}")
        try:
            switch_at = datetime.fromisoformat(str(document["switchAt"]))
        except ValueError as exc:
            raise ShardPlanError(f"shard plan 'switchAt': {exc}") from None
        return cls(shards=document["shards"], previous=document["previous"], switch_at=switch_at)
