"""Retries: one decision, ``decide(policy, ...) -> retry after N s | ok | fail``.

Why: rate limits (429), flaky gateways (5xx), timeouts, dropped connections and truncated bodies
are normal for the APIs we sync; whether to try again, and how long to wait, is one pure function
of the policy (``restloom.config.retry.RetryPolicy``, parsed from ``error_handler``) and what
happened, so it can be tested without a server or a clock. Waits are normalised to seconds once,
here: ``Retry-After`` (seconds or an HTTP date) and, on 429, the vendor headers
``X-RateLimit-Period-In-Sec`` (a duration) and ``ratelimit-reset`` (seconds until the window resets)
replace the exponential backoff, capped by ``retry_after_max``. Every wait is multiplied by
``wait_scale``, so tests switch waits off with ``wait_scale=0.0``.

``TRANSIENT_ERRORS`` is the one list of exceptions a request may be retried after; the client
(``restloom.http.client``) runs the loop. Two transport failures are told apart from the rest
(``error_kind``) because retrying them mostly wastes time (``ERROR_RETRIES``): a host name that does
not resolve fails at once; a refused connection gets two quick retries (waits at most
``REFUSED_WAIT_MAX`` s) — nothing listens there, and a restart of the service takes seconds, not
minutes; a response that outlived its total deadline is tried once more.
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Literal

import requests
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, ReadTimeoutError

from restloom.config.models import RetryPolicy
from restloom.http.deadline import DeadlineExceeded

__all__ = [
    "TRANSIENT_ERRORS",
    "Decision",
    "UnreadableBody",
    "decide",
    "error_kind",
    "parse_retry_after",
    "wait_from_headers",
]


class UnreadableBody(Exception):
    """A 2xx response whose body is not complete JSON (a truncated or garbled body)."""


_SECONDS = re.compile(r"\d+(\.\d+)?")
_TIMEOUTS = (requests.exceptions.Timeout, TimeoutError)
_DROPPED = (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError, ConnectionError)
_UNREADABLE = (
    UnreadableBody,
    json.JSONDecodeError,
    requests.exceptions.JSONDecodeError,
    requests.exceptions.ContentDecodingError,
)
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = _TIMEOUTS + _DROPPED + _UNREADABLE
"""What a request may fail with and still be tried again (when the policy's ``retry_on_errors``)."""
ErrorKind = Literal["unresolved", "refused", "connect_timeout", "read_timeout", "deadline", "timeout",
                    "dropped", "unreadable", "other"]
ERROR_RETRIES: dict[ErrorKind, int] = {"unresolved": 0, "refused": 2, "deadline": 1}
"""The most retries after these kinds of error (fewer when the policy's ``max_retries`` is lower)."""
REFUSED_WAIT_MAX = 1.0
"""The longest wait, in seconds before scaling, before retrying a refused connection."""
# vendor headers read on 429 only, after Retry-After: all durations in seconds
_VENDOR_WAIT_HEADERS = ("x-ratelimit-period-in-sec", "ratelimit-reset")


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """What to do after one attempt: its action, the wait in seconds (scaled) and why."""

    action: Literal["retry", "fail", "ok"]
    wait: float
    reason: str


def decide(
    policy: RetryPolicy,
    *,
    attempt: int,
    status: int | None = None,
    headers: Mapping[str, str] | None = None,
    error: BaseException | None = None,
    now: float | None = None,
) -> Decision:
    """Decide after a response (``status``, ``headers``) or an ``error``; ``attempt`` = retries so far."""
    if error is not None:
        kind = error_kind(error)
        reason = _REASONS.get(kind, type(error).__name__)
        retryable = policy.retry_on_errors and isinstance(error, TRANSIENT_ERRORS)
        if not retryable or attempt >= min(policy.max_retries, ERROR_RETRIES.get(kind, policy.max_retries)):
            return Decision(action="fail", wait=0.0, reason=reason)
        wait = policy.backoff(attempt)
        return Decision(action="retry", wait=(min(wait, REFUSED_WAIT_MAX) if kind == "refused" else wait)
                        * policy.wait_scale, reason=reason)
    if status is None:
        return Decision(action="ok", wait=0.0, reason="no status and no error")
    reason = f"HTTP {status}"
    if 200 <= status < 300:
        return Decision(action="ok", wait=0.0, reason=reason)
    if status not in policy.retry_on_status or attempt >= policy.max_retries:
        return Decision(action="fail", wait=0.0, reason=reason)
    header = _header_wait(headers or {}, now=now, vendor=status == 429)
    if header is None:
        return Decision(action="retry", wait=policy.backoff(attempt) * policy.wait_scale, reason=reason)
    seconds, source = header
    wait = min(seconds, policy.retry_after_max) * policy.wait_scale
    return Decision(action="retry", wait=wait, reason=f"{reason} ({source})")


def parse_retry_after(value: str, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (seconds or an HTTP date); garbage gives None."""
    text = value.strip()
    if _SECONDS.fullmatch(text):
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": a date in UTC without a source zone
        when = when.replace(tzinfo=UTC)
    seconds = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds)


def wait_from_headers(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from ``Retry-After`` or the vendor rate-limit headers (uncapped, unscaled)."""
    found = _header_wait(headers, now=now, vendor=True)
    return None if found is None else found[0]


def _header_wait(headers: Mapping[str, str], *, now: float | None, vendor: bool) -> tuple[float, str] | None:
    """The wait and the header that gave it (``"Retry-After: 2"``), case-insensitive names."""
    lowered = {name.lower(): (name, value) for name, value in headers.items()}
    names = ("retry-after", *_VENDOR_WAIT_HEADERS) if vendor else ("retry-after",)
    for key in names:
        if key not in lowered:
            continue
        name, value = lowered[key]
        seconds = parse_retry_after(value, now=now) if key == "retry-after" else _duration(value)
        if seconds is not None:
            return seconds, f"{name}: {value.strip()}"
    return None


def _duration(value: str) -> float | None:
    text = value.strip()
    return float(text) if _SECONDS.fullmatch(text) else None


_REASONS: dict[ErrorKind, str] = {
    "unresolved": "could not resolve host", "refused": "connection refused", "connect_timeout": "timeout",
    "read_timeout": "timeout", "deadline": "timeout", "timeout": "timeout", "dropped": "connection dropped",
    "unreadable": "unreadable body",
}


def error_kind(error: BaseException) -> ErrorKind:
    """What went wrong, read from the exception and the ones it wraps (urllib3's inside requests')."""
    chain = list(_causes(error))
    kinds: tuple[tuple[ErrorKind, tuple[type[BaseException], ...]], ...] = (
        ("deadline", (DeadlineExceeded,)),
        ("unresolved", (NameResolutionError, socket.gaierror)),
        ("refused", (ConnectionRefusedError,)),
        ("connect_timeout", (ConnectTimeoutError, requests.exceptions.ConnectTimeout)),
        ("read_timeout", (ReadTimeoutError, requests.exceptions.ReadTimeout)),
    )
    for kind, types in kinds:
        if any(isinstance(cause, types) for cause in chain):
            return kind
    if isinstance(error, _TIMEOUTS):
        return "timeout"
    if isinstance(error, _UNREADABLE):
        return "unreadable"
    return "dropped" if isinstance(error, _DROPPED) else "other"


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and every exception it wraps: causes, contexts, urllib3's ``reason`` and exception args."""
    pending, seen = [error], set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args]
        pending.extend(item for item in linked if isinstance(item, BaseException))


