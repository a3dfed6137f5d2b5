"""Pytest fixtures for the simulated APIs: ``from restloom.testing.fixtures import *`` in a conftest.

``simulated_api(api, **serve_kwargs)`` starts a simulated API (same keywords as ``serve``) and stops
every API it started when the test ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from restloom.testing.api import SimulatedAPI, serve

__all__ = ["simulated_api"]


@pytest.fixture
def simulated_api() -> Iterator[Callable[..., SimulatedAPI]]:
    """A factory starting simulated APIs; each is stopped at teardown."""
    started: list[SimulatedAPI] = []

    def start(api: str, **kwargs: Any) -> SimulatedAPI:
        simulated = serve(api, **kwargs).start()
        started.append(simulated)
        return simulated

    yield start
    for simulated in reversed(started):
        simulated.stop()
