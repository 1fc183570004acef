"""A small asynchronous Kubernetes API client for the operator's own requests.

kopf watches and patches the Satellites; this client reads and server-side-applies the
children. It uses the credentials kopf logged in with (see ``handlers.login``) and aiohttp,
which kopf brings, so the operator needs no Kubernetes client library.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from typing import Any, Final

import aiohttp
import kopf

from satfeed_operator.consts import API_VERSION, FIELD_MANAGER, PLURAL

_APPLY: Final = "application/apply-patch+yaml"  # JSON is YAML, so the body is plain JSON
_MERGE: Final = "application/merge-patch+json"


class ApiError(Exception):
    """The apiserver refused a request; ``status`` is the HTTP status."""

    def __init__(
        self,
        status: int,
        method: str,
        path: str,
        reason: str,
        message: str,
        causes: tuple[str, ...] = (),
    ) -> None:
        self.status = status
        self.reason = reason
        self.message = message
        self.causes = causes
        """The ``type`` of each of the Status's ``details.causes``."""
        super().__init__(f"{method} {path}: {status} {reason}: {message}")

    @property
    def namespace_terminating(self) -> bool:
        """Refused because the namespace is being deleted (and its content with it)."""
        return "NamespaceTerminating" in self.causes


def object_path(
    api_version: str, plural: str, namespace: str | None = None, name: str | None = None
) -> str:
    """REST path of a collection or object, e.g. ``/apis/apps/v1/namespaces/x/deployments``."""
    base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    if namespace:
        base += f"/namespaces/{namespace}"
    base += f"/{plural}"
    return f"{base}/{name}" if name else base


def satellite_path(namespace: str, name: str | None = None) -> str:
    """REST path of a Satellite, or of the Satellites of ``namespace`` ("": all)."""
    return object_path(API_VERSION, PLURAL, namespace, name)


class KubeClient:
    """Requests against the apiserver with the operator's credentials.

    ``login`` gives fresh credentials; it is called again after a 401, since service
    account tokens are rotated on disk.
    """

    def __init__(
        self, login: Callable[[], kopf.ConnectionInfo | None], request_timeout: float = 30
    ) -> None:
        self._login = login
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._session: aiohttp.ClientSession | None = None
        self._server = ""
        self._lock = asyncio.Lock()

    async def _open(self) -> aiohttp.ClientSession:
        async with self._lock:
            if self._session is None:
                info = self._login()
                if info is None:
                    raise kopf.TemporaryError("no Kubernetes credentials found", delay=10)
                self._server = info.server.rstrip("/")
                self._session = aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(ssl=info.as_ssl_context()),
                    headers={**info.as_http_headers(), "User-Agent": FIELD_MANAGER},
                    timeout=self._timeout,
                )
            return self._session

    async def close(self) -> None:
        async with self._lock:
            if self._session is not None:
                await self._session.close()
                self._session = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> Any:
        for attempt in (1, 2):
            session = await self._open()
            async with session.request(
                method,
                self._server + path,
                params=params,
                data=None if body is None else json.dumps(body),
                headers={"Content-Type": content_type},
            ) as response:
                if response.status == 401 and attempt == 1:
                    await self.close()  # log in again with a fresh token
                    continue
                text = await response.text()
                if response.status >= 400:
                    raise _api_error(response.status, method, path, text)
                return json.loads(text) if text else None
        raise AssertionError("unreachable: the second attempt returns or raises")

    async def get(self, path: str) -> dict[str, Any] | None:
        """The object at ``path``, or None if it does not exist."""
        try:
            found: dict[str, Any] = await self.request("GET", path)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise
        return found

    async def list(self, path: str, label_selector: str | None = None) -> list[dict[str, Any]]:
        params = {"labelSelector": label_selector} if label_selector else None
        found = await self.request("GET", path, params=params)
        items: list[dict[str, Any]] = found.get("items") or []
        return items

    async def apply(self, path: str, manifest: Mapping[str, Any]) -> dict[str, Any]:
        """Server-side apply ``manifest`` at ``path`` (creating it if missing).

        ``force`` takes fields back from whoever edited them by hand: the operator's
        children are the operator's.
        """
        applied: dict[str, Any] = await self.request(
            "PATCH",
            path,
            params={"fieldManager": FIELD_MANAGER, "force": "true"},
            body=manifest,
            content_type=_APPLY,
        )
        return applied

    async def patch_status(self, path: str, status: Mapping[str, Any]) -> None:
        """Merge ``status`` into the status subresource of the object at ``path``."""
        await self.request("PATCH", f"{path}/status", body={"status": status}, content_type=_MERGE)


def _api_error(status: int, method: str, path: str, text: str) -> ApiError:
    try:
        document = json.loads(text)
    except ValueError:
        document = {}
    if not isinstance(document, dict):
        document = {}
    causes = (document.get("details") or {}).get("causes") or []
    return ApiError(
        status,
        method,
        path,
        str(document.get("reason") or "Error"),
        str(document.get("message") or text[:500]),
        tuple(str(cause.get("type")) for cause in causes if isinstance(cause, dict)),
    )


def owned_by(child: Mapping[str, Any] | None, uid: str) -> bool:
    """Whether ``uid`` is ``child``'s controlling owner (the operator touches only those)."""
    refs = (child or {}).get("metadata", {}).get("ownerReferences") or []
    return any(ref.get("uid") == uid and ref.get("controller") for ref in refs)
