"""The HTTP side of a run: one pooled ``requests`` session, a bound on requests in flight, and
retries decided by the resource's RetryPolicy.

We send with ``requests`` directly rather than through dlt's ``RESTClient.paginate`` because the
loop needs what that method hides: a retry decision per response (Retry-After, vendor rate-limit
headers), one JSON parse per page with orjson shared by the paginator and the selector, request
counts for the summary, and a global bound on concurrent requests across resources.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson
import requests
from requests.adapters import HTTPAdapter

from restloom.config.models import RetryPolicy
from restloom.errors import AuthError, ResponseError, RetriesExhausted
from restloom.http.actions import ResponseActions
from restloom.http.redact import Redactor
from restloom.http.retry import TRANSIENT_ERRORS, Decision, UnreadableBody, decide
from restloom.report import RunReport
from restloom.text import truncate

_ROUNDED = re.compile(rb"e\+(?:1[89]|[2-9][0-9]|[1-9][0-9]{2})")
"""A float of 1e18 or more as orjson writes it: maybe an integer outside 64 bits that orjson read as a
(rounded) float. A regex over the raw body's digits would cost more than the parse itself."""


@dataclass(frozen=True, slots=True)
class Page:
    """One fetched page: the response (headers, status, URL) and its parsed JSON document.

    ``ignored``: a response action dropped the response (no document; the resource's pages end).
    """

    response: requests.Response
    document: Any
    ignored: bool = False


class ParsedResponse:
    """A requests.Response whose ``json()`` returns the document already parsed (dlt paginators call it)."""

    def __init__(self, page: Page) -> None:
        self._page = page

    def json(self, **_: Any) -> Any:
        return self._page.document

    def __getattr__(self, name: str) -> Any:
        return getattr(self._page.response, name)


class Fetcher:
    """Sends requests for every resource of a run, at most ``concurrency`` at a time."""

    def __init__(self, *, concurrency: int, report: RunReport, redactor: Redactor,
                 session: requests.Session | None = None, timeout: float = 60.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.session = session or self._new_session(concurrency)
        self._slots = threading.BoundedSemaphore(concurrency)
        self._flight_lock = threading.Lock()
        self.in_flight = 0
        self.peak_in_flight = 0
        self.report, self.redactor, self.timeout, self._sleep = report, redactor, timeout, sleep

    @staticmethod
    def _new_session(concurrency: int) -> requests.Session:
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=concurrency, pool_maxsize=concurrency * 2)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def close(self) -> None:
        """Release the session's connections."""
        self.session.close()

    def fetch(self, request: requests.Request, *, resource: str, policy: RetryPolicy,
              actions: ResponseActions | None = None) -> Page:
        """The page for ``request``, retrying as ``policy`` says; raise a ResourceError when it gives up.

        ``actions`` (the endpoint's response_actions) see every response first and may ignore it.
        """
        attempt = 0
        while True:
            page, decision = self._attempt(request, resource=resource, policy=policy, attempt=attempt,
                                           actions=actions)
            if page is not None:
                return page
            assert decision is not None
            self.report.count(resource, retries=1)
            self._sleep(decision.wait)
            attempt += 1

    def _attempt(
        self, request: requests.Request, *, resource: str, policy: RetryPolicy, attempt: int,
        actions: ResponseActions | None = None,
    ) -> tuple[Page | None, Decision | None]:
        prepared = self.session.prepare_request(request)
        url = self.redactor.url(prepared.url or "")
        self.report.count(resource, requests=1)
        try:
            with self._slots, self._flying():
                response = self.session.send(prepared, timeout=self.timeout)
                if actions and _ignored(actions, response, resource=resource):
                    return Page(response, None, ignored=True), None
                document = self._parse(response)
        except TRANSIENT_ERRORS as exc:
            decision = decide(policy, attempt=attempt, error=exc)
            if decision.action == "retry":
                return None, decision
            raise RetriesExhausted(resource, f"{_describe_error(exc)} at {url} after {attempt} retries") from exc
        decision = decide(policy, attempt=attempt, status=response.status_code, headers=response.headers)
        if decision.action == "ok":
            return Page(response, document), None
        if decision.action == "retry":
            return None, decision
        raise self._failure(resource, response, url=url, attempt=attempt, policy=policy)

    @contextmanager
    def _flying(self) -> Iterator[None]:
        """Count requests in flight (the peak shows how much the run overlapped)."""
        with self._flight_lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            yield
        finally:
            with self._flight_lock:
                self.in_flight -= 1

    @staticmethod
    def _parse(response: requests.Response) -> Any:
        if not 200 <= response.status_code < 300:
            return None
        content = response.content
        if not content.strip():
            return None
        try:
            document = orjson.loads(content)
        except orjson.JSONDecodeError as exc:
            raise UnreadableBody(f"body is not valid JSON ({len(content)} bytes): {exc}") from exc
        if not _maybe_rounded(document):
            return document
        try:  # integers exactly as written (the engine stores those beyond 64 bits as text)
            return json.loads(content)
        except (ValueError, RecursionError) as exc:  # nested deeper than Python's parser goes
            raise UnreadableBody(f"body nests too deep to read its numbers of 1e18 or more exactly "
                                 f"({len(content)} bytes)") from exc

    def _failure(self, resource: str, response: requests.Response, *, url: str, attempt: int,
                 policy: RetryPolicy) -> Exception:
        status = response.status_code
        body = truncate(self.redactor.text(response.text or ""), 200)
        if status in (401, 403):
            return AuthError(resource, f"HTTP {status} at {url}: the API refused the credentials "
                             f"(check the auth settings and the secret's value); body: {body}")
        if status in policy.retry_on_status:
            return RetriesExhausted(resource, f"HTTP {status} at {url}, still failing after {attempt} retries "
                                    f"(max_retries={policy.max_retries}); body: {body}")
        return ResponseError(resource, f"HTTP {status} at {url}; body: {body}")


def _maybe_rounded(document: Any) -> bool:
    """True when the parsed ``document`` holds a float of 1e18 or more: maybe an integer orjson rounded."""
    try:
        return _ROUNDED.search(orjson.dumps(document)) is not None
    except TypeError:  # nested past orjson's writer: look without recursion
        stack = [document]
        while stack:
            item = stack.pop()
            if isinstance(item, float) and abs(item) >= 1e18:
                return True
            if isinstance(item, dict | list):
                stack.extend(item.values() if isinstance(item, dict) else item)
        return False


def _ignored(actions: ResponseActions, response: requests.Response, *, resource: str) -> bool:
    """Whether a response action ignores ``response``; an action that raises fails the resource."""
    try:
        return actions.apply(response)
    except Exception as exc:
        raise ResponseError(resource, f"a response action failed on HTTP {response.status_code}: "
                            f"{type(exc).__name__}: {truncate(str(exc), 200)}") from exc


def _describe_error(exc: BaseException) -> str:
    if isinstance(exc, UnreadableBody):
        return str(exc)
    if isinstance(exc, requests.Timeout | TimeoutError):
        return "timed out"
    return "connection failed or dropped"
