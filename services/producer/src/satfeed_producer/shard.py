"""A SatelliteGroup shard's work at one tick: which members it owns, and their batch.

Pure: no I/O, no clock. At a tick time ``t`` the shard plan says how many shards share the
group (``plan.shards_at(t)``); this shard owns the members whose
:func:`~satfeed_core.shards.shard_of` is its index, propagates them in one
:class:`~satfeed_core.propagation.Sgp4Propagator` call and packs those with a plausible
position into one :class:`~satfeed_core.batch.PositionBatch`. Every shard evaluates the
same rule for the same ``t``, so at every tick each member is in exactly one shard's batch,
across a change of the shard count too.

The members and propagator a shard count needs are built once and kept until the members or
the plan change; a pending switch has both counts' ready before the switch tick.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

import numpy as np
from numpy.typing import NDArray
from satfeed_core.batch import PositionBatch
from satfeed_core.elements import Elements
from satfeed_core.propagation import Sgp4Propagator
from satfeed_core.shards import ShardPlan, shard_of

_UNIX_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND: Final = timedelta(milliseconds=1)


@dataclass(frozen=True, eq=False)
class Members:
    """A group's usable members, one element set per NORAD id, in NORAD id order."""

    elements: tuple[Elements, ...]
    norad_id: NDArray[np.uint32]
    epoch_s: NDArray[np.uint32]
    """Each element set's epoch, whole seconds since the Unix epoch (rounded down)."""
    _by_id: Mapping[int, Elements] = field(repr=False)

    @classmethod
    def of(cls, elements: Iterable[Elements]) -> Members:
        """Members from element sets with distinct NORAD ids (see :func:`newest_per_object`)."""
        ordered = tuple(sorted(elements, key=lambda each: each.norad_id))
        by_id = {each.norad_id: each for each in ordered}
        if len(by_id) != len(ordered):
            raise ValueError("members must have distinct NORAD ids: pick one set per object first")
        return cls(
            elements=ordered,
            norad_id=np.array([each.norad_id for each in ordered], dtype=np.uint32),
            epoch_s=np.array(
                [(each.epoch - _UNIX_EPOCH) // timedelta(seconds=1) for each in ordered],
                dtype=np.uint32,
            ),
            _by_id=by_id,
        )

    def __len__(self) -> int:
        return len(self.elements)

    def get(self, norad_id: int) -> Elements | None:
        return self._by_id.get(norad_id)


def newest_per_object(candidates: Iterable[Elements]) -> list[Elements]:
    """One element set per NORAD id, the newest epoch (the first of equals): the rule of
    :func:`satfeed_core.elements.select_elements`, for every object at once."""
    chosen: dict[int, Elements] = {}
    for each in candidates:
        held = chosen.get(each.norad_id)
        if held is None or each.epoch > held.epoch:
            chosen[each.norad_id] = each
    return list(chosen.values())


@dataclass(frozen=True, eq=False)
class _Owned:
    """The members one shard owns at one shard count, with their propagator."""

    norad_id: NDArray[np.uint32]
    epoch_s: NDArray[np.uint32]
    propagator: Sgp4Propagator


@dataclass(frozen=True, eq=False)
class Tick:
    """What a shard publishes at one tick time."""

    time: datetime
    shards: int
    """Shards in force at ``time``."""
    batch: PositionBatch | None
    """None when the shard is idle (its index is not below ``shards``)."""
    owned: int
    """Members the shard owns at ``time``: the batch's objects plus the failed ones."""
    failed_id: NDArray[np.uint32]
    failed_code: NDArray[np.uint8]
    """Members left out for lack of a plausible position, and why (see
    :data:`satfeed_core.usability.PROBLEMS`)."""

    @property
    def idle(self) -> bool:
        return self.batch is None

    def failure_counts(self) -> dict[int, int]:
        """How many members were left out, by failure code."""
        codes, counts = np.unique(self.failed_code, return_counts=True)
        return dict(zip(codes.tolist(), counts.tolist(), strict=True))


class FailingMembers:
    """Which members have no plausible position, so that each episode is reported once:
    when a member starts failing and when it stops, not at every tick in between."""

    def __init__(self) -> None:
        self.ids: frozenset[int] = frozenset()

    def update(self, tick: Tick) -> tuple[list[int], list[int]]:
        """(members that started failing, members that stopped) since the previous tick.

        A member stops failing when it has a position again, and also when it leaves this
        shard (a reshard) or the group (new elements).
        """
        failing = frozenset(tick.failed_id.tolist())
        if failing == self.ids:
            return [], []
        started, ended = sorted(failing - self.ids), sorted(self.ids - failing)
        self.ids = failing
        return started, ended


class ShardTicker:
    """Turns tick times into this shard's batches for the current members and plan."""

    def __init__(self, shard: int, members: Members, plan: ShardPlan) -> None:
        self.shard = shard
        self._members = members
        self._plan = plan
        self._owned: dict[int, _Owned | None] = {}

    @property
    def members(self) -> Members:
        return self._members

    @property
    def plan(self) -> ShardPlan:
        return self._plan

    def replace_members(self, members: Members) -> None:
        self._members = members
        self._owned.clear()

    def replace_plan(self, plan: ShardPlan) -> None:
        self._plan = plan
        for count in list(self._owned):
            if count not in (plan.previous, plan.shards):
                del self._owned[count]

    def prepare(self, when: datetime) -> None:
        """Build now what ticks from ``when`` on need: the count in force, and the one after
        a pending switch, so the switch tick costs no more than any other."""
        self._owned_at(self._plan.shards_at(when))
        if when < self._plan.switch_at:
            self._owned_at(self._plan.shards)

    def owned_ids(self, shards: int) -> NDArray[np.uint32]:
        """NORAD ids this shard owns when ``shards`` share the group."""
        owned = self._owned_at(shards)
        return owned.norad_id if owned is not None else np.empty(0, dtype=np.uint32)

    def tick(self, when: datetime) -> Tick:
        shards = self._plan.shards_at(when)
        if when >= self._plan.switch_at and shards != self._plan.previous:
            self._owned.pop(self._plan.previous, None)  # past the switch: not needed again
        no_failures = (np.empty(0, dtype=np.uint32), np.empty(0, dtype=np.uint8))
        if self.shard >= shards:
            return Tick(when, shards, None, 0, *no_failures)
        owned = self._owned_at(shards)
        time_ms = (when - _UNIX_EPOCH) // _MILLISECOND
        if owned is None:
            empty = _empty_batch(self.shard, time_ms)
            return Tick(when, shards, empty, 0, *no_failures)
        positions = owned.propagator.positions_at(when)
        codes = positions.error_code[:, 0]
        ok = codes == 0
        batch = PositionBatch(
            shard=self.shard,
            time_ms=time_ms,
            norad_id=owned.norad_id[ok],
            lon_deg=positions.lon_deg[ok, 0].astype(np.float32),
            lat_deg=positions.lat_deg[ok, 0].astype(np.float32),
            alt_km=positions.alt_km[ok, 0].astype(np.float32),
            speed_km_s=positions.speed_km_s[ok, 0].astype(np.float32),
            elements_epoch_s=owned.epoch_s[ok],
        )
        failed = ~ok
        return Tick(when, shards, batch, len(owned.norad_id), owned.norad_id[failed], codes[failed])

    def _owned_at(self, shards: int) -> _Owned | None:
        if shards in self._owned:
            return self._owned[shards]
        owned: _Owned | None = None
        if self.shard < shards:
            ids = self._members.norad_id
            mine = np.fromiter(
                (shard_of(int(each), shards) == self.shard for each in ids),
                dtype=bool,
                count=len(ids),
            )
            rows = np.flatnonzero(mine)
            if rows.size:
                owned = _Owned(
                    norad_id=ids[rows],
                    epoch_s=self._members.epoch_s[rows],
                    propagator=Sgp4Propagator([self._members.elements[row] for row in rows]),
                )
        self._owned[shards] = owned
        return owned


def _empty_batch(shard: int, time_ms: int) -> PositionBatch:
    """A batch with no object: published when the shard owns no member, so readers see the
    shard is alive and the tick complete."""
    return PositionBatch(
        shard=shard,
        time_ms=time_ms,
        norad_id=np.empty(0, dtype=np.uint32),
        lon_deg=np.empty(0, dtype=np.float32),
        lat_deg=np.empty(0, dtype=np.float32),
        alt_km=np.empty(0, dtype=np.float32),
        speed_km_s=np.empty(0, dtype=np.float32),
        elements_epoch_s=np.empty(0, dtype=np.uint32),
    )
