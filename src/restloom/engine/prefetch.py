"""A resource's pages fetched ahead on a thread of its own, so that fetching and turning pages into tables overlap."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["PREFETCH_PAGES", "PREFETCH_PAGES_MAX", "PREFETCH_RECORDS", "filled", "prefetch"]

PREFETCH_PAGES = 4  # pages a resource's thread fetches ahead from its first page on, whatever their size
PREFETCH_RECORDS = 10_000  # and records it may hold ahead at most, as the consumer takes as many (two chunks)
PREFETCH_PAGES_MAX = 128  # and pages ahead at most, however small
_DONE = object()


def filled(pages: queue.Queue[Any], wait: float) -> bool:
    """Whether ``pages`` holds an item, waiting up to ``wait`` seconds for one without taking it (on the
    queue's own ``not_empty`` condition, which ``put`` notifies)."""
    with pages.not_empty:
        if not pages._qsize() and wait > 0:
            pages.not_empty.wait(wait)
        return bool(pages._qsize())


def prefetch(make: Callable[[], Iterator[Any]], *, size: Callable[[Any], int] = len,
             queues: list[queue.Queue[Any]] | None = None, start: int = PREFETCH_PAGES,
             records_ahead: int = PREFETCH_RECORDS, pages_max: int = PREFETCH_PAGES_MAX) -> Iterator[Any]:
    """Run ``make()`` on a thread of its own, ahead of the consumer (``queues``: where to put the queue of pages
    fetched, for a consumer that asks whether one is at hand).

    How far ahead: ``start`` pages whatever their size (``size``: a page's records), and beyond that as many
    records as the consumer has taken so far, up to ``records_ahead`` records and ``pages_max`` pages. So
    the fetching goes on while the consumer turns a chunk of pages into tables (with 4 pages only, the two
    took turns, and a 200,000-record sync took a second longer), while a consumer that stops after a page or
    two (dlt's ``add_limit``) has caused no more requests than ``start`` pages ahead."""
    pages: queue.Queue[Any] = queue.Queue()  # bounded by the budget below
    if queues is not None:
        queues.append(pages)
    stop = threading.Event()
    budget = threading.Condition()
    held = {"pages": 0, "records": 0, "taken": 0}

    def room(records: int) -> bool:
        return held["pages"] < start or (
            held["pages"] < pages_max and held["records"] + records <= min(records_ahead, held["taken"]))

    def produce() -> None:
        try:
            for page in make():
                records = size(page)
                with budget:
                    while not stop.is_set() and not room(records):
                        budget.wait(0.1)
                    if stop.is_set():
                        return
                    held["pages"] += 1
                    held["records"] += records
                pages.put((page, records))
            pages.put(_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            pages.put(exc)

    thread = threading.Thread(target=produce, name="restloom-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = pages.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            with budget:
                held["pages"] -= 1
                held["records"] -= item[1]
                held["taken"] += item[1]
                budget.notify()
            yield item[0]
    finally:
        stop.set()
