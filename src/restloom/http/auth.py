"""Auth schemes as ``requests`` auth objects, built from a config's ``auth`` block via a registry.

Why: dlt's auth classes are already ``requests`` auth objects, so we reuse them and they behave
exactly as in dlt; the client never branches on the auth type, it just passes the object. The
registry of type names is explicit: ``default_auth_registry()`` returns a new dict each call, which
a caller may extend and pass to ``build_auth``; nothing global is mutated.

Types: ``bearer``, ``api_key`` (location header, query, param or cookie), ``http_basic`` (alias
``basic``; the password may be left out, as EasyPost's API key is the username with an empty
password) and ``oauth2_client_credentials`` (the token is fetched and refreshed inside dlt's class).

``AUTH_TYPE_PARAMS`` lists each type's required and optional keys for the config parser;
``auth_secrets`` lists the secret strings inside an auth object so they can be redacted.

Credentials left out of a config are looked up the way dlt's rest_api does (``credentials_from_config``):
dlt's auth class for the type is resolved against dlt's config providers in the source's sections, so
``auth: bearer`` reads ``SOURCES__REST_API__CREDENTIALS__TOKEN``, ``CREDENTIALS__TOKEN``, secrets.toml...
"""

from __future__ import annotations

from base64 import b64encode
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from dlt.common.configuration import resolve_configuration
from dlt.sources.helpers.rest_client.auth import (
    APIKeyAuth,
    AuthConfigBase,
    BearerTokenAuth,
    HttpBasicAuth,
    OAuth2ClientCredentials,
)
from requests import PreparedRequest
from requests.auth import AuthBase

__all__ = [
    "API_KEY_LOCATIONS",
    "AUTH_ALIASES",
    "AUTH_TYPE_PARAMS",
    "DEFAULT_SECTIONS",
    "ApiKeyAuth",
    "AuthParamError",
    "UnknownAuthType",
    "auth_secrets",
    "build_auth",
    "credentials_from_config",
    "default_auth_registry",
    "resolve_auth_object",
]

DEFAULT_SECTIONS = ("sources", "rest_api", "rest_api")
"""Where dlt's ``rest_api_source`` looks for credentials by default: ``sources.<section>.<name>``."""
_DLT_AUTH_CLASSES: Mapping[str, type[AuthConfigBase]] = MappingProxyType(
    {"bearer": BearerTokenAuth, "api_key": APIKeyAuth, "http_basic": HttpBasicAuth,
     "oauth2_client_credentials": OAuth2ClientCredentials}
)

AuthFactory = Callable[..., AuthBase]

API_KEY_LOCATIONS = ("header", "query", "param", "cookie")
AUTH_ALIASES: Mapping[str, str] = MappingProxyType({"basic": "http_basic"})
AUTH_TYPE_PARAMS: Mapping[str, tuple[frozenset[str], frozenset[str]]] = MappingProxyType(
    {
        "bearer": (frozenset({"token"}), frozenset()),
        "api_key": (frozenset({"api_key"}), frozenset({"name", "location"})),
        "http_basic": (frozenset({"username"}), frozenset({"password"})),
        "oauth2_client_credentials": (
            frozenset({"access_token_url", "client_id", "client_secret"}),
            frozenset({"access_token_request_data", "default_token_expiration", "session"}),
        ),
    }
)

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


class AuthParamError(Exception):
    """An auth type got a missing, unknown or invalid parameter (the config parser checks first)."""

    def __init__(self, type_name: str, message: str) -> None:
        self.type_name = type_name
        self.reason = message
        super().__init__(f"{type_name} auth: {message}")


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
    if location not in API_KEY_LOCATIONS:
        raise AuthParamError(
            "api_key", f"location must be one of {', '.join(API_KEY_LOCATIONS)}, got {location!r}"
        )
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


def build_auth(
    type_name: str, params: Mapping[str, Any], *, registry: Mapping[str, AuthFactory] | None = None
) -> AuthBase:
    """The auth object for ``type_name`` with ``params`` (the config's auth block without ``type``)."""
    factories = default_auth_registry() if registry is None else registry
    if type_name not in factories:
        raise UnknownAuthType(type_name, sorted(factories))
    canonical = AUTH_ALIASES.get(type_name, type_name)
    if canonical in AUTH_TYPE_PARAMS:
        _check_params(canonical, params)
    return factories[type_name](**params)


def _check_params(type_name: str, params: Mapping[str, Any]) -> None:
    required, optional = AUTH_TYPE_PARAMS[type_name]
    missing = sorted(required - params.keys())
    unknown = sorted(params.keys() - required - optional)
    if missing:
        raise AuthParamError(type_name, f"missing {', '.join(missing)}")
    if unknown:
        known = ", ".join(sorted(required | optional))
        raise AuthParamError(type_name, f"unknown parameter {', '.join(unknown)} (known: {known})")


def credentials_from_config(type_name: str, params: Mapping[str, Any], *,
                            sections: tuple[str, ...] = DEFAULT_SECTIONS) -> dict[str, Any]:
    """``params`` with the keys it leaves out filled from dlt's config, as dlt's rest_api does.

    dlt builds its auth class from the given keys and, when that leaves a field it requires unset,
    resolves the class in the source's config sections (``SOURCES__<section>__<name>__CREDENTIALS__<KEY>``,
    ..., ``CREDENTIALS__<KEY>``). dlt's own required fields decide (an http_basic password, optional
    here, is still read from the config when it is there). Keys found nowhere stay missing.
    """
    cls = _DLT_AUTH_CLASSES.get(type_name)
    if cls is None:
        return dict(params)
    auth = cls.from_init_value(dict(params))
    if auth.__is_resolved__:
        return dict(params)
    auth = resolve_configuration(auth, sections=sections, accept_partial=True)
    defaults = cls()
    required, optional = AUTH_TYPE_PARAMS[type_name]
    found = {key: getattr(auth, key) for key in sorted((required | optional) - params.keys() - {"session"})
             if getattr(auth, key, None) is not None and getattr(auth, key) != getattr(defaults, key, None)}
    return {**params, **found}


def resolve_auth_object(auth: AuthBase, *, sections: tuple[str, ...] = DEFAULT_SECTIONS) -> AuthBase:
    """A dlt auth object as dlt's rest_api uses it: one left unresolved is resolved from dlt's config."""
    if isinstance(auth, AuthConfigBase) and not auth.__is_resolved__:
        return resolve_configuration(auth, sections=sections, accept_partial=False)
    return auth


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
