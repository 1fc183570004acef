"""The TLE files bundled in the repository's ``data/tle/``, for the demo, tests and benchmarks.

They live in the repository, not in any installed package (the catalogue is 2.6 MB). They are
found in ``$SATFEED_DATA_DIR/tle/`` when the environment variable ``SATFEED_DATA_DIR`` is set
(a folder laid out like the checkout's ``data/``), else in ``data/tle/`` of the workspace
root: the first folder, walking up from this module's file, that holds
``data/tle/SOURCES.md`` (:func:`satfeed_dev.workspace.find_root`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from .workspace import MARKER, find_root

DATA_DIR_ENV: Final = "SATFEED_DATA_DIR"
"""Environment variable naming a folder laid out like the checkout's ``data/``."""

EARTH_OBSERVATION: Final = "earth-observation.tle"
"""25 Earth-observation satellites and the ISS."""
CATALOGUE: Final = "catalog-large.tle"
"""CelesTrak's whole active catalogue: 16,069 objects, 799 of them deep-space."""


def tle_directory() -> Path:
    """``$SATFEED_DATA_DIR/tle`` if set, else the workspace root's ``data/tle``."""
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured) / "tle"
    root = find_root()
    if root is None:
        raise FileNotFoundError(
            f"the bundled TLE files were not found: {Path(__file__).resolve()} is not inside "
            f"a satfeed checkout (no folder above it holds {MARKER}); set {DATA_DIR_ENV} to a "
            "folder holding them in tle/ (a copy of the checkout's data/)"
        )
    return root / "data" / "tle"


def tle_file(name: str) -> Path:
    """Path of a bundled TLE file, e.g. ``tle_file(CATALOGUE)``."""
    directory = tle_directory()
    path = directory / name
    if not path.is_file():
        found = ", ".join(p.name for p in sorted(directory.glob("*.tle"))) or "no .tle files"
        origin = f"from {DATA_DIR_ENV}" if os.environ.get(DATA_DIR_ENV) else "the checkout's"
        raise FileNotFoundError(f"{path} does not exist; {directory} ({origin}) holds: {found}")
    return path
