"""Differential: every auth form dlt accepts — dict, object, or a name with credentials from dlt's config."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import dlt
import pytest
import requests.auth
from dlt.sources.helpers.rest_client.auth import APIKeyAuth, BearerTokenAuth, HttpBasicAuth

import restloom
from restloom.testing import SimulatedAPI, serve
from tests.differential.harness import differential

Auth = Callable[[dict[str, str]], Any]
PAGINATOR = {"type": "offset", "limit": 10, "total_path": "total"}


def _private(auth: Auth, *, at: str = "client") -> Callable[[SimulatedAPI], dict[str, Any]]:
    def factory(api: SimulatedAPI) -> dict[str, Any]:
        endpoint: dict[str, Any] = {"path": "private/items", "paginator": PAGINATOR}
        client: dict[str, Any] = {"base_url": api.base_url}
        (client if at == "client" else endpoint)["auth"] = auth(api.real_credentials)
        return {"client": client, "resources": [{"name": "items", "endpoint": endpoint}]}

    return factory


def _assert_authorised(outcome: Any) -> None:
    log = outcome.logs["dlt"]
    assert [r.status for r in log if r.path == "/api/private/items"] == [200, 200, 200]
    assert {r.auth for r in log if r.path == "/api/private/items"} == {"real"}
    assert len(outcome.dlt.rows["items"]) == 23


CASES = [
    pytest.param(lambda c: {"type": "bearer", "token": c["token"]}, id="bearer-dict"),
    pytest.param(lambda c: {"token": c["token"]}, id="bearer-by-default"),
    pytest.param(lambda c: {"type": "api_key", "name": "X-API-Key", "api_key": c["api_key"]},
                 id="api-key-header"),
    pytest.param(lambda c: {"type": "api_key", "name": "api_key", "api_key": c["api_key"],
                            "location": "query"}, id="api-key-query"),
    pytest.param(lambda c: {"type": "http_basic", "username": c["username"], "password": c["password"]},
                 id="http-basic-dict"),
    pytest.param(lambda c: BearerTokenAuth(token=c["token"]), id="bearer-object"),
    pytest.param(lambda c: APIKeyAuth(name="api_key", api_key=c["api_key"], location="param"),
                 id="api-key-object"),
    pytest.param(lambda c: HttpBasicAuth(username=c["username"], password=c["password"]),
                 id="http-basic-object"),
]


@pytest.mark.parametrize("auth", CASES)
def test_auth_given_in_the_config(tmp_path: Path, auth: Auth) -> None:
    """Auth given as a dict or an auth object authorises every page on both."""
    _assert_authorised(differential(_private(auth), tmp_path=tmp_path))


def test_endpoint_auth_overrides_the_client_auth(tmp_path: Path) -> None:
    """An endpoint's auth replaces the client's (a wrong client token is never sent)."""

    def factory(api: SimulatedAPI) -> dict[str, Any]:
        config = _private(lambda c: {"type": "bearer", "token": c["token"]}, at="endpoint")(api)
        config["client"]["auth"] = {"type": "bearer", "token": "wrong"}
        return config

    _assert_authorised(differential(factory, tmp_path=tmp_path))


def test_oauth2_client_credentials_fetches_a_token_first(tmp_path: Path) -> None:
    """oauth2_client_credentials posts the client credentials once, then sends the token on every page."""

    def factory(api: SimulatedAPI) -> dict[str, Any]:
        return _private(lambda c: {"type": "oauth2_client_credentials",
                                   "access_token_url": f"{api.base_url}oauth/token",
                                   "client_id": c["client_id"], "client_secret": c["client_secret"]})(api)

    outcome = differential(factory, tmp_path=tmp_path)
    _assert_authorised(outcome)
    token_requests = [(r.method, r.status) for r in outcome.logs["dlt"] if r.path == "/api/oauth/token"]
    assert token_requests == [("POST", 200)]


NAMED = [
    pytest.param("bearer", {"SOURCES__REST_API__CREDENTIALS__TOKEN": "token"}, id="bearer-source-section"),
    pytest.param("bearer", {"CREDENTIALS__TOKEN": "token"}, id="bearer-credentials"),
    pytest.param("http_basic", {"SOURCES__REST_API__REST_API__CREDENTIALS__USERNAME": "username",
                                "SOURCES__CREDENTIALS__PASSWORD": "password"},
                 id="http-basic-mixed-sections"),
    pytest.param({"type": "api_key", "name": "X-API-Key"}, {"CREDENTIALS__API_KEY": "api_key"},
                 id="api-key-dict-without-key"),
]


def test_a_plain_requests_auth_object_is_an_extension(tmp_path: Path) -> None:
    """A plain ``requests`` auth object: dlt 1.31 refuses it (only its own auth classes); restloom sends it.

    A deliberate difference that changes no valid dlt config: dlt raises for every such config.
    """

    def factory(api: SimulatedAPI) -> dict[str, Any]:
        return _private(lambda c: requests.auth.HTTPBasicAuth(c["username"], c["password"]))(api)

    with pytest.raises(ValueError, match="Incorrect auth object type 'HTTPBasicAuth'"):
        differential(factory, tmp_path=tmp_path)
    with serve("generic") as api:
        source = restloom.rest_api_source(factory(api))
        pipeline = dlt.pipeline(pipeline_name="plain_auth", destination=dlt.destinations.duckdb(
            str(tmp_path / "plain.duckdb")), pipelines_dir=str(tmp_path / "plain"))
        pipeline.run(source)
        statuses = [r.status for r in api.requests]
    assert statuses == [200, 200, 200]


@pytest.mark.parametrize(("auth", "env"), NAMED)
def test_missing_credentials_come_from_dlt_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, auth: Any,
                                                   env: dict[str, str]) -> None:
    """Auth by name (or a dict lacking its secret) reads credentials from dlt's config sections, as dlt."""

    def factory(api: SimulatedAPI) -> dict[str, Any]:
        for variable, key in env.items():
            monkeypatch.setenv(variable, api.real_credentials[key])
        return _private(lambda _c: auth)(api)

    _assert_authorised(differential(factory, tmp_path=tmp_path))


def test_auth_by_name_with_children_paged_by_an_object(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Client auth by type name (token from dlt config) reaches the children, paged by a paginator object."""
    from dlt.sources.helpers.rest_client.paginators import SinglePagePaginator

    def factory(api: SimulatedAPI) -> dict[str, Any]:
        monkeypatch.setenv("SOURCES__REST_API__CREDENTIALS__TOKEN", api.real_credentials["token"])
        return {"client": {"base_url": api.base_url, "auth": "bearer"}, "resources": [
            {"name": "items", "endpoint": {"path": "private/items", "paginator": PAGINATOR}},
            {"name": "events", "include_from_parent": ["id"], "endpoint": {
                "path": "items/{resources.items.id}/events", "data_selector": "events",
                "paginator": SinglePagePaginator(),
                "response_actions": [{"status_code": 404, "action": "ignore"}]}}]}

    outcome = differential(factory, tmp_path=tmp_path, fan_out_paths=("/api/items/",))
    _assert_authorised(outcome)
    assert outcome.dlt.rows["events"]
    assert {r.auth for r in outcome.logs["restloom"] if r.path.startswith("/api/items/")} == {"real"}
