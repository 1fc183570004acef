"""Where the producer's elements come from: inline text, or a file that is re-read when its
content changes (the operator mounts a ConfigMap there and refreshes it)."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from satfeed_core.elements import Elements, ElementsError, parse_elements

from satfeed_producer.sampling import pick_elements

log = logging.getLogger(__name__)


class ElementsSource:
    def __init__(self, *, text: str | None, path: Path | None, norad_id: int | None) -> None:
        if (text is None) == (path is None):
            raise ValueError("give exactly one of inline elements text and an elements file")
        self._text = text
        self._path = path
        self._norad_id = norad_id
        self._stat: tuple[int, int, int] | None = None
        self._digest: bytes | None = None
        self._rejected_digest: bytes | None = None

    @property
    def origin(self) -> str:
        return f"elements file {self._path}" if self._path else "inline elements"

    @property
    def watched(self) -> bool:
        return self._path is not None

    def load(self) -> Elements:
        """The elements now; raises ValueError or OSError with a clear message."""
        if self._text is not None:
            return pick_elements(parse_elements(self._text), self._norad_id, self.origin)
        assert self._path is not None
        data = self._path.read_bytes()
        elements = self._parse(data)
        self._stat = self._stat_key()
        self._digest = hashlib.sha256(data).digest()
        return elements

    def _parse(self, data: bytes) -> Elements:
        try:
            return pick_elements(parse_elements(data), self._norad_id, self.origin)
        except ElementsError as error:
            raise ValueError(f"{self.origin}: {error}") from error

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
