"""The page loop of one resource (for one parent record, when it is a child): request, select,
check, paginate, guard. Pages leave as lists of records; nothing here is per record but the
primary-key check of a page's first record and the parent fields a child row carries.

The loop owns what is the same for every paginator: the page count, ``max_pages``, the
``stop_condition``, the guard against a next-page request already made, the expression context
(``KNOWN_PAGINATOR_VARIABLES``) and the errors a paginator or an expression raises. A paginator
(``restloom.engine.paginate.Paginator``) only reads the next token from a page and applies it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from dlt.sources.helpers.rest_client.utils import join_url
from requests import Request

from restloom.config.models import ResourceSpec
from restloom.config.selectors import Selector
from restloom.engine.ahead import PagesAhead, planned_requests
from restloom.engine.paginate import LoopGuard, PageView, Paginator, new_paginator
from restloom.engine.render import render_request_parts
from restloom.engine.select import detect_selector, select
from restloom.engine.shared import SharedPages, fingerprint
from restloom.errors import AuthError, ExpressionError, PrimaryKeyMissing, ResponseError
from restloom.expressions import KNOWN_PAGINATOR_VARIABLES, ExpressionEvaluationError
from restloom.http.actions import ResponseActions
from restloom.http.client import Fetcher, Page, ParsedResponse
from restloom.http.scope import CredentialScope
from restloom.report import RunReport
from restloom.sensitive import origin
from restloom.text import truncate

log = logging.getLogger("restloom")


@dataclass(frozen=True, slots=True, kw_only=True)
class PageSource:
    """Everything the loop of one resource needs from its run."""

    spec: ResourceSpec
    base_url: str
    fetcher: Fetcher
    report: RunReport
    auth: Any
    scope: CredentialScope | None = None
    pool: Callable[[], Executor] | None = None
    """Where pages are fetched ahead (``restloom.engine.ahead``); None: one page at a time."""
    shared: SharedPages | None = None
    """The group of resources making the same requests this one is in (``restloom.engine.shared``), if any."""


def iter_pages(source: PageSource, *, parent: Mapping[str, Any] | None = None,
               extra_params: Mapping[str, Any] | None = None,
               placeholders: Mapping[str, Any] | None = None) -> Iterator[list[Any]]:
    """The record pages of one resource (for one parent record), in the order the API serves them."""
    spec, endpoint = source.spec, source.spec.endpoint
    parts = render_request_parts(spec, parent=parent, extra=placeholders)
    params = {**parts.params, **(extra_params or {})}
    request = Request(method=endpoint.method, url=join_url(source.base_url, parts.path), params=params,
                      json=parts.json, data=parts.data, headers=parts.headers, auth=source.auth)
    paginator = new_paginator(endpoint.paginator, primary_key=spec.primary_key)
    paginator.start(request)
    guard, selector, count, shapes = LoopGuard(), endpoint.selector, 0, PageShapes()
    actions = ResponseActions(endpoint.response_actions)
    guard.first_visit(request)
    ahead: PagesAhead | None = None
    try:
        while True:
            page = (ahead.take(request) if ahead else None) or _fetch(source, request, actions)
            if page.ignored:
                break
            selector = selector or detect_selector(page.document)
            records = _select(source, selector, page)
            count += 1
            source.report.count(spec.name, pages=1)
            if records:
                yield records
            view = PageView(response=ParsedResponse(page), records=records,
                            context=page_context(page, records, count))
            odd = shapes.odd_empty_page(page.document, records=records, count=count)
            stopped_by = _stopped_by(source, view=view, count=count)
            if stopped_by is None and _advance(source, paginator, request=request, page=view, guard=guard):
                ahead = ahead or _read_ahead(source, paginator, request=request, page=page, count=count)
                continue
            if odd is not None and stopped_by != "max_pages":
                ending = "the stop_condition ends the list" if stopped_by else f"the {paginator.name} cannot go on"
                _warn_odd_page(source, page, odd=odd, count=count, ending=ending)
            break
    finally:
        if ahead is not None:
            ahead.close()
    if ahead is not None:  # the list ended (not closed early by the consumer or failed)
        _end_ahead(source, ahead, pages=count)


def _read_ahead(source: PageSource, paginator: Paginator, *, request: Request, page: Page,
                count: int) -> PagesAhead | None:
    """After the first page: the remaining pages requested concurrently when the paginator knows them
    (no ``stop_condition``: it decides from each page in turn; no incremental ``row_order``: dlt stops
    reading at the first record past the window's end, and pages read ahead would be requests for nothing)."""
    settings = source.spec.endpoint.paginator
    if count != 1 or source.pool is None or settings.stop_condition is not None or source.spec.endpoint.row_ordered:
        return None
    planned = planned_requests(paginator, request=request, document=page.document,
                               max_pages=settings.max_pages, count=count)
    if not planned:
        return None
    actions = ResponseActions(source.spec.endpoint.response_actions)
    return PagesAhead(planned, fetch=lambda ahead: _fetch(source, ahead, actions), pool=source.pool(),
                      window=source.fetcher.ceiling)


def _end_ahead(source: PageSource, ahead: PagesAhead, *, pages: int) -> None:
    """Say so when the first page's total was wrong."""
    announced = ahead.planned + 1
    if ahead.missed:
        _warn(source, f"the list went on past the {announced} pages its first page announced (the total changed "
                      f"while reading); the pages after them were read one at a time")
    elif pages < announced:
        _warn(source, f"the list ended at page {pages}, before the {announced} pages its first page announced "
                      f"(the total changed while reading); the pages requested ahead past it were discarded")


def _warn(source: PageSource, message: str) -> None:
    if source.report.warn_once(source.spec.name, message):
        log.warning("resource '%s': %s", source.spec.name, message)


def _fetch(source: PageSource, request: Request, actions: ResponseActions) -> Page:
    """Fetch ``request`` — without credentials when it leaves the origins they belong to; a resource of a
    sharing group takes the response of an identical request another member made, when there is one."""
    outbound = _outbound(source, request)
    if source.shared is None:
        return _send(source, request, outbound, actions)
    key = fingerprint(source.fetcher.prepare(outbound))
    page, shared = source.shared.fetch(source.spec.name, key, lambda: _send(source, request, outbound, actions))
    if shared:
        source.report.count(source.spec.name, shared=1)
    return page


def _send(source: PageSource, request: Request, outbound: Request, actions: ResponseActions) -> Page:
    spec = source.spec
    try:
        return source.fetcher.fetch(outbound, resource=spec.name, policy=spec.endpoint.retry, actions=actions,
                                    timeouts=spec.endpoint.timeouts)
    except AuthError as exc:
        if outbound is request:
            raise
        raise AuthError(spec.name, f"{exc.reason}; the credentials were not sent: {origin(request.url)} is not "
                        "the base URL's origin (list it in client.auth_origins to send them)") from exc


def _outbound(source: PageSource, request: Request) -> Request:
    """``request`` itself, or a copy without credentials when its origin is not one they may go to; what
    was left out is a warning that names the host (once per resource and host)."""
    scope = source.scope
    if scope is None or scope.allows(request.url):
        return request
    stripped, removed = scope.strip(request)
    if not removed:
        return request
    scope.warn(source.report, source.spec.name, request.url, removed)
    return stripped


def _select(source: PageSource, selector: Selector, page: Page) -> list[Any]:
    carry = source.spec.include_from_parent if source.spec.parent is None else ()
    selection = select(selector, page.document, carry=carry)
    if not selection.matched and page.document not in (None, {}, []):
        message = f"data_selector '{selector.raw}' matched nothing in a response that had data"
        stats = source.report.stats(source.spec.name)
        if message not in stats.warnings:
            source.report.warn(source.spec.name, message)
            log.warning("resource '%s': %s", source.spec.name, message)
    records = selection.records
    if records and source.spec.primary_key and source.spec.parent is None:
        check_primary_key(source.spec, records[0])
    return records


def missing_key_fields(spec: ResourceSpec, record: Any) -> list[str]:
    """The primary-key fields ``record`` lacks (none when it is not a mapping)."""
    if not isinstance(record, Mapping):
        return []
    return [key for key in spec.primary_key if key not in record]


def check_primary_key(spec: ResourceSpec, record: Any) -> None:
    """Raise PrimaryKeyMissing when ``record`` lacks the resource's primary key."""
    missing = missing_key_fields(spec, record)
    if missing:
        seen = ", ".join(list(record)[:8])
        origin = "declared" if spec.primary_key_declared else "from resource_defaults"
        raise PrimaryKeyMissing(spec.name, f"primary key '{', '.join(missing)}' ({origin}) is missing from its "
                                f"records (fields: {seen}); set primary_key on the resource to a field they carry")


_ContextValue = Callable[[Page, list[Any], int], Any]
_CONTEXT_VALUES: Mapping[str, _ContextValue] = MappingProxyType({
    "response": lambda page, _records, _count: page.document,
    "headers": lambda page, _records, _count: page.response.headers,
    "last_record": lambda _page, records, _count: records[-1] if records else None,
    "last_page_size": lambda _page, records, _count: len(records),
    "page_count": lambda _page, _records, count: count,
    "status_code": lambda page, _records, _count: page.response.status_code,
})
if tuple(_CONTEXT_VALUES) != KNOWN_PAGINATOR_VARIABLES:  # what expressions may name is what the loop gives
    raise ImportError(f"the page context {tuple(_CONTEXT_VALUES)} differs from {KNOWN_PAGINATOR_VARIABLES}")


def page_context(page: Page, records: list[Any], count: int) -> Mapping[str, Any]:
    """The expression variables after page number ``count`` (1 for the first page)."""
    return {name: value(page, records, count) for name, value in _CONTEXT_VALUES.items()}


def _stopped_by(source: PageSource, *, view: PageView, count: int) -> str | None:
    """What ends the pages after this one: ``"stop_condition"``, ``"max_pages"`` or nothing (None)."""
    paginator = source.spec.endpoint.paginator
    if paginator.stop_condition is not None:
        try:
            if paginator.stop_condition.evaluate(view.context):
                return "stop_condition"
        except ExpressionEvaluationError as exc:
            raise ExpressionError(source.spec.name, str(exc)) from exc
    return "max_pages" if paginator.max_pages is not None and count >= paginator.max_pages else None


class PageShapes:
    """The shape of a resource's pages so far — the top-level keys every page had, or what the root was
    (``a JSON array``) — to tell a page that ends the list from a page that is something else.

    An empty page in the list's own shape (Persona's ``{"data": []}``) is how many APIs end a list; an
    empty page that lacks keys every earlier page had (``{"error": ...}`` after ``{"data", "meta"}``)
    is more likely an error answered with a 2xx.
    """

    def __init__(self) -> None:
        self.seen: frozenset[str] | str | None = None

    def odd_empty_page(self, document: Any, *, records: list[Any], count: int) -> tuple[str, str] | None:
        """For page ``count`` ≥ 2 without records and not in the earlier pages' shape: (its shape, theirs)."""
        shape = _shape(document)
        before = self.seen
        if before is None:
            self.seen = shape
            return None
        keys = (before, shape) if isinstance(before, frozenset) and isinstance(shape, frozenset) else None
        if records:
            self.seen = keys[0] & keys[1] if keys else before
            return None
        fits = keys[0] <= keys[1] if keys else before == shape
        return None if fits or count < 2 else (_describe_shape(shape), _describe_shape(before))


def _shape(document: Any) -> frozenset[str] | str:
    if isinstance(document, Mapping):
        return frozenset(str(key) for key in document)
    if document is None:
        return "no body"
    return "a JSON array" if isinstance(document, list) else f"a JSON {type(document).__name__}"


def _describe_shape(shape: frozenset[str] | str) -> str:
    if isinstance(shape, str):
        return shape
    return ", ".join(sorted(shape)) if shape else "none"


def _warn_odd_page(source: PageSource, page: Page, *, odd: tuple[str, str], count: int, ending: str) -> None:
    body = truncate(source.fetcher.redactor.text(page.response.text or ""), 200)
    message = (f"page {count} has no records and not the shape of the pages before it (keys: {odd[0]}; before: "
               f"{odd[1]}) and {ending} from it: the table may be incomplete (the API may have answered with an error; "
               f"body: {body})")
    source.report.warn(source.spec.name, message)
    log.warning("resource '%s': %s", source.spec.name, message)


def _advance(source: PageSource, paginator: Paginator, *, request: Request, page: PageView,
             guard: LoopGuard) -> bool:
    """Move ``request`` to the next page; False when there is none (or it would repeat)."""
    try:
        more = paginator.advance(page)
    except ExpressionEvaluationError as exc:
        raise ExpressionError(source.spec.name, str(exc)) from exc
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        url = source.fetcher.redactor.url(page.response.url or "")
        raise ResponseError(source.spec.name, f"the {paginator.name} could not read the response at "
                            f"{url}: {truncate(str(exc), 200)}") from exc
    if paginator.warning and source.report.warn_once(source.spec.name, paginator.warning):
        log.warning("resource '%s': %s", source.spec.name, paginator.warning)
    if not more:
        return False
    paginator.apply(request)
    if guard.first_visit(request):
        return True
    url = source.fetcher.redactor.url(request.url)
    message = f"the next page request repeats one already made ({url}); stopped to avoid a loop"
    source.report.warn(source.spec.name, message)
    log.warning("resource '%s': %s", source.spec.name, message)
    return False
