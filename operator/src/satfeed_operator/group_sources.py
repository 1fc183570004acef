"""Where a SatelliteGroup's members come from, and what they are now.

The source's texts (a CelesTrak GP group's OMM JSON through the shared, rate-limited
:class:`~satfeed_operator.celestrak.GpCache`; or the listed ConfigMaps) are gathered into
usable members (:mod:`satfeed_operator.group_members`) off the event loop, and the result is
kept per group until the texts change or it is a resync period old: judging 16,069 element
sets takes a few seconds of CPU, which a reconcile per child event must not pay.

When the source fails (a download refused, a ConfigMap missing or malformed, nothing
usable), the outcome has no chunks: the group's elements ConfigMaps stay as they are, so
the last good members keep flying, and the condition says why.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from satfeed_core.contract import ELEMENTS_KEY

from satfeed_operator.celestrak import GpRecord, gp_group_url, group_key
from satfeed_operator.conditions import FALSE, TRUE, Condition
from satfeed_operator.consts import ELEMENTS_VALID
from satfeed_operator.context import OperatorContext
from satfeed_operator.group_api import CelestrakGroupSource, ConfigMapsSource, SatelliteGroup
from satfeed_operator.group_members import Census, MembersError, chunk_texts, gather
from satfeed_operator.kube import object_path
from satfeed_operator.status import now, parse_timestamp

RETRY_SECONDS: Final = 60.0


@dataclass(frozen=True)
class Judged:
    """A gathering's result, kept between reconciles."""

    digest: str
    judged_at: datetime
    census: Census
    chunks: tuple[str, ...]


@dataclass(frozen=True)
class MembersOutcome:
    condition: Condition
    judged: Judged | None = None
    """None: the source gave nothing usable this time; keep the chunks in place."""
    census: Census | None = None
    """What the source held, when it could be read (also when nothing in it is usable)."""
    fetched_at: datetime | None = None
    next_fetch_at: datetime | None = None
    retry_in: float | None = None


@dataclass
class JudgedCache:
    """One :class:`Judged` per group (namespace, name)."""

    entries: dict[tuple[str, str], Judged] = field(default_factory=dict)


async def resolve_members(
    ctx: OperatorContext,
    group: SatelliteGroup,
    previous: Mapping[str, Any],
    chunk_texts_now: Sequence[str],
    cache: JudgedCache,
) -> MembersOutcome:
    """The group's members; ``chunk_texts_now``: the chunks its shards have now."""
    source = group.spec.source
    fetched_at = next_fetch_at = None
    retry_in: float | None = None
    if isinstance(source, CelestrakGroupSource):
        record = await _celestrak(ctx, source.group, previous)
        fetched_at, next_fetch_at = record.fetched_at, record.next_fetch_at
        retry_in = max(1.0, (record.next_fetch_at - now()).total_seconds())
        if record.text is not None:
            texts = [(f"CelesTrak group {source.group!r}", record.text)]
        elif chunk_texts_now:  # after a restart, before the next download is due
            texts = [
                (f"ConfigMap {group.elements_name(k)}", t) for k, t in enumerate(chunk_texts_now)
            ]
        else:
            return MembersOutcome(
                Condition(
                    ELEMENTS_VALID,
                    FALSE,
                    "FetchFailed",
                    f"{gp_group_url(ctx.gp.base_url, source.group)}: "
                    f"{record.error or 'no answer yet'}; "
                    f"the operator tries again at {record.next_fetch_at:%Y-%m-%dT%H:%M:%SZ}",
                ),
                fetched_at=fetched_at,
                next_fetch_at=next_fetch_at,
                retry_in=retry_in,
            )
        failed = record.error if record.failures else None
    else:
        found = await _configmaps(ctx, group, source)
        if isinstance(found, Condition):
            return MembersOutcome(found, retry_in=RETRY_SECONDS)
        texts, failed = found, None
    outcome = await _judge(ctx, group, texts, cache)
    if outcome.judged is None or failed is None:
        return MembersOutcome(
            outcome.condition,
            outcome.judged,
            outcome.census,
            fetched_at,
            next_fetch_at,
            retry_in if outcome.retry_in is None else outcome.retry_in,
        )
    # The last download failed: the members fly on the earlier elements; say so.
    condition = Condition(
        ELEMENTS_VALID,
        TRUE,
        "RefreshFailed",
        f"{outcome.condition.message}; the last refresh failed ({failed}), the members keep "
        f"the elements of {fetched_at:%Y-%m-%dT%H:%M:%SZ}"
        if fetched_at
        else failed,
    )
    return MembersOutcome(
        condition, outcome.judged, outcome.census, fetched_at, next_fetch_at, retry_in
    )


async def _celestrak(ctx: OperatorContext, group: str, previous: Mapping[str, Any]) -> GpRecord:
    elements = previous.get("elements") or {}
    ctx.gp.seed(
        group_key(group),
        None,
        parse_timestamp(elements.get("fetchedAt")),
        parse_timestamp(elements.get("nextFetchAt")),
    )
    return await ctx.gp.group(group)


async def _configmaps(
    ctx: OperatorContext, group: SatelliteGroup, source: ConfigMapsSource
) -> list[tuple[str, str]] | Condition:
    configmaps = await asyncio.gather(
        *(
            ctx.kube.get(object_path("v1", "configmaps", group.namespace, name))
            for name, _ in source.refs
        )
    )
    texts = []
    for index, ((name, key), configmap) in enumerate(zip(source.refs, configmaps, strict=True)):
        where = f"spec.source.configMaps[{index}]"
        if configmap is None:
            return Condition(
                ELEMENTS_VALID,
                FALSE,
                "ConfigMapNotFound",
                f"{where}: ConfigMap {group.namespace}/{name} does not exist; create it (the "
                "group waits for it and keeps its current members meanwhile)",
            )
        text = (configmap.get("data") or {}).get(key)
        if not isinstance(text, str) or not text.strip():
            keys = ", ".join(sorted(configmap.get("data") or {})) or "none"
            return Condition(
                ELEMENTS_VALID,
                FALSE,
                "ConfigMapKeyMissing",
                f"{where}: ConfigMap {name} has no elements under key {key!r} (its keys: "
                f"{keys}); put TLE text or OMM JSON there, or set the key",
            )
        texts.append((f"ConfigMap {name} key {key!r}", text))
    return texts


async def _judge(
    ctx: OperatorContext,
    group: SatelliteGroup,
    texts: list[tuple[str, str]],
    cache: JudgedCache,
) -> MembersOutcome:
    key = (group.namespace, group.name)
    digest = _digest(group, texts)
    judged = cache.entries.get(key)
    moment = now()
    if (
        judged is None
        or judged.digest != digest
        or (moment - judged.judged_at).total_seconds() >= ctx.config.resync_seconds
    ):
        try:
            members, census = await asyncio.to_thread(
                gather, texts, group.spec.members, moment, ctx.config.elements_stale_after
            )
        except MembersError as error:
            cache.entries.pop(key, None)
            return MembersOutcome(
                Condition(
                    ELEMENTS_VALID,
                    FALSE,
                    "InvalidElements",
                    f"{error}; the group keeps its current members until this is fixed",
                ),
                retry_in=RETRY_SECONDS,
            )
        judged = Judged(digest, moment, census, tuple(chunk_texts(members)))
        cache.entries[key] = judged
    condition = members_condition(judged.census)
    usable = judged if condition.status == TRUE else None
    return MembersOutcome(condition, usable, judged.census)


def members_condition(census: Census) -> Condition:
    """ElementsValid for a group, from its census."""
    counts = f"{census.usable:,} of {census.members:,} members usable"
    if census.found and census.members < census.found:
        counts += f" ({census.found:,} in the source, the rest left out by spec.members)"
    if census.usable == 0:
        why = (
            "spec.members admits none of the source's objects; widen it"
            if census.members == 0
            else "no member's elements can be propagated: " + "; ".join(census.examples[:1])
        )
        return Condition(ELEMENTS_VALID, FALSE, "NoUsableMembers", f"{counts}: {why}")
    notes = []
    if census.unusable:
        left_out = ", ".join(f"{count:,} {reason}" for reason, count in census.unusable.items())
        notes.append(f"left out: {left_out}, e.g. {census.examples[0]}")
    if census.stale:
        notes.append(f"{census.stale:,} with stale elements")
    message = f"{counts}; {'; '.join(notes)}" if notes else counts
    if census.unusable:
        return Condition(ELEMENTS_VALID, TRUE, "MembersUnusable", message)
    if census.stale:
        return Condition(ELEMENTS_VALID, TRUE, "ElementsStale", message)
    return Condition(ELEMENTS_VALID, TRUE, "Usable", message)


def _digest(group: SatelliteGroup, texts: list[tuple[str, str]]) -> str:
    digest = hashlib.sha256(repr(group.spec.members).encode())
    for origin, text in texts:
        digest.update(origin.encode())
        digest.update(text.encode())
    return digest.hexdigest()


def chunk_text(configmap: Mapping[str, Any]) -> str:
    text = (configmap.get("data") or {}).get(ELEMENTS_KEY)
    return text if isinstance(text, str) else ""
