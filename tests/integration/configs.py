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
