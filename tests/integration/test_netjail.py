"""The network jail the test bed runs Strimzi's operators in: a fixed port of the command
cannot clash with anything outside, and the command reaches only what is forwarded."""

from __future__ import annotations

import functools
import sys
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from satfeed_dev.procs import ManagedProcess, free_port

pytestmark = pytest.mark.integration

FIXED_PORT = 8080

# Inside the jail, on the fixed port: /forwarded answers what the outside service answers
# through the forwarded port, /direct tries the outside service's own port.
_RELAY = """
import sys, urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
urls = {"/forwarded": sys.argv[1], "/direct": sys.argv[2]}
class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            body = urllib.request.urlopen(urls[self.path], timeout=2).read()
        except OSError:
            body = b"unreachable"
        self.send_response(200); self.end_headers(); self.wfile.write(body)
HTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
"""


@pytest.fixture
def outside_service() -> Iterator[int]:
    """A loopback HTTP service on the host, answering ``outside``."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"outside")

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()


def _get(port: int, path: str) -> bytes:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
        return bytes(response.read())


def _relays(port_file: Path) -> bool:
    return _get(int(port_file.read_text()), "/forwarded") == b"outside"


def test_two_jailed_servers_share_a_fixed_port_and_reach_only_what_is_forwarded(
    tmp_path: Path, outside_service: int
) -> None:
    jails = []
    try:
        for index in range(2):
            run_dir = tmp_path / f"jail-{index}"
            inner = free_port()  # where the command finds the outside service in the jail
            jail = ManagedProcess(
                name="jailed",
                argv=[
                    sys.executable,
                    "-m",
                    "satfeed_dev.netjail",
                    "--forward",
                    f"{inner}=127.0.0.1:{outside_service}",
                    "--expose",
                    f"{FIXED_PORT}={run_dir / 'port'}",
                    "--",
                    sys.executable,
                    "-c",
                    _RELAY,
                    f"http://127.0.0.1:{inner}/",
                    f"http://127.0.0.1:{outside_service}/",
                ],
                run_dir=run_dir,
            )
            jail.start()
            jails.append(jail)
        for jail in jails:
            jail.wait_until(
                functools.partial(_relays, jail.run_dir / "port"),
                30,
                "did not relay the outside service from its port 8080",
            )
        ports = {int((jail.run_dir / "port").read_text()) for jail in jails}
        assert len(ports) == 2
        assert FIXED_PORT not in ports
        # In the jail the host's loopback is not there: only the forwarded port leads out.
        for port in ports:
            assert _get(port, "/direct") == b"unreachable"
    finally:
        for jail in jails:
            jail.stop()
    assert all(not jail.running() for jail in jails)
