"""One frontend process's moving parts besides the web server: discovery, the one Kafka
consumer, the in-memory feed, metrics. Built once per process and handed to the Dash app
(callbacks find it on the Flask app, never in a module global)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import flask
from satfeed_core.elements import Elements
from satfeed_core.labels import CHILD_SELECTOR, GROUP_CHILD_SELECTOR

from satfeed_frontend.config import DiscoveryMode, FrontendConfig
from satfeed_frontend.data.catalogue import Catalogue
from satfeed_frontend.data.consumer import FeedConsumer
from satfeed_frontend.data.discovery import (
    KafkaTopicRegistry,
    PatternTopics,
    StaticTopics,
    TopicSource,
)
from satfeed_frontend.data.elements import ElementsRegistry
from satfeed_frontend.data.feed import FeedState, TrackView
from satfeed_frontend.data.kube_watch import (
    ElementsTarget,
    GroupElementsTarget,
    KafkaTopicTarget,
    ResourceWatch,
    api_client,
)
from satfeed_frontend.data.local import LocalPositions
from satfeed_frontend.figures import PredictedTrack
from satfeed_frontend.metrics import FrontendMetrics, Sessions
from satfeed_frontend.prediction import predicted_track
from satfeed_frontend.push import Broadcaster
from satfeed_frontend.station_service import StationService
from satfeed_frontend.ticks import UpdateSettings

log = logging.getLogger(__name__)

EXTENSION_KEY = "satfeed_frontend"
PREDICTION_REFRESH = timedelta(minutes=10)
"""Pages redraw predicted tracks this often, so each still reaches an orbit ahead."""


class FrontendService:
    def __init__(
        self,
        config: FrontendConfig,
        kube_api: Any = None,
        local_objects: Sequence[Elements] = (),
    ) -> None:
        """``local_objects``: with ``--local-elements``, the objects loaded (and checked)
        from it before the server started."""
        self.config = config
        self.instance = uuid.uuid4().hex[:12]
        """Names this process, so a browser drawn by an earlier one is redrawn in full."""
        self.metrics = FrontendMetrics()
        self.sessions = Sessions()
        self.metrics.sessions.set_function(self.sessions.active)
        self.feed = FeedState(config.history, config.history_window)
        self.metrics.watch_feed(self.feed.newest_positions)
        self.registry: KafkaTopicRegistry | None = None
        self.elements: ElementsRegistry | None = None
        self.watches: list[ResourceWatch] = []
        self.stations: StationService | None = None
        source: TopicSource | None = None
        if config.elements_file is not None:
            self.elements = ElementsRegistry()
            self.elements.add_file(config.elements_file)
        if config.local_elements is not None and config.predictions:
            self.elements = self.elements or ElementsRegistry()
            self.elements.add_file(config.local_elements)
        if config.discovery is DiscoveryMode.KUBERNETES:
            api = kube_api if kube_api is not None else api_client(config.kubeconfig)
            self.registry = KafkaTopicRegistry()
            self.watches = [
                ResourceWatch(
                    api,
                    KafkaTopicTarget(self.registry, self.feed, self.metrics),
                    config.namespaces,
                    config.selector,
                )
            ]
            if config.predictions:
                self.elements = self.elements or ElementsRegistry()
                self.watches += [
                    ResourceWatch(
                        api,
                        ElementsTarget(self.elements, self.metrics),
                        config.namespaces,
                        CHILD_SELECTOR,
                    ),
                    ResourceWatch(
                        api,
                        GroupElementsTarget(self.elements, self.metrics),
                        config.namespaces,
                        GROUP_CHILD_SELECTOR,
                    ),
                ]
            if config.predictions and config.ground_stations:
                # Ground stations' passes, from the same elements.
                assert self.elements is not None
                self.stations = StationService(api, config.namespaces, self.elements, self.metrics)
            source = self.registry
        elif config.discovery is DiscoveryMode.LOCAL:
            pass  # no topics: positions are computed here (self.consumer below)
        elif config.discovery is DiscoveryMode.STATIC:
            source = StaticTopics(config.topics, config.group_topics)
        else:
            assert config.topic_pattern is not None  # parse_config sets it in this mode
            source = PatternTopics(config.topic_pattern)
        elements = self.elements
        self.catalogue = Catalogue(
            self.feed,
            elements_of=elements.of_norad_id if elements else lambda norad_id: None,
            elements_version=(lambda: elements.version) if elements else lambda: 0,
        )
        self.metrics.objects.set_function(self.catalogue.count)
        self.consumer: FeedConsumer | LocalPositions
        if source is None:
            assert config.local_elements is not None  # parse_config: LOCAL mode
            self.consumer = LocalPositions(
                local_objects,
                config.local_elements,
                config.local_interval_s,
                self.feed,
                self.catalogue,
                self.metrics,
            )
        else:
            self.consumer = FeedConsumer(
                config.bootstrap_servers,
                self.feed,
                source,
                self.metrics,
                elements_of=elements.of_norad_id if elements else lambda norad_id: None,
                catalogue=self.catalogue,
                security=config.kafka_security,
            )
        self.settings = UpdateSettings(
            instance=self.instance,
            stale_after=config.stale_after,
            history=config.history,
            predict=self.predictions,
        )
        self.push = Broadcaster(
            self.feed,
            self.settings,
            self.prediction_key,
            self.sessions,
            self.metrics,
            tick_s=config.tick_interval_s,
            catalogue=self.catalogue,
        )
        self.metrics.update_streams.set_function(self.push.count)

    def start(self) -> None:
        for watch in self.watches:
            watch.start()
        if self.stations is not None:
            self.stations.start()
        self.consumer.start()
        self.push.start()

    def stop(self) -> None:
        self.push.stop()
        for watch in self.watches:
            watch.stop()
        if self.stations is not None:
            self.stations.stop()
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
        """One orbit ahead of each track's newest position, for tracks whose elements are
        known (from the operator's ConfigMaps: Kubernetes discovery only)."""
        if self.elements is None:
            return {}
        predicted = {}
        for track in tracks:
            elements = self.elements.get(track.satellite_ref) if track.satellite_ref else None
            if elements is None:
                elements = self.elements.of_norad_id(track.latest.record.norad_id)
            if elements is not None:
                predicted[track.key] = predicted_track(elements, track.latest.record.time)
        return predicted

    def prediction_key(self, now: datetime) -> str:
        """Changes when predictions should be redrawn: new elements, or time moving on."""
        if self.elements is None:
            return ""
        return (
            f"{self.elements.version}:{int(now.timestamp() // PREDICTION_REFRESH.total_seconds())}"
        )


def current_service() -> FrontendService:
    """The service of the app serving this request."""
    service: FrontendService = flask.current_app.extensions[EXTENSION_KEY]
    return service
