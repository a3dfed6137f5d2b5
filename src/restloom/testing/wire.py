"""What a route sees and returns: a parsed request and a rendered response."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import orjson

__all__ = ["Request", "Response", "error", "json_response", "url_with"]


@dataclass(frozen=True, kw_only=True)
class Request:
    """One HTTP request as the simulated API sees it (``path`` without the query string)."""

    method: str
    path: str
    query_pairs: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]
    root_url: str
    query: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class Response:
    """A rendered response: status, extra headers (Content-Type/Length are added by the server), body."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def json_response(payload: Any, *, status: int = 200, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    """Render ``payload`` as a JSON response."""
    return Response(status, orjson.dumps(payload), headers)


def error(status: int, message: str, **extra: Any) -> Response:
    """A JSON error response ``{"error": message, ...extra}``."""
    return json_response({"error": message, **extra}, status=status)


def url_with(request: Request, *, drop: tuple[str, ...] = (), **params: object) -> str:
    """The absolute URL of ``request`` with ``params`` replaced (kept in place) and ``drop`` removed."""
    pairs: list[tuple[str, str]] = []
    pending = {k: str(v) for k, v in params.items()}
    for key, value in request.query_pairs:
        if key in drop or (key in params and key not in pending):
            continue
        pairs.append((key, pending.pop(key, value)))
    pairs.extend(pending.items())
    query = urlencode(pairs)
    return f"{request.root_url}{request.path}" + (f"?{query}" if query else "")
