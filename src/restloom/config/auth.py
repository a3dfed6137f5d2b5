"""Parsing ``auth`` blocks: a type by name or dict (``basic`` = ``http_basic``), or an auth object.

Credentials the config leaves out are read from dlt's config sections, as dlt does.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from dlt.common.configuration.exceptions import ConfigurationException
from requests.auth import AuthBase

from restloom.config.issues import Issues, join
from restloom.config.models import AuthSpec
from restloom.http.auth import (
    API_KEY_LOCATIONS,
    AUTH_ALIASES,
    AUTH_TYPE_PARAMS,
    DEFAULT_SECTIONS,
    credentials_from_config,
    resolve_auth_object,
)
from restloom.text import did_you_mean


def parse_auth(raw: Any, *, path: str, issues: Issues,
               sections: tuple[str, ...] = DEFAULT_SECTIONS) -> AuthSpec | None:
    """An AuthSpec for auth given as an object, a type name, or a dict (``type`` defaults to bearer).

    Credentials a type needs but the config leaves out are read from dlt's config in ``sections``, as
    dlt does; only those still missing are problems.
    """
    if raw is None:
        return None
    if isinstance(raw, AuthBase):
        try:
            return AuthSpec(type="object", obj=resolve_auth_object(raw, sections=sections))
        except ConfigurationException as exc:
            issues.add(path, f"the auth object's credentials are not set: {str(exc).splitlines()[0]}")
            return None
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
    given = {k: v for k, v in raw.items() if k != "type"}
    params = credentials_from_config(type_name, given, sections=sections)
    issues.unknown_keys(params, required | optional, path)
    for key in sorted(required - params.keys()):
        issues.add(join(path, key), f"required for {type_name} auth")
    location = params.get("location")
    if type_name == "api_key" and location is not None and location not in API_KEY_LOCATIONS:
        issues.add(join(path, "location"), f"unknown location (known: {', '.join(API_KEY_LOCATIONS)})")
    return AuthSpec(type=type_name, params=MappingProxyType(params))
