"""Resources that make the same request share it: the request goes out once per run and every resource
that makes it reads its own records out of the one response.

Why our own: dlt fetches every resource on its own (``ivrs``, ``ivr_menus`` and ``ivr_routes`` of a
Zendesk config read ``/v1/ivr`` three times per page) and has no notion of a response shared between
resources.

Two parts:

* ``share_groups`` plans, once per run, which resources COULD make the same requests: same parent (or
  none), method, path, params, body, headers, auth, paginator, incremental block, and the same fetch
  settings (retry policy, timeouts, response actions) — so a shared response is exactly what each one's
  own fetch would have returned. ``data_selector``, keys, hints and processing steps may differ.
  Response actions with hooks never share (a hook is code of the user's, called once per response).
  Only the members of a group use a cache; every other resource fetches as before.
* ``SharedPages``, one per group, is a single-flight, bounded cache of responses keyed by the
  ``fingerprint`` of the prepared request (method, URL with its query sorted, body bytes, the headers —
  auth included — that go out). A member asking for a request another member fetched (or is fetching)
  waits for that fetch and takes the response; otherwise it fetches and publishes it. A member never
  waits for another to *consume* anything — only for an identical request already in flight — so a
  member read much later than another cannot deadlock the run. An entry is dropped once every member
  took it or ended its stream; at most ``capacity`` entries are kept (the oldest finished ones go
  first), and a miss simply fetches again, so correctness never depends on the cache. A failed fetch is
  not shared: a member that waited for it fetches on its own, with its own retries.

Each taker gets its own document, parsed again from the response's bytes (``restloom.http.client.
reparse``): records handed to one resource are never the objects another resource's processing steps
may change.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from restloom.config.models import AuthSpec, ResourceSpec
from restloom.expressions import Expression
from restloom.http.client import Page, reparse

__all__ = ["SHARED_BYTES", "SHARED_PAGES", "SharedPages", "fingerprint", "share_groups"]

SHARED_PAGES = 256
"""Responses a group keeps at most. Members drift apart: one whose pages select few records (Zendesk's
``ivr_routes``) runs ahead of one building tables from many, and each fetches up to two chunks ahead. With
32 kept, 150 pages of ``/v1/ivr`` took 444 requests instead of 150."""
SHARED_BYTES = 32 * 2**20
"""And response bytes a group keeps at most, so that large pages do not fill memory (the oldest go first)."""


def share_groups(resources: Iterable[ResourceSpec]) -> list[tuple[str, ...]]:
    """The groups (two or more resource names, in config order) whose requests may be the same."""
    groups: dict[Any, list[str]] = {}  # signatures are nested tuples of hashable values; dicts keep config order
    for spec in resources:
        signature = _signature(spec)
        if signature is not None:
            groups.setdefault(signature, []).append(spec.name)
    return [tuple(names) for names in groups.values() if len(names) > 1]


def _signature(spec: ResourceSpec) -> Any:
    """What decides a resource's requests and the responses it accepts; None when it must not share."""
    endpoint = spec.endpoint
    if not spec.selected or any(action.hooks for action in endpoint.response_actions):
        return None
    return _comparable((spec.resolves, endpoint.method, endpoint.path, endpoint.params, endpoint.json,
                        endpoint.data, endpoint.headers, endpoint.auth, endpoint.paginator, endpoint.incremental,
                        endpoint.retry, endpoint.timeouts, endpoint.response_actions))


def _comparable(value: Any) -> Any:
    """``value`` as nested tuples that compare equal when two configs say the same thing: an expression by
    its source (not the config path it was written at), an auth block without its path, a mapping
    whatever its key order; any other object by identity."""
    if value is None or isinstance(value, str | int | float | bool | bytes):
        return value
    if isinstance(value, Expression):
        return ("expression", value.source)
    if is_dataclass(value) and not isinstance(value, type):
        skip = {"path"} if isinstance(value, AuthSpec) else set()
        return (type(value).__name__, *((f.name, _comparable(getattr(value, f.name)))
                                        for f in fields(value) if f.compare and f.name not in skip))
    if isinstance(value, Mapping):
        return ("mapping", *sorted(((repr(key), _comparable(item)) for key, item in value.items()),
                                   key=lambda pair: pair[0]))
    if isinstance(value, list | tuple):
        return ("sequence", *(_comparable(item) for item in value))
    if isinstance(value, frozenset | set):
        return ("set", *sorted(repr(item) for item in value))
    return ("object", id(value))


def fingerprint(prepared: requests.PreparedRequest) -> str | None:
    """A digest of what goes out: method, URL (query pairs sorted), headers, body; None for a streamed body.

    A digest rather than the parts: the key a cache holds then carries no credential.
    """
    body = prepared.body
    if body is not None and not isinstance(body, bytes | str):
        return None
    url = urlsplit(prepared.url or "")
    query = "&".join(sorted(url.query.split("&"))) if url.query else ""
    digest = hashlib.sha256()
    for piece in (prepared.method or "", url.scheme, url.netloc, url.path, query):
        digest.update(piece.encode())
        digest.update(b"\0")
    for name, value in sorted((str(k).lower(), str(v)) for k, v in prepared.headers.items()):
        digest.update(f"{name}:{value}\0".encode())
    digest.update(body.encode() if isinstance(body, str) else (body or b""))
    return digest.hexdigest()


@dataclass(slots=True, eq=False)
class _Entry:
    """One request of a group: in flight until ``ready``; then its page, or ``failed``."""

    taken: set[str]
    ready: threading.Event = field(default_factory=threading.Event)
    page: Page | None = None
    failed: bool = False


class SharedPages:
    """The responses one group of resources fetched; see the module docstring."""

    def __init__(self, members: Iterable[str], *, capacity: int = SHARED_PAGES,
                 capacity_bytes: int = SHARED_BYTES) -> None:
        self.members = frozenset(members)
        self.capacity = capacity
        self.capacity_bytes = capacity_bytes
        self._live = set(self.members)
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0  # the bodies of the pages kept
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Responses kept now."""
        with self._lock:
            return len(self._entries)

    def fetch(self, member: str, key: str | None, fetch: Callable[[], Page]) -> tuple[Page, bool]:
        """The page for the request ``key`` identifies, and whether another member's request served it.

        ``fetch`` makes the request (with its retries); it runs here unless an identical request of another
        member is in flight or done, and again when that one failed.
        """
        if key is None:
            return fetch(), False
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = _Entry(taken={member})
                self._trim()
                lead = True
            elif member in entry.taken:  # the member asks again for what it had: its own request
                entry = None
            else:
                entry.taken.add(member)
                lead = False
        if entry is None:
            return fetch(), False
        if lead:
            return self._lead(key, entry, fetch), False
        entry.ready.wait()  # an identical request in flight: never a wait on any member's consumer
        if entry.failed or entry.page is None:
            return fetch(), False
        with self._lock:
            self._drop_if_done(key, entry)
        return reparse(entry.page), True

    def _lead(self, key: str, entry: _Entry, fetch: Callable[[], Page]) -> Page:
        try:
            page = fetch()
        except BaseException:
            with self._lock:
                entry.failed = True
                if self._entries.get(key) is entry:
                    del self._entries[key]
            entry.ready.set()
            raise
        with self._lock:
            entry.page = Page(page.response, None, ignored=page.ignored)  # the bytes; not the sender's records
            if self._entries.get(key) is entry:
                self._bytes += _size(entry)
            self._drop_if_done(key, entry)
            self._trim()
        entry.ready.set()
        return page

    def finish(self, member: str) -> None:
        """``member`` makes no more requests in this stream: keep nothing for it."""
        with self._lock:
            self._live.discard(member)
            for key, entry in list(self._entries.items()):
                self._drop_if_done(key, entry)

    def begin(self, member: str) -> None:
        """``member`` starts a stream (again): keep what it has yet to take."""
        with self._lock:
            self._live.add(member)

    def clear(self) -> None:
        """Drop every finished response (the run ends)."""
        with self._lock:
            for key, entry in list(self._entries.items()):
                if entry.ready.is_set():
                    self._remove(key)

    def _drop_if_done(self, key: str, entry: _Entry) -> None:
        if entry.page is not None and entry.taken >= self._live and self._entries.get(key) is entry:
            self._remove(key)

    def _trim(self) -> None:
        """At most ``capacity`` entries and ``capacity_bytes`` of bodies: the oldest finished ones go (one in
        flight stays until it ends)."""
        if len(self._entries) <= self.capacity and self._bytes <= self.capacity_bytes:
            return  # the usual case: no walk over the entries
        for key in [k for k, e in self._entries.items() if e.page is not None]:
            if len(self._entries) <= self.capacity and self._bytes <= self.capacity_bytes:
                return
            self._remove(key)

    def _remove(self, key: str) -> None:
        entry = self._entries.pop(key)
        if entry.page is not None:
            self._bytes -= _size(entry)


def _size(entry: _Entry) -> int:
    """The bytes of an entry's body (what it holds in memory)."""
    return len(entry.page.response.content or b"") if entry.page is not None else 0
