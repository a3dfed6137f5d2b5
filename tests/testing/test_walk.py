"""Every list endpoint walked by the vendor's real rules yields exactly the ground truth, once each."""

from __future__ import annotations

from typing import Any

import requests

from tests.testing import walkers
from tests.testing.walkers import auth_headers

PERSONA = {"accounts": "/accounts", "cases": "/cases", "api_keys": "/api-keys", "api_logs": "/api-logs",
           "events": "/events", "inquiries": "/inquiries", "inquiry_sessions": "/inquiry-sessions",
           "workflow_runs": "/workflow-runs", "webhooks": "/webhooks"}
EASYPOST = {"batches": ("/batches", "batches"), "addresses": ("/addresses", "addresses"),
            "trackers": ("/trackers", "trackers"), "end_shippers": ("/end_shippers", "end_shippers"),
            "webhooks": ("/webhooks", "webhooks"), "users_children": ("/users/children", "children")}
YOUSIGN = ("signature_requests", "contacts", "users", "workspaces", "electronic_seal_images", "templates",
           "labels")
ZENDESK = {"addresses": ("/v1/addresses", "addresses"), "greetings": ("/v1/greetings", "greetings"),
           "greeting_categories": ("/v1/greeting_categories", "greeting_categories"),
           "phone_numbers": ("/v1/phone_numbers", "phone_numbers"), "ivrs": ("/v1/ivr", "ivrs"),
           "agents_activity": ("/v1/stats/agents_activity", "agents_activity")}


def _ids(records: list[dict[str, Any]], key: str = "id") -> list[Any]:
    return [r[key] for r in records]


def test_persona_lists_walk_to_ground_truth(simulated_api: Any, session: requests.Session) -> None:
    """Persona: page[after]=last id until the empty page returns every record once, newest first."""
    api = simulated_api("persona", size=23, seed=7, sizes={"accounts": 50})
    session.headers.update(auth_headers(api))
    for name, path in PERSONA.items():
        got = walkers.persona(session, api.base_url, path)
        assert got == api.ground_truth(name), name
    assert len(api.ground_truth("accounts")) == 50
    assert api.ground_truth("workflows_run") == api.ground_truth("workflow_runs")
    accounts = api.records("accounts")
    assert [a["attributes"]["created-at"] for a in accounts] == sorted(
        (a["attributes"]["created-at"] for a in accounts), reverse=True)
    assert accounts[0]["id"].startswith("act_")
    assert api.requests[-1].query["page[after]"] == api.records("webhooks")[-1]["id"]


def test_easypost_lists_walk_to_ground_truth(simulated_api: Any, session: requests.Session) -> None:
    """EasyPost: before_id=last id while has_more; root array, root object and carriers one page each."""
    api = simulated_api("easypost", size=23, seed=7)
    session.headers.update(auth_headers(api))
    for name, (path, key) in EASYPOST.items():
        got = walkers.easypost(session, api.base_url.rstrip("/"), path, key)
        assert got == api.ground_truth(name), name
        assert len(set(_ids(got))) == 23
    root = api.base_url
    assert session.get(f"{root}carrier_accounts").json() == api.ground_truth("carrier_accounts")
    assert [session.get(f"{root}api_keys").json()] == api.ground_truth("api_keys")
    carriers = session.get(f"{root}metadata/carriers").json()
    assert carriers == {"carriers": api.ground_truth("metadata_carriers")}
    assert "id" not in carriers["carriers"][0]
    assert len(carriers["carriers"]) == 8


def test_opsgenie_lists_and_children_walk_to_ground_truth(simulated_api: Any,
                                                           session: requests.Session) -> None:
    """Opsgenie: follow the absolute paging.next; teams/integrations unpaged; children per parent."""
    api = simulated_api("opsgenie", size=23, seed=7)
    session.headers.update(auth_headers(api))
    next_of = lambda page: page.get("paging", {}).get("next")  # noqa: E731
    paths = {"users": "/v2/users", "services": "/v1/services", "incidents": "/v1/incidents",
             "alerts": "/v2/alerts", "teams": "/v2/teams", "integrations": "/v2/integrations"}
    for name, path in paths.items():
        got = walkers.follow_next(session, f"{api.root_url}{path}", "data", next_of, {"limit": 5})
        assert got == api.ground_truth(name), name
    first = session.get(f"{api.root_url}/v2/users", params={"limit": 5}).json()
    assert first["paging"]["next"] == f"{api.root_url}/v2/users?limit=5&offset=5"
    assert first["totalCount"] == 23
    assert "paging" not in session.get(f"{api.root_url}/v2/teams").json()
    children = {"user_teams": ("users", "teams"), "alert_recipients": ("alerts", "recipients"),
                "alert_logs": ("alerts", "logs")}
    for child, (parent, tail) in children.items():
        truth = api.ground_truth(child)
        assert list(truth) == _ids(api.ground_truth(parent))
        for parent_id, records in truth.items():
            got = session.get(f"{api.root_url}/v2/{parent}/{parent_id}/{tail}").json()["data"]
            assert got == records
        counts = [len(v) for v in truth.values()]
        assert 0 in counts, child
        assert max(counts) >= 3, child


def test_yousign_lists_and_followers_walk_to_ground_truth(simulated_api: Any,
                                                          session: requests.Session) -> None:
    """Yousign: after=meta.next_cursor until null; followers one page per signature request."""
    api = simulated_api("yousign", size=23, seed=7)
    session.headers.update(auth_headers(api))
    for name in YOUSIGN:
        assert walkers.yousign(session, api.base_url.rstrip("/"), f"/{name}") == api.ground_truth(name), name
    followers = api.children("signature_requests_followers")
    assert list(followers) == _ids(api.records("signature_requests"))
    for request_id, records in followers.items():
        page = session.get(f"{api.base_url}signature_requests/{request_id}/followers").json()
        assert page == {"data": records}
    counts = [len(v) for v in followers.values()]
    assert 0 in counts
    assert max(counts) >= 3


def test_zendesk_lists_objects_and_exports_walk_to_ground_truth(simulated_api: Any,
                                                                session: requests.Session) -> None:
    """Zendesk: next_page until null; stats objects; exports by start_time until count < page size."""
    api = simulated_api("zendesk_talk", size=23, seed=7, export_page_size=10)
    session.headers.update(auth_headers(api))
    for name, (path, key) in ZENDESK.items():
        got = walkers.follow_next(session, f"{api.root_url}{path}", key, lambda p: p["next_page"],
                                  {"per_page": 5})
        assert got == api.ground_truth(name), name
    for name in ("agents_overview", "current_queue_activity", "account_overview"):
        body = session.get(f"{api.root_url}/v1/stats/{name}").json()
        assert [body[name]] == api.ground_truth(name)
    for name in ("calls", "legs"):
        got, pages = walkers.zendesk_export(session, f"{api.root_url}/v1/stats/incremental/{name}", name,
                                            start_time=0, page_size=10)
        truth = api.ground_truth(name)
        assert list(dict.fromkeys(_ids(got))) == _ids(truth), name
        assert len(got) > len(truth)  # page boundaries repeat the last second's records
        assert pages >= 3
    assert api.ground_truth("call_legs") == api.ground_truth("legs")
    ivrs = api.records("ivrs")
    assert api.ground_truth("ivr_menus") == [m for ivr in ivrs for m in ivr["menus"]]
    assert [len(m["routes"]) for m in ivrs[0]["menus"]] == [0, 3]
