"""The HTTP side of a run: one pooled ``requests`` session, a bound on requests in flight, retries
decided by the resource's RetryPolicy, and a connect timeout, a read timeout and a total deadline on
every request (the endpoint's ``Timeouts``; the total one is kept by ``restloom.http.deadline``).

We send with ``requests`` directly rather than through dlt's ``RESTClient.paginate`` because the
loop needs what that method hides: a retry decision per response (Retry-After, vendor rate-limit
headers), one JSON parse per page with orjson shared by the paginator and the selector, request
counts for the summary, and a global bound on concurrent requests across resources.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import orjson
import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from requests.utils import get_netrc_auth, resolve_proxies

from restloom.config.models import RetryPolicy, Timeouts
from restloom.errors import AuthError, ResponseError, RetriesExhausted
from restloom.http.actions import ResponseActions
from restloom.http.deadline import DeadlineAdapter, DeadlineExceeded, Watchdog
from restloom.http.limits import Limits, OriginGate, Ticket
from restloom.http.redact import Redactor
from restloom.http.retry import TRANSIENT_ERRORS, Decision, UnreadableBody, decide, error_kind
from restloom.http.scope import CredentialScope
from restloom.report import RunReport
from restloom.sensitive import origin
from restloom.text import truncate

_NO_CONTENT = frozenset({204, 205})  # statuses that carry no body by definition
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


class ScopedSession(requests.Session):
    """A session whose redirects to an origin outside ``scope`` drop every credential — requests itself drops
    only ``Authorization``, and only when the host changes; custom credential headers would follow."""

    def __init__(self, scope: CredentialScope | None) -> None:
        super().__init__()
        self.scope = scope

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        super().rebuild_auth(prepared_request, response)
        if self.scope is not None and not self.scope.allows(prepared_request.url or ""):
            removed = self.scope.strip_prepared(prepared_request)
            if removed:
                setattr(prepared_request, STRIPPED, removed)  # read back from response.history


STRIPPED = "restloom_stripped"


def _adopted(session: requests.Session, scope: CredentialScope | None) -> requests.Session:
    """The session a config passes in, as the run sends with it.

    A plain ``requests.Session`` (its class exactly) is copied into a ``ScopedSession`` — its headers, auth,
    cookies (the same jar), proxies, verify, hooks and every other setting as they are — whose adapters of
    requests' own class (what ``Session()`` mounts, or an ``HTTPAdapter`` with a ``Retry``) are
    ``DeadlineAdapter``s with the same pool sizes and retries (fresh pools). So the total deadline per request, the
    64 KiB reads and the credential scope on redirects hold for it too: without them a server trickling a
    byte at a time kept a run on such a session waiting forever. The user's object is left as it was.

    Any other session (a subclass: a cache's, dlt's own) or adapter (a test double, a transport of the
    user's) is kept as it is: requests sent through it get the connect and read timeouts only."""
    if type(session) is not requests.Session:
        return session
    adopted = ScopedSession(scope)
    for name in requests.Session.__attrs__:  # every setting, as requests pickles a session
        setattr(adopted, name, getattr(session, name))
    adopted.adapters = type(session.adapters)()
    for prefix, adapter in session.adapters.items():
        adopted.adapters[prefix] = _watched(adapter) if type(adapter) is HTTPAdapter else adapter
    return adopted


def _watched(adapter: HTTPAdapter) -> DeadlineAdapter:
    """A ``DeadlineAdapter`` with ``adapter``'s settings (as requests pickles an adapter), pools of its own."""
    state = {name: getattr(adapter, name) for name in HTTPAdapter.__attrs__}
    return DeadlineAdapter(pool_connections=state["_pool_connections"], pool_maxsize=state["_pool_maxsize"],
                           max_retries=state["max_retries"], pool_block=state["_pool_block"])


class Fetcher:
    """Sends requests for every resource of a run through one gate per origin (``restloom.http.limits``):
    at most ``concurrency`` in flight at first — a hard cap when ``fixed``, else a start the bound grows
    from while the API answers fast — and within the rate budget the API's headers announce.

    ``scope``: where credentials may go; a redirect elsewhere is followed without them. A session a config
    passes in (``client.session``) is sent through as ``_adopted`` says.
    """

    def __init__(self, *, concurrency: int, report: RunReport, redactor: Redactor,
                 session: requests.Session | None = None, sleep: Callable[[float], None] = time.sleep,
                 scope: CredentialScope | None = None, fixed: bool = True) -> None:
        self.scope = scope
        self.limits = Limits(concurrency, fixed=fixed)
        self.session = self._new_session(self.limits.ceiling, scope) if session is None else _adopted(session, scope)
        self._flight_lock = threading.Lock()
        self._proxy_cache: dict[str, dict[str, str]] = {}
        self._netrc_cache: dict[str, AuthBase | tuple[str, str]] = {}
        self._watchdog = Watchdog()
        self.in_flight = 0
        self.peak_in_flight = 0
        self.report, self.redactor, self._sleep = report, redactor, sleep

    @property
    def ceiling(self) -> int:
        """The most requests this fetcher ever has in flight to one origin (pools are sized to it)."""
        return self.limits.ceiling

    @staticmethod
    def _new_session(concurrency: int, scope: CredentialScope | None) -> requests.Session:
        session = ScopedSession(scope)
        adapter = DeadlineAdapter(pool_connections=concurrency, pool_maxsize=concurrency * 2)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def close(self) -> None:
        """Release the session's connections; the deadline thread ends."""
        self.session.close()
        self._watchdog.close()

    def fetch(self, request: requests.Request, *, resource: str, policy: RetryPolicy,
              actions: ResponseActions | None = None, timeouts: Timeouts | None = None) -> Page:
        """The page for ``request``, retrying as ``policy`` says; raise a ResourceError when it gives up.

        ``actions`` (the endpoint's response_actions) see every response first and may ignore it;
        ``timeouts`` bound each attempt (default: ``Timeouts()``).
        """
        attempt, timeouts = 0, timeouts or Timeouts()
        while True:
            page, decision = self._attempt(request, resource=resource, policy=policy, attempt=attempt,
                                           actions=actions, timeouts=timeouts)
            if page is not None:
                return page
            assert decision is not None
            self.report.count(resource, retries=1)
            self._sleep(decision.wait)
            attempt += 1

    def _attempt(
        self, request: requests.Request, *, resource: str, policy: RetryPolicy, attempt: int,
        actions: ResponseActions | None, timeouts: Timeouts,
    ) -> tuple[Page | None, Decision | None]:
        prepared = self.prepare(request)
        self.report.count(resource, requests=1)
        gate = self.limits.gate(origin(prepared.url or ""))
        try:
            with gate.slot(pace=policy.wait_scale > 0) as ticket, self._flying():
                response = self._exchange(gate, ticket, prepared, timeouts)
                self._note_redirects(resource, response)
                if actions and _ignored(actions, response, resource=resource):
                    return Page(response, None, ignored=True), None
                document = self._parse(response)
        except TRANSIENT_ERRORS as exc:
            decision = decide(policy, attempt=attempt, error=exc)
            if decision.action == "retry":
                return None, decision
            raise RetriesExhausted(resource, _describe_error(exc, url=self.redactor.url(prepared.url or ""),
                                                             attempt=attempt, timeouts=timeouts,
                                                             target=prepared.url or "")) from exc
        decision = decide(policy, attempt=attempt, status=response.status_code, headers=response.headers)
        if decision.action == "ok":
            return Page(response, document), None
        if decision.action == "retry":
            return None, decision
        # the URL is redacted only for a message (a few dozen microseconds a request otherwise)
        raise self._failure(resource, response, url=self.redactor.url(prepared.url or ""), attempt=attempt,
                            policy=policy)

    def _exchange(self, gate: OriginGate, ticket: Ticket, prepared: requests.PreparedRequest,
                  timeouts: Timeouts) -> requests.Response:
        """Send through ``gate``: its bound learns from the status and latency, its budget from the headers."""
        try:
            response = self._send(prepared, timeouts)
        except BaseException:
            gate.done(ticket, status=None, headers=None)
            raise
        gate.done(ticket, status=response.status_code, headers=response.headers)
        return response

    def _send(self, prepared: requests.PreparedRequest, timeouts: Timeouts) -> requests.Response:
        """Send and read the whole response (not streamed) within the timeouts and the total deadline."""
        passed = f"total deadline of {timeouts.total:g} s passed"
        with self._watchdog.watch(timeouts.total) as watch:
            try:
                response = self.session.send(prepared, timeout=(timeouts.connect, timeouts.read),
                                             proxies=self._proxies(prepared))
            except requests.RequestException as exc:
                if watch.fired:
                    raise DeadlineExceeded(passed) from exc
                raise
        if watch.fired:  # the socket was shut down mid-response: what arrived may be cut short (headers too)
            response.close()
            raise DeadlineExceeded(passed)
        return response

    def prepare(self, request: requests.Request) -> requests.PreparedRequest:
        """``request`` as this fetcher sends it (the session's defaults, the host's ``.netrc`` credentials)."""
        return self.session.prepare_request(self._netrc(request))

    def _netrc(self, request: requests.Request) -> requests.Request:
        """``request`` with the ``.netrc`` credentials of its host looked up once per origin: requests reads
        the netrc file (and checks for it on disk) on every request that has no auth of its own. A copy
        carries what requests would find (or an auth that adds nothing), so requests does not look again."""
        if request.auth is not None or self.session.auth is not None or not self.session.trust_env:
            return request
        key = origin(request.url or "")
        with self._flight_lock:
            found = self._netrc_cache.get(key)
        if found is None:
            found = get_netrc_auth(request.url) or _NoAuth()
            with self._flight_lock:
                self._netrc_cache[key] = found
        carried = copy.copy(request)
        carried.auth = found
        return carried

    def _proxies(self, prepared: requests.PreparedRequest) -> dict[str, str]:
        """The proxies for ``prepared``'s origin, resolved once per origin: requests resolves them from the
        environment on every send (three reads of the whole environment, a third of the client's CPU per
        request in a large fan-out); the answer depends only on the scheme and host."""
        key = origin(prepared.url or "")
        with self._flight_lock:
            found = self._proxy_cache.get(key)
        if found is None:
            found = resolve_proxies(prepared, dict(self.session.proxies), self.session.trust_env)
            with self._flight_lock:
                self._proxy_cache[key] = found
        return dict(found)

    def _note_redirects(self, resource: str, response: requests.Response) -> None:
        """Warn about each redirect hop that went without credentials (names the host, once per resource)."""
        if self.scope is None or not response.history:
            return
        for hop in [*response.history[1:], response]:
            removed = getattr(hop.request, STRIPPED, None)
            if removed:
                self.scope.warn(self.report, resource, hop.request.url or "", removed)

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
        """The JSON document of a 2xx response; None for any other, a 204/205 or a HEAD.

        Any other 2xx must carry JSON: an empty body is an unreadable one (retried, then a failure), never
        a quiet end of the list.
        """
        status = response.status_code
        head = response.request is not None and response.request.method == "HEAD"
        if not 200 <= status < 300 or status in _NO_CONTENT or head:
            return None
        content = response.content
        if not content.strip():
            raise UnreadableBody(f"empty body (HTTP {status}, expected JSON)")
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


def reparse(page: Page) -> Page:
    """``page`` with a document of its own, parsed again from the response's bytes: a response read by
    several resources gives each records no other resource's processing can change."""
    return Page(page.response, None if page.ignored else Fetcher._parse(page.response), ignored=page.ignored)


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


def _describe_error(exc: BaseException, *, url: str, attempt: int, timeouts: Timeouts, target: str) -> str:
    """Why a request failed for good: which deadline passed, a host that does not resolve or refuses."""
    kind = error_kind(exc)
    parsed = urlparse(target)
    host = parsed.hostname or "?"
    retries = f"after {attempt} retries"
    if kind == "unresolved":
        return f"could not resolve host {host} at {url} (not retried): check the host name in the base URL"
    if kind == "refused":
        return (f"connection refused by {host}:{parsed.port or _DEFAULT_PORTS.get(parsed.scheme, '?')} at {url} "
                f"{retries}: is the service up, and is the base URL right?")
    described = {
        "deadline": f"total deadline of {timeouts.total:g} s passed (the response was still arriving)",
        "connect_timeout": f"could not connect within {timeouts.connect:g} s (connect timeout)",
        "read_timeout": f"no data for {timeouts.read:g} s (read timeout)",
        "timeout": "timed out",
        "unreadable": str(exc),
    }.get(kind, "connection failed or dropped")
    return f"{described} at {url} {retries}"


_DEFAULT_PORTS = {"http": 80, "https": 443}


class _NoAuth(AuthBase):
    """No credentials: what requests does for a request its host's ``.netrc`` has none for."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request
