"""Bounded polling: the only way tests wait for something to happen."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """The condition did not hold before the deadline; says what was awaited and last seen."""


def wait_for(
    condition: Callable[[], T | None],
    timeout: float,
    what: str,
    interval: float = 0.2,
) -> T:
    """Poll ``condition`` until it returns something truthy and return that.

    Exceptions inside ``condition`` count as "not yet"; the last one is reported.
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            result = condition()
        except Exception as exc:  # the awaited thing may simply not exist yet
            last = exc
        else:
            if result:
                return result
            last = result
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"timed out after {timeout:.0f} s waiting for {what}; last: {last!r}")
        time.sleep(interval)
