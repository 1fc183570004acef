"""Command lines of satfeed's own services, as the test bed, the demo and benchmarks run
them: this checkout's code under the current interpreter, serving HTTP on loopback."""

from __future__ import annotations

import sys
from pathlib import Path


def producer_argv(
    bootstrap: str, topic: str, satellite_id: str, http_port: int, *extra: str
) -> list[str]:
    """``satfeed-producer`` for one satellite; ``extra`` adds elements, interval and so on."""
    return [
        sys.executable, "-m", "satfeed_producer.main",
        "--bootstrap-servers", bootstrap, "--topic", topic, "--satellite-id", satellite_id,
        "--http-host", "127.0.0.1", "--http-port", str(http_port), *extra,
    ]  # fmt: skip


def frontend_argv(bootstrap: str, http_port: int, *extra: str) -> list[str]:
    """``satfeed-frontend``; ``extra`` chooses the discovery mode and so on."""
    return [
        sys.executable, "-m", "satfeed_frontend.main", "--bootstrap-servers", bootstrap,
        "--http-host", "127.0.0.1", "--http-port", str(http_port), *extra,
    ]  # fmt: skip


def local_frontend_argv(elements: Path, http_port: int, *extra: str) -> list[str]:
    """``satfeed-frontend --local-elements``: no Kafka, positions computed in the process."""
    return [
        sys.executable, "-m", "satfeed_frontend.main", "--local-elements", str(elements),
        "--http-host", "127.0.0.1", "--http-port", str(http_port), *extra,
    ]  # fmt: skip
