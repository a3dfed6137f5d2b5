"""A page is read from the socket in few, large reads: each read lets go of the interpreter lock, and a
thread busy turning pages into tables then holds it up to 5 ms before the fetching thread goes on."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import pytest
import requests

from restloom.config.retry import RetryPolicy
from restloom.http.client import Fetcher
from restloom.http.deadline import READ_BUFFER
from restloom.http.redact import Redactor
from restloom.report import RunReport


def _page(records: int) -> bytes:
    return orjson.dumps({"data": [{"id": i, "note": "x" * 90} for i in range(records)]})


class _PageHandler(socketserver.BaseRequestHandler):
    """Answers each request on a kept-alive connection with ``/pages/<records>``'s page, head and body in
    one ``sendall``."""

    server: _PageServer

    def handle(self) -> None:
        received = b""
        while True:
            while b"\r\n\r\n" not in received:
                chunk = self.request.recv(4096)
                if not chunk:
                    return
                received += chunk
            request, _, received = received.partition(b"\r\n\r\n")
            path = request.split(b" ", 2)[1].decode()
            self.server.paths.append(path)
            body = _page(int(path.rsplit("/", 1)[1]))
            head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            self.request.sendall(head.encode() + body)


class _PageServer(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _PageHandler)
        self.paths: list[str] = []


@contextmanager
def _page_server() -> Iterator[str]:
    server = _PageServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class _Reads:
    """Counts the reads of any socket made on this thread (``socket.SocketIO.readinto``, which every
    buffered socket file of http.client reads through)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = socket.SocketIO.readinto
        here = threading.get_ident()

        def counted(io: socket.SocketIO, buffer: Any) -> int | None:
            if threading.get_ident() == here:
                self.count += 1
            return original(io, buffer)

        monkeypatch.setattr(socket.SocketIO, "readinto", counted)


@pytest.mark.parametrize(("records", "most"), [(400, 3), (3000, 12)])
def test_a_page_is_read_in_blocks_of_the_read_buffer(monkeypatch: pytest.MonkeyPatch, records: int,
                                                     most: int) -> None:
    """A 40 KB page (400 records) in at most 3 reads (http.client's 8 KiB buffer took 5 or more), a 300 KB
    page in at most 12 (it took 37 or more); both pages whole, twice over one kept-alive connection."""
    size = len(_page(records))
    assert most < size // 8192  # the bound the default buffer could not meet
    assert size > READ_BUFFER or records == 400
    fetcher = Fetcher(concurrency=1, report=RunReport(), redactor=Redactor(secrets=()))
    reads = _Reads(monkeypatch)
    with _page_server() as base_url:
        try:
            for _ in range(2):
                before = reads.count
                page = fetcher.fetch(requests.Request("GET", f"{base_url}/pages/{records}"), resource="pages",
                                     policy=RetryPolicy(wait_scale=0))
                assert 1 <= reads.count - before <= most
                assert page.document == orjson.loads(_page(records))
        finally:
            fetcher.close()
    assert fetcher.report.stats("pages").requests == 2
