"""Configs several integration tests share, built for a running simulated API."""

from __future__ import annotations

from typing import Any


def yousign_followers(api: Any, *, token: str | None = None) -> dict[str, Any]:
    """Yousign's signature requests (one page) and their followers, a child through the implicit parent."""
    return {
        "client": {"base_url": api.base_url, "auth": {"type": "bearer", "token": token or api.secrets["api_key"]}},
        "resources": [
            {"name": "signature_requests", "endpoint": {"path": "signature_requests", "data_selector": "data",
                                                        "params": {"limit": 100}, "paginator": "single_page"}},
            {"name": "followers", "primary_key": "email", "endpoint": {
                "path": "signature_requests/{sign_req}/followers", "data_selector": "data",
                "paginator": "single_page"}},
        ],
    }


def persona_paged(api: Any, names: Any, *, limit: int) -> dict[str, Any]:
    """Persona resources ``names`` read ``limit`` records a page, with the seed's cursor (an empty page ends)."""
    return {
        "client": {"base_url": api.base_url, "auth": {"type": "bearer", "token": api.secrets["api_key"]}},
        "resource_defaults": {"primary_key": "id", "endpoint": {"data_selector": "data", "paginator": {
            "type": "cursor", "cursor_param": "page[after]", "limit": limit, "limit_param": "page[size]",
            "stop_condition": "response.get('data')|length == 0"}}},
        "resources": [{"name": name, "endpoint": {"path": name}} for name in names],
    }
