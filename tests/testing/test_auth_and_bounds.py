"""Credentials in the seed's and the real form are accepted, anything else is a JSON 401; page sizes."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import requests

from tests.testing.walkers import auth_headers

# api -> (a list path relative to base_url, the seed-form request kwargs builder)
SEED_FORMS: dict[str, tuple[str, Any]] = {
    "persona": ("accounts", lambda s: {"headers": {"Authorization": f"Bearer {s['api_key']}"}}),
    "opsgenie": ("v2/users", lambda s: {"headers": {"api_key": s["api_token"]}}),
    "easypost": ("batches", lambda s: {"auth": (s["username"], "")}),
    "yousign": ("users", lambda s: {"headers": {"Authorization": f"Bearer {s['api_key']}"}}),
    "zendesk_talk": ("v1/addresses", lambda s: {"params": {"api_key": s["api_key"]}}),
}


@pytest.mark.parametrize("name", list(SEED_FORMS))
def test_seed_and_real_forms_pass_and_others_get_401(name: str, simulated_api: Any,
                                                      session: requests.Session) -> None:
    """Each service: seed form 200, real form 200, missing 401, wrong 401, body JSON without the secret."""
    api = simulated_api(name, size=3)
    path, seed_form = SEED_FORMS[name]
    url = f"{api.base_url.rstrip('/')}/{path}"
    assert session.get(url, **seed_form(api.secrets)).status_code == 200
    assert session.get(url, headers=auth_headers(api)).status_code == 200
    missing = session.get(url)
    wrong = session.get(url, **seed_form({k: "wrong-" + v for k, v in api.secrets.items()}))
    assert (missing.status_code, wrong.status_code) == (401, 401)
    assert missing.json() == wrong.json() == {"error": "missing or invalid credentials"}
    assert all(v not in wrong.text for v in api.secrets.values())
    same_form = name in ("persona", "yousign", "easypost")
    assert [r.auth for r in api.requests] == ["seed", "seed" if same_form else "real", "none", "invalid"]
    assert [r.status for r in api.requests] == [200, 200, 401, 401]


def test_zendesk_accepts_oauth_bearer(simulated_api: Any, session: requests.Session) -> None:
    """Zendesk: an OAuth bearer token is a real form; a Basic header with the wrong token is not."""
    api = simulated_api("zendesk_talk", size=3)
    url = f"{api.root_url}/v1/addresses"
    creds = api.real_credentials
    assert session.get(url, headers={"Authorization": f"Bearer {creds['oauth_token']}"}).status_code == 200
    bad = base64.b64encode(f"{creds['email']}/token:nope".encode()).decode()
    assert session.get(url, headers={"Authorization": f"Basic {bad}"}).status_code == 401
    assert [r.auth for r in api.requests] == ["real", "invalid"]


# api -> (path from base_url, page-size parameter, status for a bad value)
BOUNDS = {
    "persona": ("accounts", "page[size]", 400),
    "opsgenie": ("v2/users", "limit", 422),
    "easypost": ("batches", "page_size", 422),
    "yousign": ("users", "limit", 400),
    "zendesk_talk": ("v1/addresses", "per_page", 400),
}


@pytest.mark.parametrize("name", list(BOUNDS))
def test_page_size_bounds_are_enforced(name: str, simulated_api: Any,
                                       session: requests.Session) -> None:
    """Each service: page size 1 and 100 work, 0, 101 and 'x' are rejected with the vendor's status."""
    api = simulated_api(name, size=3)
    path, param, status = BOUNDS[name]
    session.headers.update(auth_headers(api))
    url = f"{api.base_url.rstrip('/')}/{path}"
    values = ("1", "100", "0", "101", "x")
    statuses = [session.get(url, params={param: value}).status_code for value in values]
    assert statuses == [200, 200, status, status, status]


def test_default_page_sizes(simulated_api: Any, session: requests.Session) -> None:
    """Without a page size: Persona 10, Opsgenie 20, EasyPost 20, Yousign 10, Zendesk 100."""
    expected = {"persona": ("accounts", "data", 10), "opsgenie": ("v2/users", "data", 20),
                "easypost": ("batches", "batches", 20), "yousign": ("users", "data", 10),
                "zendesk_talk": ("v1/addresses", "addresses", 100)}
    for name, (path, key, size) in expected.items():
        api = simulated_api(name, size=150)
        response = session.get(f"{api.base_url.rstrip('/')}/{path}", headers=auth_headers(api))
        assert len(response.json()[key]) == size, name
