"""Pages requested ahead when the first page says how many there are.

Why our own: dlt's ``RESTClient.paginate`` asks one page at a time. An offset paginator with a
``total_path`` (dlt's ``OffsetPaginator``) or a page-number paginator with one (``PageNumberPaginator``)
knows every remaining request after the first page, so they can all be in flight at once, within the
run's bounds.

The page loop (``restloom.engine.pages``) stays the one loop: it still decides every page — the
paginator reads each page in order, ``max_pages``, ``stop_after_empty_page``, ``maximum_offset`` /
``maximum_page`` and the loop guard apply as before — and only takes the response from here when the
request it is about to send is the next one planned. Rows are therefore those of the sequential
path. When the loop asks for a request that was not planned (the total grew while reading), the plan is
dropped and the rest is read one page at a time; when the list ends before the plan does (the total
shrank, an empty page), the pages read ahead are discarded. Either way the resource gets a warning.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from typing import Any

from dlt.common import jsonpath
from dlt.sources.helpers.rest_client.paginators import OffsetPaginator, PageNumberPaginator, RangePaginator
from requests import Request

from restloom.engine.paginate import DltPaginator, Paginator, request_signature
from restloom.http.client import Page

__all__ = ["PagesAhead", "planned_requests"]

_KNOWN_TOTAL = (OffsetPaginator, PageNumberPaginator)


def planned_requests(paginator: Paginator, *, request: Request, document: Any,
                     max_pages: int | None, count: int) -> list[Request]:
    """The requests of every page after the first, when ``paginator`` can know them from ``document``
    (the first page): dlt's offset or page-number paginator (not a subclass, which may page otherwise)
    with a ``total_path`` and no ``has_more_path``. ``request`` is already moved to the second page."""
    inner = paginator.paginator if isinstance(paginator, DltPaginator) else None
    if type(inner) not in _KNOWN_TOTAL or not isinstance(inner, RangePaginator):
        return []
    if inner.total_path is None or inner.has_more_path is not None:
        return []
    values = jsonpath.find_values(inner.total_path, document)
    try:
        total = int(values[0]) if values else None
    except (TypeError, ValueError):
        total = None
    if total is None:
        return []
    left = None if max_pages is None else max_pages - count
    planned: list[Request] = []
    value = inner.current_value
    while value < total + inner.base_index and (inner.maximum_value is None or value < inner.maximum_value):
        if left is not None and len(planned) >= left:
            break
        planned.append(_at(inner, request, value))
        value += inner.value_step
    return planned


def _at(paginator: RangePaginator, request: Request, value: int) -> Request:
    """A copy of ``request`` at page value ``value``, set where dlt's paginator sets it."""
    moved = Request(method=request.method, url=request.url, params=dict(request.params or {}),
                    json=copy.deepcopy(request.json), data=copy.deepcopy(request.data),
                    headers=dict(request.headers or {}), auth=request.auth)
    if paginator.param_body_path:
        RangePaginator._update_request_with_body_path(moved, paginator.param_body_path, value)
    else:
        RangePaginator._update_request_with_param_name(moved, paginator.param_name or "", value)
    return moved


class PagesAhead:
    """Planned page requests, at most ``window`` of them sent ahead of the loop, handed over in order."""

    def __init__(self, planned: Sequence[Request], *, fetch: Callable[[Request], Page], pool: Executor,
                 window: int) -> None:
        self.planned = len(planned)
        self._pending = deque(planned)
        self._sent: deque[tuple[tuple[str, str, str], Future[Page]]] = deque()
        self._fetch, self._pool, self._window = fetch, pool, max(1, window)
        self.taken = self.unused = 0
        self.missed = False
        self._fill()

    def _fill(self) -> None:
        while self._pending and len(self._sent) < self._window:
            request = self._pending.popleft()
            self._sent.append((request_signature(request), self._pool.submit(self._fetch, request)))

    def take(self, request: Request) -> Page | None:
        """The page of ``request`` when it is the next planned one (waiting for it), else None: the plan
        is then dropped (``missed``) and the loop fetches by itself from here on."""
        if self.missed:
            return None
        if not self._sent or self._sent[0][0] != request_signature(request):
            self.missed = True
            self.close()
            return None
        _, future = self._sent.popleft()
        self.taken += 1
        self._fill()
        return future.result()

    def close(self) -> None:
        """Stop: cancel what has not started; ``unused`` counts the pages requested ahead and not used."""
        while self._sent:
            _, future = self._sent.popleft()
            if not future.cancel():
                self.unused += 1
        self._pending.clear()
