"""Fixtures for satfeed_core's tests: the bundled element sets, parsed once per session."""

from __future__ import annotations

import pytest
from satfeed_core.elements import Elements, load_elements
from satfeed_dev.sample_data import CATALOGUE, EARTH_OBSERVATION, tle_file


@pytest.fixture(scope="session")
def catalogue() -> list[Elements]:
    """CelesTrak's active catalogue: 16,069 objects."""
    return load_elements(tle_file(CATALOGUE))


@pytest.fixture(scope="session")
def earth_observation() -> list[Elements]:
    return load_elements(tle_file(EARTH_OBSERVATION))


@pytest.fixture(scope="session")
def iss(earth_observation: list[Elements]) -> Elements:
    return next(each for each in earth_observation if each.norad_id == 25544)
