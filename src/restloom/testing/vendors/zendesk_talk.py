"""Zendesk Talk (voice): ``next_page`` URLs, single stats objects, nested IVRs, incremental exports.

Exports (``/v1/stats/incremental/{calls,legs}``) serve records with ``updated_at >= start_time``,
ascending, at most ``export_page_size`` per page; up to three records share a second and, for every seed,
the last second holds at least two, so asking again at the end returns them again. A first request
without ``start_time`` starts at 0 (the whole history): seed 004 sends none and must run as written;
a ``start_time`` that is not epoch seconds is a 400.
"""

from __future__ import annotations

import base64
import bisect
import random
import re
from typing import Any

from restloom.testing.dataset import Dataset, ListSpec, Row
from restloom.testing.gen import digest_token, iso_z
from restloom.testing.ratelimit import Window, WindowState, format_seconds
from restloom.testing.vendor import AuthForm, BuildOptions, Context, Credentials, Route, Vendor, int_param
from restloom.testing.vendors import zendesk_records as rec
from restloom.testing.wire import Request, Response, error, json_response, url_with

__all__ = ["ZENDESK_TALK"]

# resource -> (path, response key)
_LISTS = {
    "addresses": ("/v1/addresses", "addresses"),
    "greeting_categories": ("/v1/greeting_categories", "greeting_categories"),
    "greetings": ("/v1/greetings", "greetings"),
    "phone_numbers": ("/v1/phone_numbers", "phone_numbers"),
    "ivrs": ("/v1/ivr", "ivrs"),
    "agents_activity": ("/v1/stats/agents_activity", "agents_activity"),
}
_EXPORTS = {"calls": "/v1/stats/incremental/calls", "legs": "/v1/stats/incremental/legs"}
_OBJECTS = ("agents_overview", "current_queue_activity", "account_overview")


def _pin_last_second(dataset: Dataset) -> None:
    """Make the two latest export records share their second (the re-request-at-end case)."""
    for name in _EXPORTS:
        rows = dataset.tables[name].rows
        if len(rows) >= 2:
            last, previous = rows[-1], rows[-2]
            record = {**previous.record, "updated_at": iso_z(last.updated)}
            rows[-2] = Row(previous.created, last.updated, record)
            dataset.tables[name].invalidate()


def _build(options: BuildOptions) -> Dataset:
    lists = [ListSpec(name=name, make=rec.MAKERS[name], touch=rec.touch, order="oldest",
                      key="agent_id" if name == "agents_activity" else "id") for name in _LISTS]
    exports = [ListSpec(name=name, make=rec.MAKERS[name], touch=rec.touch, order="updated", mean_gap=2)
               for name in _EXPORTS]
    rng = random.Random(f"{options.seed}:zendesk-objects")
    objects = {name: rec.stats_object(name, rng) for name in _OBJECTS}
    dataset = Dataset(seed=options.seed, size=options.size, sizes=dict(options.sizes),
                      lists=(*lists, *exports), objects=objects)
    _pin_last_second(dataset)
    return dataset


def _list(resource: str, key: str) -> Any:
    def handler(ctx: Context, request: Request, _match: re.Match[str]) -> Response:
        per_page = int_param(request, "per_page", default=100, low=1, high=100)
        page = int_param(request, "page", default=1, low=1, high=10**9)
        if per_page is None or page is None:
            return error(400, "InvalidPaginationParameter", description="per_page is 1-100, page >= 1")
        records = ctx.table(resource).served()
        start = (page - 1) * per_page
        next_page = url_with(request, drop=("api_key",), page=page + 1) if start + per_page < len(records) \
            else None
        previous = url_with(request, drop=("api_key",), page=page - 1) if page > 1 else None
        return json_response({key: records[start:start + per_page], "next_page": next_page,
                              "previous_page": previous, "count": len(records)})

    return handler


def _export(resource: str) -> Any:
    def handler(ctx: Context, request: Request, _match: re.Match[str]) -> Response:
        raw = request.query.get("start_time", "0")
        if not raw.isdigit():
            return error(400, "InvalidValue", description="start_time must be epoch seconds")
        start_time = int(raw)
        rows = ctx.table(resource).served_rows()
        first = bisect.bisect_left([r.updated for r in rows], start_time)
        page = rows[first:first + ctx.options.export_page_size]
        end_time = page[-1].updated if page else start_time
        return json_response({resource: [r.record for r in page], "count": len(page), "end_time": end_time,
                              "next_page": url_with(request, drop=("api_key",), start_time=end_time)})

    return handler


def _single(name: str) -> Any:
    def handler(ctx: Context, _request: Request, _match: re.Match[str]) -> Response:
        return json_response({name: ctx.data.objects[name]})

    return handler


_ROUTES = (
    *(Route(re.compile(re.escape(path)), _list(name, key)) for name, (path, key) in _LISTS.items()),
    *(Route(re.compile(re.escape(path)), _export(name)) for name, path in _EXPORTS.items()),
    *(Route(re.compile(f"/v1/stats/{name}"), _single(name)) for name in _OBJECTS),
)


def _credentials(seed: int) -> Credentials:
    token = digest_token("zendesk-token", seed, length=40)
    oauth = digest_token("zendesk-oauth", seed, length=64, alphabet="0123456789abcdef")
    return Credentials(secrets={"api_key": token},
                       real={"email": "agent@example.com", "api_token": token, "oauth_token": oauth})


def _authenticate(request: Request, credentials: Credentials) -> AuthForm:
    real, header = credentials.real, request.headers.get("authorization")
    basic = base64.b64encode(f"{real['email']}/token:{real['api_token']}".encode()).decode()
    if header in (f"Basic {basic}", f"Bearer {real['oauth_token']}"):
        return "real"
    if header is None and request.query.get("api_key") == credentials.secrets["api_key"]:
        return "seed"
    return "none" if header is None and "api_key" not in request.query else "invalid"


def _throttled(states: tuple[WindowState, ...]) -> Response:
    hit = next((s for s in states if s.exceeded), states[0])
    body = {"error": "TooManyRequests", "description": "Rate limit exceeded"}
    return json_response(body, status=429, headers=(("Retry-After", format_seconds(hit.reset_s)),))


ZENDESK_TALK = Vendor(
    name="zendesk_talk",
    base_path="",
    build=_build,
    routes=_ROUTES,
    credentials=_credentials,
    authenticate=_authenticate,
    rate_windows=(Window(limit=10, seconds=60, scope="exports"),
                  Window(limit=700, seconds=60, scope="lists")),
    rate_scope=lambda path: "exports" if "/incremental/" in path else "lists",
    rate_headers=lambda _states: (),
    throttled=_throttled,
    query_auth_params=("api_key",),
    truth_aliases={"call_legs": "legs"},
    derived_truth={"ivr_menus": rec.ivr_menus, "ivr_routes": rec.ivr_routes},
)
