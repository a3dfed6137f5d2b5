"""Injected faults happen exactly as planned, are reproducible from the seed and do not advance anything."""

from __future__ import annotations

import http.client
import json
import time
from typing import Any

import pytest
import requests

from restloom.testing import Fault, FaultPlan
from restloom.testing.faults import parse_fault_spec
from tests.testing.walkers import auth_headers


def _statuses(api: Any, session: requests.Session, count: int, path: str = "accounts") -> list[int]:
    return [session.get(f"{api.base_url}/{path}").status_code for _ in range(count)]


def test_scheduled_status_faults_hit_the_nth_request(simulated_api: Any, session: requests.Session) -> None:
    """A schedule hits the Nth request overall and the Nth request to a path; the log names the fault."""
    plan = FaultPlan(schedule={2: Fault(kind="status", status=503),
                               ("/cases", 3): Fault(kind="status", status=500)})
    api = simulated_api("persona", size=3, faults=plan)
    session.headers.update(auth_headers(api))
    paths = ("cases", "cases", "cases", "accounts")
    statuses = [session.get(f"{api.base_url}/{p}").status_code for p in paths]
    assert statuses == [200, 503, 500, 200]
    assert [(r.path, r.status, r.fault) for r in api.requests] == [
        ("/cases", 200, None), ("/cases", 503, "503"), ("/cases", 500, "500"), ("/accounts", 200, None)]


def test_rate_faults_limited_to_a_query(simulated_api: Any, session: requests.Session) -> None:
    """``query`` limits rate faults to the requests asking those values: one window fails, the others answer."""
    plan = FaultPlan(rate=1.0, kinds=("503",), paths=("/cases",), query={"page": "2", "per": "1"})
    api = simulated_api("persona", size=3, faults=plan)
    session.headers.update(auth_headers(api))
    targets = ("cases?page=1&per=1", "cases?page=2&per=1", "cases?page=2", "accounts?page=2&per=1")
    assert [session.get(f"{api.base_url}/{t}").status_code for t in targets] == [200, 503, 200, 200]
    assert [r.fault for r in api.requests] == [None, "503", None, None]


def test_faulted_request_does_not_advance(simulated_api: Any, session: requests.Session) -> None:
    """The same request retried after a fault gets the normal answer."""
    api = simulated_api("persona", size=3, faults=FaultPlan(schedule={1: "502"}))
    session.headers.update(auth_headers(api))
    first, retry = (session.get(f"{api.base_url}/accounts") for _ in range(2))
    assert (first.status_code, retry.status_code) == (502, 200)
    assert retry.json() == {"data": api.ground_truth("accounts")}


@pytest.mark.parametrize(("name", "fault", "headers"), [
    ("persona", Fault(kind="status", status=429, retry_after="0"),
     {"Retry-After": "0", "ratelimit-limit": "300", "ratelimit-remaining": "0", "ratelimit-reset": "60"}),
    ("opsgenie", Fault(kind="status", status=429),
     {"X-RateLimit-State": "THROTTLED", "X-RateLimit-Period-In-Sec": "1"}),
    ("zendesk_talk", Fault(kind="status", status=429), {"Retry-After": "60"}),
    ("yousign", Fault(kind="status", status=429, retry_after="Wed, 21 Oct 2015 07:28:00 GMT"),
     {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT", "x-ratelimit-remaining-minute": "0"}),
    ("easypost", Fault(kind="status", status=429, vendor_headers=False), {}),
])
def test_429_faults_carry_vendor_headers(name: str, fault: Fault, headers: dict[str, str], simulated_api: Any,
                                         session: requests.Session) -> None:
    """A 429 fault has the Retry-After asked for and the vendor's own rate-limit headers."""
    api = simulated_api(name, size=3, faults=FaultPlan(schedule={1: fault}))
    response = session.get(api.base_url, headers=auth_headers(api))
    assert response.status_code == 429
    assert {k: response.headers.get(k) for k in headers} == headers
    if not headers:
        assert "Retry-After" not in response.headers


def test_drop_closes_the_connection_without_answer(simulated_api: Any, session: requests.Session) -> None:
    """A dropped request raises a connection error on the client and is logged with status 0."""
    api = simulated_api("easypost", size=3, faults=FaultPlan(schedule={("/v2/batches", 1): "drop"}))
    session.headers.update(auth_headers(api))
    with pytest.raises(requests.ConnectionError):
        session.get(f"{api.base_url}batches")
    assert session.get(f"{api.base_url}batches").status_code == 200
    assert [(r.status, r.fault) for r in api.requests] == [(0, "drop"), (200, None)]


def test_truncate_sends_a_cut_body_with_matching_length(simulated_api: Any) -> None:
    """A truncated answer is a 200 whose full (cut) body is read and then fails to parse."""
    api = simulated_api("yousign", size=5, faults=FaultPlan(schedule={1: "truncate"}))
    connection = http.client.HTTPConnection("127.0.0.1", api.port)
    headers = auth_headers(api)
    connection.request("GET", "/v3/users", headers=headers)
    response = connection.getresponse()
    body = response.read()
    assert (response.status, int(response.headers["Content-Length"])) == (200, len(body))
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)
    connection.request("GET", "/v3/users", headers=headers)
    full = connection.getresponse().read()
    connection.close()
    assert full.startswith(body)
    assert len(body) == len(full) // 2


def test_slow_fault_and_latency_delay_the_answer(simulated_api: Any, session: requests.Session) -> None:
    """A slow fault waits delay_ms then answers normally; latency_ms applies to every request."""
    api = simulated_api("persona", size=3, latency_ms=20,
                        faults=FaultPlan(schedule={2: Fault(kind="slow", delay_ms=60)}))
    session.headers.update(auth_headers(api))
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        assert session.get(f"{api.base_url}/accounts").status_code == 200
        timings.append(time.perf_counter() - started)
    assert timings[0] >= 0.02
    assert timings[1] >= 0.08
    assert [r.fault for r in api.requests] == [None, "slow"]


def test_rate_picked_faults_are_reproducible_from_the_seed(simulated_api: Any) -> None:
    """Two servers with the same plan fault the same requests; another seed faults others."""
    def run(seed: int) -> list[str | None]:
        plan = FaultPlan(rate=0.3, kinds=("503", "500", "429"), seed=seed)
        api = simulated_api("persona", size=3, faults=plan)
        with requests.Session() as client:
            client.headers.update(auth_headers(api))
            for _ in range(40):
                client.get(f"{api.base_url}/accounts")
        return [r.fault for r in api.requests]

    first, again, other = run(3), run(3), run(4)
    assert first == again
    assert first != other
    assert 4 <= sum(f is not None for f in first) <= 20
    assert {f for f in first if f} == {"503", "500", "429"}


def test_faults_never_touch_the_401_path(simulated_api: Any, session: requests.Session) -> None:
    """An unauthenticated request gets 401 even when a fault is scheduled for it."""
    api = simulated_api("persona", size=3, faults=FaultPlan(schedule={1: "503"}))
    assert session.get(f"{api.base_url}/accounts").status_code == 401
    assert [(r.status, r.fault) for r in api.requests] == [(401, None)]


def test_set_faults_changes_the_plan_at_runtime(simulated_api: Any, session: requests.Session) -> None:
    """set_faults replaces the plan; counters keep running across the change."""
    api = simulated_api("persona", size=3)
    session.headers.update(auth_headers(api))
    assert _statuses(api, session, 2) == [200, 200]
    api.set_faults(FaultPlan(schedule={3: "504"}))
    assert _statuses(api, session, 2) == [504, 200]
    api.set_faults(None)
    assert _statuses(api, session, 1) == [200]


def test_cli_fault_specs_parse_into_plans() -> None:
    """FAULT@RATE, FAULT@#N and FAULT@/path#N become rates and schedule entries."""
    plan = parse_fault_spec(["503@0.1", "429:retry_after=1@0.05", "drop@#3", "slow:delay_ms=5@/accounts#2"])
    assert plan is not None
    assert plan.rates == ((Fault(kind="status", status=503), 0.1),
                          (Fault(kind="status", status=429, retry_after="1"), 0.05))
    assert dict(plan.schedule) == {3: Fault(kind="drop"), ("/accounts", 2): Fault(kind="slow", delay_ms=5)}
    with pytest.raises(ValueError, match="expected FAULT@RATE"):
        parse_fault_spec(["503"])
