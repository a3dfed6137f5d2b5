"""Resources that make the same request share it: one request per page on the wire, every table exact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from restloom.testing import Fault, FaultPlan, serve
from tests.conftest import Sync, key_checksum, table_rows
from tests.seeds import seed_config

IVR = ("ivrs", "ivr_menus", "ivr_routes")
RUNS = ("workflows_run", "workflow_runs")


def _only(config: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    config["resources"] = [r for r in config["resources"] if r["name"] in names]
    return config


def _assert_exact(result: Any, table: str, truth: list[dict[str, Any]]) -> None:
    ids = [row[0] for row in table_rows(result, table, "id")]
    assert len(ids) == len(truth), table
    assert key_checksum(ids) == key_checksum(r["id"] for r in truth), table


def test_zendesk_ivr_resources_send_one_request_per_page(run_sync: Sync, tmp_path: Path) -> None:
    """ivrs, ivr_menus and ivr_routes read /v1/ivr: each page is requested once, both tables exact."""
    with serve("zendesk_talk", size=12, seed=6, sizes={"ivrs": 230}) as api:
        result = run_sync(seed_config("zendesk_talk", base_url=api.base_url, secrets=api.secrets,
                                      tmp_path=tmp_path))
        truth = {name: api.records(name) for name in ("ivrs", "ivr_menus")}
        ivr = [(r.query.get("page"), r.status) for r in api.requests if r.path == "/v1/ivr"]
    assert ivr == [(None, 200), ("2", 200), ("3", 200)]  # 230 IVRs, 100 a page: three pages, each once
    pages = 3
    for name in ("ivrs", "ivr_menus"):
        _assert_exact(result, name, truth[name])
    stats = {name: result.report.stats(name) for name in IVR}
    assert sum(s.requests for s in stats.values()) == pages
    assert [s.requests + s.shared for s in stats.values()] == [pages] * 3
    assert all(s.pages == pages for s in stats.values())
    assert stats["ivr_routes"].warnings == ["data_selector 'ivrs.routes.*' matched nothing in a response that had data"]


def test_persona_workflow_runs_twice_is_one_request_per_page(run_sync: Sync, tmp_path: Path) -> None:
    """workflows_run and workflow_runs read /workflow-runs: one request per page, both tables the truth."""
    with serve("persona", size=25, seed=3) as api:
        result = run_sync(seed_config("persona", base_url=api.base_url, secrets=api.secrets, tmp_path=tmp_path))
        truth = api.ground_truth("workflow_runs")
        log = [r.query for r in api.requests if r.path == "/workflow-runs"]
    assert result.ok
    assert log == [{"limit": "100"}, {"limit": "100", "page[after]": truth[9]["id"]},
                   {"limit": "100", "page[after]": truth[19]["id"]}, {"limit": "100", "page[after]": truth[24]["id"]}]
    for name in RUNS:
        _assert_exact(result, name, truth)
    stats = [result.report.stats(name) for name in RUNS]
    # each page is counted once as a request (by whichever resource sent it) and once as shared (by the other)
    assert sum(s.requests for s in stats) == 4
    assert [s.requests + s.shared for s in stats] == [4, 4]
    assert [s.pages for s in stats] == [4, 4]
