"""The adaptive bound (AIMD) and the rate budget read from vendor headers, as pure state machines."""

from __future__ import annotations

import math

import pytest

from restloom.http.limits import ADAPTIVE_CEILING, Aimd, Limits, RateBudget, rate_windows


def _fast(aimd: Aimd, count: int, *, at: float = 1.0, latency: float = 0.2) -> None:
    for _ in range(count):
        aimd.observe(sent_at=at - latency, now=at, latency=latency, throttled=False)


def test_slow_start_doubles_the_bound_per_round_trip_up_to_the_ceiling() -> None:
    aimd = Aimd(8, 32)
    _fast(aimd, 8)
    assert aimd.bound == 16
    _fast(aimd, 16)
    assert aimd.bound == 32
    _fast(aimd, 50)
    assert aimd.bound == 32


def test_a_throttled_round_trip_halves_once_then_growth_is_additive() -> None:
    aimd = Aimd(8, 32)
    _fast(aimd, 24)
    assert aimd.bound == 32
    for _ in range(3):  # three 429s for requests sent before the first of them came back: one cut
        aimd.observe(sent_at=1.0, now=2.0, latency=1.0, throttled=True)
    assert (aimd.bound, aimd.cuts) == (16, 1)
    _fast(aimd, 17, at=3.0)  # about one round trip of fast answers: one more
    assert aimd.bound == 17
    aimd.observe(sent_at=2.5, now=3.5, latency=1.0, throttled=True)  # sent after the cut: cuts again
    assert (aimd.bound, aimd.cut_reasons) == (8, ["throttled", "throttled"])


def test_clearly_rising_latency_halves_the_bound_and_slow_answers_do_not_grow_it() -> None:
    aimd = Aimd(8, 32)
    _fast(aimd, 4, latency=0.2)
    assert aimd.bound == 12
    for _ in range(3):  # 0.45 s: slower than "fast", not yet "clearly rising"
        aimd.observe(sent_at=0.55, now=1.0, latency=0.45, throttled=False)
    assert (aimd.bound, aimd.cuts) == (12, 0)
    for step in range(10):
        aimd.observe(sent_at=2.0 + step, now=3.0 + step, latency=1.0, throttled=False)
    assert aimd.cuts >= 1
    assert set(aimd.cut_reasons) == {"latency"}
    assert aimd.bound <= 6


def test_an_explicit_concurrency_is_the_ceiling_the_default_may_grow() -> None:
    assert Limits(8, fixed=True).ceiling == 8
    assert Limits(8, fixed=False).ceiling == ADAPTIVE_CEILING
    assert Limits(50, fixed=False).ceiling == 50


@pytest.mark.parametrize(("headers", "expected"), [
    pytest.param({"ratelimit-limit": "20", "ratelimit-remaining": "7", "ratelimit-reset": "0.6"},
                 {"ratelimit": (20, 7, 0.6, 0.0)}, id="persona"),
    pytest.param({"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1000000030"},
                 {"x-ratelimit": (100, 0, 30.0, 0.0)}, id="epoch-seconds"),
    pytest.param({"x-ratelimit-limit-minute": "60", "x-ratelimit-remaining-minute": "59",
                  "x-ratelimit-limit-hour": "1200", "x-ratelimit-remaining-hour": "1199"},
                 {"x-ratelimit-minute": (60, 59, None, 60.0), "x-ratelimit-hour": (1200, 1199, None, 3600.0)},
                 id="yousign-units"),
    pytest.param({"X-RateLimit-State": "THROTTLED", "X-RateLimit-Period-In-Sec": "1"}, {}, id="opsgenie-429-only"),
    pytest.param({"ratelimit-limit": "x", "ratelimit-remaining": "3"}, {}, id="unreadable"),
])
def test_rate_windows_read_the_vendor_headers(headers: dict[str, str], expected: dict[str, object]) -> None:
    assert rate_windows(headers, now=0.0, wall=lambda: 1_000_000_000.0) == expected


def _budget(remaining: int, *, limit: int = 20, reset: float = 1.0, seq: int = 1) -> RateBudget:
    budget = RateBudget()
    budget.observe({"ratelimit-limit": str(limit), "ratelimit-remaining": str(remaining),
                    "ratelimit-reset": str(reset)}, seq=seq, now=10.0)
    return budget


def test_the_budget_sends_freely_while_half_remains_then_spreads_the_rest_to_the_reset() -> None:
    assert _budget(15).wait(now=10.0, sent=1, in_flight=0, last_send=10.0) == 0.0
    # 8 left, 0.8 s to the reset: one request every 0.1 s
    assert _budget(8, reset=0.8).wait(now=10.0, sent=1, in_flight=0, last_send=10.0) == pytest.approx(0.1)
    assert _budget(8, reset=0.8).wait(now=10.0, sent=1, in_flight=0, last_send=9.0) == 0.0


def test_requests_sent_after_the_reported_one_are_spent_and_an_empty_budget_waits_for_the_reset() -> None:
    # remaining 3 as of request 1, but requests 2..4 went out since: nothing left until the reset at 10.5
    assert _budget(3, reset=0.5).wait(now=10.1, sent=4, in_flight=3, last_send=10.0) == pytest.approx(0.4)
    assert _budget(0, reset=0.5).wait(now=10.0, sent=1, in_flight=0, last_send=10.0) == pytest.approx(0.5)


def test_after_the_reset_a_fresh_window_allows_its_limit_counting_what_was_in_flight() -> None:
    budget = _budget(0, limit=4, reset=0.5)
    assert budget.wait(now=11.0, sent=1, in_flight=1, last_send=10.0) == 0.0  # fresh: 1 in flight may land in it
    assert budget.wait(now=11.0, sent=3, in_flight=3, last_send=11.0) == 0.0
    assert budget.wait(now=11.0, sent=4, in_flight=4, last_send=11.0) == math.inf  # 4 counted: wait for news


def test_figures_from_an_older_request_do_not_replace_newer_ones() -> None:
    budget = _budget(5, seq=7)
    budget.observe({"ratelimit-limit": "20", "ratelimit-remaining": "19", "ratelimit-reset": "1"}, seq=3, now=10.2)
    assert budget.windows["ratelimit"].remaining == 5


def test_a_unit_window_without_a_reset_resets_a_whole_unit_after_its_count_last_rose() -> None:
    """Yousign says only limit and remaining per minute: the reset is taken as 60 s after the figures were
    first seen (or last rose), never earlier than the real one."""
    budget = RateBudget()
    figures = {"x-ratelimit-limit-minute": "60", "x-ratelimit-remaining-minute": "10"}
    budget.observe(figures, seq=1, now=100.0)
    assert budget.windows["x-ratelimit-minute"].reset_at == 160.0
    budget.observe({**figures, "x-ratelimit-remaining-minute": "9"}, seq=2, now=101.0)
    assert budget.windows["x-ratelimit-minute"].reset_at == 160.0  # falling: the same window
    assert budget.wait(now=101.0, sent=2, in_flight=0, last_send=101.0) == pytest.approx(59.0 / 9)
    budget.observe({**figures, "x-ratelimit-remaining-minute": "59"}, seq=3, now=130.0)
    assert budget.windows["x-ratelimit-minute"].reset_at == 190.0  # rose: a new window began
