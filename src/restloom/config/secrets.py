"""``resolve(config) -> Config``: the step after parsing that reads secrets and dlt's config.

Parsing does no I/O. A parsed config may still hold ``SecretRef`` values (a YAML or JSON file names
its secrets, ``{secret: NAME}``) and auth blocks without their credentials (dlt's rest_api reads
those from its config sections). ``resolve`` walks the frozen models and returns a copy where every
SecretRef is its ``dlt.secrets`` value, every auth block has the credentials dlt's config holds and
every unresolved dlt auth object is resolved. Every problem — a secret not set, a credential found
nowhere — is collected with the config path that needs it and raised as one ConfigError. No message
carries a secret's value.

The resolved config lists its ``secret_values`` for redaction: every value read from a secret or from
dlt's config, the credentials of every auth block, the values of credential-named params and headers
(``access_key``, ``Authorization``... — a Python config's ``dlt.secrets[...]`` is a plain string by then,
so the name is the only clue) and a password in the ``base_url``.
"""

from __future__ import annotations

import dataclasses
from base64 import b64encode
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from dlt.common.configuration.exceptions import ConfigurationException

from restloom.config import models
from restloom.config.auth import AUTH_TYPE_PARAMS, DEFAULT_SECTIONS, credentials_from_config, resolve_auth_object
from restloom.config.issues import Issues, join, resource_names
from restloom.config.models import AuthSpec, Config, ResourceSpec, SecretRef
from restloom.sensitive import is_sensitive_header, is_sensitive_name, userinfo_password

__all__ = ["resolve", "secret_env_name", "secret_values"]

AUTH_SECRET_PARAMS = ("token", "api_key", "password", "client_id", "client_secret")
"""The auth params that are credentials (a basic-auth username too, when the password is empty)."""


def resolve(config: Config, *, sections: tuple[str, ...] = DEFAULT_SECTIONS) -> Config:
    """``config`` with its secrets and auth credentials read (``sections``: dlt's config sections
    credentials left out of an auth block are read from); a resolved config is returned as is."""
    if config.resolved:
        return config
    walker = _Resolver(sections)
    resolved = walker.walk(config, "")
    walker.issues.name_resources(resource_names(config))
    walker.issues.raise_if_any()
    found = walker.found | secret_values(resolved) | config.secret_values
    return dataclasses.replace(resolved, resolved=True, secret_values=frozenset(v for v in found if v))


def secret_values(config: Config) -> set[str]:
    """The credentials a config shows by their names: credential-named params and headers of every
    endpoint (and top-level fields of its bodies), auth credentials, a ``base_url`` password."""
    found = {userinfo_password(config.client.base_url) or ""}
    for spec in config.resources:
        endpoint = spec.endpoint
        for name, value in _named_values(endpoint.params, endpoint.json, endpoint.data):
            if is_sensitive_name(name):
                found.add(value)
        for name, value in _named_values(endpoint.headers):
            if is_sensitive_header(name):
                found.update({value, value.partition(" ")[2]})  # "Bearer <token>": the token alone too
        if endpoint.auth is not None and endpoint.auth.type != "object":
            found.update(_auth_values(endpoint.auth.params))
    return {value for value in found if value}


def _named_values(*mappings: object) -> Iterator[tuple[str, str]]:
    for mapping in mappings:
        if isinstance(mapping, Mapping):
            yield from ((str(k), v) for k, v in mapping.items() if isinstance(v, str))


def _auth_values(params: Mapping[str, object]) -> set[str]:
    found = {value for key in AUTH_SECRET_PARAMS if isinstance(value := params.get(key), str)}
    username, password = params.get("username"), params.get("password")
    if isinstance(username, str) and username:
        found.add(b64encode(f"{username}:{password or ''}".encode()).decode())
        if not password:
            found.add(username)  # EasyPost: the API key is the username, with an empty password
    return found


def secret_env_name(name: str) -> str:
    """The environment variable ``dlt.secrets[name]`` reads: ``api_key`` → ``API_KEY``."""
    return name.upper().replace(".", "__")


class _Resolver:
    """One walk over the models: each model object is resolved once (shared auth stays shared)."""

    def __init__(self, sections: tuple[str, ...]) -> None:
        self.sections = sections
        self.issues = Issues()
        self._done: dict[int, Any] = {}
        self._secrets: dict[str, Any] = {}
        self._missing: set[str] = set()
        self.found: set[str] = set()  # every value read from a secret

    def walk(self, value: Any, path: str) -> Any:
        """``value`` with every SecretRef inside replaced; unchanged containers keep their identity."""
        if isinstance(value, SecretRef):
            return self._secret(value, path)
        if _is_model(value):
            if id(value) not in self._done:
                self._done[id(value)] = self._model(value, path)
            return self._done[id(value)]
        if isinstance(value, Mapping):
            items = {key: self.walk(item, join(path, str(key))) for key, item in value.items()}
            if all(items[key] is item for key, item in value.items()):
                return value
            return MappingProxyType(items) if isinstance(value, MappingProxyType) else items
        if isinstance(value, list | tuple):
            walked = [self.walk(item, join(path, index)) for index, item in enumerate(value)]
            if all(new is old for new, old in zip(walked, value, strict=True)):
                return value
            return walked if isinstance(value, list) else tuple(walked)
        return value

    def _model(self, model: Any, path: str) -> Any:
        if isinstance(model, AuthSpec):
            return self._auth(model)
        if isinstance(model, ResourceSpec):
            path = model.config_path
        changes = {}
        # auth first: a client's auth (shared by its endpoints) is written before any endpoint's values
        for item in sorted(dataclasses.fields(model), key=lambda item: item.name != "auth"):
            old = getattr(model, item.name)
            new = self.walk(old, join(path, item.name))
            if new is not old:
                changes[item.name] = new
        return dataclasses.replace(model, **changes) if changes else model

    def _secret(self, ref: SecretRef, path: str) -> Any:
        if ref.name not in self._secrets:
            self._secrets[ref.name] = _read_secret(ref.name)
        value = self._secrets[ref.name]
        if value is _MISSING:
            if ref.name not in self._missing:  # one problem per secret, where it is first referenced
                self._missing.add(ref.name)
                self.issues.add(path, f"secret '{ref.name}' is not set: export {secret_env_name(ref.name)}=... "
                                      "or add it to .dlt/secrets.toml")
            return ref
        rendered = ref.render(value)
        self.found.update(item for item in (value, rendered) if isinstance(item, str) and item)
        return rendered

    def _auth(self, spec: AuthSpec) -> AuthSpec:
        if spec.type == "object":
            try:
                return dataclasses.replace(spec, obj=resolve_auth_object(spec.obj, sections=self.sections))
            except ConfigurationException as exc:
                self.issues.add(spec.path, f"the auth object's credentials are not set: {str(exc).splitlines()[0]}")
                return spec
        before = len(self.issues)
        params = dict(self.walk(spec.params, spec.path))
        if len(self.issues) > before:  # a secret is missing: that is the problem to report
            return spec
        params = credentials_from_config(spec.type, params, sections=self.sections)
        required, _ = AUTH_TYPE_PARAMS[spec.type]
        for key in sorted(required - params.keys()):
            self.issues.add(join(spec.path, key), f"required for {spec.type} auth")
        return dataclasses.replace(spec, params=MappingProxyType(params))


_MISSING = object()


def _read_secret(name: str) -> Any:
    import dlt

    try:
        return dlt.secrets[name]
    except Exception:  # dlt raises its own lookup errors; a secret that cannot be read is not set
        return _MISSING


def _is_model(value: Any) -> bool:
    """A frozen model of ``restloom.config.models`` (only those are walked field by field)."""
    return dataclasses.is_dataclass(value) and not isinstance(value, type) and type(value).__module__ == models.__name__
