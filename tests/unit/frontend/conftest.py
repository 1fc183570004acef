"""Fixtures of the frontend's unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from satfeed_frontend.config import parse_config
from satfeed_frontend.service import FrontendService


@pytest.fixture
def service() -> Iterator[FrontendService]:
    """A service that was never started, on a static topic list."""
    # Port 1 on loopback: nothing listens, so the never-started client stays quiet.
    config = parse_config(["--bootstrap-servers", "127.0.0.1:1", "--topics", "t.terra"], environ={})
    service = FrontendService(config)
    try:
        yield service
    finally:
        service.stop()
