"""--log-format: every line the frontend writes to stderr, gunicorn's included, in one format."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from gunicorn.config import Config  # type: ignore[import-untyped]
from satfeed_frontend.config import parse_config
from satfeed_frontend.logs import GunicornLogger, configure_logging


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    gunicorn_error = logging.getLogger("gunicorn.error")
    saved = (root.handlers[:], root.level, gunicorn_error.handlers[:], gunicorn_error.propagate)
    yield
    root.handlers[:], level, gunicorn_error.handlers[:], gunicorn_error.propagate = saved
    root.setLevel(level)


def gunicorn_logger() -> GunicornLogger:
    config = Config()
    config.set("errorlog", "-")
    config.set("loglevel", "info")
    return GunicornLogger(config)


def test_json_format_writes_one_object_per_line_for_ours_and_gunicorns(
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = parse_config(
        ["--bootstrap-servers", "kafka:9092"], environ={"SATFEED_LOG_FORMAT": "json"}
    )
    configure_logging(config.log_format, config.log_level)
    logging.getLogger("satfeed_frontend.data.consumer").warning("Kafka is unreachable")
    gunicorn_logger().info("Listening at: http://0.0.0.0:8050")

    lines = capsys.readouterr().err.splitlines()
    entries = [json.loads(line) for line in lines]
    assert [(e["level"], e["logger"], e["message"]) for e in entries] == [
        ("WARNING", "satfeed_frontend.data.consumer", "Kafka is unreachable"),
        ("INFO", "gunicorn.error", "Listening at: http://0.0.0.0:8050"),
    ]
    assert all(e["time"] for e in entries)


def test_text_is_the_default_and_a_flag_wins_over_the_variable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = parse_config(
        ["--bootstrap-servers", "kafka:9092", "--log-format", "text"],
        environ={"SATFEED_LOG_FORMAT": "json"},
    )
    assert config.log_format == "text"
    assert parse_config(["--bootstrap-servers", "k:9092"], environ={}).log_format == "text"
    configure_logging(config.log_format, "INFO")
    logging.getLogger("satfeed_frontend").info("serving")
    gunicorn_logger().info("Booting worker")

    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == [
        "INFO satfeed_frontend: serving",
        "INFO gunicorn.error: Booting worker",
    ]


def test_an_unknown_format_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_config(["--bootstrap-servers", "k:9092"], environ={"SATFEED_LOG_FORMAT": "xml"})
    assert "SATFEED_LOG_FORMAT='xml' is not one of text, json" in capsys.readouterr().err
