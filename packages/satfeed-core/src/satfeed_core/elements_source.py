"""Where a Satellite's elements come from: inline text, or a file that is re-read when its
content changes (the operator mounts a ConfigMap there and refreshes it). The producer and
the frontend's single-process mode (``--local-elements``) both read elements through it.

Elements are taken only when they are usable now and over the next orbit
(:func:`satfeed_core.usability.assess`): unusable ones are refused at start-up (the producer
exits 2) and on reload (the last good elements keep running). Stale ones are used, with a
warning.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from satfeed_core.contract import DEFAULT_ELEMENTS_STALE_AFTER
from satfeed_core.elements import Elements, ElementsError, parse_elements, select_elements
from satfeed_core.usability import State, assess

log = logging.getLogger(__name__)


class ElementsSource:
    def __init__(
        self,
        *,
        text: str | None,
        path: Path | None,
        norad_id: int | None,
        stale_after: timedelta = DEFAULT_ELEMENTS_STALE_AFTER,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        norad_flag: str = "--norad-id (SATFEED_NORAD_ID)",
    ) -> None:
        if (text is None) == (path is None):
            raise ValueError("give exactly one of inline elements text and an elements file")
        self._text = text
        self._path = path
        self._norad_id = norad_id
        self._stale_after = stale_after
        self._clock = clock
        self._norad_flag = norad_flag
        """The setting that picks objects, named in messages."""
        self._stat: tuple[int, int, int] | None = None
        self._digest: bytes | None = None
        self._rejected_digest: bytes | None = None

    @property
    def origin(self) -> str:
        return f"elements file {self._path}" if self._path else "inline elements"

    def load(self) -> Elements:
        """The elements now; raises ValueError or OSError with a clear message."""
        if self._text is not None:
            return self._parse(self._text.encode())
        assert self._path is not None
        data = self._path.read_bytes()
        elements = self._parse(data)
        self._stat = self._stat_key()
        self._digest = hashlib.sha256(data).digest()
        return elements

    def load_all(self, norad_ids: Sequence[int] = ()) -> list[Elements]:
        """The element set of each of ``norad_ids`` (by default of every object) in the
        file or text, each picked and checked as :meth:`load` does; raises ValueError or
        OSError with the same messages."""
        data = self._path.read_bytes() if self._path is not None else (self._text or "").encode()
        candidates = self._candidates(data)
        wanted = norad_ids or sorted({each.norad_id for each in candidates})
        return [self._usable(candidates, norad_id) for norad_id in wanted]

    def _parse(self, data: bytes) -> Elements:
        """The one usable element set in ``data``; ValueError saying why there is none."""
        return self._usable(self._candidates(data), self._norad_id)

    def _candidates(self, data: bytes) -> list[Elements]:
        try:
            return parse_elements(data)
        except ElementsError as error:
            raise ValueError(f"{self.origin}: {error}") from error

    def _usable(self, candidates: list[Elements], norad_id: int | None) -> Elements:
        try:
            elements = select_elements(candidates, norad_id, self.origin)
        except ElementsError as error:
            flag = f"correct {self._norad_flag}" if norad_id else f"set {self._norad_flag}"
            raise ValueError(f"{error.problem}: {flag}") from error
        verdict = assess(elements, self._clock(), self._stale_after)
        if verdict.state is State.UNUSABLE:
            raise ValueError(f"{self.origin}: {verdict.message}")
        if verdict.state is State.STALE:
            log.warning("%s: %s", self.origin, verdict.message)
        return elements

    def _stat_key(self) -> tuple[int, int, int] | None:
        assert self._path is not None
        try:
            # stat follows the ConfigMap's ..data symlink, so an atomic swap shows up here.
            status = os.stat(self._path)
        except FileNotFoundError:
            return None
        return (status.st_ino, status.st_mtime_ns, status.st_size)

    def changed(self) -> Elements | None:
        """New elements if the file's content changed to a valid set since the last load.

        A changed but invalid file is logged once and ignored: the producer keeps going with
        the elements it has rather than stop publishing.
        """
        if self._path is None:
            return None
        stat = self._stat_key()
        if stat is None or stat == self._stat:
            return None
        self._stat = stat
        try:
            data = self._path.read_bytes()
        except OSError as error:
            log.error("cannot read %s: %s; keeping the current elements", self.origin, error)
            return None
        digest = hashlib.sha256(data).digest()
        if digest in (self._digest, self._rejected_digest):
            return None
        try:
            elements = self._parse(data)
        except ValueError as error:
            self._rejected_digest = digest
            log.error("ignoring the new %s: %s; keeping the current elements", self.origin, error)
            return None
        self._digest = digest
        return elements
