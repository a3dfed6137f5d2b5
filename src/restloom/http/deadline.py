"""A total deadline per request, on top of the connect and read timeouts ``requests`` applies.

Why: ``requests``' ``timeout=(connect, read)`` bounds connecting and each silence between two reads,
not a response that trickles in a byte at a time, which never ends. So every request runs under a
:class:`Watch`; a :class:`Watchdog` thread shuts down the socket of a request still running at its
deadline, the read blocked on it returns at once, and the fetcher reports which deadline passed
(:class:`DeadlineExceeded`).

The watch learns the socket from the connection: sessions restloom makes mount a
:class:`DeadlineAdapter`, whose connections tell the current thread's watch which one they are; a plain
``requests.Session`` of your own (``client.session``) is sent through a copy with them
(``restloom.http.client._adopted``). A session of another class, or an adapter of your own, gets the
connect and read timeouts only.

Those connections also read their responses in blocks of ``READ_BUFFER`` bytes (:class:`_BufferedResponse`).
"""

from __future__ import annotations

import contextlib
import heapq
import http.client
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["READ_BUFFER", "DeadlineAdapter", "DeadlineExceeded", "Watch", "Watchdog"]

READ_BUFFER = 64 * 1024
"""Bytes a response asks the socket for at a time (http.client's default is 8 KiB): see _BufferedResponse."""

_current = threading.local()  # the watch of the request this thread is sending


class DeadlineExceeded(requests.exceptions.Timeout):
    """A request was still running when its total deadline passed (its socket was shut down)."""


class Watch:
    """The deadline of one request and the connection it is sent on."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.connection: Any = None
        self.sock: Any = None  # the connection's socket once the request is sent
        self.fired = False
        self.done = False

    def fire(self) -> None:
        """Shut down the request's socket (its blocked read ends); ``fired`` says it happened.

        The socket is the connection's, or the one the request was sent on: a response that closes the
        connection (``Connection: close``) takes its socket from it, and goes on reading from it."""
        self.fired = True
        sock = getattr(self.connection, "sock", None) or self.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


class Watchdog:
    """One thread firing the watches whose deadline passed.

    Cheap per request: a watch is pushed on a heap and the thread is woken only when the new deadline is
    the earliest; a finished watch is marked done (under the lock, so a watch is never fired after its
    request ended) and left on the heap until it comes to the top or the heap is pruned. The thread waits
    for new watches ``idle_seconds`` before it ends (started again on the next one)."""

    PRUNE_AT = 1024  # done watches are dropped from the heap when it grows past this many entries

    def __init__(self, idle_seconds: float = 5.0) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Watch]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._idle = idle_seconds
        self._closing = False

    @contextmanager
    def watch(self, seconds: float) -> Iterator[Watch]:
        """Run the body (one request, on this thread) under a deadline ``seconds`` from now."""
        watch = Watch(time.monotonic() + seconds)
        with self._cond:
            if len(self._heap) >= self.PRUNE_AT:
                self._heap = [entry for entry in self._heap if not entry[2].done]
                heapq.heapify(self._heap)
            earliest = self._heap[0][0] if self._heap else None
            heapq.heappush(self._heap, (watch.deadline, next(self._order), watch))
            self._closing = False
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="restloom-deadlines", daemon=True)
                self._thread.start()
            elif earliest is None or watch.deadline < earliest:
                self._cond.notify()
        previous = getattr(_current, "watch", None)
        _current.watch = watch
        try:
            yield watch
        finally:
            _current.watch = previous
            with self._cond:
                watch.done = True
                if self._closing:
                    self._cond.notify()

    def close(self) -> None:
        """End the thread as soon as no request is watched (a run is over) rather than ``idle_seconds``
        later; a watch after this starts it again."""
        with self._cond:
            self._closing = True
            self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    if self._closing or (not self._cond.wait(self._idle) and not self._heap):
                        self._thread = None
                        return
                    continue
                deadline, _, watch = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
                watch.fire()


def _register(connection: Any) -> None:
    watch = getattr(_current, "watch", None)
    if watch is not None:
        watch.connection = connection


def _sent(connection: Any) -> None:
    watch = getattr(_current, "watch", None)
    if watch is not None:
        watch.sock = connection.sock


class _LargerReads:
    """A socket whose ``makefile`` buffers ``READ_BUFFER`` bytes (the one call http.client's response makes)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock: Any = sock

    def makefile(self, mode: str) -> Any:
        return self._sock.makefile(mode, buffering=READ_BUFFER)


class _BufferedResponse(http.client.HTTPResponse):
    """A response read from the socket ``READ_BUFFER`` bytes at a time: a page's status line, headers and
    body of up to 64 KiB come in one read.

    Why: every read of a socket with a timeout is two calls (a poll, then the read), and each lets go of
    the interpreter lock. A thread that turns pages into tables meanwhile keeps the lock for up to the
    switch interval (5 ms) before the fetching thread gets it back. With http.client's 8 KiB buffer a
    43 KB page took 6 reads and 8 polls, now 1 and 3; 500 pages fetched beside a thread of pure Python took
    5.0-5.6 s instead of 7.8-8.3 s, 0.5-0.6 s alone either way (``bench/bench_reads.py``)."""

    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        super().__init__(_LargerReads(sock), *args, **kwargs)  # type: ignore[arg-type]


class _WatchedHTTPConnection(HTTPConnection):
    response_class = _BufferedResponse

    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self)
        super().request(*args, **kwargs)
        _sent(self)


class _WatchedHTTPSConnection(HTTPSConnection):
    response_class = _BufferedResponse

    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self)
        super().request(*args, **kwargs)
        _sent(self)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose connections make their socket known to the request's :class:`Watch`."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}
