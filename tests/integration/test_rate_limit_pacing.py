"""The vendor's rate-limit headers are obeyed before the limit: a sync against a server allowing 20
requests per 1 s window completes exactly, without a single 429, at >= 90 % of the allowed rate.

This test waits for real (the pacing is the feature); every other test makes waits instant.
"""

from __future__ import annotations

from typing import Any

from restloom.testing import serve
from restloom.testing.ratelimit import Window
from tests.conftest import Sync, table_rows

NAMES = ["accounts", "cases", "events", "inquiries"]
LIMIT, PERIOD = 20, 1.0


def _config(api: Any) -> dict[str, Any]:
    return {
        "client": {"base_url": api.base_url, "auth": {"type": "bearer", "token": api.secrets["api_key"]}},
        "resource_defaults": {"primary_key": "id", "endpoint": {"data_selector": "data", "paginator": {
            "type": "cursor", "cursor_param": "page[after]", "limit": 3, "limit_param": "page[size]",
            "stop_condition": "response.get('data')|length == 0"}}},
        "resources": [{"name": name, "endpoint": {"path": name}} for name in NAMES],
    }


def test_persona_headers_pace_the_sync_below_the_limit_and_near_it(run_sync: Sync) -> None:
    windows = (Window(limit=LIMIT, seconds=PERIOD),)
    with serve("persona", size=40, seed=21, rate_limit=True, rate_windows=windows) as api:
        result = run_sync(_config(api), wait_scale=1.0)
        log = api.requests
        truth = {name: sorted(record["id"] for record in api.records(name)) for name in NAMES}
    assert result.ok
    for name in NAMES:
        assert sorted(row[0] for row in table_rows(result, name, "id")) == truth[name], name
    assert [record.status for record in log if record.status != 200] == []  # no 429
    assert len(log) == 4 * 15  # 14 pages of 3 (the last of 1) and the empty page that ends each list
    rate = len(log) / (log[-1].at - log[0].at)
    assert rate >= 0.9 * LIMIT / PERIOD, rate
