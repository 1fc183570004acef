"""TLE text for the core tests: a real ISS element set and a way to alter it validly."""

from __future__ import annotations

from satfeed_core.elements import Elements
from sgp4.api import Satrec
from sgp4.io import fix_checksum

ISS_NAME = "ISS (ZARYA)"
ISS_LINE1 = "1 25544U 98067A   26234.50053383  .00009133  00000+0  17025-3 0  9997"
ISS_LINE2 = "2 25544  51.6331 331.8814 0007668  72.6488 287.5339 15.49570248582031"


def edited(line: str, column: int, text: str) -> str:
    """``line`` with ``text`` written from 1-based ``column``, its checksum made right again."""
    return str(fix_checksum(line[: column - 1] + text + line[column - 1 + len(text) :]))


def sgp4_satrec(elements: Elements) -> Satrec:
    """python-sgp4's own model of a TLE element set, built from the text by its own parser."""
    assert elements.tle_lines is not None
    line1, line2 = elements.tle_lines
    return Satrec.twoline2rv(line1, line2)
