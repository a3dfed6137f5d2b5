"""The configs ``restloom demo`` syncs: the catalog connector of a service, pointed at its simulated API.

The secrets a catalog file references are filled from the simulated API's credentials in the real
service's form (``real_credentials``), so the demo exercises the auth the catalog ships.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from restloom.catalog import load_connector
from restloom.config.models import Config

__all__ = ["DEMO_SECRETS", "demo_base_url", "demo_config", "demo_secrets"]

Credentials = Mapping[str, str]

DEMO_SECRETS: dict[str, Callable[[Credentials], dict[str, str]]] = {
    "persona": lambda real: {"persona_api_key": real["api_key"]},
    "opsgenie": lambda real: {"opsgenie_api_key": real["api_key"]},
    "easypost": lambda real: {"easypost_api_key": real["api_key"]},
    "yousign": lambda real: {"yousign_api_key": real["api_key"]},
    "zendesk_talk": lambda real: {"zendesk_email": real["email"], "zendesk_api_token": real["api_token"]},
}
"""Catalog name -> the values of the secrets its file references, from the real credentials."""


def demo_secrets(api: str, simulated: Any) -> dict[str, str]:
    """The catalog connector's secrets, by name, for the simulated API ``simulated``."""
    if api not in DEMO_SECRETS:
        raise SystemExit(f"no demo for '{api}' (available: {', '.join(sorted(DEMO_SECRETS))})")
    return DEMO_SECRETS[api](simulated.real_credentials)


def demo_base_url(api: str, simulated: Any) -> str:
    """The base URL the catalog connector takes for the simulated API.

    The simulated Zendesk serves the seed's ``/v1/...`` paths under its root, while the catalog's
    paths start after that prefix (where Zendesk's ``/api/v2/channels/voice/`` ends).
    """
    if api == "zendesk_talk":
        return f"{simulated.root_url}/v1/"
    return str(simulated.base_url)


def demo_config(api: str, simulated: Any) -> Config:
    """The catalog connector of ``api`` with its secrets taken from the simulated API and its base URL."""
    for secret, value in demo_secrets(api, simulated).items():
        os.environ[secret.upper()] = value
    return load_connector(api, base_url=demo_base_url(api, simulated))
