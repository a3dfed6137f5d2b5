"""The prefetch thread runs ahead of its consumer: a few pages from the start, then as many records as the consumer
has taken, up to a cap of records and one of pages; never more."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from restloom.engine.prefetch import prefetch


class _Pages:
    """``count`` pages of ``size`` records each; how many the thread has made so far."""

    def __init__(self, count: int, size: int) -> None:
        self.count, self.size, self.made = count, size, 0
        self.changed = threading.Condition()

    def __call__(self) -> Iterator[list[int]]:
        for number in range(self.count):
            with self.changed:
                self.made += 1
                self.changed.notify_all()
            yield [number] * self.size

    def settled_at(self, expected: int) -> int:
        """How many pages were made once ``expected`` were (or 5 s passed), and 100 ms later."""
        with self.changed:
            self.changed.wait_for(lambda: self.made >= expected, timeout=5)
        time.sleep(0.1)  # room for a page too many to show up
        return self.made


def _take(stream: Iterator[list[int]], count: int) -> list[int]:
    return [next(stream)[0] for _ in range(count)]


def test_the_thread_goes_as_far_ahead_as_the_consumer_has_taken() -> None:
    """Pages of 10 records, one page ahead from the start: after 1 page taken, 10 records may wait; after 3
    taken, 30 (one page more is made, waiting for room)."""
    pages = _Pages(count=40, size=10)
    stream = prefetch(pages, start=1, records_ahead=1000, pages_max=100)
    assert _take(stream, 1) == [0]
    assert pages.settled_at(3) == 3  # 1 taken + 1 held + 1 waiting
    assert _take(stream, 2) == [1, 2]
    assert pages.settled_at(7) == 7  # 3 taken + 3 held + 1 waiting
    assert [page[0] for page in stream] == list(range(3, 40))


def test_the_records_ahead_are_capped() -> None:
    """Once the consumer has taken 50 records, a cap of 25 still holds two pages of 10 ahead, not five."""
    pages = _Pages(count=40, size=10)
    stream = prefetch(pages, start=1, records_ahead=25, pages_max=100)
    assert _take(stream, 5) == [0, 1, 2, 3, 4]
    assert pages.settled_at(8) == 8  # 5 taken + 2 held + 1 waiting
    assert [page[0] for page in stream] == list(range(5, 40))


def test_the_first_pages_go_ahead_whatever_their_size() -> None:
    """Pages of 50 records against a cap of 25: the ``start`` pages (2) are still fetched ahead, and every
    page arrives in order."""
    pages = _Pages(count=8, size=50)
    stream = prefetch(pages, start=2, records_ahead=25, pages_max=100)
    assert _take(stream, 1) == [0]
    assert pages.settled_at(4) == 4  # 1 taken + 2 held + 1 waiting
    assert _take(stream, 1) == [1]
    assert pages.settled_at(5) == 5
    assert [page[0] for page in stream] == list(range(2, 8))


def test_small_pages_are_bounded_by_the_page_count() -> None:
    """Pages of one record: after 10 taken the records would allow 10 ahead, ``pages_max`` (3) holds them."""
    pages = _Pages(count=40, size=1)
    stream = prefetch(pages, start=1, records_ahead=10_000, pages_max=3)
    assert _take(stream, 10) == list(range(10))
    assert pages.settled_at(14) == 14  # 10 taken + 3 held + 1 waiting
    assert [page[0] for page in stream] == list(range(10, 40))


def test_closing_the_consumer_stops_the_thread() -> None:
    """A consumer that stops early (dlt closing a resource) ends the thread waiting for room."""
    before = set(threading.enumerate())
    pages = _Pages(count=1000, size=10)
    stream = prefetch(pages, start=1, records_ahead=25, pages_max=100)
    _take(stream, 5)
    pages.settled_at(8)
    [thread] = [t for t in threading.enumerate() if t not in before and t.name == "restloom-prefetch"]
    stream.close()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert pages.made == 8
