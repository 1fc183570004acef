"""Debian's Chromium driven by Playwright (Playwright's own browser download cannot work
here, so it is pointed at the system browser)."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from .toolchain import SetupError

# Headless flags that work as root in this sandbox with no outside network: without the
# background-networking ones Chromium keeps dialling Google's hosts and gets refused.
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
)


def chromium_path() -> Path:
    explicit = os.environ.get("SATFEED_CHROMIUM")
    for candidate in (explicit, shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return Path(candidate)
    raise SetupError(
        "Chromium is not installed: on Debian run 'apt-get install chromium' "
        "(or set SATFEED_CHROMIUM to a Chromium binary)."
    )


@contextlib.contextmanager
def launch_chromium() -> Iterator[Browser]:
    """Debian's Chromium under Playwright with :data:`CHROMIUM_ARGS`; closed on exit."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_path()), args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()
