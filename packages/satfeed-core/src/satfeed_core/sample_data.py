"""The TLE files bundled in the repository's ``data/tle/``, for tests and benchmarks.

They live in the repository, not in the installed package (the catalogue is 2.6 MB), so
these paths exist only in a checkout, where satfeed-core is installed in editable mode.
"""

from pathlib import Path
from typing import Final

# packages/satfeed-core/src/satfeed_core/sample_data.py -> the repository root
_REPOSITORY: Final = Path(__file__).resolve().parents[4]
TLE_DIRECTORY: Final = _REPOSITORY / "data" / "tle"

EARTH_OBSERVATION: Final = "earth-observation.tle"
"""25 Earth-observation satellites and the ISS."""
CATALOGUE: Final = "catalog-large.tle"
"""CelesTrak's whole active catalogue: 16,069 objects, 799 of them deep-space."""


def tle_file(name: str) -> Path:
    """Path of a bundled TLE file, e.g. ``tle_file(CATALOGUE)``."""
    path = TLE_DIRECTORY / name
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist: the bundled TLE files are in a satfeed checkout's "
            f"data/tle/ ({', '.join(p.name for p in sorted(TLE_DIRECTORY.glob('*.tle')))})"
        )
    return path
