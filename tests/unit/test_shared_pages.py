"""The shared-response cache of a group of resources, over an API answered in process: single flight,
one response per member, eviction, failures not shared; and which resources are planned to share."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from restloom.config import parse
from restloom.config.retry import RetryPolicy
from restloom.engine.run import Run
from restloom.engine.shared import SharedPages, fingerprint, share_groups
from restloom.errors import ResponseError
from restloom.http.client import Fetcher, Page
from restloom.http.redact import Redactor
from restloom.report import RunReport
from restloom.testing import InProcessAdapter, Reply, inprocess_session

BASE = "https://api.test/v1/"
INSTANT = RetryPolicy(wait_scale=0)


class Api:
    """An in-process API answering ``{"items": [{"id": <n>}], "url": ...}``; a request may be held until released."""

    def __init__(self, *, hold: bool = False, statuses: tuple[int, ...] = ()) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()
        if not hold:
            self.release.set()
        self.statuses = list(statuses)  # of the first requests, in turn (then 200)
        self.adapter = InProcessAdapter(self.answer)
        self.report = RunReport()
        self.fetcher = Fetcher(concurrency=4, report=self.report, redactor=Redactor(secrets=()),
                               session=inprocess_session(self.adapter, base_url=BASE))

    def answer(self, request: requests.PreparedRequest) -> Any:
        status = self.statuses.pop(0) if self.statuses else 200
        self.arrived.set()
        assert self.release.wait(5)
        if status != 200:
            return Reply(status=status, body={"error": "no"})
        return {"items": [{"id": len(self.adapter.requests)}], "url": str(request.url)}

    def fetch(self, url: str, resource: str = "a") -> Page:
        return self.fetcher.fetch(requests.Request("GET", BASE + url), resource=resource, policy=INSTANT)

    def key(self, url: str) -> str | None:
        return fingerprint(self.fetcher.session.prepare_request(requests.Request("GET", BASE + url)))


def test_identical_requests_in_flight_are_sent_once_and_each_member_gets_its_own_document() -> None:
    """B asks while A's request is in flight: B waits for it, one request on the wire, equal but separate
    documents (a record B changes is not A's)."""
    api, group = Api(hold=True), SharedPages(("a", "b"))
    results: dict[str, tuple[Page, bool]] = {}
    leader = threading.Thread(target=lambda: results.setdefault("a", group.fetch("a", api.key("items"),
                                                                                lambda: api.fetch("items"))))
    leader.start()
    assert api.arrived.wait(5)
    follower = threading.Thread(target=lambda: results.setdefault("b", group.fetch("b", api.key("items"),
                                                                                  lambda: api.fetch("items", "b"))))
    follower.start()
    api.release.set()
    leader.join(5)
    follower.join(5)
    (page_a, shared_a), (page_b, shared_b) = results["a"], results["b"]
    assert api.adapter.urls == [f"{BASE}items"]
    assert (shared_a, shared_b) == (False, True)
    assert page_a.document == page_b.document == {"items": [{"id": 1}], "url": f"{BASE}items"}
    assert page_a.document is not page_b.document
    assert page_a.document["items"][0] is not page_b.document["items"][0]
    assert len(group) == 0  # every member took it: nothing kept


def test_query_order_does_not_matter_but_any_other_difference_does() -> None:
    """The key sorts the query; a different value, header or method is a different request."""
    api = Api()
    assert api.key("items?a=1&b=2") == api.key("items?b=2&a=1")
    assert api.key("items?a=1") != api.key("items?a=2")
    session = api.fetcher.session
    with_header = session.prepare_request(requests.Request("GET", BASE + "items", headers={"X-Tenant": "7"}))
    posted = session.prepare_request(requests.Request("POST", BASE + "items", json={"q": 1}))
    assert len({api.key("items"), fingerprint(with_header), fingerprint(posted)}) == 3


def test_a_diverging_member_fetches_for_itself_and_pins_nothing_once_done() -> None:
    """A takes pages B never asks for: they are kept until B finishes, then dropped; B's own request goes out."""
    api, group = Api(), SharedPages(("a", "b"))
    for url in ("items?page=1", "items?page=2"):
        group.fetch("a", api.key(url), lambda url=url: api.fetch(url))  # type: ignore[misc]
    assert len(group) == 2
    _, shared = group.fetch("b", api.key("items?after=9"), lambda: api.fetch("items?after=9", "b"))
    assert shared is False
    assert len(group) == 3
    group.finish("b")
    assert len(group) == 1  # A's two pages go (only A is live and took them); B's stays until A is done
    group.finish("a")
    assert len(group) == 0
    assert api.adapter.urls == [f"{BASE}items?page=1", f"{BASE}items?page=2", f"{BASE}items?after=9"]


@pytest.mark.parametrize("bound", ["responses", "bytes"])
def test_entries_are_capped_and_a_miss_fetches_again(bound: str) -> None:
    """With room for two responses (or for the bytes of two), the oldest goes; the member that comes late
    fetches it itself while the newest is shared."""
    api = Api()
    size = len(api.fetch("items?page=9").response.content)  # every body here is as long (ids of one digit)
    group = (SharedPages(("a", "b"), capacity=2) if bound == "responses"
             else SharedPages(("a", "b"), capacity=100, capacity_bytes=2 * size))
    for page in (1, 2, 3):
        group.fetch("a", api.key(f"items?page={page}"), lambda page=page: api.fetch(f"items?page={page}"))  # type: ignore[misc]
    assert len(group) == 2
    _, first = group.fetch("b", api.key("items?page=1"), lambda: api.fetch("items?page=1", "b"))
    _, third = group.fetch("b", api.key("items?page=3"), lambda: api.fetch("items?page=3", "b"))
    assert (first, third) == (False, True)
    assert [url[len(BASE):] for url in api.adapter.urls] == ["items?page=9", "items?page=1", "items?page=2",
                                                           "items?page=3", "items?page=1"]


def test_a_failed_request_is_not_shared_the_waiting_member_fetches_on_its_own() -> None:
    """A's request fails (HTTP 400) while B waits for it: A raises, B sends its own request and gets its page."""
    api, group = Api(hold=True, statuses=(400,)), SharedPages(("a", "b"))
    errors: list[Exception] = []
    results: list[tuple[Page, bool]] = []

    def lead() -> None:
        try:
            group.fetch("a", api.key("items"), lambda: api.fetch("items"))
        except ResponseError as exc:
            errors.append(exc)

    leader = threading.Thread(target=lead)
    leader.start()
    assert api.arrived.wait(5)

    def follow() -> None:
        results.append(group.fetch("b", api.key("items"), lambda: api.fetch("items", "b")))

    follower = threading.Thread(target=follow)
    follower.start()
    follower.join(0.2)
    api.release.set()
    leader.join(5)
    follower.join(5)
    assert len(api.adapter.urls) == 2
    assert [e.resource for e in errors] == ["a"]
    assert results[0][1] is False
    assert results[0][0].document["items"] == [{"id": 2}]
    assert api.report.stats("a").requests == api.report.stats("b").requests == 1
    assert len(group) == 0


def test_same_request_asked_twice_by_one_member_goes_out_twice() -> None:
    """A member asking again for what it already took (a duplicate parent record) makes its own request."""
    api, group = Api(), SharedPages(("a", "b"))
    group.fetch("a", api.key("items"), lambda: api.fetch("items"))
    _, shared = group.fetch("a", api.key("items"), lambda: api.fetch("items"))
    assert shared is False
    assert len(api.adapter.urls) == 2


PAGES = {"type": "cursor", "cursor_path": "next", "stop_condition": "not response.get('next')"}


def _resource(name: str, primary_key: str = "id", **endpoint: Any) -> dict[str, Any]:
    return {"name": name, "primary_key": primary_key, "endpoint": {"path": "items", "paginator": PAGES, **endpoint}}


def test_groups_are_the_resources_whose_requests_and_fetch_settings_are_the_same() -> None:
    """Selector and keys may differ; params, retry settings or response-action hooks keep resources apart."""
    config = parse({"client": {"base_url": BASE}, "resources": [
        _resource("a", data_selector="items"),
        _resource("b", data_selector="items.tags", primary_key="tag"),
        _resource("c", params={"status": "open"}),
        _resource("d", error_handler={"max_retries": 1}),
        _resource("e", response_actions=[{"status_code": 404, "action": lambda r, *a, **k: r}]),
        _resource("f", data_selector="other"),
        _resource("g", response_actions=[{"status_code": 404, "action": "ignore"}]),
        _resource("h", response_actions=[{"status_code": 404, "action": "ignore"}]),
        {"name": "i", "endpoint": {"path": "items", "paginator": {"type": "cursor", "cursor_path": "next",
                                                                  "stop_condition": "not response.get('more')"}}},
    ]})
    assert share_groups(config.resources) == [("a", "b", "f"), ("g", "h")]
    with Run(config) as run:
        assert run.shared["a"] is run.shared["b"] is run.shared["f"]
        assert run.shared["g"].members == frozenset({"g", "h"})
        assert "c" not in run.shared
        assert "i" not in run.shared


def _query(request: requests.PreparedRequest) -> dict[str, list[str]]:
    return parse_qs(urlsplit(str(request.url)).query)


def test_members_whose_cursors_diverge_share_only_the_pages_they_both_request() -> None:
    """A cursor from each resource's own last record: page 1 is shared, the next requests differ and each goes
    out once. The second resource is read only after the first ended: nothing waits for it."""
    answers = {None: {"a": [{"id": 1}, {"id": 2}], "b": [{"id": 7}]}, "2": {"a": [], "b": []}, "7": {"a": [], "b": []}}
    adapter = InProcessAdapter(lambda request: answers[_query(request).get("after", [None])[0]])
    paginator = {"type": "cursor", "cursor_param": "after", "limit": 10}
    config = parse({"client": {"base_url": BASE, "session": inprocess_session(adapter, base_url=BASE)},
                    "resources": [{"name": name, "primary_key": "id",
                                   "endpoint": {"path": "items", "data_selector": name, "paginator": paginator}}
                                  for name in ("a", "b")]},
                   retry_base=INSTANT)
    with Run(config) as run:
        rows = {name: [row["id"] for batch in run.pages(config.resource(name)) for row in batch.rows]
                for name in ("a", "b")}
        assert len(run.shared["a"]) == 0
    assert rows == {"a": [1, 2], "b": [7]}
    assert adapter.urls == [f"{BASE}items?limit=10", f"{BASE}items?limit=10&after=2", f"{BASE}items?limit=10&after=7"]
    stats = {name: run.report.stats(name) for name in ("a", "b")}
    assert [(s.requests, s.shared, s.pages) for s in stats.values()] == [(2, 0, 2), (1, 1, 2)]
