"""Fixtures for the catalog tests: a catalog connector pointed at its simulated API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from restloom.catalog import catalog_raw
from restloom.cli.demo import demo_base_url, demo_secrets
from restloom.testing import SimulatedAPI

Connector = Callable[[str, SimulatedAPI], dict[str, Any]]


@pytest.fixture
def connector(monkeypatch: pytest.MonkeyPatch) -> Connector:
    """The raw catalog config ``name`` with its secrets exported from the simulated API's real credentials."""

    def make(name: str, api: SimulatedAPI) -> dict[str, Any]:
        for secret, value in demo_secrets(name, api).items():
            monkeypatch.setenv(secret.upper(), value)
        raw = catalog_raw(name)
        raw["client"]["base_url"] = demo_base_url(name, api)
        return raw

    return make
