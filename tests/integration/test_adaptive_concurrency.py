"""The bound on requests in flight adapts (AIMD), seen from the simulated server: it grows past the default
8 while answers come fast, halves on a 503, and an explicit ``concurrency`` stays a hard cap."""

from __future__ import annotations

from typing import Any

from restloom.config import parse
from restloom.config.models import Config, RetryPolicy
from restloom.engine import Run
from restloom.testing import FaultPlan, SimulatedAPI, serve
from tests.integration.configs import yousign_followers


def _followers(api: SimulatedAPI, config: Config) -> tuple[list[Any], Run]:
    with Run(config) as run:
        [parents] = [batch.rows for batch in run.pages(config.resource("signature_requests"))]
        children = [row for batch in run.child_pages(config.resource("followers"), parents) for row in batch.rows]
        return [(row["_signature_requests_id"], row["email"]) for row in children], run


def _truth(api: SimulatedAPI) -> list[Any]:
    truth = api.children("signature_requests_followers")
    return [(parent, row["email"]) for parent, rows in truth.items() for row in rows]


def test_the_default_bound_grows_while_answers_are_fast_and_an_explicit_one_is_a_cap() -> None:
    """60 parents, 200 ms each: by default more than 8 requests are in flight at the server (the bound
    grew from 8); with ``concurrency=8`` set, never more than 8."""
    peaks = {}
    for explicit in (None, 8):
        with serve("yousign", size=60, seed=11, latency_ms=200) as api:
            config = parse(yousign_followers(api), concurrency=explicit, retry_base=RetryPolicy(wait_scale=0))
            children, _run = _followers(api, config)
            assert children == _truth(api)
            peaks[explicit] = api.peak_in_flight
    assert peaks[None] >= 24
    assert peaks[8] == 8


def test_a_503_halves_the_bound_once_per_round_trip() -> None:
    """Three 503s in one wave of requests (the 40th to 42nd): they cut the bound once, and every request sent
    after the cut — the retries of those three onwards — arrives with at most about half as many in flight.
    (A loaded machine may add a cut for rising latency; only the cuts the 503s made are counted.)"""
    faults = FaultPlan(schedule={40: "503", 41: "503", 42: "503"})
    with serve("yousign", size=80, seed=12, latency_ms=200, faults=faults) as api:
        config = parse(yousign_followers(api), retry_base=RetryPolicy(wait_scale=0))
        children, run = _followers(api, config)
        log = api.requests
        truth = _truth(api)
    assert sorted(children) == sorted(truth)
    assert children == truth
    failed = [record.path for record in log if record.fault == "503"]
    assert len(failed) == 3
    first_retry = min(i for i, record in enumerate(log) if record.path in failed and record.status == 200)
    before = max(record.in_flight for record in log[:first_retry])
    after = max(record.in_flight for record in log[first_retry:])
    gate = next(iter(run.fetcher.limits.gates.values()))
    assert gate.aimd.cut_reasons.count("throttled") == 1
    assert before >= 24
    assert after <= 19
