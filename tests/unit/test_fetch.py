"""The fetcher against an API answered in process: retries, waits, counters and failure messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from restloom.config.retry import RetryPolicy
from restloom.errors import AuthError, ResponseError, RetriesExhausted
from restloom.http.client import Fetcher
from restloom.http.redact import Redactor
from restloom.report import RunReport
from restloom.testing import InProcessAdapter, Reply, inprocess_session

BASE = "https://api.test/v1/"
ITEMS = f"{BASE}items"
INSTANT = RetryPolicy(wait_scale=0)


def script(*answers: Any) -> Callable[[requests.PreparedRequest], Any]:
    """A handler giving ``answers`` in turn; the string "drop" or "timeout" fails at the transport."""
    remaining = list(answers)

    def handler(_request: requests.PreparedRequest) -> Any:
        answer = remaining.pop(0)
        if answer in ("drop", "timeout"):
            Reply.fail("timeout" if answer == "timeout" else "connection")
        return answer

    return handler


class Client:
    """A fetcher on an in-process session, with its report and the waits it asked for."""

    def __init__(self, *answers: Any, secrets: tuple[str, ...] = ()) -> None:
        self.adapter = InProcessAdapter(script(*answers))
        self.report = RunReport()
        self.waits: list[float] = []
        self.fetcher = Fetcher(concurrency=1, report=self.report, redactor=Redactor(secrets=secrets),
                               session=inprocess_session(self.adapter, base_url=BASE), sleep=self.waits.append)

    def fetch(self, policy: RetryPolicy = INSTANT, *, url: str = ITEMS, **kwargs: Any) -> Any:
        """The parsed document of one fetch of ``url``."""
        page = self.fetcher.fetch(requests.Request("GET", url, **kwargs), resource="items", policy=policy)
        return page.document

    def counters(self) -> tuple[int, int]:
        """(requests, retries) counted in the report."""
        stats = self.report.stats("items")
        return stats.requests, stats.retries


def test_503_is_retried_until_it_succeeds() -> None:
    """Two 503s then a 200: three attempts, two retries counted, the document of the third."""
    client = Client(Reply(status=503, body="busy"), Reply(status=503, body="busy"), {"data": [1]})
    assert client.fetch() == {"data": [1]}
    assert client.counters() == (3, 2)
    assert client.waits == [0.0, 0.0]
    assert len(client.adapter.requests) == 3


def test_429_waits_as_retry_after_says() -> None:
    """A 429 with Retry-After: 7 waits exactly 7 s (not the backoff) before the retry."""
    client = Client(Reply(status=429, headers={"Retry-After": "7"}), {"ok": True})
    assert client.fetch(RetryPolicy(jitter=0)) == {"ok": True}
    assert client.waits == [7.0]
    assert client.counters() == (2, 1)


def test_backoff_doubles_without_retry_after() -> None:
    """Without Retry-After the waits are backoff_factor x 2^n (no jitter): 1, 2, 4 s."""
    client = Client(*[Reply(status=502)] * 3, {"ok": True})
    assert client.fetch(RetryPolicy(jitter=0)) == {"ok": True}
    assert client.waits == [1.0, 2.0, 4.0]


def test_retries_exhausted_names_the_status_and_the_count() -> None:
    """A 503 that never ends fails after max_retries retries with the status, URL and body."""
    client = Client(*[Reply(status=503, body="down")] * 3)
    with pytest.raises(RetriesExhausted) as caught:
        client.fetch(RetryPolicy(max_retries=2, wait_scale=0))
    assert caught.value.reason == (f"HTTP 503 at {ITEMS}, still failing after 2 retries (max_retries=2); "
                                   "body: down")
    assert client.counters() == (3, 2)


def test_unreadable_body_is_retried_then_exhausted() -> None:
    """A 200 whose body is not JSON is retried; still unreadable after max_retries it fails."""
    client = Client(*[Reply(body=b'{"data": [')] * 2)
    with pytest.raises(RetriesExhausted) as caught:
        client.fetch(RetryPolicy(max_retries=1, wait_scale=0))
    assert caught.value.reason == (f"body is not valid JSON (10 bytes): unexpected end of data: line 1 column 11 "
                                   f"(char 10) at {ITEMS} after 1 retries")
    assert client.counters() == (2, 1)


def test_unreadable_body_then_a_good_one() -> None:
    """A truncated body followed by a complete one: the complete document, one retry."""
    client = Client(Reply(body=b'{"data": ['), {"data": []})
    assert client.fetch() == {"data": []}
    assert client.counters() == (2, 1)


def test_an_empty_2xx_body_is_unreadable() -> None:
    """An empty (or blank) 200 body is retried like a truncated one, then fails saying it was empty."""
    client = Client(Reply(body=b""), Reply(body=b"  \n"))
    with pytest.raises(RetriesExhausted) as caught:
        client.fetch(RetryPolicy(max_retries=1, wait_scale=0))
    assert caught.value.reason == f"empty body (HTTP 200, expected JSON) at {ITEMS} after 1 retries"
    assert client.counters() == (2, 1)


@pytest.mark.parametrize(("method", "status"), [("GET", 204), ("GET", 205), ("HEAD", 200)])
def test_no_content_and_head_have_no_document(method: str, status: int) -> None:
    """A 204/205, or a HEAD, carries no body by definition: no document, no retry."""
    client = Client(Reply(status=status))
    page = client.fetcher.fetch(requests.Request(method, ITEMS), resource="items", policy=INSTANT)
    assert page.document is None
    assert client.counters() == (1, 0)


def test_401_is_an_auth_error_without_the_secret() -> None:
    """A 401 is not retried; its message has the status and URL but neither the key nor the token."""
    token = "tok-very-secret-1234"
    client = Client(Reply(status=401, body=f"invalid token {token}"), secrets=(token,))
    with pytest.raises(AuthError) as caught:
        client.fetch(params={"api_key": "key-also-secret"})
    assert caught.value.reason == (f"HTTP 401 at {ITEMS}?api_key=***: the API refused the credentials "
                                   "(check the auth settings and the secret's value); body: invalid token ***")
    assert client.counters() == (1, 0)


def test_connection_error_is_retried() -> None:
    """A dropped connection then a 200: two attempts, one retry."""
    client = Client("drop", {"ok": 1})
    assert client.fetch() == {"ok": 1}
    assert client.counters() == (2, 1)
    assert client.adapter.urls == [ITEMS, ITEMS]


@pytest.mark.parametrize(("failure", "said"), [("drop", "connection failed or dropped"), ("timeout", "timed out")])
def test_transport_failures_exhausted(failure: str, said: str) -> None:
    """A connection that keeps failing (dropped or timed out) fails after the retries, saying which."""
    client = Client(failure, failure)
    with pytest.raises(RetriesExhausted) as caught:
        client.fetch(RetryPolicy(max_retries=1, wait_scale=0))
    assert caught.value.reason == f"{said} at {ITEMS} after 1 retries"


def test_other_error_status_fails_at_once() -> None:
    """A 400 is neither retried nor an auth problem: a ResponseError with the body."""
    client = Client(Reply(status=400, body={"error": "bad filter"}))
    with pytest.raises(ResponseError) as caught:
        client.fetch()
    assert caught.value.reason == f'HTTP 400 at {ITEMS}; body: {{"error":"bad filter"}}'
    assert client.counters() == (1, 0)


def test_netrc_credentials_are_looked_up_once_per_origin_and_sent_as_requests_sends_them(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A request without auth carries its host's .netrc login (basic auth) on every request, though the
    file is read once per fetcher; a request's own auth wins; a file that names other hosts adds nothing."""
    netrc = tmp_path / "netrc"
    netrc.write_text("machine api.test login robot password s3cret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    client = Client({"n": 1}, {"n": 2}, {"n": 3})
    client.fetch()
    netrc.write_text("machine api.test login someone password else\n")  # read once: not seen by this fetcher
    client.fetch()
    client.fetch(auth=("own", "key"))
    sent = [request.headers.get("Authorization") for request in client.adapter.requests]
    assert sent == ["Basic cm9ib3Q6czNjcmV0", "Basic cm9ib3Q6czNjcmV0", "Basic b3duOmtleQ=="]
    netrc.write_text("machine elsewhere.test login robot password s3cret\n")
    other = Client({"n": 1}, {"n": 2})
    other.fetch()
    other.fetch()
    assert [request.headers.get("Authorization") for request in other.adapter.requests] == [None, None]
