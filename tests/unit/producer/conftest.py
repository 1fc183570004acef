"""Fixtures for the producer's unit tests: the bundled catalogue, parsed once per session."""

from __future__ import annotations

import pytest
from satfeed_core.elements import Elements, load_elements
from satfeed_dev.sample_data import CATALOGUE, tle_file


@pytest.fixture(scope="session")
def catalogue() -> list[Elements]:
    """CelesTrak's active catalogue: 16,069 objects, epochs up to 2026-08-23."""
    return load_elements(tle_file(CATALOGUE))
