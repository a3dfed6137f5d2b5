"""Paginators: where the next page's token comes from and how it goes into the request.

The page loop (``restloom.engine.pages``) owns everything else: the page count, ``max_pages``, the
``stop_condition``, the guard against a request that repeats, the expression context and the errors.
A paginator is anything with the three methods of :class:`Paginator` (singer-sdk's
``advance``/``get_next`` split): ``start`` prepares the first request, ``advance`` reads a page and
says whether there is a next one, ``apply`` moves the request to it.

Two implementations:

- :class:`DltPaginator` adapts dlt's request-mutating paginators (``json_link``, ``header_link``,
  ``offset``, ``page_number``, ``cursor``, a user's own ``BasePaginator`` subclass or object, and
  dlt's auto-detection from the first response), so they behave exactly as in dlt. It is the only
  place that calls dlt's ``init_request/update_state/has_next_page/update_request``.
- :class:`CursorPaginator`, the extended dialect's cursor: the cursor comes from a Jinja
  ``cursor_value`` over the loop's context, a JSONPath, or the last record's primary key; a page size
  is sent under ``limit_param`` on every request; a cursor that is a URL is followed — none of which
  dlt's ``JSONResponseCursorPaginator`` can do.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl, urljoin, urlparse

from dlt.common import jsonpath
from dlt.sources.helpers.rest_client import paginators as dlt_paginators
from requests import Request

from restloom.config.models import CursorSpec, PaginatorSpec

BasePaginator = dlt_paginators.BasePaginator
_EMPTY_CURSORS: tuple[Any, ...] = (None, "", {}, [])


@dataclass(frozen=True, slots=True, kw_only=True)
class PageView:
    """What a paginator sees of one page.

    ``response``: the response, whose ``json()`` returns the document already parsed; ``records``:
    what the data selector took from it; ``context``: the expression variables of this page
    (``restloom.expressions.KNOWN_PAGINATOR_VARIABLES``).
    """

    response: Any
    records: list[Any]
    context: Mapping[str, Any]

    @property
    def document(self) -> Any:
        """The parsed JSON document (None for an empty body)."""
        return self.response.json()


class Paginator(Protocol):
    """How the page loop talks to a paginator; one instance per run of a resource (it has state)."""

    @property
    def name(self) -> str:
        """The paginator's name in messages (``JSONLinkPaginator``)."""
        ...

    @property
    def warning(self) -> str | None:
        """What the run should be told about this paginator (a doubtful auto-detection), or None."""
        ...

    def start(self, request: Request) -> None:
        """Prepare the first request (a page size or first offset, say)."""

    def advance(self, page: PageView) -> bool:
        """Read ``page``; True when there is a next page."""
        ...

    def apply(self, request: Request) -> None:
        """Move ``request`` to the next page (called only after ``advance`` returned True)."""


class DltPaginator:
    """A dlt ``BasePaginator`` behind the :class:`Paginator` protocol.

    With no paginator given (``auto``), the first response picks one with dlt's ``PaginatorFactory``,
    falling back to ``SinglePagePaginator`` as dlt does; ``warning`` then says what dlt's
    ``detect_paginator`` warns about (a fallback for list data, a guess with a score below 1).
    """

    def __init__(self, paginator: BasePaginator | None) -> None:
        self.paginator = paginator
        self.warning: str | None = None

    @property
    def name(self) -> str:
        return type(self.paginator).__name__ if self.paginator is not None else "auto-detected paginator"

    def start(self, request: Request) -> None:
        if self.paginator is not None:
            self.paginator.init_request(request)

    def advance(self, page: PageView) -> bool:
        if self.paginator is None:
            self.paginator, self.warning = _detect(page.response, page.records)
        self.paginator.update_state(page.response, page.records)
        return bool(self.paginator.has_next_page)

    def apply(self, request: Request) -> None:
        assert self.paginator is not None
        self.paginator.update_request(request)


def _detect(response: Any, records: Any) -> tuple[BasePaginator, str | None]:
    """dlt's detection on the first response, and the warning dlt's ``detect_paginator`` logs with it."""
    from dlt.sources.helpers.rest_client.detector import PaginatorFactory

    paginator, score = PaginatorFactory().create_paginator(response)
    if paginator is None or score == 0.0:
        fallback = paginator or dlt_paginators.SinglePagePaginator()
        if not isinstance(records, list):
            return fallback, None
        return fallback, ("no paginator given and none detected in the first response: fallback paginator "
                          f"used: {type(fallback).__name__}, only the first page is read; please provide the "
                          "paginator manually (endpoint.paginator)")
    if score < 1.0:
        return paginator, (f"no paginator given; detected {_describe(paginator)} from the first response, a "
                           "guess: please verify the paginator settings (set endpoint.paginator explicitly, as "
                           "some settings may not be guessed correctly)")
    return paginator, None


def _describe(paginator: BasePaginator) -> str:
    """dlt's ``str`` of a paginator without the object's address: ``JSONLinkPaginator(next_url_path: next)``."""
    _, _, settings = str(paginator).partition(": ")
    return f"{type(paginator).__name__}({settings})" if settings else type(paginator).__name__


def _is_url(value: str) -> bool:
    return value.startswith(("http://", "https://", "/"))


class CursorPaginator:
    """The extended dialect's cursor paginator (see the module docstring for why it is our own)."""

    name = "ExtendedCursorPaginator"
    warning = None

    def __init__(self, spec: CursorSpec, *, primary_key: tuple[str, ...]) -> None:
        self.spec = spec
        self.primary_key = primary_key
        self.cursor: str | None = None

    def start(self, request: Request) -> None:
        self._send_limit(request)

    def _send_limit(self, request: Request) -> None:
        if self.spec.limit is None:
            return
        if request.params is None:
            request.params = {}
        query = dict(parse_qsl(urlparse(request.url).query))
        if self.spec.limit_param not in query:
            request.params[self.spec.limit_param] = self.spec.limit

    def advance(self, page: PageView) -> bool:
        cursor = self._cursor(page)
        if cursor in _EMPTY_CURSORS or cursor is False:
            self.cursor = None
            return False
        self.cursor = str(cursor)
        if self.spec.stop_after_empty_page and not page.records:
            return False
        if self.spec.has_more_path:
            values = jsonpath.find_values(self.spec.has_more_path, page.document)
            return bool(values and values[0])
        return True

    def _cursor(self, page: PageView) -> Any:
        spec = self.spec
        if spec.source == "expression" and spec.cursor_value is not None:
            return spec.cursor_value.evaluate(page.context)
        if spec.source == "path" and spec.cursor_path is not None:
            values = jsonpath.find_values(spec.cursor_path, page.document)
            return values[0] if values else None
        if not page.records or not isinstance(page.records[-1], Mapping):
            return None
        return page.records[-1].get(self.primary_key[0]) if self.primary_key else None

    def apply(self, request: Request) -> None:
        cursor = self.cursor
        assert cursor is not None
        if self.spec.cursor_param is None and _is_url(cursor):
            request.url = urljoin(request.url, cursor)
            request.params = {}
            self._send_limit(request)
            return
        if self.spec.cursor_body_path:
            if request.json is None:
                request.json = {}
            jsonpath.set_value_at_path(request.json, self.spec.cursor_body_path, cursor)
            return
        if request.params is None:
            request.params = {}
        request.params[self.spec.cursor_param or "cursor"] = cursor

    def __str__(self) -> str:
        return f"ExtendedCursorPaginator(source={self.spec.source}, cursor_param={self.spec.cursor_param})"


def new_paginator(spec: PaginatorSpec, *, primary_key: tuple[str, ...]) -> Paginator:
    """A fresh paginator for one run of one resource (paginators are stateful)."""
    if spec.kind == "cursor":
        assert spec.cursor is not None
        return CursorPaginator(spec.cursor, primary_key=primary_key)
    if spec.kind == "object":
        return DltPaginator(copy.deepcopy(spec.obj))
    if spec.kind == "dlt":
        assert spec.cls is not None
        return DltPaginator(spec.cls(**dict(spec.params)))
    return DltPaginator(None)


def request_signature(request: Request) -> tuple[str, str, str]:
    """What identifies a page request for the loop guard: URL, params and body."""
    params = sorted((str(k), str(v)) for k, v in (request.params or {}).items())
    return (request.url, repr(params), repr(request.json))


@dataclass(slots=True)
class LoopGuard:
    """Remembers every page request of one resource run; a repeat means the API is looping."""

    seen: set[tuple[str, str, str]] = field(default_factory=set)

    def first_visit(self, request: Request) -> bool:
        """True the first time this request is seen, False on a repeat."""
        signature = request_signature(request)
        if signature in self.seen:
            return False
        self.seen.add(signature)
        return True


__all__ = [
    "BasePaginator",
    "CursorPaginator",
    "DltPaginator",
    "LoopGuard",
    "PageView",
    "Paginator",
    "new_paginator",
    "request_signature",
]
