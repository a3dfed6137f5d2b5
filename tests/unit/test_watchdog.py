"""The deadline thread: it fires a watch whose deadline passed, and ends when its fetcher closes."""

from __future__ import annotations

import time

from restloom.http.client import Fetcher
from restloom.http.deadline import Watch, Watchdog
from restloom.http.redact import Redactor
from restloom.report import RunReport


def _fired_within(watch: Watch, seconds: float) -> bool:
    ends = time.monotonic() + seconds
    while not watch.fired and time.monotonic() < ends:
        time.sleep(0.01)
    return watch.fired


def test_close_ends_the_thread_at_once_and_a_later_watch_starts_it_again() -> None:
    """Closed, the thread ends well before its 30 s idle wait; a watch after that still fires on time."""
    watchdog = Watchdog(idle_seconds=30)
    with watchdog.watch(60) as watch:
        pass
    thread = watchdog._thread
    assert thread is not None
    assert thread.is_alive()
    watchdog.close()
    thread.join(5)
    assert not thread.is_alive()
    assert not watch.fired
    with watchdog.watch(0.05) as late:
        assert _fired_within(late, 5)
    watchdog.close()


def test_close_while_a_request_is_watched_keeps_its_deadline_and_ends_when_it_is_done() -> None:
    """Closed during a request, the thread still fires that request's deadline; closed during one with a
    60 s deadline, it ends as soon as the request is done, not at the deadline."""
    watchdog = Watchdog(idle_seconds=30)
    with watchdog.watch(0.05) as short:
        watchdog.close()
        assert _fired_within(short, 5)
    with watchdog.watch(60) as long:
        thread = watchdog._thread
        watchdog.close()
        time.sleep(0.2)  # the thread wakes, finds this watch pending and waits for its deadline again
    assert thread is not None
    thread.join(5)
    assert not thread.is_alive()
    assert not long.fired


def test_a_closed_fetcher_leaves_no_deadline_thread() -> None:
    fetcher = Fetcher(concurrency=1, report=RunReport(), redactor=Redactor(secrets=()))
    with fetcher._watchdog.watch(60):
        thread = fetcher._watchdog._thread
    fetcher.close()
    assert thread is not None
    thread.join(5)
    assert not thread.is_alive()
