"""The auth dialect: ``auth`` blocks parsed into AuthSpecs, and dlt's rules for credentials left out.

An auth block is a type by name or dict (``basic`` = ``http_basic``; ``type`` defaults to bearer) or
a ``requests`` auth object. ``parse_auth`` checks its structure only — the type, unknown keys, an
api_key ``location`` — and reads nothing: required credentials a block leaves out may come from dlt's
config, which ``restloom.config.secrets.resolve`` reads (``credentials_from_config``) after parsing.

Credentials left out of a config are looked up the way dlt's rest_api does: dlt's auth class for the
type is resolved against dlt's config providers in the source's sections, so ``auth: bearer`` reads
``SOURCES__REST_API__CREDENTIALS__TOKEN``, ``CREDENTIALS__TOKEN``, secrets.toml...
"""

from __future__ import annotations

from collections.abc import Mapping
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
from requests.auth import AuthBase

from restloom.config.issues import Issues, join
from restloom.config.models import AuthSpec, SecretRef
from restloom.text import did_you_mean

__all__ = [
    "API_KEY_LOCATIONS",
    "AUTH_ALIASES",
    "AUTH_TYPE_PARAMS",
    "DEFAULT_SECTIONS",
    "credentials_from_config",
    "parse_auth",
    "resolve_auth_object",
]

DEFAULT_SECTIONS = ("sources", "rest_api", "rest_api")
"""Where dlt's ``rest_api_source`` looks for credentials by default: ``sources.<section>.<name>``."""

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
"""Each canonical auth type's required and optional keys."""


def parse_auth(raw: Any, *, path: str, issues: Issues) -> AuthSpec | None:
    """An AuthSpec for auth given as an object, a type name, or a dict (``type`` defaults to bearer).

    Structure only: missing credentials are not reported here (see ``restloom.config.secrets``).
    """
    if raw is None:
        return None
    if isinstance(raw, AuthBase):
        return AuthSpec(type="object", obj=raw, path=path)
    if isinstance(raw, str):
        raw = {"type": raw}
    if not issues.expect(raw, Mapping, path, "an auth mapping, a type name or a requests auth object"):
        return None
    type_name = AUTH_ALIASES.get(raw.get("type", "bearer"), raw.get("type", "bearer"))
    known = sorted([*AUTH_TYPE_PARAMS, *AUTH_ALIASES])
    if type_name not in AUTH_TYPE_PARAMS:
        # the value is not echoed: a token written where the type name goes must not reach a message
        hint = did_you_mean(str(type_name), known)
        issues.add(join(path, "type"), f"unknown auth type{hint} (known: {', '.join(known)})")
        return None
    required, optional = AUTH_TYPE_PARAMS[type_name]
    params = {k: v for k, v in raw.items() if k != "type"}
    issues.unknown_keys(params, required | optional, path)
    location = params.get("location")
    if (type_name == "api_key" and location is not None and not isinstance(location, SecretRef)
            and location not in API_KEY_LOCATIONS):
        issues.add(join(path, "location"), f"unknown location (known: {', '.join(API_KEY_LOCATIONS)})")
    return AuthSpec(type=type_name, params=MappingProxyType(params), path=path)


def _dlt_auth_class(type_name: str) -> type[AuthConfigBase] | None:
    """dlt's auth class of a canonical type: what dlt resolves against its config providers."""
    classes: dict[str, type[AuthConfigBase]] = {
        "bearer": BearerTokenAuth, "api_key": APIKeyAuth, "http_basic": HttpBasicAuth,
        "oauth2_client_credentials": OAuth2ClientCredentials,
    }
    return classes.get(type_name)


def credentials_from_config(type_name: str, params: Mapping[str, Any], *,
                            sections: tuple[str, ...] = DEFAULT_SECTIONS) -> dict[str, Any]:
    """``params`` with the keys it leaves out filled from dlt's config, as dlt's rest_api does.

    dlt builds its auth class from the given keys and, when that leaves a field it requires unset,
    resolves the class in the source's config sections (``SOURCES__<section>__<name>__CREDENTIALS__<KEY>``,
    ..., ``CREDENTIALS__<KEY>``). dlt's own required fields decide (an http_basic password, optional
    here, is still read from the config when it is there). Keys found nowhere stay missing.
    """
    cls = _dlt_auth_class(type_name)
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
