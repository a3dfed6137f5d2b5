"""Yousign (e-signature): ``limit`` + ``after`` with an opaque ``meta.next_cursor``; followers unpaged."""

from __future__ import annotations

import base64
import binascii
import random
import re
from typing import Any
from urllib.parse import unquote

from restloom.testing.dataset import ChildSpec, Dataset, ListSpec, Row
from restloom.testing.gen import digest_token, iso_offset, uuid_for
from restloom.testing.ratelimit import Window, WindowState
from restloom.testing.vendor import (
    BuildOptions,
    Context,
    Credentials,
    Route,
    Vendor,
    bearer_authenticate,
    int_param,
)
from restloom.testing.wire import Request, Response, json_response

__all__ = ["YOUSIGN", "decode_cursor"]

_LISTS = ("signature_requests", "contacts", "users", "workspaces", "electronic_seal_images", "templates",
          "labels")
_STATUSES = ("draft", "ongoing", "done", "expired", "canceled")


def _fields(resource: str, index: int, rng: random.Random) -> dict[str, Any]:
    if resource == "signature_requests":
        return {"name": f"Contract {index}", "status": rng.choice(_STATUSES), "delivery_mode": "email",
                "ordered_signers": rng.random() < 0.3, "timezone": "Europe/Paris",
                "expiration_date": None,
                "signers": [{"id": uuid_for("signer", index, j), "status": "initiated"}
                            for j in range(rng.randint(0, 2))],
                "documents": [{"id": uuid_for("doc", index), "nature": "signable_document"}],
                "labels": [], "workspace_id": uuid_for("workspace-ref", index % 3)}
    if resource in ("contacts", "users"):
        first = rng.choice(("Ada", "Linus", "Grace", "Alan"))
        return {"first_name": first, "last_name": f"N{index}",
                "email": f"{first.lower()}.{index}@example.com",
                "phone_number": rng.choice((None, "+33612345678")), "locale": rng.choice(("fr", "en"))}
    return {"name": f"{resource.rstrip('s').replace('_', ' ')} {index}",
            "description": rng.choice((None, "generated"))}


def _maker(resource: str) -> Any:
    def make(index: int, created: int, rng: random.Random) -> Row:
        record = {"id": uuid_for(resource, index, rng.random()), "created_at": iso_offset(created),
                  **_fields(resource, index, rng)}
        return Row(created, created, record)

    return make


def _touch(record: dict[str, Any], updated: int, rng: random.Random) -> dict[str, Any]:
    field = "status" if "status" in record else "name" if "name" in record else "last_name"
    new_value = "done" if field == "status" else f"{record[field]} (edited)"
    return {**record, field: new_value}


def _followers(parent: dict[str, Any], index: int, rng: random.Random) -> list[dict[str, Any]]:
    count = (0, 3)[index] if index < 2 else rng.choice((0, 1, 1, 2, 4))
    return [{"email": f"follower{j}.{index}@example.com", "locale": rng.choice(("fr", "en", "de")),
             "follower_link": f"https://yousign.app/follow/{digest_token(index, j, length=16)}"}
            for j in range(count)]


def _build(options: BuildOptions) -> Dataset:
    lists = tuple(ListSpec(name=name, make=_maker(name), touch=_touch, order="newest") for name in _LISTS)
    children = (ChildSpec(name="signature_requests_followers", parent="signature_requests", make=_followers),)
    return Dataset(seed=options.seed, size=options.size, sizes=dict(options.sizes), lists=lists,
                   children=children)


def _encode_cursor(record_id: str) -> str:
    return base64.urlsafe_b64encode(f"after:{record_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str | None:
    """The record id inside an ``after`` cursor, or None when the cursor is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return text.removeprefix("after:") if text.startswith("after:") else None


def _bad_request(detail: str) -> Response:
    return json_response({"type": "about:blank", "title": "Bad Request", "detail": detail}, status=400)


def _list(resource: str) -> Any:
    def handler(ctx: Context, request: Request, _match: re.Match[str]) -> Response:
        limit = int_param(request, "limit", default=10, low=1, high=100)
        if limit is None:
            return _bad_request("limit must be an integer between 1 and 100")
        table = ctx.table(resource)
        start = 0
        if request.query.get("after"):
            position = table.position(decode_cursor(request.query["after"]))
            if position is None:
                return _bad_request("after is not a valid cursor")
            start = position + 1
        records = table.served()
        page = records[start:start + limit]
        more = start + limit < len(records)
        return json_response({"meta": {"next_cursor": _encode_cursor(page[-1]["id"]) if more else None},
                              "data": page})

    return handler


def _followers_route(ctx: Context, _request: Request, match: re.Match[str]) -> Response:
    records = ctx.data.children("signature_requests_followers", unquote(match.group(1)))
    if records is None:
        body = {"type": "about:blank", "title": "Not Found", "detail": "unknown id"}
        return json_response(body, status=404)
    return json_response({"data": records})


_ROUTES = (
    *(Route(re.compile(f"/v3/{name}"), _list(name)) for name in _LISTS),
    Route(re.compile("/v3/signature_requests/([^/]+)/followers"), _followers_route),
)


def _credentials(seed: int) -> Credentials:
    key = digest_token("yousign-key", seed, length=32)
    return Credentials(secrets={"api_key": key}, real={"api_key": key})


def _rate_headers(states: tuple[WindowState, ...]) -> tuple[tuple[str, str], ...]:
    headers: list[tuple[str, str]] = []
    for state, unit in zip(states, ("minute", "hour"), strict=True):
        headers += [(f"x-ratelimit-limit-{unit}", str(state.window.limit)),
                    (f"x-ratelimit-remaining-{unit}", str(max(state.remaining, 0)))]
    return tuple(headers)


def _throttled(states: tuple[WindowState, ...]) -> Response:
    headers = _rate_headers(states) if len(states) == 2 else ()
    body = {"type": "about:blank", "title": "Too Many Requests", "detail": "Rate limit exceeded"}
    return json_response(body, status=429, headers=headers)


YOUSIGN = Vendor(
    name="yousign",
    base_path="/v3",
    build=_build,
    routes=_ROUTES,
    credentials=_credentials,
    authenticate=bearer_authenticate,
    rate_windows=(Window(limit=60, seconds=60), Window(limit=1200, seconds=3600)),
    rate_scope=lambda _path: "all",
    rate_headers=_rate_headers,
    throttled=_throttled,
)
