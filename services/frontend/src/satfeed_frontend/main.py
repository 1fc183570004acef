"""``satfeed-frontend``: serve the dashboard with gunicorn, one process, many threads.

Why gunicorn this way: the design wants exactly one Kafka consumer per process, and every
browser served from the memory it fills. So gunicorn runs one worker with a pool of request
threads (``gthread``), and the consumer thread is started inside that worker, after the
fork. Gunicorn still earns its place: a production HTTP parser, graceful shutdown on
SIGTERM, and a dead worker is replaced with a fresh one (and a fresh consumer). To serve
more browsers than one process can, run more replicas, each with its own consumer.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]
from satfeed_core.elements import Elements

from satfeed_frontend.config import FrontendConfig, parse_config
from satfeed_frontend.data.local import load_local_elements
from satfeed_frontend.logs import GunicornLogger, configure_logging

log = logging.getLogger("satfeed_frontend")

EXIT_USAGE = 2


class FrontendServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, config: FrontendConfig, local_objects: Sequence[Elements] = ()) -> None:
        self.config = config
        self.local_objects = local_objects
        self.service: Any = None
        super().__init__()

    def load_config(self) -> None:
        settings = {
            "bind": f"{self.config.http_host}:{self.config.http_port}",
            "workers": 1,  # one consumer per process: see the module's docstring
            "worker_class": "gthread",
            "threads": self.config.http_threads,
            "timeout": 60,
            "graceful_timeout": 10,
            "keepalive": 30,  # a page's requests (assets, drawings) reuse one connection
            "accesslog": None,
            "errorlog": "-",
            "logger_class": GunicornLogger,  # its lines in --log-format too
            "loglevel": self.config.log_level.lower(),
            "proc_name": "satfeed-frontend",
            # The control socket would be one fixed path shared by every instance on a host.
            "control_socket_disable": True,
            "post_worker_init": self._post_worker_init,
            "worker_exit": self._worker_exit,
        }
        for key, value in settings.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # Runs in the worker, after the fork: threads started here live in the worker.
        from satfeed_frontend.app import create_app
        from satfeed_frontend.service import FrontendService

        self.service = FrontendService(self.config, local_objects=self.local_objects)
        self.service.start()
        log.info(
            "satfeed-frontend %s: %s; serving on %s:%d",
            self.service.instance,
            _describe_source(self.config, self.local_objects),
            self.config.http_host,
            self.config.http_port,
        )
        return create_app(self.service).server

    def _post_worker_init(self, _worker: Any) -> None:
        # Update streams never end by themselves: on SIGTERM end them first, so the
        # graceful shutdown does not wait for open pages (they reconnect to another replica).
        previous = signal.getsignal(signal.SIGTERM)

        def on_term(signum: int, frame: FrameType | None) -> None:
            if self.service is not None:
                self.service.push.stop()
            if callable(previous):
                previous(signum, frame)

        signal.signal(signal.SIGTERM, on_term)

    def _worker_exit(self, _server: Any, _worker: Any) -> None:
        if self.service is not None:
            self.service.stop()


def _describe_source(config: FrontendConfig, local_objects: Sequence[Elements]) -> str:
    if config.local_elements is None:
        return (
            f"Kafka {config.bootstrap_servers} ({config.kafka_security.describe()}), "
            f"discovery {config.discovery.value}"
        )
    names = ", ".join(each.name or str(each.norad_id) for each in local_objects[:5])
    more = f" and {len(local_objects) - 5} more" if len(local_objects) > 5 else ""
    return (
        f"no Kafka: positions of {names}{more} computed in this process from "
        f"{config.local_elements} every {config.local_interval_s:g} s"
    )


def _local_objects(path: Path | None, norad_ids: Sequence[int]) -> list[Elements] | None:
    """The objects of ``--local-elements``, checked before serving as the producer checks
    its elements; None (after logging why, in the producer's words) when they are unusable."""
    if path is None:
        return []
    try:
        return load_local_elements(path, norad_ids)
    except (ValueError, OSError) as error:
        log.error("cannot use the elements: %s", error)
        return None


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_config(argv)
    configure_logging(config.log_format, config.log_level)
    for deprecation in config.deprecations:
        log.warning("%s", deprecation)
    local_objects = _local_objects(config.local_elements, config.local_norad_ids)
    if local_objects is None:
        return EXIT_USAGE
    FrontendServer(config, local_objects).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
