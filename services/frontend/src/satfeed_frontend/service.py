"""One frontend process's moving parts besides the web server: discovery, the one Kafka
consumer, the in-memory feed, metrics. Built once per process and handed to the Dash app
(callbacks find it on the Flask app, never in a module global)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import flask

from satfeed_frontend.config import DiscoveryMode, FrontendConfig
from satfeed_frontend.data.consumer import FeedConsumer
from satfeed_frontend.data.discovery import (
    KafkaTopicRegistry,
    PatternTopics,
    StaticTopics,
    TopicSource,
)
from satfeed_frontend.data.feed import FeedState, TrackView
from satfeed_frontend.data.kube_watch import KafkaTopicWatch, api_client
from satfeed_frontend.figures import PredictedTrack
from satfeed_frontend.metrics import FrontendMetrics, Sessions

log = logging.getLogger(__name__)

EXTENSION_KEY = "satfeed_frontend"


class FrontendService:
    def __init__(self, config: FrontendConfig, kube_api: Any = None) -> None:
        self.config = config
        self.instance = uuid.uuid4().hex[:12]
        """Names this process, so a browser drawn by an earlier one is redrawn in full."""
        self.metrics = FrontendMetrics()
        self.sessions = Sessions()
        self.metrics.sessions.set_function(self.sessions.active)
        self.feed = FeedState(config.history, config.history_window)
        self.registry: KafkaTopicRegistry | None = None
        self.watch: KafkaTopicWatch | None = None
        source: TopicSource
        if config.discovery is DiscoveryMode.KUBERNETES:
            self.registry = KafkaTopicRegistry()
            self.watch = KafkaTopicWatch(
                kube_api if kube_api is not None else api_client(config.kubeconfig),
                self.registry,
                self.feed,
                self.metrics,
                config.namespaces,
                config.selector,
            )
            source = self.registry
        elif config.discovery is DiscoveryMode.STATIC:
            source = StaticTopics(config.topics)
        else:
            assert config.topic_pattern is not None  # parse_config sets it in this mode
            source = PatternTopics(config.topic_pattern)
        self.consumer = FeedConsumer(config.bootstrap_servers, self.feed, source, self.metrics)

    def start(self) -> None:
        if self.watch is not None:
            self.watch.start()
        self.consumer.start()

    def stop(self) -> None:
        if self.watch is not None:
            self.watch.stop()
        self.consumer.stop()

    def readiness(self) -> tuple[bool, str]:
        """Ready once Kafka has answered and discovery has listed (where it lists)."""
        if not self.consumer.reachable:
            return False, f"Kafka at {self.config.bootstrap_servers} has not answered"
        if self.registry is not None and not self.registry.listed():
            return False, "KafkaTopics have not been listed yet"
        return True, "ok"

    def predictions(
        self, tracks: Sequence[TrackView], now: datetime
    ) -> Mapping[str, PredictedTrack]:
        """Predicted ground tracks; none yet (the records carry no elements)."""
        return {}


def current_service() -> FrontendService:
    """The service of the app serving this request."""
    service: FrontendService = flask.current_app.extensions[EXTENSION_KEY]
    return service
