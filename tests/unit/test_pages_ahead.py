"""Pages read ahead when the first page's total is wrong: the loop still ends where the sequential one
does, gets every row once, and warns."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests

from restloom.config import parse
from restloom.config.retry import RetryPolicy
from restloom.engine.pages import PageSource, iter_pages
from restloom.http.client import Fetcher
from restloom.http.redact import Redactor
from restloom.report import RunReport
from restloom.testing import InProcessAdapter, inprocess_session

BASE = "https://api.test/v1/"
RECORDS = [{"id": n} for n in range(1, 7)]


def _offset_api(totals: Callable[[int], int], records: list[dict[str, int]]) -> Callable[..., Any]:
    """An offset API over ``records`` whose page at offset ``o`` claims ``totals(o)`` items in all."""

    def handler(request: requests.PreparedRequest) -> Any:
        query = parse_qs(urlparse(str(request.url)).query)
        offset, limit = int(query["offset"][0]), int(query["limit"][0])
        return {"items": records[offset:offset + limit], "total": totals(offset)}

    return handler


@contextmanager
def _loop(handler: Callable[..., Any]) -> Iterator[tuple[PageSource, InProcessAdapter]]:
    config = parse({"client": {"base_url": BASE}, "resources": [{"name": "items", "endpoint": {
        "path": "items", "data_selector": "items",
        "paginator": {"type": "offset", "limit": 2, "total_path": "total"}}}]},
        retry_base=RetryPolicy(wait_scale=0))
    adapter = InProcessAdapter(handler)
    report = RunReport()
    fetcher = Fetcher(concurrency=4, report=report, redactor=Redactor(secrets=()),
                      session=inprocess_session(adapter, base_url=BASE))
    with ThreadPoolExecutor(4) as pool:
        yield PageSource(spec=config.resources[0], base_url=BASE, fetcher=fetcher, report=report, auth=None,
                         pool=lambda: pool), adapter


def _offsets(adapter: InProcessAdapter) -> list[int]:
    return [int(parse_qs(urlparse(url).query)["offset"][0]) for url in adapter.urls]


def test_a_total_that_grows_falls_back_to_one_page_at_a_time() -> None:
    """The first page says 4 items, the second says 6: the plan (offset 2) is used, then offset 4 is read
    sequentially; every row once, in order, with a warning."""
    with _loop(_offset_api(lambda offset: 4 if offset == 0 else 6, RECORDS)) as (source, adapter):
        pages = list(iter_pages(source))
    assert [row["id"] for page in pages for row in page] == [1, 2, 3, 4, 5, 6]
    assert _offsets(adapter) == [0, 2, 4]
    assert source.report.stats("items").warnings == [
        "the list went on past the 2 pages its first page announced (the total changed while reading); "
        "the pages after them were read one at a time"]


def test_a_total_too_large_ends_at_the_empty_page_with_a_warning() -> None:
    """The pages claim 12 items, there are 5: the list ends at the first empty page (offset 6) as the
    sequential loop would; the pages read ahead past it are dropped, and the resource is warned."""
    with _loop(_offset_api(lambda _offset: 12, RECORDS[:5])) as (source, adapter):
        pages = list(iter_pages(source))
    assert [row["id"] for page in pages for row in page] == [1, 2, 3, 4, 5]
    offsets = _offsets(adapter)
    assert offsets[0] == 0
    assert {0, 2, 4, 6} <= set(offsets) <= {0, 2, 4, 6, 8, 10}
    assert len(offsets) == len(set(offsets))
    assert source.report.stats("items").warnings == [
        "the list ended at page 4, before the 6 pages its first page announced (the total changed while "
        "reading); the pages requested ahead past it were discarded"]


def test_an_exact_total_reads_every_page_once_without_a_warning() -> None:
    with _loop(_offset_api(lambda _offset: 6, RECORDS)) as (source, adapter):
        pages = list(iter_pages(source))
    assert pages == [RECORDS[0:2], RECORDS[2:4], RECORDS[4:6]]
    assert sorted(_offsets(adapter)) == [0, 2, 4]
    assert source.report.stats("items").warnings == []
