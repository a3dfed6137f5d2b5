"""The catalog: one YAML connector per service, shipped with restloom.

Each ``<name>.yaml`` here is a config in dlt's ``rest_api_source`` format (plus restloom's extended
cursor), corrected from its seed; its header comments say what changed and which secrets to export.
Secrets are references (``{secret: name}``, read as ``SecretRef`` values), resolved through
``dlt.secrets`` when a connector is loaded, so the files never hold a credential. It imports ``config``
and the adapter's front door.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import resources
from typing import Any

import yaml

from restloom.adapter.front import RunOptions, compile_config
from restloom.config.files import mark_secrets
from restloom.config.models import Config, SecretRef
from restloom.errors import ConfigError, ConfigIssue

__all__ = ["catalog_names", "catalog_raw", "catalog_text", "load_connector", "secret_names"]


def catalog_names() -> list[str]:
    """The names of the catalog connectors, sorted."""
    files = resources.files(__name__).iterdir()
    return sorted(f.name.removesuffix(".yaml") for f in files if f.name.endswith(".yaml"))


def catalog_text(name: str) -> str:
    """The YAML of a catalog connector, comments included."""
    known = catalog_names()
    if name not in known:
        raise ConfigError([ConfigIssue("", f"no catalog connector '{name}' (known: {', '.join(known)})")])
    return (resources.files(__name__) / f"{name}.yaml").read_text(encoding="utf-8")


def secret_names(name: str) -> list[str]:
    """The secrets a catalog connector references, in the order it names them."""
    return list(dict.fromkeys(_secret_refs(catalog_raw(name))))


def _secret_refs(value: Any) -> Iterator[str]:
    if isinstance(value, SecretRef):
        yield value.name
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _secret_refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _secret_refs(item)


def catalog_raw(name: str) -> dict[str, Any]:
    """The raw config of a catalog connector, its secret references as ``SecretRef`` values (unread)."""
    raw = mark_secrets(yaml.safe_load(catalog_text(name)))
    assert isinstance(raw, dict)
    return raw


def load_connector(name: str, *, base_url: str | None = None, options: RunOptions | None = None) -> Config:
    """The parsed catalog connector ``name`` with its secrets resolved, its base URL optionally replaced."""
    return compile_config(catalog_raw(name), options=options).with_base_url(base_url)
