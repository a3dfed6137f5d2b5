"""Each vendor's rate limiter trips at its limit with its own headers; windows scale for tests."""

from __future__ import annotations

import time
from typing import Any

import requests

from tests.testing.walkers import auth_headers


def _burst(api: Any, session: requests.Session, path: str, count: int) -> list[requests.Response]:
    session.headers.update(auth_headers(api))
    return [session.get(f"{api.base_url.rstrip('/')}/{path}") for _ in range(count)]


def test_rate_limits_are_off_by_default(simulated_api: Any, session: requests.Session) -> None:
    """Without rate_limit=True, 30 quick EasyPost requests all succeed and carry no limit headers."""
    api = simulated_api("easypost", size=3)
    assert {r.status_code for r in _burst(api, session, "batches", 30)} == {200}


def test_persona_counts_down_and_throttles_at_300(simulated_api: Any, session: requests.Session) -> None:
    """Persona: ratelimit-* on every response, the 301st request in the window is a 429."""
    api = simulated_api("persona", size=3, rate_limit=True, rate_limit_scale=0.5)
    responses = _burst(api, session, "accounts", 301)
    assert [r.status_code for r in responses].count(200) == 300
    assert responses[-1].status_code == 429
    assert responses[0].headers["ratelimit-limit"] == "300"
    assert [r.headers["ratelimit-remaining"] for r in responses[:3]] == ["299", "298", "297"]
    assert responses[-1].headers["ratelimit-remaining"] == "0"
    assert 0 < float(responses[-1].headers["ratelimit-reset"]) <= 30


def test_easypost_throttles_the_sixth_request_and_recovers(simulated_api: Any,
                                                          session: requests.Session) -> None:
    """EasyPost: 5 requests per (scaled) second, then 429 without Retry-After; the next window resets."""
    api = simulated_api("easypost", size=3, rate_limit=True, rate_limit_scale=0.2)
    responses = _burst(api, session, "batches", 6)
    assert [r.status_code for r in responses] == [200] * 5 + [429]
    assert "Retry-After" not in responses[-1].headers
    assert responses[-1].json()["error"]["code"] == "RATE_LIMITED"
    time.sleep(0.21)
    assert _burst(api, session, "batches", 1)[0].status_code == 200
    assert [r.fault for r in api.requests] == [None] * 7


def test_opsgenie_throttles_with_state_and_period(simulated_api: Any, session: requests.Session) -> None:
    """Opsgenie: 20 per second, then 429 with X-RateLimit-State and the (scaled) period."""
    api = simulated_api("opsgenie", size=3, rate_limit=True, rate_limit_scale=10)
    responses = _burst(api, session, "v2/teams", 21)
    assert [r.status_code for r in responses] == [200] * 20 + [429]
    assert responses[-1].headers["X-RateLimit-State"] == "THROTTLED"
    assert responses[-1].headers["X-RateLimit-Period-In-Sec"] == "10"


def test_yousign_minute_limit_with_headers(simulated_api: Any, session: requests.Session) -> None:
    """Yousign: minute and hour headers on every response, the 61st request in a minute is a 429."""
    api = simulated_api("yousign", size=3, rate_limit=True)
    responses = _burst(api, session, "users", 61)
    assert [r.status_code for r in responses] == [200] * 60 + [429]
    first = responses[0].headers
    assert [first[f"x-ratelimit-{k}"] for k in ("limit-minute", "remaining-minute", "limit-hour",
                                                 "remaining-hour")] == ["60", "59", "1200", "1199"]


def test_zendesk_exports_allow_ten_per_minute(simulated_api: Any, session: requests.Session) -> None:
    """Zendesk: the 11th export request in a minute is a 429 with Retry-After; lists are not affected."""
    api = simulated_api("zendesk_talk", size=3, rate_limit=True, rate_limit_scale=0.01)
    responses = _burst(api, session, "v1/stats/incremental/calls?start_time=0", 11)
    assert [r.status_code for r in responses] == [200] * 10 + [429]
    assert 0 < float(responses[-1].headers["Retry-After"]) <= 0.6
    assert _burst(api, session, "v1/addresses", 1)[0].status_code == 200
