"""``satfeed-operator``: run the operator with its configuration from the environment."""

from __future__ import annotations

import asyncio
import logging
import sys
from datetime import timedelta

import kopf

from satfeed_operator import handlers  # registers the handlers with kopf
from satfeed_operator.celestrak import GpCache
from satfeed_operator.config import OperatorConfig, parse_config
from satfeed_operator.context import OperatorContext
from satfeed_operator.kube import KubeClient
from satfeed_operator.metrics import OperatorMetrics
from satfeed_operator.pass_publisher import PassPublisher

_EVENT_HANDLERS = (
    "on_child_event",
    "on_group_child_event",
    "on_station_child_event",
    "on_station_event",
    "on_satellite_event",
)


class _QuietChildEvents(logging.Filter):
    """Drops kopf's "Handler 'on_child_event' succeeded." lines (and the other watch-event
    handlers' ones).

    kopf logs every handler's success; with one per child event (about ten per Satellite
    while it starts) they would drown the lines that matter. Failures are still logged.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not message.startswith(
            tuple(f"Handler '{handler}' succeeded" for handler in _EVENT_HANDLERS)
        )


def build_context(config: OperatorConfig) -> OperatorContext:
    metrics = OperatorMetrics()
    return OperatorContext(
        config=config,
        kube=KubeClient(handlers.credentials),
        gp=GpCache(
            config.celestrak_url,
            config.celestrak_user_agent,
            timedelta(seconds=config.elements_refresh_seconds),
            observe=metrics.observe_fetch,
        ),
        metrics=metrics,
        passes=PassPublisher(config.kafka_security),
    )


def main(argv: list[str] | None = None) -> int:
    config = parse_config(argv)
    kopf.configure(
        verbose=config.verbose,
        log_prefix=True,  # "[namespace/name]" on every line about an object
        log_format=kopf.LogFormat.JSON if config.log_format == "json" else kopf.LogFormat.FULL,
    )
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # one line per probe
    logging.getLogger("kopf.objects").addFilter(_QuietChildEvents())
    asyncio.run(
        kopf.operator(
            clusterwide=config.clusterwide,
            namespaces=config.namespaces,
            # One replica (the chart uses Recreate), so no peering objects or permissions.
            standalone=True,
            liveness_endpoint=config.liveness_endpoint,
            memo=kopf.Memo(satfeed=build_context(config)),
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
