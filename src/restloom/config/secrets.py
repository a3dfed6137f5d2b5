"""``resolve(config) -> Config``: the step after parsing that reads secrets and dlt's config.

Parsing does no I/O. A parsed config may still hold ``SecretRef`` values (a YAML or JSON file names
its secrets, ``{secret: NAME}``) and auth blocks without their credentials (dlt's rest_api reads
those from its config sections). ``resolve`` walks the frozen models and returns a copy where every
SecretRef is its ``dlt.secrets`` value, every auth block has the credentials dlt's config holds and
every unresolved dlt auth object is resolved. Every problem — a secret not set, a credential found
nowhere — is collected with the config path that needs it and raised as one ConfigError. No message
carries a secret's value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from dlt.common.configuration.exceptions import ConfigurationException

from restloom.config import models
from restloom.config.auth import AUTH_TYPE_PARAMS, DEFAULT_SECTIONS, credentials_from_config, resolve_auth_object
from restloom.config.issues import Issues, join
from restloom.config.models import AuthSpec, Config, ResourceSpec, SecretRef

__all__ = ["resolve", "secret_env_name"]


def resolve(config: Config, *, sections: tuple[str, ...] = DEFAULT_SECTIONS) -> Config:
    """``config`` with its secrets and auth credentials read (``sections``: dlt's config sections
    credentials left out of an auth block are read from); a resolved config is returned as is."""
    if config.resolved:
        return config
    walker = _Resolver(sections)
    resolved = walker.walk(config, "")
    walker.issues.raise_if_any()
    return dataclasses.replace(resolved, resolved=True)


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
        return ref.render(value)

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
