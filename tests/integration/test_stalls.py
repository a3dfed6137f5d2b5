"""No hang, and a fast, named failure: read and total deadlines, refused connections, unknown hosts."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from restloom.http.client import Fetcher
from restloom.http.deadline import DeadlineAdapter
from restloom.http.redact import Redactor
from restloom.report import RunReport
from tests.conftest import Sync

FINE = b'{"data": [{"id": 1}, {"id": 2}]}'


def _head(length: int, *, close: bool) -> bytes:
    connection = "Connection: close\r\n" if close else ""
    return (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n"
            f"{connection}\r\n").encode()


class _StallingHandler(socketserver.BaseRequestHandler):
    """``/fine``: a whole JSON page; ``/silent``: headers, then nothing; ``/trickle``: headers, then a
    byte every 0.1 s (never the whole body); ``/crawl``: the status line, then a header a byte every 0.1 s."""

    server: _StallingServer

    def handle(self) -> None:
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            received += chunk
        path = received.split(b" ", 2)[1].decode()
        self.server.paths.append(path)
        team = [line for line in received.split(b"\r\n") if line.lower().startswith(b"x-team:")]
        if team:
            self.server.headers.append(team[0].split(b":", 1)[1].strip().decode())
        try:
            if path == "/fine":  # the connection closes after it, and the response says so
                self.request.sendall(_head(len(FINE), close=True) + FINE)
                return
            stalled = _head(1000, close=self.server.close_stalled)
            self.request.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: " if path == "/crawl" else stalled)
            ends = time.monotonic() + self.server.trickle_for
            while not self.server.stop.wait(0.1):
                if path != "/silent" and time.monotonic() < ends:
                    self.request.sendall(b"a")
        except OSError:  # the client gave up and closed the connection
            return


class _StallingServer(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self, close_stalled: bool, trickle_for: float) -> None:
        super().__init__(("127.0.0.1", 0), _StallingHandler)
        self.trickle_for = trickle_for  # seconds a trickle goes on (then silence: a read timeout ends it)
        self.stop = threading.Event()
        self.paths: list[str] = []
        self.headers: list[str] = []  # each request's X-Team header, when it had one
        self.close_stalled = close_stalled  # the stalled responses say Connection: close


@contextmanager
def _stalling_server(*, close_stalled: bool = False, trickle_for: float = 60.0) -> Iterator[_StallingServer]:
    server = _StallingServer(close_stalled, trickle_for)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        server.shutdown()
        server.server_close()
        thread.join()


def _config(base_url: str, *names: str, **client: Any) -> dict[str, Any]:
    return {
        "client": {"base_url": base_url, "error_handler": {"max_retries": 0}, **client},
        "resource_defaults": {"primary_key": "id", "endpoint": {"data_selector": "data", "paginator": "single_page"}},
        "resources": list(names),
    }


@pytest.mark.parametrize("close_stalled", [False, True], ids=["keep-alive", "connection-close"])
def test_a_silent_and_a_trickling_server_fail_alone_by_their_deadline(run_sync: Sync, close_stalled: bool) -> None:
    """Headers then silence fails on the read timeout (after max_retries), a trickling body or header on the
    total deadline (retried once at most); the other resource loads, and the run ends in seconds. With
    ``Connection: close`` the response takes the socket from its connection, and the deadline still finds it."""
    with _stalling_server(close_stalled=close_stalled) as server:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        config = _config(base, "silent", "trickle", "crawl", "fine",
                         timeout={"connect": 1, "read": 0.2, "total": 0.8})
        config["client"]["error_handler"] = {"max_retries": 2}
        started = time.monotonic()
        result = run_sync(config)
        seconds = time.monotonic() - started
        paths = sorted(server.paths)
    assert paths == [*["/crawl"] * 2, "/fine", *["/silent"] * 3, *["/trickle"] * 2]
    errors = {stats.name: stats.error for stats in result.report.failed}
    assert errors == {
        "silent": f"no data for 0.2 s (read timeout) at {base}silent after 2 retries",
        "trickle": f"total deadline of 0.8 s passed (the response was still arriving) at {base}trickle "
                   "after 1 retries",
        "crawl": f"total deadline of 0.8 s passed (the response was still arriving) at {base}crawl after 1 retries",
    }
    assert result.landed == {"fine": 2}
    assert seconds < 15  # the default read timeout alone is 60 s


def test_a_plain_session_of_your_own_keeps_the_total_deadline(run_sync: Sync) -> None:
    """``client.session`` a plain ``requests.Session`` with its own header and an ``HTTPAdapter`` with a
    ``Retry`` mounted: the trickling body still fails on the total deadline (without restloom's adapter it
    ends only when the server stops trickling, after 8 s), the header is sent, and the
    user's session keeps its own adapter object."""
    session = requests.Session()
    session.headers["X-Team"] = "data"
    mounted = HTTPAdapter(max_retries=Retry(total=0), pool_maxsize=3)
    session.mount("http://", mounted)
    with _stalling_server(trickle_for=8) as server:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        config = _config(base, "trickle", "fine", timeout={"connect": 1, "read": 0.3, "total": 0.8},
                         session=session)
        started = time.monotonic()
        result = run_sync(config)
        seconds = time.monotonic() - started
        headers = list(server.headers)
    errors = {stats.name: stats.error for stats in result.report.failed}
    assert errors == {"trickle": f"total deadline of 0.8 s passed (the response was still arriving) at "
                                 f"{base}trickle after 0 retries"}
    assert result.landed == {"fine": 2}
    assert headers == ["data", "data"]
    assert session.adapters["http://"] is mounted
    assert seconds < 5  # the deadline ended the trickle, not the server


def test_a_session_of_another_class_is_sent_through_as_it_is() -> None:
    """A session subclass (a cache's, dlt's own) and an adapter of the user's are not copied or replaced:
    the fetcher sends through them as they are."""
    class Cached(requests.Session):
        pass

    custom = Cached()
    assert Fetcher(concurrency=1, report=RunReport(), redactor=Redactor(), session=custom).session is custom
    plain = requests.Session()
    own_adapter = HTTPAdapter()
    plain.mount("http://", _OwnAdapter())
    plain.mount("https://", own_adapter)
    sent = Fetcher(concurrency=1, report=RunReport(), redactor=Redactor(), session=plain).session
    assert sent is not plain
    assert type(sent.adapters["http://"]) is _OwnAdapter
    assert type(sent.adapters["https://"]) is DeadlineAdapter
    assert (sent.headers, sent.cookies, sent.hooks) == (plain.headers, plain.cookies, plain.hooks)
    assert plain.adapters["https://"] is own_adapter


class _OwnAdapter(HTTPAdapter):
    """An adapter of the user's own class."""


def test_an_endpoint_timeout_overrides_the_client(run_sync: Sync) -> None:
    """An endpoint's timeout block applies over the client's: its own read timeout names the failure."""
    with _stalling_server() as server:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        config = _config(base, "fine", timeout={"read": 5, "total": 5})
        config["resources"].append({"name": "silent", "endpoint": {"path": "silent", "timeout": {"read": 0.2}}})
        result = run_sync(config)
    [failed] = result.report.failed
    assert failed.error == f"no data for 0.2 s (read timeout) at {base}silent after 0 retries"
    assert result.landed == {"fine": 2}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_connection_refused_gets_a_short_budget_and_says_so(run_sync: Sync) -> None:
    """A closed port is tried 3 times (2 retries, not 5) and the failure says 'connection refused by'."""
    port = _closed_port()
    config = _config(f"http://127.0.0.1:{port}/", "accounts")
    del config["client"]["error_handler"]
    result = run_sync(config)
    [failed] = result.report.failed
    assert failed.error == (f"connection refused by 127.0.0.1:{port} at http://127.0.0.1:{port}/accounts after 2 "
                            "retries: is the service up, and is the base URL right?")
    stats = result.report.stats("accounts")
    assert (stats.requests, stats.retries) == (3, 2)


def test_an_unknown_host_fails_at_once(run_sync: Sync) -> None:
    """A host name that does not resolve is not retried: one request, 'could not resolve host'."""
    config = _config("http://restloom-test.invalid/", "accounts")
    del config["client"]["error_handler"]
    result = run_sync(config)
    [failed] = result.report.failed
    assert failed.error == ("could not resolve host restloom-test.invalid at http://restloom-test.invalid/accounts "
                            "(not retried): check the host name in the base URL")
    stats = result.report.stats("accounts")
    assert (stats.requests, stats.retries) == (1, 0)

