"""satfeed-frontend's flags and environment variables."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from satfeed_core.labels import DEFAULT_TOPIC_SELECTOR
from satfeed_frontend.config import DiscoveryMode, parse_config

BOOTSTRAP = ["--bootstrap-servers", "kafka:9092"]


def test_defaults_watch_kafkatopics_by_the_shared_label_everywhere() -> None:
    config = parse_config(BOOTSTRAP, environ={})
    assert config.discovery is DiscoveryMode.KUBERNETES
    assert config.selector == DEFAULT_TOPIC_SELECTOR
    assert config.namespaces == ()
    assert config.history == 180
    assert config.history_window is None
    assert (config.http_host, config.http_port) == ("0.0.0.0", 8050)  # noqa: S104


def test_environment_sets_defaults_and_flags_win() -> None:
    environ = {
        "KAFKA_BOOTSTRAP_SERVERS": "env:9092",
        "SATFEED_NAMESPACES": "space, ground",
        "SATFEED_HISTORY": "60",
        "SATFEED_HISTORY_SECONDS": "300",
        "KUBECONFIG": "/etc/kube/config",
        "SATFEED_HTTP_PORT": "",  # empty counts as unset
    }
    config = parse_config(["--history", "90"], environ=environ)
    assert config.bootstrap_servers == "env:9092"
    assert config.namespaces == ("space", "ground")
    assert config.history == 90
    assert config.history_window == timedelta(minutes=5)
    assert config.kubeconfig == Path("/etc/kube/config")
    assert config.http_port == 8050


def test_a_topic_list_or_pattern_runs_without_kubernetes() -> None:
    static = parse_config([*BOOTSTRAP, "--topics", "a, b"], environ={})
    assert (static.discovery, static.topics) == (DiscoveryMode.STATIC, ("a", "b"))
    pattern = parse_config(BOOTSTRAP, environ={"SATFEED_TOPIC_PATTERN": r"satfeed\..*"})
    assert pattern.discovery is DiscoveryMode.PATTERN
    assert pattern.topic_pattern is not None
    assert pattern.topic_pattern.fullmatch("satfeed.x")
    groups = parse_config([*BOOTSTRAP, "--group-topics", "Starlink=g.starlink, g.all"], environ={})
    assert (groups.discovery, groups.group_topics) == (
        DiscoveryMode.STATIC,
        ("Starlink=g.starlink", "g.all"),
    )


@pytest.mark.parametrize(
    ("argv", "environ", "message"),
    [
        ([], {}, "--bootstrap-servers (or KAFKA_BOOTSTRAP_SERVERS) is required"),
        ([*BOOTSTRAP, "--topics", "a", "--topic-pattern", "b"], {}, "not both"),
        ([*BOOTSTRAP, "--topic-pattern", "("], {}, "is not a regular expression"),
        ([*BOOTSTRAP, "--group-topics", "a", "--topic-pattern", "b"], {}, "not both"),
        ([*BOOTSTRAP, "--group-topics", "Starlink="], {}, "names no topic"),
        ([*BOOTSTRAP, "--history", "0"], {}, "--history 0 must be at least 1"),
        (BOOTSTRAP, {"SATFEED_HISTORY": "many"}, "SATFEED_HISTORY='many' is not a valid --history"),
        (BOOTSTRAP, {"SATFEED_LOG_LEVEL": "LOUD"}, "SATFEED_LOG_LEVEL='LOUD' is not one of"),
        ([*BOOTSTRAP, "--tick-interval", "0"], {}, "--tick-interval 0 is out of range"),
        ([*BOOTSTRAP, "--http-port", "70000"], {}, "is not a TCP port"),
    ],
)
def test_bad_settings_are_usage_errors_naming_the_problem(
    argv: list[str], environ: dict[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_config(argv, environ=environ)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "environ", "interval", "warning"),
    [
        (["--poll-interval", "2"], {}, 2.0, "--poll-interval is deprecated"),
        ([], {"SATFEED_POLL_INTERVAL": "3"}, 3.0, "SATFEED_POLL_INTERVAL is deprecated"),
        (
            [],
            {"SATFEED_POLL_INTERVAL": "3", "SATFEED_TICK_INTERVAL": "4"},
            4.0,
            "SATFEED_POLL_INTERVAL is deprecated and ignored, as SATFEED_TICK_INTERVAL is set",
        ),
        (["--poll-interval", "2"], {"SATFEED_TICK_INTERVAL": "4"}, 2.0, "use --tick-interval"),
    ],
)
def test_the_poll_interval_still_sets_the_tick_interval_with_a_warning(
    argv: list[str], environ: dict[str, str], interval: float, warning: str
) -> None:
    config = parse_config([*BOOTSTRAP, *argv], environ=environ)
    assert config.tick_interval_s == interval
    (deprecation,) = config.deprecations
    assert warning in deprecation
    assert parse_config(BOOTSTRAP, environ={}).deprecations == ()


def test_help_names_every_variable(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_config(["--help"], environ={})
    out = capsys.readouterr().out
    for variable in ("KAFKA_BOOTSTRAP_SERVERS", "SATFEED_TOPIC_SELECTOR", "SATFEED_HISTORY"):
        assert f"[{variable}]" in out
    assert "--poll-interval " not in out  # the deprecated name is not offered
