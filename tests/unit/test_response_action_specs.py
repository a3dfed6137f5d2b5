"""restloom.http.actions: compiled response actions applied to hand-built responses, in dlt's order."""

from __future__ import annotations

import requests

from restloom.config.models import ResponseActionSpec
from restloom.http.actions import ResponseActions


def response(status: int, body: str) -> requests.Response:
    """A response with ``status`` and ``body``, built by hand (no server)."""
    built = requests.Response()
    built.status_code = status
    built._content = body.encode()
    return built


def test_ignore_matches_status_and_content() -> None:
    """An ignore action drops a response only when both its status code and content match."""
    actions = ResponseActions([ResponseActionSpec(status_code=404, content="no events", ignore=True)])
    assert actions.apply(response(404, '{"error": "no events"}')) is True
    assert actions.apply(response(404, '{"error": "missing"}')) is False
    assert actions.apply(response(200, "no events")) is False


def test_hooks_run_in_order_before_a_later_ignore() -> None:
    """Hooks of matching actions run in list order; the first ignore that matches stops the list."""
    seen: list[str] = []
    actions = ResponseActions([
        ResponseActionSpec(hooks=(lambda r: seen.append("first"),)),
        ResponseActionSpec(status_code=500, hooks=(lambda r: seen.append("on 500"),)),
        ResponseActionSpec(status_code=200, ignore=True),
        ResponseActionSpec(hooks=(lambda r: seen.append("after"),)),
    ])
    assert actions.apply(response(200, "{}")) is True
    assert seen == ["first"]


def test_an_action_that_does_nothing_is_dropped() -> None:
    """An action with neither hooks nor ignore (dlt: matches nothing) leaves the list empty and falsy."""
    actions = ResponseActions([ResponseActionSpec(status_code=404)])
    assert not actions
    assert actions.apply(response(404, "")) is False
