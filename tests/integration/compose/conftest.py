"""The Compose tests drive Chromium as the frontend's tests do."""

from __future__ import annotations

from tests.integration.frontend.conftest import browser, open_page

__all__ = ["browser", "open_page"]
