"""Auth schemes as ``requests`` auth objects, built from a parsed ``AuthSpec`` via a registry.

Why: dlt's auth classes are already ``requests`` auth objects, so we reuse them and they behave
exactly as in dlt; the client never branches on the auth type, it just passes the object. The
registry of type names is explicit: ``default_auth_registry()`` returns a new dict each call, which
a caller may extend and pass to ``build_auth``; nothing global is mutated.

Types: ``bearer``, ``api_key`` (location header, query, param or cookie), ``http_basic`` (alias
``basic``; the password may be left out, as EasyPost's API key is the username with an empty
password) and ``oauth2_client_credentials`` (the token is fetched and refreshed inside dlt's class).

What a config may say about auth (types, keys, locations, credentials from dlt's config) is
``restloom.config.auth``'s business and is checked there, once: an AuthSpec that reaches
``build_auth`` is valid and resolved. ``auth_secrets`` lists the secret strings inside an auth object
so they can be redacted.
"""

from __future__ import annotations

from base64 import b64encode
from collections.abc import Callable, Mapping
from typing import Any

from dlt.sources.helpers.rest_client.auth import (
    APIKeyAuth,
    BearerTokenAuth,
    HttpBasicAuth,
    OAuth2ClientCredentials,
)
from requests import PreparedRequest
from requests.auth import AuthBase

from restloom.config.models import AuthSpec

__all__ = [
    "ApiKeyAuth",
    "AuthFactory",
    "UnknownAuthType",
    "auth_secrets",
    "build_auth",
    "default_auth_registry",
]

AuthFactory = Callable[..., AuthBase]

# attributes of auth objects (dlt's and requests') that hold secrets
_SECRET_ATTRIBUTES = (
    "token",
    "api_key",
    "password",
    "client_secret",
    "access_token",
    "private_key",
    "private_key_passphrase",
)


class UnknownAuthType(Exception):
    """``build_auth`` was given a type name its registry does not know."""

    def __init__(self, type_name: str, known: list[str]) -> None:
        self.type_name = type_name
        self.known = known
        super().__init__(f"unknown auth type {type_name!r} (known: {', '.join(known)})")


class ApiKeyAuth(APIKeyAuth):
    """dlt's ``APIKeyAuth``, which raises ``NotImplementedError`` for ``location="cookie"``; this
    subclass sends the key as a cookie (added to any ``Cookie`` header already there) and defers to
    dlt for every other location."""

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        if self.location != "cookie":
            return super().__call__(request)
        pair = f"{self.name}={self.api_key}"
        existing = request.headers.get("Cookie")
        request.headers["Cookie"] = f"{existing}; {pair}" if existing else pair
        return request


def _bearer(*, token: str) -> AuthBase:
    return BearerTokenAuth(token=token)


def _api_key(*, api_key: str, name: str = "Authorization", location: str = "header") -> AuthBase:
    return ApiKeyAuth(name=name, api_key=api_key, location=location)  # type: ignore[arg-type]


def _http_basic(*, username: str, password: str | None = None) -> AuthBase:
    """dlt's class would send the text 'None' for a missing password; we send an empty one."""
    return HttpBasicAuth(username=username, password="" if password is None else password)


def _oauth2_client_credentials(
    *, access_token_url: str, client_id: str, client_secret: str, **optional: Any
) -> AuthBase:
    """Only the optional keys given are passed, so dlt's defaults (expiry 3600 s, its session) hold."""
    return OAuth2ClientCredentials(
        access_token_url=access_token_url, client_id=client_id, client_secret=client_secret, **optional
    )


def default_auth_registry() -> dict[str, AuthFactory]:
    """A new dict of the built-in auth types (and the ``basic`` alias) to their factories."""
    return {
        "bearer": _bearer,
        "api_key": _api_key,
        "http_basic": _http_basic,
        "basic": _http_basic,
        "oauth2_client_credentials": _oauth2_client_credentials,
    }


def build_auth(spec: AuthSpec, *, registry: Mapping[str, AuthFactory] | None = None) -> AuthBase:
    """The auth object of a parsed, resolved AuthSpec: its own object, or its type's factory called
    with its params (``registry`` defaults to ``default_auth_registry()``)."""
    if spec.type == "object":
        return spec.obj
    factories = default_auth_registry() if registry is None else registry
    if spec.type not in factories:
        raise UnknownAuthType(spec.type, sorted(factories))
    return factories[spec.type](**spec.params)


def auth_secrets(auth: AuthBase | None) -> list[str]:
    """The secret strings inside an auth object, for redaction (no duplicates, no empty strings).

    Tokens, API keys, passwords, client secrets and private keys; for basic auth also the
    base64 credentials the header carries and, when the password is empty, the username (then the
    username is the API key). An OAuth token fetched later is read at call time, so call again after
    a refresh; ``Redactor.headers`` blanks ``Authorization`` regardless.
    """
    if auth is None:
        return []
    found = [getattr(auth, name, None) for name in _SECRET_ATTRIBUTES]
    username = getattr(auth, "username", None)
    password = getattr(auth, "password", None)
    if isinstance(username, str) and username and isinstance(password, str):
        found.append(b64encode(f"{username}:{password}".encode()).decode())
        if not password:
            found.append(username)
    return list(dict.fromkeys(value for value in found if isinstance(value, str) and value))
