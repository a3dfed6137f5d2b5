"""The configs ``restloom demo`` syncs: the catalog connector of a service, pointed at its simulated API."""

from __future__ import annotations

import os
from importlib import resources
from typing import Any

import yaml

from restloom.config import parse, resolve_secrets
from restloom.config.models import Config
from restloom.sync import with_base_url

DEMO_SECRETS = {"persona": {"persona_api_key": "api_key"}}


def catalog_text(name: str) -> str:
    """The YAML of a catalog connector."""
    return (resources.files("restloom.catalog") / f"{name}.yaml").read_text(encoding="utf-8")


def demo_config(api: str, simulated: Any) -> Config:
    """The catalog connector of ``api`` with its secrets taken from the simulated API and its base URL."""
    if api not in DEMO_SECRETS:
        raise SystemExit(f"no demo for '{api}' yet (available: {', '.join(sorted(DEMO_SECRETS))})")
    for secret, source in DEMO_SECRETS[api].items():
        os.environ[secret.upper()] = str(simulated.secrets[source])
    raw = resolve_secrets(yaml.safe_load(catalog_text(api)))
    return with_base_url(parse(raw), simulated.base_url)
