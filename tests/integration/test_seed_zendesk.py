"""Seed 004 (Zendesk Talk) runs as written: next_page URLs, projected IVR menus, exports that end."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from restloom.testing import serve
from tests.conftest import Sync, key_checksum, table_rows
from tests.seeds import seed_config

LISTS = ("addresses", "greeting_categories", "greetings", "phone_numbers", "ivrs", "ivr_menus")
NO_ID = {
    "agents_activity": "agent_id, name, avatar_url, agent_state, call_status, via, forwarding_number, calls_accepted",
    "agents_overview": "average_accepted_transfers, average_available_time, average_calls_accepted, "
                       "total_calls_accepted, total_calls_denied, average_talk_time",
    "current_queue_activity": "agents_online, average_wait_time, callbacks_waiting, calls_waiting, "
                              "longest_wait_time, embeddable_callbacks_waiting",
    "account_overview": "average_call_duration, average_queue_wait_time, average_wrap_up_time, total_calls, "
                        "total_voicemails, max_calls_waiting",
}


def test_zendesk_seed_loads_what_it_can_and_says_what_it_cannot(run_sync: Sync, tmp_path: Path) -> None:
    """Lists and IVR menus land exactly; objects without 'id' fail by name; ivrs.routes.* warns."""
    with serve("zendesk_talk", size=34, seed=6, export_page_size=10) as api:
        result = run_sync(seed_config("zendesk_talk", base_url=api.base_url, secrets=api.secrets,
                                      tmp_path=tmp_path))
        truth = {name: api.records(name) for name in (*LISTS, "calls", "call_legs")}
    for name in LISTS:
        ids = [row[0] for row in table_rows(result, name, "id")]
        assert len(ids) == len(truth[name]), name
        assert key_checksum(ids) == key_checksum(r["id"] for r in truth[name]), name
    for name in ("calls", "call_legs"):
        assert table_rows(result, name, "COUNT(*), COUNT(DISTINCT id)") == [(34, 34)], name
        assert key_checksum(r[0] for r in table_rows(result, name, "id")) == key_checksum(
            r["id"] for r in truth[name])
    failures = {stats.name: stats.error for stats in result.report.failed}
    assert failures == {
        name: f"primary key 'id' (from resource_defaults) is missing from its records (fields: {fields}); "
              "set primary_key on the resource to a field they carry"
        for name, fields in NO_ID.items()}
    assert result.report.stats("ivr_routes").warnings == [
        "data_selector 'ivrs.routes.*' matched nothing in a response that had data"]
    assert "ivr_routes" not in result.landed


def test_zendesk_exports_end_with_at_most_one_repeated_request(run_sync: Sync, tmp_path: Path) -> None:
    """An export whose next_page never ends stops after one repeat: stop condition or loop guard."""
    with serve("zendesk_talk", size=34, seed=6, export_page_size=10) as api:
        config = seed_config("zendesk_talk", base_url=api.base_url, secrets=api.secrets, tmp_path=tmp_path)
        config["resources"] = [r for r in config["resources"] if r["name"] == "calls"]
        result = run_sync(config)
        log = [r.query.get("start_time") for r in api.requests if r.path == "/v1/stats/incremental/calls"]
        rows = api.records("calls")
    windows = _export_windows([_epoch(r["updated_at"]) for r in rows], page_size=10)
    # The walk reaches the last second; the request at it returns that second's records again (the one
    # repeated request: count 2 > 1, so the seed's stop condition holds on), and its next URL is itself:
    # the loop guard stops there instead of requesting it again.
    assert log == [None, *windows]
    assert len(set(log)) == len(log)
    assert log[-1] == str(_epoch(rows[-1]["updated_at"]))
    assert result.report.stats("calls").warnings == [
        f"the next page request repeats one already made ({api.base_url}/v1/stats/incremental/calls?"
        f"start_time={log[-1]}); stopped to avoid a loop"]
    assert table_rows(result, "calls", "COUNT(*), COUNT(DISTINCT id)") == [(34, 34)]


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def _export_windows(epochs: list[int], *, page_size: int) -> list[str]:
    """The start_time of every request after the first, by the export's rule, until one repeats."""
    windows: list[str] = []
    start = 0
    while True:
        page = [e for e in epochs if e >= start][:page_size]
        start = page[-1]
        windows.append(str(start))
        if len(windows) > 1 and windows[-1] == windows[-2]:
            return windows[:-1]
