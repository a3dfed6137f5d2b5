"""A generic API: one dataset served in every pagination style dlt's rest_api knows, for differential tests.

The five vendor simulations only speak their vendors' styles; this one serves the same ``items`` list
(ascending ``id``) under a prefix per style, so a test can aim any dlt paginator at it:

- ``/api/offset/items``      ``offset`` + ``limit`` (default 10) → ``{"items", "total", "has_more"}``
- ``/api/pages/items``       ``page`` (1-based) + ``per_page`` → ``{"data", "page", "total_pages"}``
- ``/api/link/items``        ``page`` + ``per_page``, a root JSON array, a ``Link: <...>; rel="next"`` header
- ``/api/hcursor/items``     ``cursor`` + ``limit``, a root array and the next cursor in ``X-Next-Cursor``
- ``/api/json_link/items``   ``{"data", "links": {"next": <URL relative to the server root> | null}}``
- ``/api/cursor/items``      ``cursor`` + ``limit`` → ``{"results", "next_cursor", "has_more"}``
- ``POST /api/search``       JSON body ``{"limit", "cursor", "offset", "filter": {"active": bool}}`` →
  ``{"data", "next_cursor", "total"}`` (a cursor or an offset in the body, as the client pages)
- ``POST /api/form``         form body ``active=true|false`` → ``{"data"}`` (one page)
- ``/api/items/<id>``        one item (a single-entity path); ``/api/items/<id>/events`` its events,
  ``404 {"error": "no events for this item"}`` for ids divisible by 4
- ``/api/changes``           ``since`` / ``until`` (ISO 8601 ``updated_at``; ``since_ts`` / ``until_ts`` epoch
  seconds; ``id_from`` / ``id_to`` on ``id``; each from inclusive, until exclusive), ascending ``updated_at``,
  ``offset`` + ``limit`` paging with ``total``
- ``/api/private/items``     the same as ``/api/offset/items`` but only with credentials: ``Bearer <token>``,
  ``X-API-Key: <api_key>`` or ``?api_key=<api_key>``, Basic ``<username>:<password>``, or a bearer token
  issued by ``POST /api/oauth/token`` (form ``client_id``, ``client_secret``, ``grant_type``)
- ``/api/status/<code>``     answers ``<code>`` with ``{"error": "status <code>", "code": <code>}``
- ``/api/echo/<code>``       answers ``<code>`` with the request's query and its headers (all but the
  standard ones requests sends) echoed back, ``{"error", "headers", "query"}``, as careless servers do
- ``/api/moved/<path>``      ``302`` to ``<server root>/api/<path>`` with the same query (an absolute URL)

Every other path answers without credentials. The auth label logged is ``"real"`` for valid credentials
and ``"seed"`` for a public path asked without them.
"""

from __future__ import annotations

import base64
import random
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson

from restloom.testing.dataset import ChildSpec, Dataset, ListSpec, Row
from restloom.testing.gen import digest_token, iso_z
from restloom.testing.vendor import AuthForm, BuildOptions, Context, Credentials, Route, Vendor, int_param
from restloom.testing.wire import Request, Response, error, json_response, url_with

__all__ = ["GENERIC"]

_DEFAULT_PAGE = 10
_COLOURS = ("red", "green", "blue", "amber")


def _maker(index: int, created: int, rng: random.Random) -> Row:
    updated = created + rng.randint(0, 5000)
    record = {
        "id": index + 1,
        "name": f"item {index + 1}",
        "price": round(rng.uniform(1, 500), 2),
        "active": rng.random() < 0.6,
        "colour": rng.choice(_COLOURS),
        "created_at": iso_z(created),
        "updated_at": iso_z(updated),
        "updated_ts": updated,
        "owner": {"login": f"user{rng.randint(1, 5)}", "level": rng.randint(1, 3)},
        "tags": [rng.choice(("new", "sale", "eco", "rare")) for _ in range(rng.randint(0, 2))],
        "note": rng.choice((None, "fragile", "gift")),
    }
    return Row(created, updated, record)


def _touch(record: dict[str, Any], updated: int, rng: random.Random) -> dict[str, Any]:
    edited = f"{record['name']} (edited)"
    return {**record, "updated_at": iso_z(updated), "updated_ts": updated, "name": edited}


def _events(parent: dict[str, Any], index: int, rng: random.Random) -> list[dict[str, Any]]:
    return [{"id": f"{parent['id']}-{j}", "kind": rng.choice(("view", "buy", "return")), "seq": j}
            for j in range(rng.randint(0, 3))]


def _build(options: BuildOptions) -> Dataset:
    items = ListSpec(name="items", make=_maker, touch=_touch, order="oldest")
    children = (ChildSpec(name="items_events", parent="items", make=_events),)
    return Dataset(seed=options.seed, size=options.size, sizes=dict(options.sizes), lists=(items,),
                   children=children)


def _records(ctx: Context) -> list[dict[str, Any]]:
    return ctx.table("items").served()


def _window(request: Request, *, limit_name: str = "limit") -> tuple[int, int] | None:
    offset = int_param(request, "offset", default=0, low=0, high=10**9)
    limit = int_param(request, limit_name, default=_DEFAULT_PAGE, low=1, high=1000)
    return None if offset is None or limit is None else (offset, limit)


def _bad(detail: str) -> Response:
    return error(400, detail)


def _offset(ctx: Context, request: Request, _match: re.Match[str]) -> Response:
    window = _window(request)
    if window is None:
        return _bad("offset and limit must be integers")
    offset, limit = window
    records = _records(ctx)
    return json_response({"items": records[offset:offset + limit], "total": len(records),
                          "has_more": offset + limit < len(records)})


def _page_window(request: Request) -> tuple[int, int] | None:
    page = int_param(request, "page", default=1, low=1, high=10**6)
    per_page = int_param(request, "per_page", default=_DEFAULT_PAGE, low=1, high=1000)
    return None if page is None or per_page is None else (page, per_page)


@dataclass(frozen=True, slots=True)
class _Numbered:
    """One page of a page-numbered list: its records, its number and size, and whether more follow."""

    records: list[dict[str, Any]]
    page: int
    per_page: int
    total: int

    @property
    def more(self) -> bool:
        return self.page * self.per_page < self.total


def _numbered(ctx: Context, request: Request) -> _Numbered | Response:
    """The page ``page`` / ``per_page`` ask for, or a 400."""
    window = _page_window(request)
    if window is None:
        return _bad("page and per_page must be integers")
    page, per_page = window
    records = _records(ctx)
    start = (page - 1) * per_page
    return _Numbered(records[start:start + per_page], page, per_page, len(records))


def _pages(ctx: Context, request: Request, _match: re.Match[str]) -> Response:
    found = _numbered(ctx, request)
    if not isinstance(found, _Numbered):
        return found
    total_pages = max(1, -(-found.total // found.per_page))
    return json_response({"data": found.records, "page": found.page, "total_pages": total_pages})


def _link(ctx: Context, request: Request, _match: re.Match[str]) -> Response:
    found = _numbered(ctx, request)
    if not isinstance(found, _Numbered):
        return found
    headers: tuple[tuple[str, str], ...] = ()
    if found.more:
        headers = (("Link", f'<{url_with(request, page=found.page + 1)}>; rel="next"'),)
    return json_response(found.records, headers=headers)


def _encode(position: int) -> str:
    return base64.urlsafe_b64encode(f"pos:{position}".encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> int | None:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return int(text[4:]) if text.startswith("pos:") and text[4:].isdigit() else None


def _cursor_page(records: list[Any], cursor: Any, limit: int) -> tuple[list[Any], str | None] | None:
    start = _decode(cursor if isinstance(cursor, str) else None)
    if start is None:
        return None
    end = start + limit
    return records[start:end], (_encode(end) if end < len(records) else None)


def _hcursor(ctx: Context, request: Request, _match: re.Match[str]) -> Response:
    limit = int_param(request, "limit", default=_DEFAULT_PAGE, low=1, high=1000)
    paged = _cursor_page(_records(ctx), request.query.get("cursor"), limit or 0) if limit else None
    if paged is None:
        return _bad("cursor or limit is invalid")
    page, following = paged
    return json_response(page, headers=(("X-Next-Cursor", following),) if following else ())


def _json_link(ctx: Context, request: Request, _match: re.Match[str]) -> Response:
    found = _numbered(ctx, request)
    if not isinstance(found, _Numbered):
        return found
    following = None
    if found.more:
        following = f"{request.path}?{urlencode({'page': found.page + 1, 'per_page': found.per_page})}"
    return json_response({"data": found.records, "links": {"next": following}})


def _cursor(ctx: Context, request: Request, _match: re.Match[str]) -> Response:
    limit = int_param(request, "limit", default=_DEFAULT_PAGE, low=1, high=1000)
    paged = _cursor_page(_records(ctx), request.query.get("cursor"), limit or 0) if limit else None
    if paged is None:
        return _bad("cursor or limit is invalid")
    page, following = paged
    return json_response({"results": page, "next_cursor": following, "has_more": following is not None})


def _search(ctx: Context, request: Request, _match: re.Match[str]) -> Response:
    try:
        body = orjson.loads(request.body or b"{}")
    except orjson.JSONDecodeError:
        return _bad("the body is not JSON")
    if not isinstance(body, dict):
        return _bad("the body must be a JSON object")
    records = _records(ctx)
    wanted = (body.get("filter") or {}).get("active")
    if wanted is not None:
        records = [r for r in records if r["active"] is wanted]
    limit = body.get("limit", _DEFAULT_PAGE)
    if not isinstance(limit, int) or limit < 1:
        return _bad("limit must be a positive integer")
    if "offset" in body:
        offset = body["offset"]
        page = records[offset:offset + limit]
        return json_response({"data": page, "next_cursor": None, "total": len(records)})
    paged = _cursor_page(records, body.get("cursor"), limit)
    if paged is None:
        return _bad("cursor is invalid")
    page, following = paged
    return json_response({"data": page, "next_cursor": following, "total": len(records)})


def _form(ctx: Context, request: Request, _match: re.Match[str]) -> Response:
    fields = dict(parse_qsl(request.body.decode()))
    records = _records(ctx)
    if "active" in fields:
        records = [r for r in records if r["active"] is (fields["active"] == "true")]
    return json_response({"data": records})


def _item(ctx: Context, _request: Request, match: re.Match[str]) -> Response:
    position = ctx.table("items").position(int(match.group(1)))
    if position is None:
        return error(404, "no such item")
    return json_response(_records(ctx)[position])


def _item_events(ctx: Context, _request: Request, match: re.Match[str]) -> Response:
    key = int(match.group(1))
    records = ctx.data.children("items_events", key)
    if records is None or key % 4 == 0:
        return error(404, "no events for this item")
    return json_response({"events": records})


def _changes(ctx: Context, request: Request, _match: re.Match[str]) -> Response:
    window = _window(request)
    if window is None:
        return _bad("offset and limit must be integers")
    offset, limit = window
    rows = ctx.table("items").served_rows()
    low, high = request.query.get("since"), request.query.get("until")
    low_ts, high_ts = request.query.get("since_ts"), request.query.get("until_ts")
    low_id, high_id = request.query.get("id_from"), request.query.get("id_to")
    selected = sorted((r for r in rows
                       if (low is None or r.record["updated_at"] >= low)
                       and (high is None or r.record["updated_at"] < high)
                       and (low_ts is None or r.updated >= int(low_ts))
                       and (high_ts is None or r.updated < int(high_ts))
                       and (low_id is None or r.record["id"] >= int(low_id))
                       and (high_id is None or r.record["id"] < int(high_id))),
                      key=lambda r: (r.updated, r.record["id"]))
    records = [r.record for r in selected]
    return json_response({"items": records[offset:offset + limit], "total": len(records)})


def _token(ctx: Context, request: Request, _match: re.Match[str]) -> Response:
    fields = dict(parse_qsl(request.body.decode()))
    credentials = _credentials(ctx.options.seed)
    expected = {"grant_type": "client_credentials", "client_id": credentials.real["client_id"],
                "client_secret": credentials.real["client_secret"]}
    if any(fields.get(key) != value for key, value in expected.items()):
        return error(401, "invalid client")
    return json_response({"access_token": credentials.real["oauth_token"], "token_type": "bearer",
                          "expires_in": 3600})


def _status(_ctx: Context, _request: Request, match: re.Match[str]) -> Response:
    code = int(match.group(1))
    return json_response({"error": f"status {code}", "code": code}, status=code)


_PLAIN_HEADERS = frozenset({"host", "user-agent", "accept-encoding", "accept", "connection", "content-length"})


def _echo(_ctx: Context, request: Request, match: re.Match[str]) -> Response:
    code = int(match.group(1))
    headers = {k: v for k, v in request.headers.items() if k not in _PLAIN_HEADERS}
    return json_response({"error": f"status {code}", "headers": headers, "query": dict(request.query)}, status=code)


def _moved(_ctx: Context, request: Request, match: re.Match[str]) -> Response:
    query = urlencode(request.query_pairs)
    target = f"{request.root_url}/api/{match.group(1)}" + (f"?{query}" if query else "")
    return Response(302, b"", (("Location", target),))


_ROUTES = (
    Route(re.compile("/api/offset/items"), _offset),
    Route(re.compile("/api/private/items"), _offset),
    Route(re.compile("/api/pages/items"), _pages),
    Route(re.compile("/api/link/items"), _link),
    Route(re.compile("/api/hcursor/items"), _hcursor),
    Route(re.compile("/api/json_link/items"), _json_link),
    Route(re.compile("/api/cursor/items"), _cursor),
    Route(re.compile("/api/search"), _search, methods=("POST",)),
    Route(re.compile("/api/form"), _form, methods=("POST",)),
    Route(re.compile(r"/api/items/(\d+)"), _item),
    Route(re.compile(r"/api/items/(\d+)/events"), _item_events),
    Route(re.compile("/api/changes"), _changes),
    Route(re.compile("/api/oauth/token"), _token, methods=("POST",)),
    Route(re.compile(r"/api/status/(\d{3})"), _status),
    Route(re.compile(r"/api/echo/(\d{3})"), _echo),
    Route(re.compile(r"/api/moved/(.+)"), _moved),
)


def _credentials(seed: int) -> Credentials:
    values = {
        "token": digest_token("generic-token", seed),
        "api_key": digest_token("generic-key", seed),
        "username": "generic-user",
        "password": digest_token("generic-password", seed, length=12),
        "client_id": digest_token("generic-client", seed, length=12),
        "client_secret": digest_token("generic-secret", seed),
        "oauth_token": digest_token("generic-oauth", seed),
    }
    return Credentials(secrets={k: v for k, v in values.items() if k != "oauth_token"}, real=values)


def _authenticate(request: Request, credentials: Credentials) -> AuthForm:
    real = credentials.real
    basic = base64.b64encode(f"{real['username']}:{real['password']}".encode()).decode()
    valid = {f"Bearer {real['token']}", f"Bearer {real['oauth_token']}", f"Basic {basic}"}
    presented = (request.headers.get("authorization") in valid
                 or real["api_key"] in (request.headers.get("x-api-key"), request.query.get("api_key")))
    if presented:
        return "real"
    if not request.path.startswith("/api/private/"):
        return "seed"
    headers = ("authorization", "x-api-key")
    has_any = any(name in request.headers for name in headers) or "api_key" in request.query
    return "invalid" if has_any else "none"


GENERIC = Vendor(
    name="generic",
    base_path="/api",
    build=_build,
    routes=_ROUTES,
    credentials=_credentials,
    authenticate=_authenticate,
    query_auth_params=("api_key",),
)
