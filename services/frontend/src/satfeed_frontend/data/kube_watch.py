"""Watches Kubernetes resources by label selector, one thread per namespace (or one for all).

Each thread lists its namespace, hands the result to its :class:`WatchTarget`, then watches
from the list's resourceVersion, applying every event; when the watch's history has
expired (HTTP 410) it lists again. A namespace it may not read (RBAC), an API server that
is away: the problem is logged once, handed to the target (which counts and shows it), and
retried.

Three targets use it: KafkaTopics (which topics to show), the operator's elements
ConfigMaps of Satellites (from which ground tracks are predicted) and those of
SatelliteGroups (the members' names, and their orbits when picked).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Protocol

from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from satfeed_frontend.data.discovery import KafkaTopicRegistry
from satfeed_frontend.data.elements import ElementsRegistry
from satfeed_frontend.data.feed import FeedState
from satfeed_frontend.metrics import FrontendMetrics

log = logging.getLogger(__name__)

RETRY_S: Final = 5.0
WATCH_TIMEOUT_S: Final = 30
"""Server-side end of each watch request; the next one resumes where it stopped."""

ListFunction = Callable[..., Any]


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


class WatchTarget(Protocol):
    what: str
    """What is watched, for messages: "KafkaTopics"."""
    rbac_hint: str
    """What to grant when listing is forbidden."""

    def list_function(self, api: Any, scope: str) -> ListFunction: ...

    def replace(self, scope: str, items: Sequence[Mapping[str, Any]]) -> None: ...

    def apply(self, scope: str, event_type: str, obj: Mapping[str, Any]) -> None: ...

    def problem(self, scope: str, problem: str | None) -> None:
        """Called with a problem when listing or watching fails, with None once it works."""
        ...


def kafkatopics_in(api: Any, scope: str) -> ListFunction:
    objects = client.CustomObjectsApi(api)
    group, version, plural = "kafka.strimzi.io", "v1", "kafkatopics"
    if scope:
        return lambda **kw: objects.list_namespaced_custom_object(
            group, version, scope, plural, **kw
        )
    return lambda **kw: objects.list_cluster_custom_object(group, version, plural, **kw)


def configmaps_in(api: Any, scope: str) -> ListFunction:
    """Lists (and, given ``watch=True``, watches) ConfigMaps as raw JSON responses.

    Through the client's generic ``call_api``, not ``CoreV1Api``: importing that one
    module of the client costs about 60 MB of memory, for one request.
    """
    path = f"/api/v1/namespaces/{scope}/configmaps" if scope else "/api/v1/configmaps"

    def list_configmaps(**kw: Any) -> Any:
        query = [
            (_QUERY_NAMES.get(name, name), value)
            for name, value in kw.items()
            if not name.startswith("_") and value is not None
        ]
        request = api.param_serialize(
            method="GET",
            resource_path=path,
            query_params=query,
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        response = api.call_api(*request, _request_timeout=kw.get("_request_timeout"))
        if not 200 <= response.status <= 299:
            response.read()
            raise ApiException.from_response(http_resp=response, body=None, data=None)
        return response.response  # raw: the watch reads it line by line

    return list_configmaps


_QUERY_NAMES: Final = {
    "label_selector": "labelSelector",
    "resource_version": "resourceVersion",
    "timeout_seconds": "timeoutSeconds",
    "allow_watch_bookmarks": "allowWatchBookmarks",
}


class KafkaTopicTarget:
    """Which topics to show; a namespace that cannot be read shows on the page."""

    what = "KafkaTopics"
    rbac_hint = (
        "grant the frontend's service account get, list and watch on "
        "kafkatopics.kafka.strimzi.io there, or leave the namespace out of --namespaces"
    )
    list_function = staticmethod(kafkatopics_in)

    def __init__(
        self, registry: KafkaTopicRegistry, feed: FeedState, metrics: FrontendMetrics
    ) -> None:
        self.registry = registry
        self.feed = feed
        self.metrics = metrics
        self.replace = registry.replace
        self.apply = registry.apply

    def problem(self, scope: str, problem: str | None) -> None:
        if problem is not None:
            self.metrics.discovery_errors.labels(namespace=scope).inc()
        self.feed.set_discovery_problem(scope, problem)


class ElementsTarget:
    """Elements for predicted ground tracks: an optional extra, so a problem is logged and
    counted, and the page simply draws no predictions."""

    what = "ConfigMaps"
    rbac_hint = (
        "grant the frontend's service account get, list and watch on configmaps there "
        "to draw predicted ground tracks, or turn them off with --predictions false (the "
        "page works without them)"
    )
    list_function = staticmethod(configmaps_in)

    def __init__(self, registry: ElementsRegistry, metrics: FrontendMetrics) -> None:
        self.metrics = metrics
        self.replace = registry.replace
        self.apply = registry.apply

    def problem(self, scope: str, problem: str | None) -> None:
        if problem is not None:
            self.metrics.elements_errors.labels(namespace=scope).inc()


class GroupElementsTarget:
    """The members' elements of SatelliteGroups: their names on the page and a picked
    member's predicted orbit. Optional like :class:`ElementsTarget`: without them the page
    names members by NORAD id."""

    what = "ConfigMaps"
    rbac_hint = ElementsTarget.rbac_hint
    list_function = staticmethod(configmaps_in)

    def __init__(self, registry: ElementsRegistry, metrics: FrontendMetrics) -> None:
        self.metrics = metrics
        self.replace = registry.replace_group
        self.apply = registry.apply_group

    def problem(self, scope: str, problem: str | None) -> None:
        if problem is not None:
            self.metrics.elements_errors.labels(namespace=scope).inc()


class ResourceWatch:
    def __init__(
        self, api: Any, target: WatchTarget, namespaces: Sequence[str], selector: str
    ) -> None:
        self._api = api
        self.target = target
        self.selector = selector
        self._stopping = threading.Event()
        scopes = list(namespaces) or [""]  # "": every namespace
        self._threads = [
            threading.Thread(
                target=self._run,
                args=(scope,),
                name=f"watch-{target.what.lower()}-{scope or 'all'}",
                daemon=True,
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

    def _run(self, scope: str) -> None:
        where = f"namespace {scope!r}" if scope else "all namespaces"
        list_function = self.target.list_function(self._api, scope)
        reported: str | None = None
        while not self._stopping.is_set():
            try:
                listing = _plain(list_function(label_selector=self.selector))
                self.target.replace(scope, listing.get("items") or [])
                if reported is not None:
                    log.info("listing %s in %s works again", self.target.what, where)
                    reported = None
                self.target.problem(scope, None)
                self._watch(list_function, scope, listing["metadata"]["resourceVersion"])
            except ApiException as error:
                if error.status == 410:  # the watch's history expired: list again
                    continue
                problem = _api_problem(error, self.target, where)
            except (HTTPError, OSError) as error:
                problem = (
                    f"cannot reach the Kubernetes API to list {self.target.what} in {where}: "
                    f"{error}"
                )
            else:
                continue
            self.target.problem(scope, problem)
            if problem != reported:  # once per distinct problem, not once per retry
                log.error("%s; retrying every %.0f s", problem, RETRY_S)
                reported = problem
            self._stopping.wait(RETRY_S)

    def _watch(self, list_function: ListFunction, scope: str, resource_version: str) -> None:
        while not self._stopping.is_set():
            stream = watch.Watch()  # type: ignore[no-untyped-call]
            for event in stream.stream(  # type: ignore[no-untyped-call]
                list_function,
                label_selector=self.selector,
                resource_version=resource_version,
                timeout_seconds=WATCH_TIMEOUT_S,
                allow_watch_bookmarks=True,
            ):
                kind, obj = event["type"], _plain(event.get("raw_object", event["object"]))
                if kind == "ERROR":
                    raise ApiException(status=obj.get("code"), reason=obj.get("message"))
                resource_version = obj["metadata"]["resourceVersion"]
                if kind != "BOOKMARK":
                    self.target.apply(scope, kind, obj)
                if self._stopping.is_set():
                    stream.stop()  # type: ignore[no-untyped-call]


def _plain(response: Any) -> Any:
    """A response as plain dicts: a raw HTTP response (``_preload_content=False``) is read
    as JSON; custom objects already are dicts."""
    if hasattr(response, "data") and isinstance(response.data, bytes):
        return json.loads(response.data)
    return response


def _api_problem(error: ApiException, target: WatchTarget, where: str) -> str:
    if error.status == 403:
        return f"forbidden to list {target.what} in {where}: {target.rbac_hint}"
    if error.status == 404:
        return f"the API server serves no {target.what} for {where}: is the CRD installed?"
    return f"cannot list {target.what} in {where}: HTTP {error.status} {error.reason}"
