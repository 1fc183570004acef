"""A SatelliteGroup's members: gathered from its source's texts, filtered, judged, chunked.

Pure: the texts come in, the members and their census go out. Each member is judged with
the same notion of usable elements a Satellite gets (:func:`satfeed_core.usability.assess`);
unusable ones are counted by reason and left out, so no shard ever publishes them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from satfeed_core.contract import GROUP_ELEMENTS_CHUNK_BYTES
from satfeed_core.elements import Elements, ElementsError, TleError, elements_text, parse_elements
from satfeed_core.usability import State, assess

from satfeed_operator.group_api import MemberFilter

EXAMPLES: Final = 3
"""Unusable members named in the status message, by reason."""


class MembersError(ValueError):
    """A source text that is not element sets: names where, what, and how to fix it."""


@dataclass(frozen=True)
class Census:
    """What the source held, as ``status`` reports it."""

    found: int
    """Distinct objects in the source."""
    members: int
    """Of those, admitted by ``spec.members``."""
    usable: int
    """Members published (stale ones included)."""
    stale: int
    unusable: dict[str, int] = field(default_factory=dict)
    """Members left out, by reason (``ElementsDecayed``, ``ElementsUnusable``)."""
    examples: tuple[str, ...] = ()
    """A few of the unusable members' messages."""


def gather(
    texts: Iterable[tuple[str, str]],
    admitted: MemberFilter,
    when: datetime,
    stale_after: timedelta,
) -> tuple[list[Elements], Census]:
    """The usable members (by NORAD id) from ``(origin, text)`` pairs, and their census.

    An object in several texts keeps its newest element set (the rule of
    :func:`satfeed_core.elements.select_elements`).
    """
    newest: dict[int, Elements] = {}
    for origin, text in texts:
        for elements in _parse(origin, text):
            known = newest.get(elements.norad_id)
            if known is None or elements.epoch > known.epoch:
                newest[elements.norad_id] = elements
    members = [
        elements
        for norad_id, elements in sorted(newest.items())
        if admitted.admits(norad_id, elements.name)
    ]
    usable: list[Elements] = []
    stale = 0
    unusable: Counter[str] = Counter()
    examples: list[str] = []
    for elements in members:
        verdict = assess(elements, when, stale_after)
        if verdict.state is State.UNUSABLE:
            unusable[verdict.reason] += 1
            if len(examples) < EXAMPLES:
                examples.append(verdict.message)
            continue
        stale += verdict.state is State.STALE
        usable.append(elements)
    census = Census(
        found=len(newest),
        members=len(members),
        usable=len(usable),
        stale=stale,
        unusable=dict(sorted(unusable.items())),
        examples=tuple(examples),
    )
    return usable, census


def _parse(origin: str, text: str) -> list[Elements]:
    try:
        return parse_elements(text)
    except ElementsError as exc:
        where = origin
        if isinstance(exc, TleError):
            named = f", element set {exc.name!r}" if exc.name else ""
            where = (
                f"{origin}, line {exc.input_line}{named} (TLE line {exc.line}, column {exc.column})"
            )
        raise MembersError(f"{where}: {exc.problem} ({exc.hint})") from None


def chunk_texts(members: Sequence[Elements], budget: int = GROUP_ELEMENTS_CHUNK_BYTES) -> list[str]:
    """The members as texts of at most ``budget`` bytes each (one ConfigMap each).

    TLEs and OMM records go to separate chunks, as TLE text and as a compact OMM JSON list,
    so each chunk parses as one or the other. Members are in NORAD id order, so a refresh
    of the same members changes the chunks' content, not which chunk holds whom.
    """
    chunks: list[str] = []
    tles = [each for each in members if each.tle_lines is not None]
    omms = [each for each in members if each.tle_lines is None]
    chunks += _pack((elements_text(each) for each in tles), budget, "".join)
    records = (
        json.dumps(dict(each.omm or {}), separators=(",", ":"), sort_keys=True) for each in omms
    )
    chunks += _pack(records, budget, lambda parts: "[" + ",".join(parts) + "]\n")
    return chunks


def _pack(pieces: Iterable[str], budget: int, join: Callable[[list[str]], str]) -> list[str]:
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for piece in pieces:
        piece_size = len(piece.encode()) + 1
        if current and size + piece_size > budget:
            chunks.append(join(current))
            current, size = [], 0
        current.append(piece)
        size += piece_size
    if current:
        chunks.append(join(current))
    return chunks
