"""Plain-HTTP walkers that page through each vendor's lists by the vendor's real rules (no restloom code)."""

from __future__ import annotations

import base64
from typing import Any

import requests

Record = dict[str, Any]


def auth_headers(api: Any) -> dict[str, str]:
    """The real service's auth header for ``api`` (a SimulatedAPI)."""
    creds = api.real_credentials
    if api.name == "opsgenie":
        return {"Authorization": f"GenieKey {creds['api_key']}"}
    if api.name == "easypost":
        return {"Authorization": "Basic " + base64.b64encode(f"{creds['api_key']}:".encode()).decode()}
    if api.name == "zendesk_talk":
        token = base64.b64encode(f"{creds['email']}/token:{creds['api_token']}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    return {"Authorization": f"Bearer {creds['api_key']}"}


def _get(session: requests.Session, url: str, params: dict[str, Any] | None = None) -> Any:
    response = session.get(url, params=params)
    assert response.status_code == 200, (url, response.status_code, response.text[:200])
    return response.json()


def persona(session: requests.Session, root: str, path: str, size: int = 7) -> list[Record]:
    """``page[after]`` = id of the last record, until the empty page."""
    records: list[Record] = []
    params: dict[str, Any] = {"page[size]": size}
    while True:
        data = _get(session, f"{root}{path}", params)["data"]
        if not data:
            return records
        records += data
        params["page[after]"] = data[-1]["id"]


def easypost(session: requests.Session, root: str, path: str, key: str, size: int = 7) -> list[Record]:
    """``before_id`` = id of the last record while ``has_more``."""
    records: list[Record] = []
    params: dict[str, Any] = {"page_size": size}
    while True:
        page = _get(session, f"{root}{path}", params)
        records += page[key]
        if not page["has_more"]:
            return records
        params["before_id"] = page[key][-1]["id"]


def follow_next(session: requests.Session, url: str, key: str, next_of: Any,
                params: dict[str, Any] | None = None) -> list[Record]:
    """Follow an absolute next URL (found by ``next_of(page)``) until there is none."""
    records: list[Record] = []
    page = _get(session, url, params)
    while True:
        records += page[key]
        url = next_of(page)
        if not url:
            return records
        page = _get(session, url)


def yousign(session: requests.Session, root: str, path: str, size: int = 7) -> list[Record]:
    """``after`` = ``meta.next_cursor`` until it is null."""
    records: list[Record] = []
    params: dict[str, Any] = {"limit": size}
    while True:
        page = _get(session, f"{root}{path}", params)
        records += page["data"]
        if page["meta"]["next_cursor"] is None:
            return records
        params["after"] = page["meta"]["next_cursor"]


def zendesk_export(session: requests.Session, url: str, key: str, *, start_time: int,
                   page_size: int) -> tuple[list[Record], int]:
    """Follow ``next_page`` until ``count`` is below the page size; return the records and pages read."""
    records: list[Record] = []
    page = _get(session, url, {"start_time": start_time})
    pages = 1
    while True:
        records += page[key]
        if page["count"] < page_size:
            return records, pages
        page = _get(session, page["next_page"])
        pages += 1
