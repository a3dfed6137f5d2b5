"""Tests for restloom.http.retry: the decision and header waits; restloom.config.retry: the error_handler block."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NameResolutionError, ReadTimeoutError

from restloom.config.models import DEFAULT_RETRY_STATUSES, RetryPolicy
from restloom.config.retry import retry_policy_from_config
from restloom.errors import ConfigError, ConfigIssue
from restloom.http.deadline import DeadlineExceeded
from restloom.http.retry import Decision, decide, error_kind, parse_retry_after, wait_from_headers

EXACT = RetryPolicy(jitter=0.0)
NOW = 1445412470.0  # Wed, 21 Oct 2015 07:27:50 GMT


def test_defaults() -> None:
    """The default policy is the documented one."""
    assert RetryPolicy() == RetryPolicy(
        retry_on_status=frozenset({429, 500, 502, 503, 504}),
        max_retries=5,
        backoff_factor=1.0,
        backoff_max=60.0,
        jitter=0.25,
        retry_after_max=300.0,
        retry_on_errors=True,
        wait_scale=1.0,
    )
    assert frozenset({429, 500, 502, 503, 504}) == DEFAULT_RETRY_STATUSES


def test_exponential_backoff_without_jitter() -> None:
    """Waits double from backoff_factor and are capped at backoff_max."""
    policy = RetryPolicy(jitter=0.0, max_retries=10, backoff_max=20.0)
    waits = [decide(policy, attempt=n, status=503).wait for n in range(7)]
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 20.0, 20.0]
    factor_two = RetryPolicy(jitter=0.0, backoff_factor=2.0)
    assert [decide(factor_two, attempt=n, status=500).wait for n in range(4)] == [2.0, 4.0, 8.0, 16.0]


def test_huge_attempt_does_not_overflow() -> None:
    """A very large attempt number still gives the capped wait."""
    policy = RetryPolicy(jitter=0.0, max_retries=10**6)
    assert decide(policy, attempt=5000, status=503).wait == 60.0


def test_jitter_stays_within_bounds() -> None:
    """With jitter 0.25 a wait of 4 s lands in [3, 5]."""
    policy = RetryPolicy(jitter=0.25)
    waits = {decide(policy, attempt=2, status=502).wait for _ in range(200)}
    assert all(3.0 <= wait <= 5.0 for wait in waits)
    assert len(waits) > 1


@pytest.mark.parametrize(
    ("status", "attempt", "expected"),
    [
        (200, 0, Decision(action="ok", wait=0.0, reason="HTTP 200")),
        (204, 3, Decision(action="ok", wait=0.0, reason="HTTP 204")),
        (404, 0, Decision(action="fail", wait=0.0, reason="HTTP 404")),
        (401, 0, Decision(action="fail", wait=0.0, reason="HTTP 401")),
        (301, 0, Decision(action="fail", wait=0.0, reason="HTTP 301")),
        (503, 0, Decision(action="retry", wait=1.0, reason="HTTP 503")),
        (429, 4, Decision(action="retry", wait=16.0, reason="HTTP 429")),
        (429, 5, Decision(action="fail", wait=0.0, reason="HTTP 429")),
        (500, 9, Decision(action="fail", wait=0.0, reason="HTTP 500")),
    ],
)
def test_status_decisions(status: int, attempt: int, expected: Decision) -> None:
    """2xx is ok, other non-retry statuses fail, retry statuses retry until max_retries."""
    assert decide(EXACT, attempt=attempt, status=status) == expected


@pytest.mark.parametrize(
    ("headers", "status", "expected"),
    [
        ({"Retry-After": "2"}, 429, Decision(action="retry", wait=2.0, reason="HTTP 429 (Retry-After: 2)")),
        ({"retry-after": "7"}, 503, Decision(action="retry", wait=7.0, reason="HTTP 503 (retry-after: 7)")),
        (
            {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"},
            429,
            Decision(
                action="retry", wait=10.0, reason="HTTP 429 (Retry-After: Wed, 21 Oct 2015 07:28:00 GMT)"
            ),
        ),
        (
            {"Retry-After": "3600"},
            429,
            Decision(action="retry", wait=300.0, reason="HTTP 429 (Retry-After: 3600)"),
        ),
        (
            {"X-RateLimit-State": "THROTTLED", "X-RateLimit-Period-In-Sec": "60"},
            429,
            Decision(action="retry", wait=60.0, reason="HTTP 429 (X-RateLimit-Period-In-Sec: 60)"),
        ),
        (
            {"x-ratelimit-period-in-sec": "1"},
            429,
            Decision(action="retry", wait=1.0, reason="HTTP 429 (x-ratelimit-period-in-sec: 1)"),
        ),
        (
            {"ratelimit-limit": "300", "ratelimit-remaining": "0", "RateLimit-Reset": "42"},
            429,
            Decision(action="retry", wait=42.0, reason="HTTP 429 (RateLimit-Reset: 42)"),
        ),
        ({"ratelimit-reset": "42"}, 503, Decision(action="retry", wait=1.0, reason="HTTP 503")),
        ({"Retry-After": "soon"}, 429, Decision(action="retry", wait=1.0, reason="HTTP 429")),
        (
            {"Retry-After": "soon", "ratelimit-reset": "5"},
            429,
            Decision(action="retry", wait=5.0, reason="HTTP 429 (ratelimit-reset: 5)"),
        ),
    ],
)
def test_header_waits(headers: dict[str, str], status: int, expected: Decision) -> None:
    """Retry-After (any retry status) and vendor headers (429 only) replace backoff, capped."""
    assert decide(EXACT, attempt=0, status=status, headers=headers, now=NOW) == expected


def test_header_wait_is_capped_by_retry_after_max_and_scaled() -> None:
    """retry_after_max caps header waits before wait_scale multiplies them."""
    policy = RetryPolicy(jitter=0.0, retry_after_max=30.0, wait_scale=0.5)
    assert decide(policy, attempt=0, status=429, headers={"Retry-After": "100"}).wait == 15.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2", 2.0),
        (" 120 ", 120.0),
        ("1.5", 1.5),
        ("0", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 10.0),
        ("Wed, 21 Oct 2015 07:28:00 -0000", 10.0),
        ("Wed, 21 Oct 2015 07:20:00 GMT", 0.0),
        ("-5", None),
        ("inf", None),
        ("nan", None),
        ("", None),
        ("tomorrow", None),
        ("Wed, 99 Foo 2015", None),
    ],
)
def test_parse_retry_after(value: str, expected: float | None) -> None:
    """Seconds or an HTTP date (past dates give 0); anything else is None."""
    assert parse_retry_after(value, now=NOW) == expected


def test_wait_from_headers_reads_all_sources() -> None:
    """wait_from_headers prefers Retry-After, then the vendor headers, case-insensitively."""
    assert wait_from_headers({"RETRY-AFTER": "4", "ratelimit-reset": "9"}, now=NOW) == 4.0
    assert wait_from_headers({"X-RateLimit-Period-In-Sec": "60"}) == 60.0
    assert wait_from_headers({"Ratelimit-Reset": "9"}) == 9.0
    assert wait_from_headers({"Content-Type": "application/json"}) is None


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (requests.exceptions.ReadTimeout(), Decision(action="retry", wait=1.0, reason="timeout")),
        (requests.exceptions.ConnectTimeout(), Decision(action="retry", wait=1.0, reason="timeout")),
        (
            requests.exceptions.ConnectionError(),
            Decision(action="retry", wait=1.0, reason="connection dropped"),
        ),
        (
            requests.exceptions.ChunkedEncodingError(),
            Decision(action="retry", wait=1.0, reason="connection dropped"),
        ),
        (json.JSONDecodeError("x", "{", 1), Decision(action="retry", wait=1.0, reason="unreadable body")),
        (
            requests.exceptions.JSONDecodeError("x", "{", 1),
            Decision(action="retry", wait=1.0, reason="unreadable body"),
        ),
        (KeyError("id"), Decision(action="fail", wait=0.0, reason="KeyError")),
        (requests.exceptions.InvalidURL(), Decision(action="fail", wait=0.0, reason="InvalidURL")),
    ],
)
def test_error_decisions(error: BaseException, expected: Decision) -> None:
    """Timeouts, dropped connections and unreadable bodies retry; other exceptions fail."""
    assert decide(EXACT, attempt=0, error=error) == expected


def test_errors_respect_switch_and_max_retries() -> None:
    """retry_on_errors=False fails at once; max_retries bounds error retries too."""
    no_errors = RetryPolicy(retry_on_errors=False)
    dropped = requests.exceptions.ConnectionError()
    assert decide(no_errors, attempt=0, error=dropped) == Decision(
        action="fail", wait=0.0, reason="connection dropped"
    )
    assert decide(EXACT, attempt=5, error=dropped) == Decision(
        action="fail", wait=0.0, reason="connection dropped"
    )
    assert decide(EXACT, attempt=4, error=dropped) == Decision(
        action="retry", wait=16.0, reason="connection dropped"
    )


def test_an_unresolved_host_fails_at_once_and_a_refusal_gets_a_short_budget() -> None:
    """DNS failures are never retried; a refused connection twice at most, waiting at most 1 s; a total
    deadline overrun once."""
    unresolved = requests.exceptions.ConnectionError(
        NameResolutionError("h.invalid", None, socket.gaierror(-2, "Name or service not known")))  # type: ignore[arg-type]
    assert decide(EXACT, attempt=0, error=unresolved) == Decision(
        action="fail", wait=0.0, reason="could not resolve host")
    refused = requests.exceptions.ConnectionError(ConnectionRefusedError(111, "Connection refused"))
    decisions = [decide(EXACT, attempt=n, error=refused) for n in range(3)]
    assert decisions == [Decision(action="retry", wait=1.0, reason="connection refused"),
                         Decision(action="retry", wait=1.0, reason="connection refused"),
                         Decision(action="fail", wait=0.0, reason="connection refused")]
    assert decide(RetryPolicy(max_retries=1), attempt=1, error=refused).action == "fail"
    overrun = DeadlineExceeded("total deadline of 300 s passed")
    assert [decide(EXACT, attempt=n, error=overrun).action for n in range(2)] == ["retry", "fail"]


@pytest.mark.parametrize(("error", "kind"), [
    (requests.exceptions.ConnectTimeout(MaxRetryError(None, "/", ConnectTimeoutError())), "connect_timeout"),  # type: ignore[arg-type]
    (requests.exceptions.ReadTimeout(ReadTimeoutError(None, "/", "read timed out")), "read_timeout"),  # type: ignore[arg-type]
    (requests.exceptions.ConnectionError(ReadTimeoutError(None, "/", "read timed out")), "read_timeout"),  # type: ignore[arg-type]
    (DeadlineExceeded("total deadline of 1 s passed"), "deadline"),
    (requests.exceptions.Timeout(), "timeout"),
    (requests.exceptions.ChunkedEncodingError(), "dropped"),
    (KeyError("id"), "other"),
])
def test_error_kind_reads_the_wrapped_cause(error: BaseException, kind: str) -> None:
    """The kind comes from urllib3's exception inside requests' (a silent body is a read timeout)."""
    assert error_kind(error) == kind


def test_wait_scale_zero_makes_every_wait_zero() -> None:
    """Tests switch waits off with wait_scale=0.0, for backoff and header waits alike."""
    policy = RetryPolicy(wait_scale=0.0)
    assert decide(policy, attempt=3, status=503).wait == 0.0
    assert decide(policy, attempt=0, status=429, headers={"Retry-After": "60"}).wait == 0.0
    assert decide(policy, attempt=1, error=requests.exceptions.Timeout()).wait == 0.0


def test_policy_from_seed_error_handler() -> None:
    """The seed's error_handler block maps onto the policy."""
    raw = {"retry_on_status_codes": [429, 500, 502, 503, 504], "max_retries": 3, "backoff_factor": 2}
    assert retry_policy_from_config(raw, path="resources[0].endpoint.error_handler") == RetryPolicy(
        max_retries=3, backoff_factor=2.0
    )


def test_policy_from_config_overrides_base() -> None:
    """An endpoint block overrides only the keys it sets on top of the client's policy."""
    base = RetryPolicy(max_retries=1, wait_scale=0.0, jitter=0.0)
    policy = retry_policy_from_config(
        {"max_retries": 4, "retry_on_errors": False, "jitter": 0.5}, path="p", base=base
    )
    assert policy == RetryPolicy(max_retries=4, wait_scale=0.0, jitter=0.5, retry_on_errors=False)
    assert retry_policy_from_config({}, path="p", base=base) is not None
    assert retry_policy_from_config({}, path="p", base=base) == base


KNOWN = (
    "known: backoff_factor, backoff_max, jitter, max_retries, retry_after_max, retry_on_errors, "
    "retry_on_status_codes, wait_scale"
)


@pytest.mark.parametrize(
    ("raw", "issues"),
    [
        (
            {"max_retry": 3},
            [("eh.max_retry", f"unknown key 'max_retry' ({KNOWN}) — did you mean 'max_retries'?")],
        ),
        ({"strategy": "x"}, [("eh.strategy", f"unknown key 'strategy' ({KNOWN})")]),
        ({"max_retries": "3"}, [("eh.max_retries", "expected an integer >= 0, got str '3'")]),
        ({"max_retries": -1}, [("eh.max_retries", "expected an integer >= 0, got int -1")]),
        ({"max_retries": 2.5}, [("eh.max_retries", "expected an integer >= 0, got float 2.5")]),
        ({"max_retries": True}, [("eh.max_retries", "expected an integer >= 0, got bool True")]),
        ({"backoff_factor": "2"}, [("eh.backoff_factor", "expected a number >= 0, got str '2'")]),
        ({"wait_scale": float("nan")}, [("eh.wait_scale", "expected a number >= 0, got float nan")]),
        ({"jitter": 1.5}, [("eh.jitter", "expected a number between 0 and 1, got float 1.5")]),
        ({"retry_on_errors": "yes"}, [("eh.retry_on_errors", "expected true or false, got str 'yes'")]),
        (
            {"retry_on_status_codes": [429, "500"]},
            [
                (
                    "eh.retry_on_status_codes",
                    "expected a list of HTTP status codes (integers 100-599), got list [429, '500']",
                )
            ],
        ),
        (
            {"retry_on_status_codes": 429},
            [
                (
                    "eh.retry_on_status_codes",
                    "expected a list of HTTP status codes (integers 100-599), got int 429",
                )
            ],
        ),
        (
            {"max_retries": "x", "backoff": 1, "backoff_max": -2},
            [
                ("eh.max_retries", "expected an integer >= 0, got str 'x'"),
                ("eh.backoff", f"unknown key 'backoff' ({KNOWN}) — did you mean 'backoff_max'?"),
                ("eh.backoff_max", "expected a number >= 0, got int -2"),
            ],
        ),
    ],
)
def test_policy_from_config_errors(raw: dict[str, Any], issues: list[tuple[str, str]]) -> None:
    """Every problem in an error_handler block is reported at once, each with its path."""
    with pytest.raises(ConfigError) as caught:
        retry_policy_from_config(raw, path="eh")
    assert caught.value.issues == tuple(ConfigIssue(path, message) for path, message in issues)


def test_policy_from_config_rejects_non_mapping() -> None:
    """A list where the block belongs is one issue at the block's path."""
    with pytest.raises(ConfigError) as caught:
        retry_policy_from_config([429], path="eh")  # type: ignore[arg-type]
    assert caught.value.issues == (ConfigIssue("eh", "expected a mapping, got list"),)


def test_policy_from_config_does_not_mutate_input() -> None:
    """The config dict is read, not changed."""
    raw = {"retry_on_status_codes": [429], "max_retries": 3}
    retry_policy_from_config(raw, path="eh")
    assert raw == {"retry_on_status_codes": [429], "max_retries": 3}
