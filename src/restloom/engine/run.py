"""One run of a config: the shared fetcher, auth objects and thread pool, and the page streams of
every resource — top-level resources prefetched concurrently, children fanned out over each parent
page — with failures contained to the resource they happen in.

A run has a lifecycle. What it holds that reaches outside itself — the log filter that keeps its
secrets out of urllib3's, dlt's and restloom's loggers, the fan-out threads, the pooled connections —
is taken when the first stream starts and released when the last one ends, or when a ``with Run(...)``
block exits (``close``). A run released and used again opens anew.

The adapter receives typed values: a ``Stream`` of ``Batch``es (whole pages, with the primary key
the engine chose when it had to fall back; values a loader cannot store already changed, with a
warning: ``restloom.engine.storable``), whose ``outcome`` says, once the stream is exhausted,
whether the resource (or that parent page's children) loaded or failed and why.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import re
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

from restloom.config.models import AuthSpec, Config, ResourceSpec
from restloom.engine.pages import PageSource, check_primary_key, iter_pages, missing_key_fields
from restloom.engine.prefetch import filled, prefetch
from restloom.engine.render import parent_column_names, parent_columns
from restloom.engine.shared import SharedPages, share_groups
from restloom.engine.storable import storable_page
from restloom.errors import ResourceError
from restloom.http.auth import AuthFactory, auth_secrets, build_auth, default_auth_registry
from restloom.http.client import Fetcher
from restloom.http.redact import Redactor
from restloom.http.scope import CredentialScope
from restloom.report import RunReport
from restloom.sensitive import origin
from restloom.text import truncate

__all__ = ["Batch", "Outcome", "Run", "Stream", "Window", "Windows"]

log = logging.getLogger("restloom")
REDACTED_LOGGERS = ("urllib3.connectionpool", "restloom", "dlt")
_FORMATTER = logging.Formatter()
# an absolute URL, or a path with a query (urllib3 logs '"GET /path?query HTTP/1.1"'), up to a space or
# quote, without the punctuation that ends a sentence ("at <url>; body: ...")
_URL_IN_TEXT = re.compile(r"""(?:https?://|/[^\s"'<>?]*\?)[^\s"'<>]*[^\s"'<>;,.:)]""")


@dataclass(frozen=True, slots=True)
class Batch:
    """One page of records for the adapter. ``primary_key``: the key the engine merges this resource on
    instead of the configured one (a child whose inherited key its rows lack), else None. ``parent``: for
    a child, the parent record these rows were requested for (a batch holds one parent's rows)."""

    rows: list[Any]
    primary_key: tuple[str, ...] | None = None
    parent: Any = None
    text: bytes | None = None
    """The rows as one JSON array (orjson's), when the engine wrote them so while checking them."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a stream ended: ``ok``, or ``failed`` with the (redacted) reason."""

    status: Literal["ok", "failed"]
    reason: str | None = None

    @property
    def failed(self) -> bool:
        """True when the resource failed (its cursor must not move)."""
        return self.status == "failed"


@dataclass(frozen=True, slots=True)
class Window:
    """What an incremental window adds to a resource's requests: query params and placeholder values
    (``{incremental.start_value}``)."""

    params: Mapping[str, Any]
    placeholders: Mapping[str, Any]


NO_WINDOW = Window(params={}, placeholders={})
Windows = Window | Callable[[Any], Window]
"""One window for every parent, or a function giving each parent record its own (a cursor per parent)."""


class Stream(Iterator[Batch]):
    """The batches of one resource (or of one parent page's children); ``outcome`` once exhausted."""

    def __init__(self, batches: Generator[Batch, None, Outcome], *,
                 at_hand: Callable[[float], bool] | None = None) -> None:
        self._batches = batches
        self._at_hand = at_hand
        self.outcome: Outcome | None = None

    def ready(self, wait: float = 0.0) -> bool:
        """True when the next batch (or the end) is fetched, waiting up to ``wait`` seconds for it: a consumer
        that gathers batches does other work rather than wait for the network (and so keep the other
        resources waiting too). True when unknown."""
        return self._at_hand is None or self._at_hand(wait)

    def __iter__(self) -> Stream:
        return self

    def __next__(self) -> Batch:
        try:
            return next(self._batches)
        except StopIteration as stop:
            self.outcome = stop.value
            raise StopIteration from None

    def close(self) -> None:
        """Stop early (the stream's resources are released)."""
        self._batches.close()


class RedactingFilter(logging.Filter):
    """Rewrites log records of HTTP libraries (urllib3 logs whole URLs at DEBUG) without the run's secrets."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose args do not fit its format: logging reports it, without secrets
            message = f"{record.msg} {record.args}"
        cleaned = self.clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:  # the formatter prints exc_text when it is set
            record.exc_text = self.clean(_FORMATTER.formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = self.clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self.clean(record.stack_info)
        return True

    def clean(self, text: str) -> str:
        """``text`` without the run's secrets, and every URL in it with its credential parameters blanked."""
        return _URL_IN_TEXT.sub(lambda found: self.redactor.url(found.group()), self.redactor.text(text))


class Run:
    """Shared state of one extraction; see the module docstring for its lifecycle."""

    def __init__(self, config: Config, *, report: RunReport | None = None,
                 auth_factories: Mapping[str, AuthFactory] | None = None) -> None:
        self.config = config
        self._auth_factories = default_auth_registry() if auth_factories is None else auth_factories
        self.report = report or RunReport()
        self.report.notices.extend(config.notices)
        self._lock = threading.RLock()
        self._auth: dict[int, Any] = {}
        self._keys: dict[str, tuple[str, ...]] = {}
        self._failed: dict[str, str] = {}
        self._users = 0
        self._pool: ThreadPoolExecutor | None = None
        self._page_pool: ThreadPoolExecutor | None = None
        self.redactor = Redactor(secrets=tuple(self._secrets()), live=self._live_secrets)
        self._log_filter = RedactingFilter(self.redactor)
        self._filtering = False
        self._filtered: list[logging.Filterer] = []
        client = config.client
        self.scope = CredentialScope(base=origin(client.base_url), allowed=client.auth_origins,
                                     is_secret=self.redactor.is_secret)
        self.fetcher = Fetcher(concurrency=config.concurrency, report=self.report, redactor=self.redactor,
                               session=config.client.session, scope=self.scope, fixed=config.concurrency_fixed)
        self.shared: dict[str, SharedPages] = {}
        """Resource name -> the group of resources making the same requests it is in (``engine.shared``)."""
        for names in share_groups(config.resources):
            group = SharedPages(names)
            self.shared.update(dict.fromkeys(names, group))

    # -- lifecycle ------------------------------------------------------------------------------
    def __enter__(self) -> Run:
        self._acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def _acquire(self) -> None:
        with self._lock:
            self._users += 1
            if not self._filtering:
                self._filtered = self._filter_targets()
                for target in self._filtered:
                    target.addFilter(self._log_filter)
                self._filtering = True

    def _release(self) -> None:
        with self._lock:
            self._users = max(0, self._users - 1)
            if self._users == 0:
                self.close()

    def close(self) -> None:
        """Remove the log filter, stop the fan-out threads, release connections (idempotent)."""
        with self._lock:
            self._users = 0
            if self._filtering:
                for target in self._filtered:
                    target.removeFilter(self._log_filter)
                self._filtered, self._filtering = [], False
            for pool in (self._pool, self._page_pool):
                if pool is not None:
                    pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._page_pool = None
            for group in self.shared.values():
                group.clear()
            self.fetcher.close()

    @staticmethod
    def _filter_targets() -> list[logging.Filterer]:
        """The loggers whose records may carry URLs or secrets, and the root logger's handlers (which every
        other logger's records pass through)."""
        return [*(logging.getLogger(name) for name in REDACTED_LOGGERS), *logging.getLogger().handlers]

    @property
    def is_open(self) -> bool:
        """True while the run holds its log filter (a stream is running or a ``with`` block is open)."""
        return self._filtering

    # -- shared parts ---------------------------------------------------------------------------
    def _secrets(self) -> list[str]:
        """The config's secret values and those inside its auth objects (which are built here, once)."""
        found: list[str] = sorted(self.config.secret_values)
        for spec in self.config.resources:
            found.extend(auth_secrets(self.auth_for(spec.endpoint.auth)))
        return found

    def _live_secrets(self) -> list[str]:
        """The secrets inside the auth objects now: a token fetched at run time (OAuth2) is among them."""
        return [value for auth in list(self._auth.values()) for value in auth_secrets(auth)]

    def auth_for(self, spec: AuthSpec | None) -> Any:
        """The auth object of an AuthSpec, built once per run (token refreshes stay shared)."""
        if spec is None:
            return None
        with self._lock:
            if id(spec) not in self._auth:
                self._auth[id(spec)] = build_auth(spec, registry=self._auth_factories)
            return self._auth[id(spec)]

    @property
    def pool(self) -> ThreadPoolExecutor:
        """The fan-out threads (as many as requests may ever be in flight), started on first use."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.fetcher.ceiling, thread_name_prefix="restloom-fanout")
            return self._pool

    @property
    def page_pool(self) -> ThreadPoolExecutor:
        """The threads that fetch pages ahead (``restloom.engine.ahead``), apart from the fan-out threads: a
        child's page loop running on a fan-out thread waits for them, so they must never queue behind it."""
        with self._lock:
            if self._page_pool is None:
                self._page_pool = ThreadPoolExecutor(self.fetcher.ceiling, thread_name_prefix="restloom-pages")
            return self._page_pool

    def page_source(self, spec: ResourceSpec, *, on_demand: bool = False) -> PageSource:
        """What the page loop of ``spec`` needs from this run (``on_demand``: no pages requested ahead)."""
        return PageSource(spec=spec, base_url=self.config.client.base_url, fetcher=self.fetcher,
                          report=self.report, auth=self.auth_for(spec.endpoint.auth), scope=self.scope,
                          pool=None if on_demand else lambda: self.page_pool, shared=self.shared.get(spec.name))

    def select(self, names: Iterable[str]) -> None:
        """Only the resources ``names`` will run (dlt's ``with_resources``): no response is kept for another."""
        chosen = set(names)
        for name, group in self.shared.items():
            if name not in chosen:
                group.finish(name)

    # -- streams --------------------------------------------------------------------------------
    def pages(self, spec: ResourceSpec, window: Window = NO_WINDOW, *, on_demand: bool = False) -> Stream:
        """The pages of a top-level resource, fetched ahead on a thread of its own; failures contained.

        ``on_demand`` (and with an incremental's ``row_order``): each page is requested only when the consumer
        asks for it — dlt stops reading a resource it limits (``add_limit``) or one past its window's end,
        and pages fetched ahead would be requests for nothing."""
        queues: list[queue.Queue[Any]] = []
        return Stream(self._top_level(spec, window, queues, on_demand or spec.endpoint.row_ordered),
                      at_hand=lambda wait: not queues or filled(queues[0], wait))

    def child_pages(self, spec: ResourceSpec, parent_page: list[Any], window: Windows = NO_WINDOW) -> Stream:
        """The children of one parent page, fetched concurrently, yielded in parent order, one batch per
        parent record (``Batch.parent``)."""
        return Stream(self._children(spec, parent_page, window))

    def _top_level(self, spec: ResourceSpec, window: Window, queues: list[queue.Queue[Any]],
                   on_demand: bool) -> Generator[Batch, None, Outcome]:
        self._acquire()
        try:
            self.report.start(spec.name)
            source = self.page_source(spec, on_demand=on_demand)
            if source.shared is not None:
                source.shared.begin(spec.name)
            def make() -> Iterator[Batch]:
                # checked where fetched: on the prefetch thread, the JSON text is written while the consumer
                # is in Arrow's or the parquet writer's code, which run without the interpreter's lock
                for page in iter_pages(source, extra_params=window.params, placeholders=window.placeholders):
                    rows, text = storable_page(spec, page, lambda note: self._warn(spec, note))
                    yield Batch(rows, text=text)

            pages = make() if on_demand else prefetch(make, size=lambda b: len(b.rows), queues=queues)
            outcome = yield from self._contained(spec, pages, checked=True)
            if not outcome.failed:
                self.report.finish(spec.name)
            return outcome
        finally:
            if spec.name in self.shared:
                self.shared[spec.name].finish(spec.name)
            self._release()

    def _children(self, spec: ResourceSpec, parent_page: list[Any],
                  window: Windows) -> Generator[Batch, None, Outcome]:
        self._acquire()
        try:
            self.report.start(spec.name)
            if spec.name in self._failed:
                return Outcome("failed", self._failed[spec.name])
            return (yield from self._contained(spec, self._fan_out(spec, parent_page, window)))
        finally:
            self._release()

    def _fan_out(self, spec: ResourceSpec, parent_page: list[Any], window: Windows) -> Iterator[Batch]:
        source = self.page_source(spec)
        # a window per parent is computed here, in parent order, before any request (not on the pool)
        windows = [window(record) if callable(window) else window for record in parent_page]

        def one_parent(record: Any, own: Window) -> list[Any]:
            rows: list[Any] = []
            for page in iter_pages(source, parent=record, extra_params=own.params,
                                   placeholders=own.placeholders):
                rows.extend(page)
            if spec.include_from_parent and rows:
                extra = parent_columns(spec, record)
                rows = [{**row, **extra} if isinstance(row, Mapping) else row for row in rows]
            return rows

        # fetched concurrently, handed on one parent at a time (dlt's incremental on a child then
        # advances between parents exactly as it does in dlt's rest_api)
        for record, rows in zip(parent_page, self.pool.map(one_parent, parent_page, windows), strict=True):
            if rows:
                self._child_key(spec, rows[0])
                yield Batch(rows, self._keys.get(spec.name), parent=record)

    def _child_key(self, spec: ResourceSpec, row: Any) -> None:
        """Check a child's primary key on its first row; an inherited key it lacks falls back.

        A child row is identified within its parent: when the key comes from resource_defaults and
        the rows lack it, they are merged on the parent key plus the row's own scalar fields (with a
        warning) instead of failing. A key the resource declares itself must be there.
        """
        if not spec.primary_key or spec.name in self._keys or not missing_key_fields(spec, row):
            return
        if spec.primary_key_declared or not spec.include_from_parent:
            check_primary_key(spec, row)
        parent_keys = [name for name in parent_column_names(spec) if name in row]
        own = [k for k, v in row.items() if k not in parent_keys and not isinstance(v, dict | list)]
        fallback = tuple(parent_keys + own)
        self._keys[spec.name] = fallback
        message = (f"primary key '{', '.join(spec.primary_key)}' (from resource_defaults) is missing from its "
                   f"records; merging on {', '.join(fallback)} instead (set primary_key on the resource to choose)")
        self.report.warn(spec.name, message)
        log.warning("resource '%s': %s", spec.name, message)

    def _contained(self, spec: ResourceSpec, batches: Iterator[Batch], *,
                   checked: bool = False) -> Generator[Batch, None, Outcome]:
        """The batches, counted and made storable (``checked``: they were already); a failure ends them and
        becomes the outcome (the other resources go on)."""
        try:
            for batch in batches:
                self.report.count(spec.name, rows=len(batch.rows))
                if checked:
                    yield batch
                    continue
                rows, text = storable_page(spec, batch.rows, lambda note: self._warn(spec, note))
                yield dataclasses.replace(batch, rows=rows, text=text)
        except ResourceError as exc:
            return self._fail(spec, self.redactor.text(exc.reason))
        except Exception as exc:  # a bug or an unforeseen response: still only this resource fails
            log.debug("resource '%s' failed", spec.name, exc_info=True)
            return self._fail(spec, truncate(self.redactor.text(f"unexpected {type(exc).__name__}: {exc}"), 300))
        return Outcome("ok")

    def _warn(self, spec: ResourceSpec, message: str) -> None:
        message = self.redactor.text(message)
        self.report.warn(spec.name, message)
        log.warning("resource '%s': %s", spec.name, message)

    def _fail(self, spec: ResourceSpec, message: str) -> Outcome:
        log.error("resource '%s' failed: %s", spec.name, message, extra={"restloom_in_report": True})
        self._failed[spec.name] = message
        if spec.name in self.shared:  # a failed child takes no more pages
            self.shared[spec.name].finish(spec.name)
        self.report.finish(spec.name, error=message)
        return Outcome("failed", message)
