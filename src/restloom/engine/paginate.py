"""Paginators and the page loop that drives them.

restloom reuses dlt's paginator classes (``json_link``, ``header_link``, ``offset``, ``page_number``,
``cursor``, ...), so a dlt paginator object or name in a user's config behaves exactly as in dlt.
One paginator is our own: :class:`ExtendedCursorPaginator`, because the seed dialect's cursor takes
its value from a Jinja ``cursor_value``, a JSONPath, or the last record's primary key, sends a page
size under ``limit_param`` on every request, and follows a cursor that is a URL — none of which
dlt's ``JSONResponseCursorPaginator`` can do.

Paginators compute the next token; :class:`PageLoop` owns everything else: the page count,
``max_pages``, the ``stop_condition``, and the guard against a cursor or next URL that repeats.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlparse

from dlt.common import jsonpath
from dlt.sources.helpers.rest_client import paginators as dlt_paginators
from requests import Request

from restloom.config.models import CursorSpec, PaginatorSpec
from restloom.expressions import ExpressionEvaluationError

BasePaginator = dlt_paginators.BasePaginator


def _is_url(value: str) -> bool:
    return value.startswith(("http://", "https://", "/"))


class ExtendedCursorPaginator(dlt_paginators.BaseReferencePaginator):
    """The seed dialect's cursor paginator (see the module docstring for why it is our own)."""

    def __init__(self, spec: CursorSpec, *, primary_key: tuple[str, ...]) -> None:
        super().__init__()
        self.spec = spec
        self.primary_key = primary_key
        self.context: Mapping[str, Any] = {}
        self._following_url = False

    def init_request(self, request: Request) -> None:
        self._send_limit(request)

    def _send_limit(self, request: Request) -> None:
        if self.spec.limit is None:
            return
        if request.params is None:
            request.params = {}
        query = dict(parse_qsl(urlparse(request.url).query))
        if self.spec.limit_param not in query:
            request.params[self.spec.limit_param] = self.spec.limit

    def update_state(self, response: Any, data: list[Any] | None = None) -> None:
        cursor = self._cursor(response, data or [])
        if cursor in (None, "", {}, []) or cursor is False:
            self._next_reference = None
            return
        self._next_reference = str(cursor)
        if self.spec.stop_after_empty_page and not data:
            self._has_next_page = False
        elif self.spec.has_more_path:
            values = jsonpath.find_values(self.spec.has_more_path, response.json())
            self._has_next_page = bool(values and values[0])

    def _cursor(self, response: Any, data: list[Any]) -> Any:
        spec = self.spec
        if spec.source == "expression" and spec.cursor_value is not None:
            return spec.cursor_value.evaluate(self.context)
        if spec.source == "path" and spec.cursor_path is not None:
            values = jsonpath.find_values(spec.cursor_path, response.json())
            return values[0] if values else None
        if not data or not isinstance(data[-1], Mapping):
            return None
        last = data[-1]
        return last.get(self.primary_key[0]) if self.primary_key else None

    def update_request(self, request: Request) -> None:
        cursor = self._next_reference
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


def new_paginator(spec: PaginatorSpec, *, primary_key: tuple[str, ...]) -> BasePaginator | None:
    """A fresh paginator for one run of one resource (paginators are stateful). None means 'detect'."""
    if spec.kind == "object":
        return copy.deepcopy(spec.obj)
    if spec.kind == "cursor":
        assert spec.cursor is not None
        return ExtendedCursorPaginator(spec.cursor, primary_key=primary_key)
    if spec.kind == "dlt":
        assert spec.cls is not None
        return spec.cls(**dict(spec.params))
    return None


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


@dataclass(frozen=True, slots=True)
class PageOutcome:
    """What the loop decided after a page: go on, or stop and why."""

    more: bool
    reason: str = ""


StopCheck = Callable[[Mapping[str, Any]], bool]


def stop_check(spec: PaginatorSpec) -> StopCheck | None:
    """The stop condition as a predicate over the page context, or None."""
    expression = spec.stop_condition
    if expression is None:
        return None

    def check(context: Mapping[str, Any]) -> bool:
        return bool(expression.evaluate(context))

    return check


__all__ = [
    "BasePaginator",
    "ExpressionEvaluationError",
    "ExtendedCursorPaginator",
    "LoopGuard",
    "PageOutcome",
    "new_paginator",
    "request_signature",
    "stop_check",
]
