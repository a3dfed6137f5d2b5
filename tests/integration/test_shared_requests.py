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


def test_a_long_shared_list_is_still_one_request_per_page(run_sync: Sync, tmp_path: Path) -> None:
    """150 pages of /v1/ivr: ivr_routes (which selects nothing) runs far ahead of ivrs and ivr_menus (which
    build tables); each page is still requested once (with room for 32 responses: 444 requests)."""
    with serve("zendesk_talk", size=12, seed=6, sizes={"ivrs": 15_000}) as api:
        config = _only(seed_config("zendesk_talk", base_url=api.base_url, secrets=api.secrets, tmp_path=tmp_path),
                       IVR)
        result = run_sync(config)
        truth = api.records("ivrs")
        pages = [r.query.get("page") for r in api.requests if r.path == "/v1/ivr"]
    assert pages == [None, *(str(n) for n in range(2, 151))]
    _assert_exact(result, "ivrs", truth)
    assert [result.report.stats(name).pages for name in IVR] == [150] * 3


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


def test_a_503_on_a_shared_page_is_retried_once_by_the_resource_that_sent_it(run_sync: Sync, tmp_path: Path) -> None:
    """The second page answers 503 once: one retry on the wire, counted once, both tables exact."""
    schedule = {("/workflow-runs", 2): Fault(kind="status", status=503)}
    with serve("persona", size=25, seed=3, faults=FaultPlan(schedule=schedule)) as api:
        result = run_sync(_only(seed_config("persona", base_url=api.base_url, secrets=api.secrets,
                                            tmp_path=tmp_path), RUNS))
        truth = api.ground_truth("workflow_runs")
        log = [(r.query.get("page[after]"), r.status) for r in api.requests if r.path == "/workflow-runs"]
    assert result.ok
    assert log == [(None, 200), (truth[9]["id"], 503), (truth[9]["id"], 200), (truth[19]["id"], 200),
                   (truth[24]["id"], 200)]
    for name in RUNS:
        _assert_exact(result, name, truth)
    stats = [result.report.stats(name) for name in RUNS]
    assert sum(s.retries for s in stats) == 1
    assert sum(s.requests for s in stats) == 5


def test_a_shared_request_that_fails_for_good_fails_its_sender_and_the_other_fetches_alone(
        run_sync: Sync, tmp_path: Path) -> None:
    """Page 2 answers 503 six times: the sender gives up after 5 retries and fails; the other resource is not
    handed the failure — it sends page 2 itself and lands every record."""
    schedule = {("/workflow-runs", n): Fault(kind="status", status=503) for n in range(2, 8)}
    with serve("persona", size=25, seed=3, faults=FaultPlan(schedule=schedule)) as api:
        result = run_sync(_only(seed_config("persona", base_url=api.base_url, secrets=api.secrets,
                                            tmp_path=tmp_path), RUNS))
        truth = api.ground_truth("workflow_runs")
        log = [(r.query.get("page[after]"), r.status) for r in api.requests if r.path == "/workflow-runs"]
    after = [truth[9]["id"], truth[19]["id"], truth[24]["id"]]
    assert log == [(None, 200), *[(after[0], 503)] * 6, (after[0], 200), (after[1], 200), (after[2], 200)]
    [failed] = result.report.failed
    assert failed.error == (f"HTTP 503 at {api.base_url}/workflow-runs?limit=100&page%5Bafter%5D={after[0]}, still "
                            'failing after 5 retries (max_retries=5); body: {"error":"injected fault: HTTP 503"}')
    [survivor] = [result.report.stats(name) for name in RUNS if name != failed.name]
    _assert_exact(result, survivor.name, truth)
    _assert_exact(result, failed.name, truth[:10])  # the page before the failure loaded; the failure is reported
    assert (failed.requests + failed.shared, failed.retries, failed.pages) == (1 + 6, 5, 1)
    assert (survivor.requests + survivor.shared, survivor.retries, survivor.pages) == (4, 0, 4)
    assert failed.shared + survivor.shared == 1  # page 1, sent by one of them


def test_resources_with_different_params_do_not_share(run_sync: Sync, tmp_path: Path) -> None:
    """accounts read twice, with different params: two request sequences, nothing counted as shared."""
    with serve("persona", size=15, seed=2) as api:
        config = _only(seed_config("persona", base_url=api.base_url, secrets=api.secrets, tmp_path=tmp_path),
                       ("accounts",))
        other = {**config["resources"][0], "name": "accounts_again"}
        other["endpoint"] = {**other["endpoint"], "params": {"filter[status]": "any"}}
        config["resources"].append(other)
        result = run_sync(config)
        truth = api.ground_truth("accounts")
        log = sorted(tuple(sorted(r.query.items())) for r in api.requests if r.path == "/accounts")
    assert len(log) == 6  # 15 accounts, 10 a page: two pages and the empty one, for each resource
    assert len(set(log)) == 6
    assert sum("filter[status]" in dict(q) for q in log) == 3
    for name in ("accounts", "accounts_again"):
        _assert_exact(result, name, truth)
        assert result.report.stats(name).shared == 0


def test_two_children_making_the_same_requests_share_them(run_sync: Sync, tmp_path: Path) -> None:
    """Yousign followers read twice (a twin child of the same parent): one request per signature request,
    both tables hold every follower with its parent's id."""
    with serve("yousign", size=23, seed=5) as api:
        config = seed_config("yousign", base_url=api.base_url, secrets=api.secrets, tmp_path=tmp_path)
        parent, followers = (r for r in config["resources"]
                             if r["name"] in ("signature_requests", "signature_requests_followers"))
        config["resources"] = [parent, followers, {**followers, "name": "followers_twin"}]
        result = run_sync(config)
        truth = api.children("signature_requests_followers")
        paths = [r.path for r in api.requests if r.path.endswith("/followers")]
    assert sorted(paths) == sorted(f"/v3/signature_requests/{p}/followers" for p in truth)
    expected = sorted((p, f["email"]) for p, items in truth.items() for f in items)
    assert len(expected) > 23
    for name in ("signature_requests_followers", "followers_twin"):
        assert sorted(table_rows(result, name, "_signature_requests_id, email")) == expected, name
    stats = [result.report.stats(name) for name in ("signature_requests_followers", "followers_twin")]
    assert sum(s.requests for s in stats) == len(truth)
    assert [s.requests + s.shared for s in stats] == [len(truth)] * 2
