"""One run of a config: the shared fetcher, auth objects and thread pool, and the page streams of
every resource — top-level resources prefetched concurrently, children fanned out over each parent
page — with failures contained to the resource they happen in.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from restloom.config.models import AuthSpec, Config, ResourceSpec
from restloom.engine.pages import PageSource, check_primary_key, iter_pages, missing_key_fields
from restloom.engine.render import parent_column_names, parent_columns
from restloom.errors import ResourceError
from restloom.http.auth import auth_secrets, build_auth
from restloom.http.client import Fetcher
from restloom.http.redact import Redactor
from restloom.report import RunReport

log = logging.getLogger("restloom")
PREFETCH_PAGES = 4
REDACTED_LOGGERS = ("urllib3.connectionpool", "restloom", "dlt")


class RedactingFilter(logging.Filter):
    """Rewrites log records of HTTP libraries (urllib3 logs whole URLs at DEBUG) without the run's secrets."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.redactor.url(self.redactor.text(message)) if "://" in message else self.redactor.text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
_DONE = object()


class Run:
    """Shared state of one extraction: created lazily, when the first resource starts."""

    def __init__(self, config: Config, *, report: RunReport | None = None) -> None:
        self.config = config
        self.report = report or RunReport()
        self.report.notices.extend(config.notices)
        self._lock = threading.Lock()
        self._fetcher: Fetcher | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._auth: dict[int, Any] = {}
        self.key_overrides: dict[str, tuple[str, ...]] = {}
        self.redactor = Redactor(secrets=tuple(self._secrets()))
        self._log_filter = RedactingFilter(self.redactor)
        for name in REDACTED_LOGGERS:
            logging.getLogger(name).addFilter(self._log_filter)

    def _secrets(self) -> list[str]:
        found: list[str] = []
        for spec in self.config.resources:
            found.extend(auth_secrets(self.auth_for(spec.endpoint.auth)))
        return found

    def auth_for(self, spec: AuthSpec | None) -> Any:
        """The auth object of an AuthSpec, built once per run (token refreshes stay shared)."""
        if spec is None:
            return None
        with self._lock:
            if id(spec) not in self._auth:
                self._auth[id(spec)] = build_auth(spec)
            return self._auth[id(spec)]

    @property
    def fetcher(self) -> Fetcher:
        with self._lock:
            if self._fetcher is None:
                self._fetcher = Fetcher(concurrency=self.config.concurrency, report=self.report,
                                        redactor=self.redactor, session=self.config.client.session)
            return self._fetcher

    @property
    def pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.config.concurrency, thread_name_prefix="restloom-fanout")
            return self._pool

    def close(self) -> None:
        """Release threads and connections."""
        for name in REDACTED_LOGGERS:
            logging.getLogger(name).removeFilter(self._log_filter)
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
            if self._fetcher is not None:
                self._fetcher.close()
                self._fetcher = None

    def page_source(self, spec: ResourceSpec) -> PageSource:
        return PageSource(spec=spec, base_url=self.config.client.base_url, fetcher=self.fetcher,
                          report=self.report, auth=self.auth_for(spec.endpoint.auth))

    def pages(self, spec: ResourceSpec, *, extra_params: Mapping[str, Any] | None = None,
              placeholders: Mapping[str, Any] | None = None) -> Iterator[list[Any]]:
        """The pages of a top-level resource, fetched ahead on a thread of its own; failures contained.

        ``placeholders`` fill ``{name}`` in the path, params, json and headers (``incremental.start_value``).
        """
        self.report.start(spec.name)
        source = self.page_source(spec)
        yield from self._contained(spec, prefetch(lambda: iter_pages(source, extra_params=extra_params,
                                                                     placeholders=placeholders)))
        if self.report.stats(spec.name).status != "failed":
            self.report.finish(spec.name)

    def child_pages(self, spec: ResourceSpec, parent_page: list[Any], *,
                    extra_params: Mapping[str, Any] | None = None,
                    placeholders: Mapping[str, Any] | None = None) -> Iterator[list[Any]]:
        """The children of one parent page, fetched concurrently, yielded in parent order."""
        self.report.start(spec.name)
        if self.report.stats(spec.name).status == "failed":
            return
        source = self.page_source(spec)

        def one_parent(record: Any) -> list[Any]:
            rows: list[Any] = []
            for page in iter_pages(source, parent=record, extra_params=extra_params, placeholders=placeholders):
                rows.extend(page)
            if spec.include_from_parent and rows:
                extra = parent_columns(spec, record)
                rows = [{**row, **extra} if isinstance(row, Mapping) else row for row in rows]
            return rows

        def all_children() -> Iterator[list[Any]]:
            # fetched concurrently, handed on one parent at a time (dlt's incremental on a child then
            # advances between parents exactly as it does in dlt's rest_api)
            for rows in self.pool.map(one_parent, parent_page):
                if rows:
                    self._child_key(spec, rows[0])
                    yield rows

        yield from self._contained(spec, all_children())

    def _child_key(self, spec: ResourceSpec, row: Any) -> None:
        """Check a child's primary key on its first row; an inherited key it lacks falls back.

        A child row is identified within its parent: when the key comes from resource_defaults and
        the rows lack it, they are merged on the parent key plus the row's own scalar fields (with a
        warning) instead of failing. A key the resource declares itself must be there.
        """
        if not spec.primary_key or spec.name in self.key_overrides or not missing_key_fields(spec, row):
            return
        if spec.primary_key_declared or not spec.include_from_parent:
            check_primary_key(spec, row)
        parent_keys = [name for name in parent_column_names(spec) if name in row]
        own = [k for k, v in row.items() if k not in parent_keys and not isinstance(v, dict | list)]
        fallback = tuple(parent_keys + own)
        self.key_overrides[spec.name] = fallback
        message = (f"primary key '{', '.join(spec.primary_key)}' (from resource_defaults) is missing from its "
                   f"records; merging on {', '.join(fallback)} instead (set primary_key on the resource to choose)")
        self.report.warn(spec.name, message)
        log.warning("resource '%s': %s", spec.name, message)

    def _contained(self, spec: ResourceSpec, pages: Iterator[list[Any]]) -> Iterator[list[Any]]:
        try:
            for page in pages:
                self.report.count(spec.name, rows=len(page))
                yield page
        except ResourceError as exc:
            message = self.redactor.text(exc.reason)
            log.error("resource '%s' failed: %s", spec.name, message)
            self.report.finish(spec.name, error=message)
        except Exception as exc:  # a bug or an unforeseen response: still only this resource fails
            message = self.redactor.text(f"unexpected {type(exc).__name__}: {exc}")[:300]
            log.exception("resource '%s' failed: %s", spec.name, message)
            self.report.finish(spec.name, error=message)


def prefetch(make: Callable[[], Iterator[list[Any]]], *, depth: int = PREFETCH_PAGES) -> Iterator[list[Any]]:
    """Run ``make()`` on a thread of its own, up to ``depth`` pages ahead of the consumer."""
    pages: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for page in make():
                while not stop.is_set():
                    try:
                        pages.put(page, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
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
            yield item
    finally:
        stop.set()
