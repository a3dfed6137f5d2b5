"""The transport-free core of a running simulated API: auth, faults, rate limits, routes, the log."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qsl

from restloom.testing.faults import Fault, FaultPlan
from restloom.testing.log import RequestLog, RequestRecord
from restloom.testing.ratelimit import RateLimiter, Window, WindowState
from restloom.testing.vendor import BuildOptions, Context, Vendor, dispatch
from restloom.testing.wire import Request, Response, error

__all__ = ["Outcome", "Simulation"]

_CACHE_LIMIT = 20_000


@dataclass(frozen=True)
class Outcome:
    """What the transport does: wait ``delay_s``, then send ``response`` (None: drop the connection)."""

    response: Response | None
    delay_s: float


class Simulation:
    """Answers requests for one vendor; thread-safe; knows nothing about sockets."""

    def __init__(self, vendor: Vendor, options: BuildOptions, *, faults: FaultPlan | None = None,
                 rate_limit: bool = False, rate_limit_scale: float = 1.0, latency_ms: float = 0,
                 rate_windows: tuple[Window, ...] | None = None) -> None:
        self.vendor = vendor
        self.rate_windows = rate_windows or vendor.rate_windows
        self.options = options
        self.data = vendor.build(options)
        self.credentials = vendor.credentials(options.seed)
        self.faults = faults
        self.limiter = RateLimiter(self.rate_windows, scale=rate_limit_scale) if rate_limit else None
        self.scale = rate_limit_scale
        self.latency_s = latency_ms / 1000
        self.log = RequestLog()
        self.cache: dict[tuple[str, str, tuple[tuple[str, str], ...], bytes], Response] = {}
        self._lock = threading.Lock()
        self._overall = 0
        self._per_path: Counter[str] = Counter()
        self.in_flight = 0
        self.peak_in_flight = 0

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Count a request as in flight while the transport answers it (``peak_in_flight`` is the most
        the server ever had at once: what a client's concurrency bound is checked against)."""
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1

    def handle(self, method: str, target: str, headers: dict[str, str], root_url: str, *,
               body: bytes = b"") -> Outcome:
        """Answer one request: its method, request target, lower-cased headers, the server root and body."""
        arrived, in_flight = time.monotonic(), self.in_flight
        path, _, raw_query = target.partition("?")
        pairs = tuple(parse_qsl(raw_query, keep_blank_values=True))
        request = Request(method=method, path=path, query_pairs=pairs, headers=headers,
                          root_url=root_url, query=dict(pairs), body=body)
        overall, per_path = self._count(path)
        auth = self.vendor.authenticate(request, self.credentials)
        fault = None
        if auth in ("none", "invalid"):
            response: Response | None = error(401, "missing or invalid credentials")
        else:
            fault = (self.faults.pick(path=path, overall=overall, per_path=per_path, query=request.query)
                     if self.faults else None)
            response = self._answer(request, fault)
        status = response.status if response is not None else 0
        self.log.append(RequestRecord(method=method, path=path, query=dict(pairs), query_pairs=list(pairs),
                                      auth=auth, status=status, fault=fault.name if fault else None,
                                      body=body.decode("utf-8", "replace"), at=arrived, in_flight=in_flight))
        delay = self.latency_s + (fault.delay_ms / 1000 if fault and fault.kind == "slow" else 0)
        return Outcome(response, delay)

    def _count(self, path: str) -> tuple[int, int]:
        with self._lock:
            self._overall += 1
            self._per_path[path] += 1
            return self._overall, self._per_path[path]

    def _answer(self, request: Request, fault: Fault | None) -> Response | None:
        if fault is None or fault.kind == "slow":
            throttled, extra = self._limit(request)
            if throttled is not None:
                return throttled
            response = self._routed(request)
            return Response(response.status, response.body, response.headers + extra) if extra else response
        if fault.kind == "drop":
            return None
        if fault.kind == "empty":
            return Response(200, b"")
        if fault.kind == "truncate":
            full = self._routed(request)
            return Response(200, full.body[: max(len(full.body) // 2, 1)], full.headers)
        return self._fault_status(fault)

    def _fault_status(self, fault: Fault) -> Response:
        if fault.status == 429 and fault.vendor_headers:
            states = tuple(WindowState(window=w, remaining=-1, reset_s=w.seconds * self.scale,
                                       period_s=w.seconds * self.scale) for w in self.rate_windows)
            response = self.vendor.throttled(states)
        else:
            response = error(fault.status, f"injected fault: HTTP {fault.status}")
        if fault.retry_after is not None:
            kept = tuple(h for h in response.headers if h[0].lower() != "retry-after")
            response = Response(response.status, response.body, (*kept, ("Retry-After", fault.retry_after)))
        return response

    def _limit(self, request: Request) -> tuple[Response | None, tuple[tuple[str, str], ...]]:
        """Count the request: a 429 when over the limit, else the vendor's rate headers to add."""
        scope = self.vendor.rate_scope(request.path) if self.limiter is not None else None
        if self.limiter is None or scope is None:
            return None, ()
        states = self.limiter.hit(scope)
        if any(s.exceeded for s in states):
            return self.vendor.throttled(states), ()
        return None, self.vendor.rate_headers(states)

    def _routed(self, request: Request) -> Response:
        """The normal answer, pre-rendered 200s served from the cache."""
        auth_params = self.vendor.query_auth_params
        key = (request.method, request.path, tuple(p for p in request.query_pairs if p[0] not in auth_params),
               request.body)
        response = self.cache.get(key)
        if response is None:
            response = dispatch(self.vendor.routes, Context(data=self.data, options=self.options), request)
            if response.status == 200:
                if len(self.cache) >= _CACHE_LIMIT:
                    self.cache = {}
                self.cache[key] = response
        return response

    def forget_cache(self) -> None:
        """Drop pre-rendered pages (after the data changed)."""
        self.cache = {}
