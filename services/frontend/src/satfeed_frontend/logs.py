"""Logging set-up: readable text by default, one JSON object per line with --log-format json.

The same for every line on stderr, gunicorn's own included: gunicorn's error log hands its
records to the root logger instead of formatting them itself (:class:`GunicornLogger`).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from gunicorn import glogging  # type: ignore[import-untyped]
from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    return logging.Formatter(TEXT_FORMAT)


def configure_logging(log_format: str, level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The Kafka client logs every failed reconnect; the consumer logs an outage once.
    logging.getLogger("satfeed_frontend.kafka_client").setLevel(
        logging.DEBUG if level == "DEBUG" else logging.CRITICAL
    )


class GunicornLogger(glogging.Logger):  # type: ignore[misc]
    """Gunicorn's logger, its error log written through the root logger's handler (so in
    the chosen format); the access log stays off."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        self.error_log.handlers[:] = []
        self.error_log.propagate = True
