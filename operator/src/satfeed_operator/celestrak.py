"""Elements from a CelesTrak-compatible GP endpoint, with one shared cache per NORAD id.

CelesTrak asks clients to download the same data at most once every 2 hours and blocks
those that do not (HTTP 403). So, whatever the number of Satellites tracking a NORAD id:

- at most one request per NORAD id per refresh interval (2 h by default), made by whichever
  reconcile needs it first while the others wait for its answer;
- any answer but 200 with a usable element set counts as a failure and pushes the next
  attempt back (2 h, 4 h, 8 h, 16 h, then daily): no retry storm;
- the state survives restarts through each Satellite's ``status.elements`` (``fetchedAt``,
  ``nextFetchAt``), which seeds the cache.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Final

import aiohttp
from satfeed_core.elements import ElementsError, parse_omm_json, parse_tle

MAX_BACKOFF: Final = timedelta(hours=24)


@dataclass(frozen=True)
class GpRecord:
    """What is known about one NORAD id's GP data."""

    text: str | None
    """The last element set downloaded successfully, as TLE text."""
    fetched_at: datetime | None
    """When it was downloaded."""
    next_fetch_at: datetime
    """No request for this NORAD id before this time."""
    failures: int = 0
    error: str | None = None
    """Why the last attempt failed, if it did."""


def after_success(text: str, now: datetime, refresh: timedelta) -> GpRecord:
    return GpRecord(text=text, fetched_at=now, next_fetch_at=now + refresh)


def after_failure(
    record: GpRecord | None, error: str, now: datetime, refresh: timedelta
) -> GpRecord:
    """Back off: the refresh interval, doubled per consecutive failure, at most a day."""
    failures = (record.failures if record else 0) + 1
    delay = min(refresh * 2 ** min(failures - 1, 8), max(MAX_BACKOFF, refresh))
    previous = record or GpRecord(text=None, fetched_at=None, next_fetch_at=now)
    return replace(previous, next_fetch_at=now + delay, failures=failures, error=error)


def normalise_tle(text: str) -> str:
    """CelesTrak's answer without CRs and the name line's padding, so equal data compares equal."""
    lines = [line.rstrip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line) + "\n"


def gp_url(base_url: str, norad_id: int) -> str:
    return f"{base_url}/NORAD/elements/gp.php?CATNR={norad_id}&FORMAT=TLE"


def gp_group_url(base_url: str, group: str) -> str:
    return f"{base_url}/NORAD/elements/gp.php?GROUP={group}&FORMAT=JSON"


GpKey = int | str
"""A NORAD id, or ``group:<name>`` for a whole GP group."""


def group_key(group: str) -> str:
    return f"group:{group}"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class GpCache:
    """The shared cache; ``elements(norad_id)`` downloads only when allowed and due."""

    def __init__(
        self,
        base_url: str,
        user_agent: str,
        refresh: timedelta,
        clock: Callable[[], datetime] = _utcnow,
        request_timeout: float = 30,
        observe: Callable[[GpKey, GpRecord], None] | None = None,
    ) -> None:
        self.base_url = base_url
        self._user_agent = user_agent
        self._refresh = refresh
        self._clock = clock
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._records: dict[GpKey, GpRecord] = {}
        self._locks: dict[GpKey, asyncio.Lock] = {}
        self._session: aiohttp.ClientSession | None = None
        self._observe = observe
        """Told of every download attempt's outcome (the operator's metrics)."""

    def seed(
        self,
        norad_id: GpKey,
        text: str | None,
        fetched_at: datetime | None,
        next_fetch_at: datetime | None,
    ) -> None:
        """Remember an earlier download (from a Satellite's status) unless a newer one is known."""
        if next_fetch_at is None:
            return
        known = self._records.get(norad_id)
        if known is None or known.next_fetch_at < next_fetch_at:
            self._records[norad_id] = GpRecord(
                text=text or (known.text if known else None),
                fetched_at=fetched_at,
                next_fetch_at=next_fetch_at,
            )

    async def elements(self, norad_id: int) -> GpRecord:
        """The current record for ``norad_id``, downloading first if due."""
        return await self._record(norad_id, gp_url(self.base_url, norad_id), _as_tle)

    async def group(self, group: str) -> GpRecord:
        """The current record of a whole GP group (OMM JSON), downloading first if due."""
        return await self._record(
            group_key(group), gp_group_url(self.base_url, group), _as_omm_json
        )

    async def _record(self, key: GpKey, url: str, check: Callable[[str], str]) -> GpRecord:
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:  # one download per key; the others wait for its answer
            record = self._records.get(key)
            now = self._clock()
            if record is not None and now < record.next_fetch_at:
                return record
            try:
                text = check(await self._download(url))
            except (aiohttp.ClientError, TimeoutError, ElementsError) as exc:
                record = after_failure(record, _describe(exc), now, self._refresh)
            else:
                record = after_success(text, now, self._refresh)
            self._records[key] = record
            if self._observe is not None:
                self._observe(key, record)
            return record

    async def _download(self, url: str) -> str:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers={"User-Agent": self._user_agent}, timeout=self._timeout
            )
        async with self._session.get(url) as response:
            body = await response.text()
            if response.status != 200:
                raise aiohttp.ClientResponseError(
                    response.request_info,
                    (),
                    status=response.status,
                    message=f"{url} answered {response.status} {response.reason}: {body[:200]}",
                )
        return body

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _as_tle(body: str) -> str:
    text = normalise_tle(body)
    parse_tle(text)  # "No GP data found" and other non-TLE answers fail here
    return text


def _as_omm_json(body: str) -> str:
    if not body.lstrip().startswith("["):  # CelesTrak answers an unknown group with text
        raise ElementsError(
            f"CelesTrak answered {body.strip()[:120]!r}, not an OMM JSON list",
            "check the group's name against https://celestrak.org/NORAD/elements/",
        )
    records = parse_omm_json(body)
    if not records:
        raise ElementsError("the group is empty", "check the group's name on CelesTrak")
    return body


def _describe(error: Exception) -> str:
    if isinstance(error, aiohttp.ClientResponseError):
        return error.message
    if isinstance(error, ElementsError):
        return f"the answer is not usable elements: {error.problem} ({error.hint})"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
