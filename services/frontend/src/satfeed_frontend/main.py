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
from types import FrameType
from typing import Any

from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]

from satfeed_frontend.config import FrontendConfig, parse_config
from satfeed_frontend.logs import GunicornLogger, configure_logging

log = logging.getLogger("satfeed_frontend")


class FrontendServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, config: FrontendConfig) -> None:
        self.config = config
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

        self.service = FrontendService(self.config)
        self.service.start()
        log.info(
            "satfeed-frontend %s: Kafka %s, discovery %s; serving on %s:%d",
            self.service.instance,
            self.config.bootstrap_servers,
            self.config.discovery.value,
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


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_config(argv)
    configure_logging(config.log_format, config.log_level)
    for deprecation in config.deprecations:
        log.warning("%s", deprecation)
    FrontendServer(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
