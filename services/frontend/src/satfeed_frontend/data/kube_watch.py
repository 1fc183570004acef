"""Watches KafkaTopics by label selector, one thread per namespace (or one for all).

Each thread lists its namespace, hands the result to :class:`KafkaTopicRegistry`, then
watches from the list's resourceVersion, applying every event; when the watch's history
has expired (HTTP 410) it lists again. A namespace it may not read (RBAC), an API server
that is away: the problem is logged once, counted, shown on the page, and retried.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from satfeed_frontend.data.discovery import KafkaTopicRegistry
from satfeed_frontend.data.feed import FeedState
from satfeed_frontend.metrics import FrontendMetrics

log = logging.getLogger(__name__)

GROUP: Final = "kafka.strimzi.io"
VERSION: Final = "v1"
PLURAL: Final = "kafkatopics"
RETRY_S: Final = 5.0
WATCH_TIMEOUT_S: Final = 30
"""Server-side end of each watch request; the next one resumes where it stopped."""


def api_client(kubeconfig: Path | None) -> Any:
    """A client for the given kubeconfig, else the pod's service account, else ~/.kube/config."""
    if kubeconfig is not None:
        return config.new_client_from_config(config_file=str(kubeconfig))  # type: ignore[no-untyped-call]
    try:
        configuration = client.Configuration()
        config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        return client.ApiClient(configuration)
    except config.ConfigException:
        return config.new_client_from_config()  # type: ignore[no-untyped-call]


class KafkaTopicWatch:
    def __init__(
        self,
        api: Any,
        registry: KafkaTopicRegistry,
        feed: FeedState,
        metrics: FrontendMetrics,
        namespaces: Sequence[str],
        selector: str,
    ) -> None:
        self._objects = client.CustomObjectsApi(api)
        self.registry = registry
        self.feed = feed
        self.metrics = metrics
        self.selector = selector
        self._stopping = threading.Event()
        scopes = list(namespaces) or [""]  # "": every namespace
        self._threads = [
            threading.Thread(
                target=self._run, args=(scope,), name=f"watch-{scope or 'all'}", daemon=True
            )
            for scope in scopes
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        # The threads notice within one watch timeout; they are daemons, so a stopping
        # process does not wait for them.
        self._stopping.set()

    def _list_function(self, scope: str) -> Callable[..., Any]:
        if scope:
            return lambda **kw: self._objects.list_namespaced_custom_object(
                GROUP, VERSION, scope, PLURAL, **kw
            )
        return lambda **kw: self._objects.list_cluster_custom_object(GROUP, VERSION, PLURAL, **kw)

    def _run(self, scope: str) -> None:
        where = f"namespace {scope!r}" if scope else "all namespaces"
        list_function = self._list_function(scope)
        reported: str | None = None
        while not self._stopping.is_set():
            try:
                listing = list_function(label_selector=self.selector)
                self.registry.replace(scope, listing.get("items") or [])
                if reported is not None:
                    log.info("listing KafkaTopics in %s works again", where)
                    reported = None
                self.feed.set_discovery_problem(scope, None)
                self._watch(list_function, scope, listing["metadata"]["resourceVersion"])
            except ApiException as error:
                if error.status == 410:  # the watch's history expired: list again
                    continue
                problem = _api_problem(error, where)
            except (HTTPError, OSError) as error:
                problem = f"cannot reach the Kubernetes API to list KafkaTopics in {where}: {error}"
            else:
                continue
            self.metrics.discovery_errors.labels(namespace=scope).inc()
            self.feed.set_discovery_problem(scope, problem)
            if problem != reported:  # once per distinct problem, not once per retry
                log.error("%s; retrying every %.0f s", problem, RETRY_S)
                reported = problem
            self._stopping.wait(RETRY_S)

    def _watch(self, list_function: Callable[..., Any], scope: str, resource_version: str) -> None:
        while not self._stopping.is_set():
            stream = watch.Watch()  # type: ignore[no-untyped-call]
            for event in stream.stream(  # type: ignore[no-untyped-call]
                list_function,
                label_selector=self.selector,
                resource_version=resource_version,
                timeout_seconds=WATCH_TIMEOUT_S,
                allow_watch_bookmarks=True,
            ):
                kind, obj = event["type"], event["object"]
                if kind == "ERROR":
                    raise ApiException(status=obj.get("code"), reason=obj.get("message"))
                resource_version = obj["metadata"]["resourceVersion"]
                if kind != "BOOKMARK":
                    self.registry.apply(scope, kind, obj)
                if self._stopping.is_set():
                    stream.stop()  # type: ignore[no-untyped-call]


def _api_problem(error: ApiException, where: str) -> str:
    if error.status == 403:
        return (
            f"forbidden to list KafkaTopics in {where}: grant the frontend's service account "
            f"get, list and watch on kafkatopics.{GROUP} there, or leave the namespace out "
            f"of --namespaces"
        )
    if error.status == 404:
        return (
            f"the API server has no KafkaTopics ({GROUP}/{VERSION}) for {where}: "
            f"is Strimzi's CRD installed?"
        )
    return f"cannot list KafkaTopics in {where}: HTTP {error.status} {error.reason}"
