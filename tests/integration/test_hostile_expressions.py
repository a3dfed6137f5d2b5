"""Hostile config expressions end fast: a config error, or an ExpressionError failing only their resource."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from restloom.config import parse
from restloom.errors import ConfigError, ConfigIssue
from restloom.testing import SimulatedAPI, serve
from tests.conftest import Sync, table_rows

PAGINATOR = "resources[0].endpoint.paginator"
NAMED_PAGINATOR = "resources[0] (accounts).endpoint.paginator"  # config errors name the resource after its index
LIMIT = "would build more than 100,000 characters or items (the limit for one value)"


def _config(api: SimulatedAPI, **hostile: str) -> dict[str, Any]:
    """Persona accounts with the hostile paginator keys, and cases with a plain cursor paginator."""
    def paginator(**extra: str) -> dict[str, Any]:
        return {"type": "cursor", "cursor_param": "page[after]", "limit": 10, "limit_param": "page[size]",
                "stop_condition": "response.get('data')|length == 0", **extra}

    return {"client": {"base_url": api.base_url, "auth": {"type": "bearer", "token": api.secrets["api_key"]}},
            "resource_defaults": {"primary_key": "id", "endpoint": {"data_selector": "data"}},
            "resources": [{"name": "accounts", "endpoint": {"path": "accounts", "paginator": paginator(**hostile)}},
                          {"name": "cases", "endpoint": {"path": "cases", "paginator": paginator()}}]}


def _within(seconds: float, work: Callable[[], Any]) -> Any:
    """``work()``'s result (or its exception), or a test failure if it has not ended after ``seconds``
    (it used to hang)."""
    box: list[tuple[bool, Any]] = []

    def target() -> None:
        try:
            box.append((True, work()))
        except BaseException as exc:  # handed to the test's thread
            box.append((False, exc))

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert box, f"still running after {seconds} s"
    ok, value = box[0]
    if not ok:
        raise value
    return value


@pytest.mark.parametrize(("key", "source", "reason"), [
    ("stop_condition", "{{ 'x'|center(10**9) }}", f"center {LIMIT}"),
    ("stop_condition", "'%01000000000d' % 1", f"% formatting {LIMIT}"),
    ("cursor_value", "'{:>1000000000}'.format(1)", f"str.format {LIMIT}"),
    ("cursor_value", "((9**128)**128)**128", "the result of '**' would have about 51,968 bits (limit 4,096)"),
    ("stop_condition", "{% for a in 'x'*100000 %}{% for b in 'x'*100000 %}{% endfor %}{% endfor %}",
     "{% for %} loops are not allowed in an expression (filters such as map, select, sum and length work on "
     "lists)"),
])
def test_payload_that_needs_no_response_is_a_config_error(key: str, source: str, reason: str) -> None:
    """The five payloads that built 1 GB strings or hung the run read no response: refused when the config
    is parsed, naming the config path and the bound."""
    with serve("persona", size=1, seed=2) as api, pytest.raises(ConfigError) as caught:
        _within(30, lambda: parse(_config(api, **{key: source})))
    assert caught.value.issues == (ConfigIssue(f"{NAMED_PAGINATOR}.{key}", f"{reason} in '{source}'"),)


@pytest.mark.parametrize(("key", "source", "reason"), [
    ("stop_condition", "{{ 'x'|center(page_count * 10**9) }}", f"center {LIMIT}"),
    ("stop_condition", "('%0' ~ page_count ~ '000000000d') % 1", f"% formatting {LIMIT}"),
    ("cursor_value", "('{:>' ~ page_count ~ '000000000}').format(1)", f"str.format {LIMIT}"),
    ("cursor_value", "((9**128)**(127 + page_count))**128",
     "the result of '**' would have about 51,968 bits (limit 4,096)"),
])
def test_runtime_payload_fails_only_its_resource(run_sync: Sync, key: str, source: str, reason: str) -> None:
    """The same payloads made to depend on the response fail their resource after one page, with the
    bound they tripped; the other resource loads in full."""
    with serve("persona", size=15, seed=2) as api:
        result = _within(30, lambda: run_sync(_config(api, **{key: source})))
        accounts = [r.path for r in api.requests if r.path.endswith("/accounts")]
        cases = sorted(r["id"] for r in api.records("cases"))
    [failed] = result.report.failed
    assert (failed.name, failed.error) == ("accounts", f"expression at {PAGINATOR}.{key} failed: SecurityError: "
                                                       f"{reason}")
    assert len(accounts) == 1
    assert sorted(row[0] for row in table_rows(result, "cases", "id")) == cases
