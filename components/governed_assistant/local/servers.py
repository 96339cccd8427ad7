"""Server lifecycle: bind on loopback (a taken port is a clear error), serve on a thread, stop cleanly.

Binding happens in the caller's thread, before any serving thread starts, so a taken port fails
at once with ``PortInUseError`` naming the port and the option that picks another, instead of a
serving thread dying unseen.
"""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TypeVar

from governed_assistant.local.exceptions import PortInUseError

ServerT = TypeVar("ServerT", bound=socketserver.BaseServer)


@dataclass(frozen=True)
class Listen:
    """Where one server listens, and how a user changes it when the port is taken."""

    server: str
    port: int
    option: str
    env: str
    host: str = "127.0.0.1"


def bind(listen: Listen, factory: Callable[[str, int], ServerT]) -> ServerT:
    """``factory(host, port)``, with an ``OSError`` while binding turned into ``PortInUseError``."""
    try:
        return factory(listen.host, listen.port)
    except OSError as error:
        raise PortInUseError(
            server=listen.server,
            host=listen.host,
            port=listen.port,
            option=listen.option,
            env=listen.env,
            error=error.strerror or str(error),
        ) from error


class _LocalHTTPServer(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: twenty clients at once (the load bench) got
    # connection resets. 128 is what production servers default to.
    request_queue_size = 128


def bind_http(listen: Listen, handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """A stdlib threading HTTP server bound to ``listen``; request threads never block exit."""
    server = bind(listen, lambda host, port: _LocalHTTPServer((host, port), handler))
    server.daemon_threads = True
    return server


@dataclass
class RunningServer:
    """A bound server serving on its own thread until ``stop()``."""

    name: str
    server: socketserver.BaseServer
    thread: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self.server.serve_forever, name=self.name, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        address: tuple[str, int] = self.server.server_address  # type: ignore[assignment]  # an INET server
        return int(address[1])

    @property
    def url(self) -> str:
        address: tuple[str, int] = self.server.server_address  # type: ignore[assignment]  # an INET server
        return f"http://{address[0]}:{self.port}"

    def stop(self) -> None:
        """Stop accepting, let the serving loop end, close the socket."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
