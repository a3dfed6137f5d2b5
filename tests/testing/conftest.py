"""Fixtures for the simulated-API tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from restloom.testing.fixtures import simulated_api

__all__ = ["session", "simulated_api"]


@pytest.fixture
def session() -> Iterator[requests.Session]:
    """One plain HTTP session, closed at teardown."""
    with requests.Session() as client:
        yield client
