"""TEST-ONLY stand-in for CelesTrak's GP endpoint, on loopback, from a TLE snapshot.

Answers ``/NORAD/elements/gp.php?CATNR=<id>&FORMAT=TLE`` as celestrak.org does: the 3-line
element set with CRLF line endings, ``No GP data found`` (still 200) for an unknown
catalogue number, and **403** when the same client asks for the same data again within
``repeat_window`` (CelesTrak's 2-hour rule; it blocks such clients). Every request is
recorded, so tests can check what the operator asked for and when. Groups
(``GROUP=<name>&FORMAT=JSON``, OMM JSON) are served once :meth:`GpServer.set_group` has
given one; an unknown group gets CelesTrak's plain-text ``Invalid query`` answer.

    with GpServer(tle_file("earth-observation.tle")) as server:
        ...  # point the operator at server.url
        assert [r.norad_id for r in server.requests] == [25994]
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

from satfeed_core.elements import Elements
from sgp4 import exporter
from sgp4.api import Satrec

REPEAT_WINDOW = timedelta(hours=2)


@dataclass(frozen=True)
class GpRequest:
    norad_id: int | None
    status: int
    user_agent: str
    at: float
    """``time.monotonic()`` when it arrived."""
    group: str | None = None


def read_snapshot(path: Path) -> dict[int, str]:
    """NORAD id -> its 3-line element set, from a 3-line TLE file."""
    lines = [line.rstrip("\n") for line in path.read_text().splitlines() if line.strip()]
    return {
        int(lines[index + 1][2:7]): "\r\n".join(lines[index : index + 3]) + "\r\n"
        for index in range(0, len(lines) - 2, 3)
    }


class GpServer:
    def __init__(self, snapshot: Path, repeat_window: timedelta = REPEAT_WINDOW) -> None:
        self._elements = read_snapshot(snapshot)
        self._window = repeat_window.total_seconds()
        self._last_served: dict[tuple[str, str], float] = {}
        self._failure: int | None = None
        self._groups: dict[str, str] = {}
        self._lock = threading.Lock()
        self.requests: list[GpRequest] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def set_elements(self, norad_id: int, text: str) -> None:
        """Publish a new element set for ``norad_id`` (as CelesTrak does a few times a day)."""
        with self._lock:
            self._elements[norad_id] = text.replace("\r\n", "\n").replace("\n", "\r\n")

    def set_group(self, group: str, elements: Sequence[Elements]) -> None:
        """Serve ``GROUP=<group>&FORMAT=JSON`` as CelesTrak does: an OMM JSON list."""
        records = [
            exporter.export_omm(Satrec.twoline2rv(*each.tle_lines), each.name)
            for each in elements
            if each.tle_lines is not None
        ]
        with self._lock:
            self._groups[group] = json.dumps(records)

    def requests_for_group(self, group: str) -> list[GpRequest]:
        with self._lock:
            return [request for request in self.requests if request.group == group]

    def fail_with(self, status: int | None) -> None:
        """Answer every request with ``status`` (None: serve normally again)."""
        with self._lock:
            self._failure = status

    def requests_for(self, norad_id: int) -> list[GpRequest]:
        with self._lock:
            return [request for request in self.requests if request.norad_id == norad_id]

    def start(self) -> GpServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> GpServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _answer(self, client: str, query: str, user_agent: str) -> tuple[int, str]:
        params = urllib.parse.parse_qs(query)
        catnr = (params.get("CATNR") or [""])[0]
        norad_id = int(catnr) if catnr.isdigit() else None
        group = params["GROUP"][0] if params.get("GROUP") else None
        form = (params.get("FORMAT") or ["TLE"])[0].upper()
        now = time.monotonic()
        with self._lock:
            if self._failure is not None:
                status, body = self._failure, f"Error {self._failure}\r\n"
            elif group is not None and form == "JSON":
                known = self._groups.get(group)
                status, body = 200, known if known is not None else f"Invalid query: GROUP={group}"
            elif norad_id is None or (params.get("FORMAT") or ["TLE"])[0].upper() != "TLE":
                status, body = 400, "Invalid query: give CATNR=<number>&FORMAT=TLE\r\n"
            elif now - self._last_served.get((client, query), -self._window) < self._window:
                status, body = (
                    403,
                    (
                        "Forbidden: this data was already downloaded less than 2 hours ago; "
                        "GP data is updated at most every 2 hours\r\n"
                    ),
                )
            else:
                self._last_served[(client, query)] = now
                status, body = 200, self._elements.get(norad_id, "No GP data found\r\n")
            self.requests.append(GpRequest(norad_id, status, user_agent, now, group))
        return status, body

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path, _, query = self.path.partition("?")
                if path != "/NORAD/elements/gp.php":
                    status, body = 404, "Not Found\r\n"
                else:
                    agent = self.headers.get("User-Agent", "")
                    status, body = server._answer(self.client_address[0], query, agent)
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass  # requests are recorded in server.requests

        return Handler
