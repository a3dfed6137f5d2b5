"""Retries: a frozen policy plus one decision, ``decide(...) -> retry after N s | ok | fail``.

Why: rate limits (429), flaky gateways (5xx), timeouts, dropped connections and truncated bodies
are normal for the APIs we sync; whether to try again, and how long to wait, is one pure function
of the policy and what happened, so it can be tested without a server or a clock. Waits are
normalised to seconds once, here: ``Retry-After`` (seconds or an HTTP date) and, on 429, the
vendor headers ``X-RateLimit-Period-In-Sec`` (a duration) and ``ratelimit-reset`` (seconds until
the window resets) replace the exponential backoff, capped by ``retry_after_max``. Every wait is
multiplied by ``wait_scale``, so tests switch waits off with ``wait_scale=0.0``.

``call_with_retries`` runs the loop around a ``send`` callable with ``decide`` in charge.
"""

from __future__ import annotations

import difflib
import json
import math
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any, Literal, TypeVar

import requests

from restloom.errors import ConfigError, ConfigIssue

__all__ = [
    "DEFAULT_RETRY_STATUSES",
    "Decision",
    "RetryPolicy",
    "call_with_retries",
    "decide",
    "parse_retry_after",
    "retry_policy_from_config",
    "wait_from_headers",
]

T = TypeVar("T")

DEFAULT_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

_SECONDS = re.compile(r"\d+(\.\d+)?")
_TIMEOUTS = (requests.exceptions.Timeout, TimeoutError)
_DROPPED = (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError, ConnectionError)
_UNREADABLE = (
    json.JSONDecodeError,
    requests.exceptions.JSONDecodeError,
    requests.exceptions.ContentDecodingError,
)
# vendor headers read on 429 only, after Retry-After: all durations in seconds
_VENDOR_WAIT_HEADERS = ("x-ratelimit-period-in-sec", "ratelimit-reset")


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """When to retry a request and how long to wait; see the module docstring for the units."""

    retry_on_status: frozenset[int] = DEFAULT_RETRY_STATUSES
    max_retries: int = 5
    backoff_factor: float = 1.0
    backoff_max: float = 60.0
    jitter: float = 0.25
    retry_after_max: float = 300.0
    retry_on_errors: bool = True
    wait_scale: float = 1.0

    def backoff(self, attempt: int) -> float:
        """The unscaled exponential wait before retry ``attempt`` (0-based), jitter applied."""
        base = min(self.backoff_max, self.backoff_factor * 2.0 ** min(attempt, 64))  # 2**64 s exceeds any cap
        if self.jitter == 0:
            return base
        return base * random.uniform(1 - self.jitter, 1 + self.jitter)


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
        reason = _error_reason(error)
        retryable = policy.retry_on_errors and isinstance(error, _TIMEOUTS + _DROPPED + _UNREADABLE)
        if not retryable or attempt >= policy.max_retries:
            return Decision(action="fail", wait=0.0, reason=reason)
        return Decision(action="retry", wait=policy.backoff(attempt) * policy.wait_scale, reason=reason)
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


def _error_reason(error: BaseException) -> str:
    if isinstance(error, _TIMEOUTS):
        return "timeout"
    if isinstance(error, _DROPPED):
        return "connection dropped"
    if isinstance(error, _UNREADABLE):
        return "unreadable body"
    return type(error).__name__


def call_with_retries(
    send: Callable[[], T],
    *,
    policy: RetryPolicy,
    classify: Callable[
        [T | None, BaseException | None],
        tuple[int | None, Mapping[str, str] | None, BaseException | None],
    ],
    on_retry: Callable[[Decision, int], None],
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``send`` until ``decide`` says ok or fail; return the last result or re-raise the last error.

    ``classify(result, exception)`` turns an attempt into ``(status, headers, error)`` for ``decide``
    (the caller may flag an unreadable body as ``error``). ``on_retry(decision, attempt)`` is called
    before each wait, ``attempt`` being the retries already made (0 before the first retry). When the
    decision is "fail" for a response, that response is returned: the caller raises the right error.

    Written as a plain loop rather than on ``tenacity.Retrying``: tenacity splits one decision into
    separate retry/wait/stop callbacks that each see only its call state, so the single ``decide``
    result (whose jittered wait must be the one reported and slept) would have to be smuggled between
    them through shared mutable state; the loop below says the same in a dozen lines.
    """
    attempt = 0
    while True:
        result: T | None = None
        caught: Exception | None = None
        try:
            result = send()
        except Exception as exc:
            caught = exc
        status, headers, error = classify(result, caught)
        decision = decide(policy, attempt=attempt, status=status, headers=headers, error=error)
        if decision.action != "retry":
            if caught is not None:
                raise caught
            return result  # type: ignore[return-value]  # send() returned normally
        on_retry(decision, attempt)
        sleep(decision.wait)
        attempt += 1


_NUMBER = "a number >= 0"
_CONFIG_KEYS: dict[str, str] = {
    "retry_on_status_codes": "a list of HTTP status codes (integers 100-599)",
    "max_retries": "an integer >= 0",
    "backoff_factor": _NUMBER,
    "backoff_max": _NUMBER,
    "jitter": "a number between 0 and 1",
    "retry_after_max": _NUMBER,
    "retry_on_errors": "true or false",
    "wait_scale": _NUMBER,
}


def retry_policy_from_config(
    raw: Mapping[str, Any], *, path: str, base: RetryPolicy | None = None
) -> RetryPolicy:
    """A policy from a config ``error_handler`` block over ``base``; every problem in one ConfigError."""
    if not isinstance(raw, Mapping):
        raise ConfigError([ConfigIssue(path, f"expected a mapping, got {type(raw).__name__}")])
    issues: list[ConfigIssue] = []
    changes: dict[str, Any] = {}
    for key, value in raw.items():
        key_path = f"{path}.{key}" if path else str(key)
        if key not in _CONFIG_KEYS:
            issues.append(ConfigIssue(key_path, _unknown_key_message(str(key))))
            continue
        converted = _convert(key, value)
        if converted is None:
            expected = _CONFIG_KEYS[key]
            issues.append(ConfigIssue(key_path, f"expected {expected}, got {_show(value)}"))
            continue
        changes["retry_on_status" if key == "retry_on_status_codes" else key] = converted
    if issues:
        raise ConfigError(issues)
    return replace(base or RetryPolicy(), **changes)


def _convert(key: str, value: Any) -> Any:
    """The value as the policy field wants it, or None when it is not what ``key`` expects."""
    is_number = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if key == "retry_on_status_codes":
        valid = isinstance(value, list | tuple) and all(
            isinstance(code, int) and not isinstance(code, bool) and 100 <= code <= 599 for code in value
        )
        return frozenset(value) if valid else None
    if key == "max_retries":
        return value if is_number and isinstance(value, int) and value >= 0 else None
    if key == "retry_on_errors":
        return value if isinstance(value, bool) else None
    if not is_number or value < 0 or (key == "jitter" and value > 1):
        return None
    return float(value)


def _unknown_key_message(key: str) -> str:
    message = f"unknown key '{key}' (known: {', '.join(sorted(_CONFIG_KEYS))})"
    close = difflib.get_close_matches(key, list(_CONFIG_KEYS), n=1)
    return message + (f" — did you mean '{close[0]}'?" if close else "")


def _show(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"
