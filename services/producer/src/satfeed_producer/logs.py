"""Logging set-up: readable text by default, one JSON object per line with --log-format json."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter


def configure_logging(log_format: str, level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The Kafka client logs every failed reconnect; its errors also reach our error
    # callback, which logs an outage once. Its own lines only show when debugging.
    logging.getLogger("satfeed_producer.kafka_client").setLevel(
        logging.DEBUG if level == "DEBUG" else logging.CRITICAL
    )
