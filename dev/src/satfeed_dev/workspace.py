"""The satfeed checkout this package runs from (the workspace installs it in editable mode).

The checkout's root is the first folder, walking up from this module's file, that holds
``data/tle/SOURCES.md``: no module counts parent folders, so files can move without
breaking the paths.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

MARKER: Final = Path("data", "tle", "SOURCES.md")
"""A file that only the root of a satfeed checkout holds."""


def find_root(start: Path | None = None) -> Path | None:
    """The first folder holding :data:`MARKER`, from ``start`` (default: this module's
    file) upwards; None outside a checkout."""
    here = (start or Path(__file__)).resolve()
    for folder in (here, *here.parents):
        if (folder / MARKER).is_file():
            return folder
    return None


def root() -> Path:
    """The checkout's root; FileNotFoundError, saying why, outside a checkout."""
    found = find_root()
    if found is None:
        raise FileNotFoundError(
            f"{Path(__file__).resolve()} is not inside a satfeed checkout (no folder above it "
            f"holds {MARKER}): satfeed-dev runs from a checkout, installed by `uv sync`"
        )
    return found
