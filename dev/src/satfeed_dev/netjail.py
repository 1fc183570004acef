"""Run a command in a network namespace of its own, reaching only the forwarded ports.

Strimzi's Topic Operator binds its health server to the fixed port 8080 on every address,
and the test bed runs one Topic Operator per namespace (it watches exactly one), so two of
them, or one and anything else on the machine using 8080 (a second test bed, a developer's
web server), would clash. In a network namespace of its own each one has its own 8080 and
its own loopback; nothing outside sees it.

The namespace has only ``lo``. For each ``--forward JAIL_PORT=HOST:PORT`` this process
listens on ``127.0.0.1:JAIL_PORT`` inside it (the listening socket is made by the child in
the new namespace and handed over by file descriptor) and relays every connection to
``HOST:PORT`` outside: the Kafka broker and the apiserver. ``--expose PORT=FILE`` does the
opposite for one port inside (the health server): this process listens on a free loopback
port outside, writes it to ``FILE`` and relays to ``127.0.0.1:PORT`` inside.

As root the child unshares only the network namespace; otherwise it first unshares a user
namespace (mapping the caller to root in it) so that it may.

Run: ``python -m satfeed_dev.netjail --forward 40123=127.0.0.1:40123 -- java ...``.
SIGTERM is passed on to the command; this process exits with the command's status.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import fcntl
import os
import signal
import socket
import struct
import sys
from collections.abc import Sequence
from pathlib import Path

_SIOCSIFFLAGS = 0x8914
_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000
_IFF_UP_LOOPBACK_RUNNING = 0x1 | 0x8 | 0x40


def _enter_network_namespace() -> None:
    """Unshare the network namespace (with a user namespace when not root); bring up lo."""
    libc = ctypes.CDLL(None, use_errno=True)

    def unshare(flags: int) -> None:  # os.unshare is Python 3.12+
        if libc.unshare(flags) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"unshare: {os.strerror(errno)}")

    if os.geteuid() == 0:
        unshare(_CLONE_NEWNET)
    else:
        uid, gid = os.geteuid(), os.getegid()
        unshare(_CLONE_NEWUSER | _CLONE_NEWNET)
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
        Path("/proc/self/gid_map").write_text(f"0 {gid} 1")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", _IFF_UP_LOOPBACK_RUNNING))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def _relay(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    connect: asyncio.Future[tuple[asyncio.StreamReader, asyncio.StreamWriter]],
) -> None:
    try:
        up_reader, up_writer = await connect
    except OSError:
        writer.close()
        return
    await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))


def _parse_pair(text: str, flag: str) -> tuple[int, str]:
    left, sep, right = text.partition("=")
    if not sep or not left.isdigit():
        raise SystemExit(f"netjail: {flag} wants PORT=VALUE, got {text!r}")
    return int(left), right


async def _serve(
    forwards: list[tuple[socket.socket, str, int]],
    exposes: list[tuple[int, Path]],
    factory: socket.socket,
    child: int,
) -> int:
    loop = asyncio.get_running_loop()
    servers = []
    for listener, host, port in forwards:

        async def outbound(
            reader: asyncio.StreamReader,
            writer: asyncio.StreamWriter,
            host: str = host,
            port: int = port,
        ) -> None:
            await _relay(reader, writer, asyncio.ensure_future(asyncio.open_connection(host, port)))

        servers.append(await asyncio.start_server(outbound, sock=listener))
    factory_lock = asyncio.Lock()

    async def inside_socket() -> socket.socket:
        # A socket made in the jail's namespace by the child, which stays around for this.
        def exchange() -> list[int]:
            factory.sendall(b"s")
            return socket.recv_fds(factory, 1, 1)[1]

        async with factory_lock:
            fds = await loop.run_in_executor(None, exchange)
        return socket.socket(fileno=fds[0])

    for inner_port, port_file in exposes:

        async def inbound(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter, inner_port: int = inner_port
        ) -> None:
            async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
                sock = await inside_socket()
                sock.setblocking(False)
                await loop.sock_connect(sock, ("127.0.0.1", inner_port))
                return await asyncio.open_connection(sock=sock)

            await _relay(reader, writer, asyncio.ensure_future(connect()))

        server = await asyncio.start_server(inbound, "127.0.0.1", 0)
        servers.append(server)
        port_file.write_text(str(server.sockets[0].getsockname()[1]))

    def forward_signal(signum: int) -> None:
        os.kill(child, signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, forward_signal, signum)
    _, status = await loop.run_in_executor(None, os.waitpid, child, 0)
    for server in servers:
        server.close()
    return os.waitstatus_to_exitcode(status)


def _child(
    ports: list[int], argv: Sequence[str], fds_out: socket.socket, factory: socket.socket
) -> None:
    _enter_network_namespace()
    listeners = []
    for port in ports:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        listeners.append(listener)
    socket.send_fds(fds_out, [b"l"], [s.fileno() for s in listeners])
    for listener in listeners:
        listener.close()
    fds_out.close()
    command = os.fork()
    if command == 0:
        factory.close()
        os.execvp(argv[0], list(argv))  # noqa: S606 (the command line as given, no shell)
    # Stay in the namespace to make sockets for --expose; pass signals on; exit as the
    # command does.
    signal.signal(signal.SIGTERM, lambda signum, _: os.kill(command, signum))
    signal.signal(signal.SIGINT, lambda signum, _: os.kill(command, signum))
    factory.settimeout(0.5)
    while True:
        pid, status = os.waitpid(command, os.WNOHANG)
        if pid:
            os._exit(os.waitstatus_to_exitcode(status))
        try:
            if factory.recv(1) == b"":
                os.kill(command, signal.SIGTERM)
                continue
        except (TimeoutError, InterruptedError):
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as inside:
            socket.send_fds(factory, [b"s"], [inside.fileno()])


def main(args: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="netjail", description=__doc__.splitlines()[0])
    parser.add_argument("--forward", action="append", default=[], metavar="JAIL_PORT=HOST:PORT")
    parser.add_argument("--expose", action="append", default=[], metavar="PORT=FILE")
    parser.add_argument("command", nargs="+")
    options = parser.parse_args(args)
    forwards: list[tuple[int, str, int]] = []
    for text in options.forward:
        jail_port, target = _parse_pair(text, "--forward")
        host, _, port = target.rpartition(":")
        forwards.append((jail_port, host, int(port)))
    exposes = [
        (port, Path(file)) for port, file in (_parse_pair(t, "--expose") for t in options.expose)
    ]
    fds_parent, fds_child = socket.socketpair()
    factory_parent, factory_child = socket.socketpair()
    child = os.fork()
    if child == 0:
        fds_parent.close()
        factory_parent.close()
        try:
            _child([port for port, _, _ in forwards], options.command, fds_child, factory_child)
        except BaseException as exc:  # report anything, then leave the fork
            print(f"netjail: {exc}", file=sys.stderr, flush=True)
            os._exit(70)
    fds_child.close()
    factory_child.close()
    try:
        _, fds, _, _ = socket.recv_fds(fds_parent, 1, max(len(forwards), 1))
    except OSError as exc:
        print(f"netjail: no sockets from the namespace: {exc}", file=sys.stderr)
        return 70
    if len(fds) != len(forwards):
        _, status = os.waitpid(child, 0)
        return os.waitstatus_to_exitcode(status) or 70
    listeners = [
        (socket.socket(fileno=fd), host, port)
        for fd, (_, host, port) in zip(fds, forwards, strict=True)
    ]
    return asyncio.run(_serve(listeners, exposes, factory_parent, child))


if __name__ == "__main__":
    sys.exit(main())
