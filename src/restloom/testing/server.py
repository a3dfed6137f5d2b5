"""Real HTTP for a ``Simulation``: a threaded HTTP/1.1 keep-alive server on 127.0.0.1."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from restloom.testing.simulation import Simulation
from restloom.testing.wire import Response

__all__ = ["HTTPTransport"]

_PHRASES = {s.value: s.phrase for s in HTTPStatus}


def render(response: Response, *, head_only: bool = False) -> bytes:
    """The bytes of a whole HTTP/1.1 response (one write, so no small-packet delays)."""
    lines = [f"HTTP/1.1 {response.status} {_PHRASES.get(response.status, 'Unknown')}",
             "Content-Type: application/json", f"Content-Length: {len(response.body)}"]
    lines.extend(f"{name}: {value}" for name, value in response.headers)
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head if head_only else head + response.body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 60
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve(head_only=True)

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self, *, head_only: bool = False) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        with self.server.simulation.serving():
            outcome = self.server.simulation.handle(self.command, self.path, headers, self.server.root_url,
                                                    body=body)
            if outcome.delay_s:
                time.sleep(outcome.delay_s)
            if outcome.response is None:
                self.close_connection = True
                return
            self.wfile.write(render(outcome.response, head_only=head_only))

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr logging: the request log is the record."""


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], simulation: Simulation) -> None:
        super().__init__(address, _Handler)
        self.simulation = simulation
        self.root_url = f"http://{address[0]}:{self.server_address[1]}"
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)


class HTTPTransport:
    """Serves one ``Simulation`` over HTTP on ``host:port`` (0: a free port) from a background thread."""

    def __init__(self, simulation: Simulation, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _Server((host, port), simulation)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"restloom-mock-{simulation.vendor.name}", daemon=True)

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return self._server.root_url

    @property
    def port(self) -> int:
        """The port listened on."""
        return int(self._server.server_address[1])

    def start(self) -> None:
        """Start serving in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, end open keep-alive connections, wait for handlers, close the socket."""
        self._server.shutdown()
        with self._server.sockets_lock:
            for sock in list(self._server.open_sockets):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        self._server.server_close()
        self._thread.join()
