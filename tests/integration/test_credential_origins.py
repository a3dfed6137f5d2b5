"""Credentials go only to the base URL's origin (and client.auth_origins): a next link on another host is
followed without them, with a warning naming the host.

The simulated APIs write absolute next links on ``http://127.0.0.1:PORT``; a config whose base URL says
``http://localhost:PORT`` reaches the same server under another origin, so the request log shows exactly
which requests carried credentials (``auth == "real"``) and which did not.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from restloom.config import SecretRef
from restloom.testing import SimulatedAPI, serve
from tests.conftest import Sync, table_rows


def _localhost(api: SimulatedAPI) -> str:
    return api.base_url.replace("127.0.0.1", "localhost")


def _link_config(api: SimulatedAPI, *, auth: Any = None, params: dict[str, Any] | None = None,
                 headers: dict[str, Any] | None = None, auth_origins: list[str] | None = None) -> dict[str, Any]:
    client: dict[str, Any] = {"base_url": _localhost(api)}
    if auth is not None:
        client["auth"] = auth
    if headers is not None:
        client["headers"] = headers
    if auth_origins is not None:
        client["auth_origins"] = auth_origins
    endpoint = {"path": "link/items", "paginator": "header_link", "data_selector": "$",
                "params": {"per_page": 5, **(params or {})}}
    return {"client": client, "resources": [{"name": "items", "primary_key": "id", "endpoint": endpoint}]}


def _credentials(api: SimulatedAPI) -> dict[str, tuple[dict[str, Any], str]]:
    """Each way a config carries a credential, and what is left out of a request to another origin."""
    real = api.real_credentials
    token_url = f"{_localhost(api)}oauth/token"
    return {
        "bearer": ({"auth": {"type": "bearer", "token": real["token"]}}, "auth"),
        "api_key_header": ({"auth": {"type": "api_key", "name": "X-API-Key", "api_key": real["api_key"]}}, "auth"),
        "api_key_query": ({"auth": {"type": "api_key", "name": "api_key", "location": "query",
                                    "api_key": real["api_key"]}}, "auth, query api_key"),
        "http_basic": ({"auth": {"type": "http_basic", "username": real["username"],
                                 "password": real["password"]}}, "auth"),
        "oauth2": ({"auth": {"type": "oauth2_client_credentials", "access_token_url": token_url,
                             "client_id": real["client_id"], "client_secret": real["client_secret"]}}, "auth"),
        "client_header": ({"headers": {"Authorization": f"Bearer {real['token']}"}}, "header Authorization"),
        "params": ({"params": {"api_key": real["api_key"]}}, "query api_key"),
        "secret_header": ({"headers": {"X-Custom": SecretRef("origin_test_header")}}, "header X-Custom"),
    }


@pytest.mark.parametrize("kind", ["bearer", "api_key_header", "api_key_query", "http_basic", "oauth2",
                                  "client_header", "params", "secret_header"])
def test_next_link_on_another_origin_gets_no_credentials(run_sync: Sync, kind: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Protects issue 9 point 7: bearer, api_key (header/query), Basic, OAuth2, a credential header, a
    {secret: ...} header or a credential param reach only the base URL's origin; the pages on the other
    host load without them, with a warning."""
    monkeypatch.setenv("ORIGIN_TEST_HEADER", "custom-header-secret-value")
    with serve("generic", size=12, seed=3) as api:
        settings, left_out = _credentials(api)[kind]
        result = run_sync(_link_config(api, **settings))
        log = [(r.path, r.query.get("page"), r.auth, "api_key" in r.query) for r in api.requests
               if r.path != "/api/oauth/token"]
    host, base_origin = api.root_url, api.root_url.replace("127.0.0.1", "localhost")
    first = "seed" if kind == "secret_header" else "real"  # the server does not check X-Custom
    assert log == [("/api/link/items", None, first, kind in ("api_key_query", "params")),
                   ("/api/link/items", "2", "seed", False), ("/api/link/items", "3", "seed", False)]
    assert result.ok
    assert result.landed == {"items": 12}
    assert result.report.stats("items").warnings == [
        f"credentials not sent to {host}, another origin than the base URL's ({base_origin}): "
        f"left out {left_out}; list it in client.auth_origins to send them"]


def test_auth_origins_allows_another_origin(run_sync: Sync) -> None:
    """An origin listed in client.auth_origins receives the credentials like the base URL's; no warning."""
    with serve("generic", size=12, seed=3) as api:
        real = api.real_credentials
        config = _link_config(api, auth={"type": "bearer", "token": real["token"]},
                              auth_origins=[f"{api.root_url}/"])
        result = run_sync(config)
        auths = [r.auth for r in api.requests]
    assert auths == ["real", "real", "real"]
    assert result.landed == {"items": 12}
    assert result.report.stats("items").warnings == []


def test_a_host_that_needs_the_credentials_fails_loudly(run_sync: Sync) -> None:
    """Opsgenie's next link on another origin answers 401 without the key: the resource fails naming the
    host and client.auth_origins; the first page stays loaded."""
    with serve("opsgenie", size=25, seed=4) as api:
        key = api.real_credentials["api_key"]
        config = {"client": {"base_url": _localhost(api),
                             "auth": {"type": "api_key", "name": "Authorization", "api_key": f"GenieKey {key}"}},
                  "resources": [{"name": "users", "primary_key": "id",
                                 "endpoint": {"path": "v2/users", "params": {"limit": 10}, "data_selector": "data",
                                              "paginator": {"type": "json_link", "next_url_path": "paging.next"}}}]}
        result = run_sync(config)
        log = [(r.query.get("offset"), r.auth, r.status) for r in api.requests]
    host = api.root_url
    assert log == [(None, "real", 200), ("10", "none", 401)]
    [failed] = result.report.failed
    assert failed.error == (
        f"HTTP 401 at {host}/v2/users?limit=10&offset=10: the API refused the credentials (check the auth "
        f"settings and the secret's value); body: {{\"error\":\"missing or invalid credentials\"}}; the "
        f"credentials were not sent: {host} is not the base URL's origin (list it in client.auth_origins to "
        "send them)")
    assert len(table_rows(result, "users")) == 10


@pytest.mark.parametrize("session", [None, "plain"], ids=["restloom's session", "a plain session of your own"])
def test_redirect_to_another_origin_drops_every_credential(run_sync: Sync, session: str | None) -> None:
    """A 302 to another origin is followed without the X-API-Key header and the api_key query pair (requests
    itself drops only Authorization), with the warning naming the host; the rows still load. The same through
    a plain ``requests.Session`` of the user's (``client.session``), whose own object is left as it was."""
    with serve("generic", size=12, seed=3) as api:
        key = api.real_credentials["api_key"]
        endpoint = {"path": "moved/offset/items", "data_selector": "items", "paginator": "single_page",
                    "params": {"limit": 20, "api_key": key}}
        config = {"client": {"base_url": _localhost(api),
                             "auth": {"type": "api_key", "name": "X-API-Key", "api_key": key}},
                  "resources": [{"name": "items", "primary_key": "id", "endpoint": endpoint}]}
        own = requests.Session()
        adapters = dict(own.adapters)
        if session == "plain":
            config["client"]["session"] = own
        result = run_sync(config)
        assert own.adapters == adapters  # the user's session still has requests' own adapters
        log = [(r.path, r.status, r.auth, sorted(r.query)) for r in api.requests]
    host, base_origin = api.root_url, api.root_url.replace("127.0.0.1", "localhost")
    assert log == [("/api/moved/offset/items", 302, "real", ["api_key", "limit"]),
                   ("/api/offset/items", 200, "seed", ["limit"])]
    assert result.landed == {"items": 12}
    assert result.report.stats("items").warnings == [
        f"credentials not sent to {host}, another origin than the base URL's ({base_origin}): "
        "left out header X-API-Key, query api_key; list it in client.auth_origins to send them"]
