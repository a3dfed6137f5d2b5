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
from restloom.engine.bind import parent_columns
from restloom.engine.fetch import Fetcher
from restloom.engine.pages import PageSource, iter_pages
from restloom.engine.report import RunReport
from restloom.errors import ResourceError
from restloom.http.auth import auth_secrets, build_auth
from restloom.http.redact import Redactor

log = logging.getLogger("restloom")
PREFETCH_PAGES = 4
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
        self.redactor = Redactor(secrets=tuple(self._secrets()))

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
                self._auth[id(spec)] = spec.obj if spec.type == "object" else build_auth(spec.type, spec.params)
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

    def pages(self, spec: ResourceSpec, *, extra_params: Mapping[str, Any] | None = None) -> Iterator[list[Any]]:
        """The pages of a top-level resource, fetched ahead on a thread of its own; failures contained."""
        self.report.start(spec.name)
        source = self.page_source(spec)
        yield from self._contained(spec, prefetch(lambda: iter_pages(source, extra_params=extra_params)))
        if self.report.stats(spec.name).status != "failed":
            self.report.finish(spec.name)

    def child_pages(self, spec: ResourceSpec, parent_page: list[Any]) -> Iterator[list[Any]]:
        """The children of one parent page, fetched concurrently, yielded in parent order."""
        self.report.start(spec.name)
        if self.report.stats(spec.name).status == "failed":
            return
        source = self.page_source(spec)

        def one_parent(record: Any) -> list[Any]:
            rows: list[Any] = []
            for page in iter_pages(source, parent=record):
                rows.extend(page)
            if spec.include_from_parent and rows:
                extra = parent_columns(spec, record)
                rows = [{**row, **extra} if isinstance(row, Mapping) else row for row in rows]
            return rows

        def all_children() -> Iterator[list[Any]]:
            combined = [row for rows in self.pool.map(one_parent, parent_page) for row in rows]
            if combined:
                yield combined

        yield from self._contained(spec, all_children())

    def _contained(self, spec: ResourceSpec, pages: Iterator[list[Any]]) -> Iterator[list[Any]]:
        try:
            for page in pages:
                self.report.count(spec.name, rows=len(page))
                yield page
        except ResourceError as exc:
            message = self.redactor.text(exc.reason)
            log.error("resource '%s' failed: %s", spec.name, message)
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
