"""Make new, valid TLEs from real ones (e.g. a later epoch), for tests and the screenshot."""

from __future__ import annotations

from pathlib import Path


def three_line_sets(path: Path) -> dict[str, list[str]]:
    lines = path.read_text().splitlines()
    return {lines[i].strip(): lines[i : i + 3] for i in range(0, len(lines) - 2, 3)}


def checksum(line: str) -> int:
    """TLE mod-10 checksum of columns 1-68 (digits count as themselves, '-' as 1)."""
    return sum(int(c) if c.isdigit() else c == "-" for c in line[:68]) % 10


def shifted_epoch(lines: list[str], days: float) -> list[str]:
    """The same element set with its epoch moved by ``days`` (same year), checksum fixed."""
    name, line1, line2 = lines
    epoch = float(line1[18:32]) + days
    line1 = f"{line1[:18]}{epoch:014.8f}{line1[32:68]}"
    return [name, line1 + str(checksum(line1)), line2]
