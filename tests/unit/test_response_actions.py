"""dlt's response_actions in a run over an in-process API (the config's client.session): ignore, match, hooks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import requests

from restloom.config import parse
from restloom.config.retry import RetryPolicy
from restloom.engine.run import Run
from restloom.testing import InProcessAdapter, Reply, inprocess_session

BASE = "https://api.test/v1/"
ITEMS = f"{BASE}items"


class Outcome:
    """The rows, status, error and requests of one resource run with these response actions."""

    def __init__(self, actions: list[Any], handler: Callable[[requests.PreparedRequest], Any]) -> None:
        self.adapter = InProcessAdapter(handler)
        session = inprocess_session(self.adapter, base_url=BASE)
        config = parse({"client": {"base_url": BASE, "session": session},
                        "resources": [{"name": "items", "endpoint": {"path": "items", "paginator": "single_page",
                                                                     "response_actions": actions}}]},
                       retry_base=RetryPolicy(wait_scale=0))
        with Run(config) as run:
            self.rows = [row for batch in run.pages(config.resources[0]) for row in batch.rows]
        stats = run.report.stats("items")
        self.status, self.error = stats.status, stats.error


def test_ignore_on_404_ends_the_resource_with_no_rows() -> None:
    """A 404 matched by an ignore action: no rows, no error, one request."""
    outcome = Outcome([{"status_code": 404, "action": "ignore"}], lambda _r: Reply(status=404, body="no such thing"))
    assert (outcome.rows, outcome.status, outcome.error) == ([], "ok", None)
    assert outcome.adapter.urls == [ITEMS]


def test_404_without_an_action_fails_the_resource() -> None:
    """The same 404 with no action fails the resource with the status, URL and body."""
    outcome = Outcome([], lambda _r: Reply(status=404, body="no such thing"))
    assert (outcome.rows, outcome.status) == ([], "failed")
    assert outcome.error == f"HTTP 404 at {ITEMS}; body: no such thing"


def test_content_match_ignores_only_the_matching_body() -> None:
    """An ignore on content matches a substring of the body; another body with the same status still fails."""
    actions = [{"status_code": 400, "content": "no data for this account", "action": "ignore"}]
    matching = Outcome(actions, lambda _r: Reply(status=400, body='{"error": "no data for this account"}'))
    assert (matching.rows, matching.status) == ([], "ok")
    other = Outcome(actions, lambda _r: Reply(status=400, body='{"error": "bad filter"}'))
    assert (other.status, other.error) == ("failed", f'HTTP 400 at {ITEMS}; body: {{"error": "bad filter"}}')


def test_hook_rewrites_the_response_before_it_is_read() -> None:
    """A callable action may replace the body; the rows come from the rewritten document."""

    def unwrap(response: requests.Response) -> None:
        response._content = orjson.dumps([{"id": n} for n in response.json()["ids"]])

    outcome = Outcome([{"status_code": 200, "action": unwrap}], lambda _r: {"ids": [3, 5]})
    assert outcome.rows == [{"id": 3}, {"id": 5}]
    assert outcome.status == "ok"


def test_plain_callable_sees_every_response() -> None:
    """A bare callable in the list is called with each response, in request order."""
    seen: list[int] = []
    outcome = Outcome([lambda response: seen.append(response.status_code)], lambda _r: [{"id": 1}])
    assert (outcome.rows, seen) == ([{"id": 1}], [200])


def test_hook_that_raises_fails_the_resource_with_a_clear_message() -> None:
    """An action that raises fails only its resource, naming the status and the hook's error."""

    def broken(_response: requests.Response) -> None:
        raise ValueError("cannot parse the vendor envelope")

    outcome = Outcome([{"status_code": 200, "action": broken}], lambda _r: [{"id": 1}])
    assert (outcome.rows, outcome.status) == ([], "failed")
    assert outcome.error == "a response action failed on HTTP 200: ValueError: cannot parse the vendor envelope"
