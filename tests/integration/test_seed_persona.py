"""Seed 000 (Persona) runs as written: last-record cursor, page size sent, stop on the empty page."""

from __future__ import annotations

from pathlib import Path

import pytest

from restloom.testing import Fault, FaultPlan, serve
from tests.conftest import Sync, key_checksum, table_rows
from tests.seeds import seed_config

RESOURCES = ("accounts", "cases", "api_keys", "api_logs", "events", "inquiries", "inquiry_sessions",
             "workflows_run", "webhooks", "workflow_runs")
GROUND = {name: ("workflow_runs" if name == "workflows_run" else name) for name in RESOURCES}


def test_persona_seed_loads_every_resource_exactly(run_sync: Sync, tmp_path: Path) -> None:
    """Every Persona resource lands with exactly the simulated API's records, keys included."""
    with serve("persona", size=23, seed=3, sizes={"accounts": 57}) as api:
        result = run_sync(seed_config("persona", base_url=api.base_url, secrets=api.secrets, tmp_path=tmp_path))
        truth = {name: api.ground_truth(GROUND[name]) for name in RESOURCES}
    assert result.ok
    for name in RESOURCES:
        ids = [row[0] for row in table_rows(result, name, "id")]
        assert len(ids) == len(truth[name]), name
        assert key_checksum(ids) == key_checksum(r["id"] for r in truth[name]), name
    assert result.landed["accounts"] == 57
    assert any("workflows_run" in n and "workflow_runs" in n for n in result.report.notices)


def test_persona_cursor_is_last_record_id_and_limit_is_sent(run_sync: Sync, tmp_path: Path) -> None:
    """The cursor sent as page[after] is the previous page's last id; limit=100 goes on every request."""
    with serve("persona", size=25, seed=5) as api:
        config = seed_config("persona", base_url=api.base_url, secrets=api.secrets, tmp_path=tmp_path)
        config["resources"] = [r for r in config["resources"] if r["name"] == "accounts"]
        run_sync(config)
        truth = api.ground_truth("accounts")
        log = [r for r in api.requests if r.path == "/accounts"]
    # The real API ignores `limit` (its page size is page[size], default 10): 3 pages + the empty page.
    assert [r.query for r in log] == [
        {"limit": "100"},
        {"limit": "100", "page[after]": truth[9]["id"]},
        {"limit": "100", "page[after]": truth[19]["id"]},
        {"limit": "100", "page[after]": truth[24]["id"]},
    ]
    assert [r.status for r in log] == [200, 200, 200, 200]


def test_persona_seed_twice_leaves_no_duplicates(run_sync: Sync, tmp_path: Path) -> None:
    """A second run of the seed merges on id: the tables hold each record once."""
    with serve("persona", size=12, seed=4) as api:
        config = seed_config("persona", base_url=api.base_url, secrets=api.secrets, tmp_path=tmp_path)
        run_sync(config, pipeline_name="twice")
        result = run_sync(config, pipeline_name="twice")
    for name in RESOURCES:
        assert table_rows(result, name, "COUNT(*), COUNT(DISTINCT id)") == [(12, 12)], name


@pytest.mark.parametrize("fault", [Fault(kind="status", status=503),
                                   Fault(kind="status", status=429, retry_after="1")])
def test_persona_retries_exactly_once_per_injected_fault(run_sync: Sync, tmp_path: Path, fault: Fault) -> None:
    """Scheduled 503s / 429s are retried once each: every record lands once, the log shows one repeat each."""
    schedule = {("/accounts", 2): fault, ("/accounts", 4): fault}
    with serve("persona", size=25, seed=6, faults=FaultPlan(schedule=schedule)) as api:
        config = seed_config("persona", base_url=api.base_url, secrets=api.secrets, tmp_path=tmp_path)
        config["resources"] = [r for r in config["resources"] if r["name"] == "accounts"]
        result = run_sync(config)
        log = [(r.query.get("page[after]"), r.status) for r in api.requests if r.path == "/accounts"]
        truth = api.ground_truth("accounts")
    status = fault.status
    assert log == [(None, 200), (truth[9]["id"], status), (truth[9]["id"], 200), (truth[19]["id"], status),
                   (truth[19]["id"], 200), (truth[24]["id"], 200)]
    assert table_rows(result, "accounts", "COUNT(*), COUNT(DISTINCT id)") == [(25, 25)]
    assert result.report.stats("accounts").retries == 2
