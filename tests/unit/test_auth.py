"""Tests for restloom.http.auth: each scheme on a real prepared request from an AuthSpec, the registry,
secrets; and the auth dialect table of restloom.config.auth."""

from __future__ import annotations

from base64 import b64encode
from typing import Any

import pytest
import requests
from dlt.sources.helpers.rest_client.auth import (
    APIKeyAuth,
    BearerTokenAuth,
    HttpBasicAuth,
    OAuth2ClientCredentials,
)
from requests.auth import AuthBase

from restloom.config.auth import API_KEY_LOCATIONS, AUTH_ALIASES, AUTH_TYPE_PARAMS
from restloom.config.models import AuthSpec
from restloom.http.auth import (
    ApiKeyAuth,
    UnknownAuthType,
    auth_secrets,
    build_auth,
    default_auth_registry,
)


def prepared(auth: AuthBase, url: str = "https://api.example.com/v2/items?page=1", **kw: Any) -> Any:
    """A real prepared request with the auth object applied, as requests does when sending."""
    return requests.Request("GET", url, auth=auth, **kw).prepare()


def basic(text: str) -> str:
    return "Basic " + b64encode(text.encode()).decode()


def spec(type_name: str, params: dict[str, Any]) -> AuthSpec:
    """A parsed AuthSpec of ``type_name`` with ``params``."""
    return AuthSpec(type=type_name, params=params)


def test_bearer() -> None:
    """bearer sends Authorization: Bearer <token> through dlt's class."""
    auth = build_auth(spec("bearer", {"token": "tok_123"}))
    assert isinstance(auth, BearerTokenAuth)
    assert prepared(auth).headers["Authorization"] == "Bearer tok_123"


def test_api_key_header_default_name() -> None:
    """api_key defaults to the Authorization header."""
    request = prepared(build_auth(spec("api_key", {"api_key": "GenieKey k1"})))
    assert request.headers["Authorization"] == "GenieKey k1"


def test_api_key_named_header() -> None:
    """The seed's api_key header named 'api_key' is sent as is."""
    auth = build_auth(spec("api_key", {"name": "api_key", "api_key": "k1", "location": "header"}))
    assert isinstance(auth, APIKeyAuth)
    assert prepared(auth).headers["api_key"] == "k1"


@pytest.mark.parametrize("location", ["query", "param"])
def test_api_key_query(location: str) -> None:
    """query and param add the key to the query string, keeping existing parameters."""
    auth = build_auth(spec("api_key", {"name": "api_key", "api_key": "k 1&x", "location": location}))
    assert prepared(auth).url == "https://api.example.com/v2/items?page=1&api_key=k+1%26x"


def test_api_key_cookie() -> None:
    """cookie (which dlt's class does not implement) sets or extends the Cookie header."""
    auth = build_auth(spec("api_key", {"name": "session", "api_key": "s1", "location": "cookie"}))
    assert isinstance(auth, ApiKeyAuth)
    assert prepared(auth).headers["Cookie"] == "session=s1"
    with_cookie = prepared(auth, headers={"Cookie": "a=b"})
    assert with_cookie.headers["Cookie"] == "a=b; session=s1"


def test_object_spec_is_its_own_object() -> None:
    """An AuthSpec holding a ready auth object builds to that very object (no factory is called)."""
    obj = BearerTokenAuth(token="tok_obj")
    assert build_auth(AuthSpec(type="object", obj=obj), registry={}) is obj


@pytest.mark.parametrize("type_name", ["http_basic", "basic"])
def test_basic_without_password(type_name: str) -> None:
    """EasyPost style: the key as username and no password gives base64 of 'key:'."""
    auth = build_auth(spec(type_name, {"username": "k"}))
    assert isinstance(auth, HttpBasicAuth)
    assert prepared(auth).headers["Authorization"] == basic("k:") == "Basic azo="


def test_basic_with_password() -> None:
    """Zendesk style: email/token as username and the API token as password."""
    auth = build_auth(spec("http_basic", {"username": "a@b.c/token", "password": "t0k"}))
    assert prepared(auth).headers["Authorization"] == basic("a@b.c/token:t0k")


def test_oauth2_client_credentials_uses_dlt_class_and_defaults() -> None:
    """oauth2_client_credentials builds dlt's class, keeping its defaults unless given."""
    auth = build_auth(spec(
        "oauth2_client_credentials",
        {"access_token_url": "https://auth.example.com/token", "client_id": "cid", "client_secret": "cs"},
    ))
    assert isinstance(auth, OAuth2ClientCredentials)
    assert (auth.access_token_url, auth.client_id, auth.client_secret) == (
        "https://auth.example.com/token",
        "cid",
        "cs",
    )
    assert auth.default_token_expiration == 3600
    assert auth.access_token_request_data == {}
    session = requests.Session()
    custom = build_auth(spec("oauth2_client_credentials", {
        "access_token_url": "https://auth.example.com/token",
        "client_id": "cid",
        "client_secret": "cs",
        "access_token_request_data": {"scope": "read"},
        "default_token_expiration": 60,
        "session": session,
    }))
    assert isinstance(custom, OAuth2ClientCredentials)
    assert custom.build_access_token_request()["data"] == {
        "client_id": "cid",
        "client_secret": "cs",
        "grant_type": "client_credentials",
        "scope": "read",
    }
    assert (custom.default_token_expiration, custom.session) == (60, session)
    session.close()


def test_unknown_type() -> None:
    """An unknown type raises UnknownAuthType with the name and the known types."""
    with pytest.raises(UnknownAuthType) as caught:
        build_auth(spec("bearr", {"token": "x"}))
    assert caught.value.type_name == "bearr"
    assert caught.value.known == ["api_key", "basic", "bearer", "http_basic", "oauth2_client_credentials"]


def test_registry_is_new_each_call_and_extensible() -> None:
    """default_auth_registry returns a fresh dict; a caller's extended copy is honoured."""
    first = default_auth_registry()
    first["custom"] = lambda *, header: requests.auth.HTTPBasicAuth(header, "")
    assert "custom" not in default_auth_registry()
    auth = build_auth(spec("custom", {"header": "h"}), registry=first)
    assert prepared(auth).headers["Authorization"] == basic("h:")
    with pytest.raises(UnknownAuthType):
        build_auth(spec("custom", {"header": "h"}))


def test_type_params_table() -> None:
    """AUTH_TYPE_PARAMS lists the canonical types with their required and optional keys."""
    assert dict(AUTH_TYPE_PARAMS) == {
        "bearer": (frozenset({"token"}), frozenset()),
        "api_key": (frozenset({"api_key"}), frozenset({"name", "location"})),
        "http_basic": (frozenset({"username"}), frozenset({"password"})),
        "oauth2_client_credentials": (
            frozenset({"access_token_url", "client_id", "client_secret"}),
            frozenset({"access_token_request_data", "default_token_expiration", "session"}),
        ),
    }
    assert dict(AUTH_ALIASES) == {"basic": "http_basic"}
    assert API_KEY_LOCATIONS == ("header", "query", "param", "cookie")


@pytest.mark.parametrize(
    ("auth", "secrets"),
    [
        (None, []),
        (BearerTokenAuth(token="tok"), ["tok"]),
        (APIKeyAuth(name="api_key", api_key="key1", location="query"), ["key1"]),
        (HttpBasicAuth(username="u", password="pw"), ["pw", "dTpwdw=="]),
        (HttpBasicAuth(username="key", password=""), ["a2V5Og==", "key"]),
        (requests.auth.HTTPBasicAuth("u", "pw"), ["pw", "dTpwdw=="]),
        (
            OAuth2ClientCredentials(access_token_url="https://a/t", client_id="cid", client_secret="cs"),
            ["cs"],
        ),
    ],
)
def test_auth_secrets(auth: AuthBase | None, secrets: list[str]) -> None:
    """Every secret an auth object holds is listed, including basic-auth header values."""
    assert auth_secrets(auth) == secrets


def test_auth_secrets_after_token_fetch() -> None:
    """An OAuth access token, once obtained, is listed too."""
    auth = OAuth2ClientCredentials(access_token_url="https://a/t", client_id="cid", client_secret="cs")
    auth.access_token = "at_1"
    assert auth_secrets(auth) == ["cs", "at_1"]


def test_build_auth_does_not_mutate_params() -> None:
    """The config's auth block is read, not changed."""
    params = {"username": "k"}
    build_auth(spec("basic", params))
    assert params == {"username": "k"}
