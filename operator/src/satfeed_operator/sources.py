"""Where a Satellite's elements come from: inline (TLE or OMM), a ConfigMap, or CelesTrak.

Each source ends in an :class:`ElementsOutcome`: the ``ElementsValid`` condition, and the
validated elements for the producer if there are any. A problem the user must fix in the
spec is permanent; a missing ConfigMap or a failed fetch is retried.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final

from satfeed_core.elements import Elements, elements_text
from satfeed_core.usability import State, assess

from satfeed_operator.api import (
    CelestrakSource,
    ConfigMapSource,
    OmmSource,
    Satellite,
    SpecError,
    TleSource,
    source_path,
    validate_elements,
    validate_inline,
)
from satfeed_operator.celestrak import GpRecord, gp_url
from satfeed_operator.conditions import FALSE, TRUE, Condition
from satfeed_operator.consts import ELEMENTS_VALID
from satfeed_operator.context import OperatorContext
from satfeed_operator.kube import object_path
from satfeed_operator.status import now, parse_timestamp, timestamp

CONFLICT_RETRY_SECONDS: Final = 60.0
"""Retry delay while a child's name is taken or a referenced ConfigMap is missing or bad."""


@dataclass(frozen=True)
class ElementsOutcome:
    condition: Condition
    text: str | None = None
    """Validated elements for the producer's ConfigMap (None: none usable)."""
    elements: Elements | None = None
    fetched_at: datetime | None = None
    next_fetch_at: datetime | None = None
    retry_in: float | None = None
    permanent: bool = False
    unusable: str | None = None
    """Why the producer must stop (``ElementsDecayed``, ``ElementsUnusable``): the elements
    parse but cannot be propagated; None when they can."""


async def resolve_elements(
    ctx: OperatorContext,
    satellite: Satellite,
    previous: Mapping[str, Any],
    current_text: str | None,
) -> ElementsOutcome:
    """The Satellite's elements from its source; ``previous``: its status as last written,
    ``current_text``: the elements its producer has now."""
    source = satellite.spec.elements
    norad_id = satellite.spec.norad_id
    path = source_path(source)
    try:
        match source:
            case TleSource() | OmmSource():
                outcome = _valid(validate_inline(source, norad_id), path)
            case ConfigMapSource():
                outcome = await _from_configmap(ctx, satellite, source)
            case CelestrakSource():
                assert norad_id is not None  # parse_spec requires it for this source
                outcome = await _from_celestrak(ctx, norad_id, previous, current_text)
        return _judged(outcome, ctx.config.elements_stale_after)
    except SpecError as error:
        inline = isinstance(source, TleSource | OmmSource)
        return ElementsOutcome(
            Condition(ELEMENTS_VALID, FALSE, "InvalidElements", str(error)),
            permanent=inline,
            retry_in=None if inline else CONFLICT_RETRY_SECONDS,
        )


def _judged(outcome: ElementsOutcome, stale_after: timedelta) -> ElementsOutcome:
    """Well-formed elements tried now and over the next orbit (satfeed_core.usability):
    ones that cannot fly stop the producer; old ones are used, with a warning."""
    if outcome.elements is None:
        return outcome
    verdict = assess(outcome.elements, now(), stale_after)
    found = outcome.condition.message
    match verdict.state:
        case State.USABLE:
            return outcome
        case State.STALE:
            stale = Condition(ELEMENTS_VALID, TRUE, verdict.reason, f"{found}; {verdict.message}")
            return replace(outcome, condition=stale)
        case State.UNUSABLE:
            unusable = Condition(
                ELEMENTS_VALID,
                FALSE,
                verdict.reason,
                f"{found}, but {verdict.message} (delete the Satellite to stop tracking it)",
            )
            return replace(
                outcome, condition=unusable, text=None, elements=None, unusable=verdict.reason
            )


def _valid(elements: Elements, origin: str, fetch: GpRecord | None = None) -> ElementsOutcome:
    """Valid elements: only the selected set goes to the producer, whatever else the
    source holds (a group file in a ConfigMap), so every reader finds the same one."""
    who = f"{elements.name} ({elements.norad_id})" if elements.name else str(elements.norad_id)
    message = f"elements of {who} from {origin}, epoch {timestamp(elements.epoch)}"
    if fetch is not None and fetch.error:
        message += (
            f"; the last refresh failed ({fetch.error}), next attempt at "
            f"{timestamp(fetch.next_fetch_at)}"
        )
    return ElementsOutcome(
        Condition(ELEMENTS_VALID, TRUE, "Valid", message),
        text=elements_text(elements),
        elements=elements,
        fetched_at=fetch.fetched_at if fetch else None,
        next_fetch_at=fetch.next_fetch_at if fetch else None,
    )


async def _from_configmap(
    ctx: OperatorContext, satellite: Satellite, source: ConfigMapSource
) -> ElementsOutcome:
    path = object_path("v1", "configmaps", satellite.namespace, source.name)
    configmap = await ctx.kube.get(path)
    where = f"ConfigMap {satellite.namespace}/{source.name}"
    if configmap is None:
        problem = Condition(
            ELEMENTS_VALID,
            FALSE,
            "ConfigMapNotFound",
            f"spec.elements.configMapRef.name: {where} does not exist; create it with the "
            f"elements under key {source.key!r}",
        )
        return ElementsOutcome(problem, retry_in=CONFLICT_RETRY_SECONDS)
    text = (configmap.get("data") or {}).get(source.key)
    if not text:
        keys = ", ".join(sorted(configmap.get("data") or {})) or "none"
        problem = Condition(
            ELEMENTS_VALID,
            FALSE,
            "ConfigMapKeyNotFound",
            f"spec.elements.configMapRef.key: {where} has no key {source.key!r} (it has: "
            f"{keys}); put the elements there or set spec.elements.configMapRef.key",
        )
        return ElementsOutcome(problem, retry_in=CONFLICT_RETRY_SECONDS)
    field_path = f"spec.elements.configMapRef ({where}, key {source.key})"
    elements = validate_elements(text, field_path, satellite.spec.norad_id)
    return _valid(elements, where)


async def _from_celestrak(
    ctx: OperatorContext, norad_id: int, previous: Mapping[str, Any], current_text: str | None
) -> ElementsOutcome:
    earlier = previous.get("elements") or {}
    if earlier.get("source") == "celestrak":
        ctx.gp.seed(
            norad_id,
            current_text,
            parse_timestamp(earlier.get("fetchedAt")),
            parse_timestamp(earlier.get("nextFetchAt")),
        )
    record = await ctx.gp.elements(norad_id)
    url = gp_url(ctx.gp.base_url, norad_id)
    retry_in = max((record.next_fetch_at - now()).total_seconds(), 1.0)
    if record.text is None:
        problem = Condition(
            ELEMENTS_VALID,
            FALSE,
            "FetchFailed",
            f"spec.elements.celestrak: {url} gave no elements: {record.error}. The operator "
            f"tries again at {timestamp(record.next_fetch_at)}; check spec.noradId and the "
            "operator's SATFEED_CELESTRAK_URL",
        )
        return ElementsOutcome(
            problem,
            fetched_at=record.fetched_at,
            next_fetch_at=record.next_fetch_at,
            retry_in=retry_in,
        )
    elements = validate_elements(record.text, "spec.elements.celestrak", norad_id)
    return _valid(elements, url, record)
