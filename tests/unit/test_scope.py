"""Tests for restloom.http.scope: what a request to another origin is stripped of."""

from __future__ import annotations

from requests import Request
from requests.auth import HTTPBasicAuth

from restloom.http.redact import Redactor
from restloom.http.scope import CredentialScope

SCOPE = CredentialScope(base="https://api.example.com", allowed=frozenset({"https://files.example.com"}),
                        is_secret=Redactor(secrets=("custom-secret-1",)).is_secret)


def test_allows_the_origin_only() -> None:
    """Scheme, host and port make the origin; the path does not matter; the default port is implied; an
    allowed origin counts as the base URL's."""
    assert SCOPE.allows("https://API.example.com:443/v1/next?page=2")
    assert not SCOPE.allows("http://api.example.com/v1/")
    assert not SCOPE.allows("https://api.example.com:8443/v1/")
    assert not SCOPE.allows("https://cdn.example.com/v1/")
    assert SCOPE.allows("https://files.example.com/report.json")


def test_strip_leaves_out_every_credential_and_says_which() -> None:
    """Auth object, Cookie and secret-holding headers, credential params and credential pairs already in the
    URL are left out; the original request is unchanged; the names (never values) are returned."""
    request = Request("GET", "https://cdn.example.com/p?page=2&api_key=k1&sig=abc", auth=HTTPBasicAuth("u", "p"),
                      headers={"Cookie": "session_key=s1", "X-Custom": "custom-secret-1", "Accept": "json"},
                      params={"limit": 5, "access_key": "a1"}, json={"query": "x", "client_secret": "c1"})
    stripped, removed = SCOPE.strip(request)
    assert removed == ["auth", "header Cookie", "header X-Custom", "query access_key", "json field client_secret",
                       "query api_key", "query sig"]
    assert stripped.json == {"query": "x"}
    assert (stripped.url, stripped.auth, stripped.headers, stripped.params) == (
        "https://cdn.example.com/p?page=2", None, {"Accept": "json"}, {"limit": 5})
    assert request.auth is not None
    assert request.headers["Cookie"] == "session_key=s1"
