"""Resources are fetched concurrently, children fan out over parent records, order is kept per resource."""

from __future__ import annotations

from typing import Any

from restloom.config import parse
from restloom.config.models import RetryPolicy
from restloom.engine import Run
from restloom.engine.run import Outcome
from restloom.testing import serve
from tests.integration.configs import yousign_followers


def _persona(api: Any, names: list[str], concurrency: int) -> Any:
    return parse({
        "client": {"base_url": api.base_url, "auth": {"type": "bearer", "token": api.secrets["api_key"]}},
        "resource_defaults": {"primary_key": "id", "endpoint": {"data_selector": "data", "paginator": {
            "type": "cursor", "cursor_param": "page[after]", "limit": 10, "limit_param": "page[size]",
            "stop_condition": "response.get('data')|length == 0"}}},
        "resources": [{"name": n, "endpoint": {"path": n}} for n in names],
    }, concurrency=concurrency, retry_base=RetryPolicy(wait_scale=0))


def test_pages_arrive_whole_and_in_the_served_order() -> None:
    """The engine yields whole pages (lists of page size) whose concatenation is the served order."""
    with serve("persona", size=35, seed=8) as api:
        with Run(_persona(api, ["accounts"], 4)) as run:
            stream = run.pages(run.config.resource("accounts"))
            pages = [batch.rows for batch in stream]
        truth = [r["id"] for r in api.records("accounts")]
    assert [len(p) for p in pages] == [10, 10, 10, 5]
    assert [r["id"] for page in pages for r in page] == truth
    assert stream.outcome == Outcome("ok")


def test_resources_are_fetched_concurrently_within_the_bound() -> None:
    """Three resources' requests overlap (peak in flight 3), and a bound of 2 is never exceeded."""
    names = ["accounts", "cases", "events"]
    peaks = []
    for concurrency in (8, 2):
        with serve("persona", size=30, seed=8, latency_ms=150) as api, Run(_persona(api, names, concurrency)) as run:
            streams = [run.pages(run.config.resource(n)) for n in names]
            firsts = [next(s) for s in streams]  # every prefetch thread is running now
            rest = [list(s) for s in streams]
            peaks.append(run.fetcher.peak_in_flight)
        assert [len(f.rows) + sum(len(b.rows) for b in r) for f, r in zip(firsts, rest, strict=True)] == [30] * 3
    assert peaks == [3, 2]


def test_children_fan_out_concurrently_in_parent_order() -> None:
    """Followers of a page of signature requests are fetched in parallel and come back in parent order."""
    with serve("yousign", size=10, seed=9, latency_ms=250) as api:
        config = parse(yousign_followers(api), concurrency=10, retry_base=RetryPolicy(wait_scale=0))
        with Run(config) as run:
            [parents] = [batch.rows for batch in run.pages(config.resource("signature_requests"))]
            per_parent = [batch.rows for batch in run.child_pages(config.resource("followers"), parents)]
            children = [row for rows in per_parent for row in rows]
            peak = run.fetcher.peak_in_flight
        truth = api.children("signature_requests_followers")
    expected = [(p["id"], f["email"]) for p in parents for f in truth[p["id"]]]
    assert [(c["_signature_requests_id"], c["email"]) for c in children] == expected
    # one list per parent that has followers: each parent's rows arrive together, in parent order
    assert [rows[0]["_signature_requests_id"] for rows in per_parent] == [p["id"] for p in parents if truth[p["id"]]]
    assert peak == 10  # all ten parents' requests were in flight at once (each is held 250 ms by the server)
