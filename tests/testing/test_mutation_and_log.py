"""The mutation step changes exactly what it reports; the request log records exactly what was sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import requests

from tests.testing.walkers import auth_headers


def _by_id(records: list[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    return {r["id"]: r for r in records}


def test_mutation_updates_and_adds_exactly_what_it_reports(simulated_api: Any) -> None:
    """Persona: a tenth updated (updated-at later, tags changed), a twentieth added, the rest untouched."""
    api = simulated_api("persona", size=40, seed=2)
    before = _by_id(api.records("accounts"))
    mutation = api.mutate(seed=1)
    after = _by_id(api.records("accounts"))
    updated, added = mutation.updated["accounts"], mutation.added["accounts"]
    assert (len(updated), len(added)) == (4, 2)
    assert set(after) == set(before) | set(added)
    for key, record in before.items():
        if key not in updated:
            assert after[key] == record
    for key in updated:
        old, new = before[key]["attributes"], after[key]["attributes"]
        assert new["updated-at"] > max(r["attributes"]["updated-at"] for r in before.values())
        assert new["tags"] == [*old["tags"], "updated"]
        assert {k for k in new if new[k] != old[k]} == {"updated-at", "tags"}
    assert list(after)[:2] == list(reversed(added))  # newest first


def test_mutation_is_deterministic_by_seed(simulated_api: Any) -> None:
    """The same mutation seed on the same data picks the same records."""
    first = simulated_api("easypost", size=30, seed=5).mutate(seed=9)
    again = simulated_api("easypost", size=30, seed=5).mutate(seed=9)
    assert first == again
    assert first.updated["batches"]


def test_mutation_feeds_incremental_filters(simulated_api: Any, session: requests.Session) -> None:
    """After a mutation, Opsgenie updatedAt>= and a Zendesk export past the old end return the changes."""
    ops = simulated_api("opsgenie", size=30, seed=1)
    session.headers.update(auth_headers(ops))
    latest = max(datetime.fromisoformat(a["updatedAt"]).timestamp() for a in ops.records("alerts"))
    since_ms = int(latest + 1) * 1000
    url = f"{ops.root_url}/v2/alerts"
    assert session.get(url, params={"query": f"updatedAt>={since_ms}"}).json()["data"] == []
    mutation = ops.mutate(seed=1)
    page = session.get(url, params={"query": f"updatedAt>={since_ms}", "order": "asc", "limit": 100}).json()
    assert {r["id"] for r in page["data"]} == {*mutation.updated["alerts"], *mutation.added["alerts"]}
    zendesk = simulated_api("zendesk_talk", size=30, seed=1)
    end = session.get(f"{zendesk.root_url}/v1/stats/incremental/calls",
                      params={"start_time": 0}, headers=auth_headers(zendesk)).json()["end_time"]
    change = zendesk.mutate(seed=1)
    later = session.get(f"{zendesk.root_url}/v1/stats/incremental/calls",
                        params={"start_time": end + 1}, headers=auth_headers(zendesk)).json()
    assert {r["id"] for r in later["calls"]} == {*change.updated["calls"], *change.added["calls"]}


def test_export_repeats_the_last_second_at_the_end(simulated_api: Any, session: requests.Session) -> None:
    """Zendesk: asking again with start_time=end_time returns the last second's records (two or more)."""
    api = simulated_api("zendesk_talk", size=12, seed=0)
    session.headers.update(auth_headers(api))
    page = session.get(f"{api.root_url}/v1/stats/incremental/legs", params={"start_time": 0}).json()
    assert page["count"] == 12
    assert page["next_page"] == f"{api.root_url}/v1/stats/incremental/legs?start_time={page['end_time']}"
    again = session.get(page["next_page"]).json()
    assert again["count"] >= 2
    assert again["legs"] == page["legs"][-again["count"]:]
    assert again["next_page"] == page["next_page"]


def test_request_log_records_exact_sequence(simulated_api: Any, session: requests.Session) -> None:
    """The log has method, path, decoded query (pairs and last-wins dict), auth form and status."""
    api = simulated_api("zendesk_talk", size=3)
    key = api.secrets["api_key"]
    session.get(f"{api.root_url}/v1/greetings?per_page=2&page=1&page=2&api_key={key}")
    session.get(f"{api.root_url}/v1/nope", params={"api_key": key})
    session.get(f"{api.root_url}/v1/greetings")
    records = api.requests
    assert [(r.method, r.path, r.auth, r.status) for r in records] == [
        ("GET", "/v1/greetings", "seed", 200), ("GET", "/v1/nope", "seed", 404),
        ("GET", "/v1/greetings", "none", 401)]
    assert records[0].query_pairs == [("per_page", "2"), ("page", "1"), ("page", "2"), ("api_key", key)]
    assert records[0].query == {"per_page": "2", "page": "2", "api_key": key}
    api.clear_requests()
    assert api.requests == []


def test_next_page_urls_never_carry_the_query_credential(simulated_api: Any,
                                                         session: requests.Session) -> None:
    """Zendesk next_page drops the seed's api_key parameter and keeps the others."""
    api = simulated_api("zendesk_talk", size=5)
    page = session.get(f"{api.root_url}/v1/greetings",
                       params={"per_page": 2, "api_key": api.secrets["api_key"]}).json()
    assert page["next_page"] == f"{api.root_url}/v1/greetings?per_page=2&page=2"
    assert page["count"] == 5
