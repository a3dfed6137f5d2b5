"""Persona (identity verification): JSON:API-style records, ``page[after]`` = last id, newest first."""

from __future__ import annotations

import random
import re
from typing import Any

from restloom.testing.dataset import Dataset, ListSpec, Row
from restloom.testing.gen import digest_token, iso_ms_z
from restloom.testing.ratelimit import Window, WindowState, format_seconds
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

__all__ = ["PERSONA"]

# resource -> (path, JSON:API type, id prefix, statuses)
_KINDS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "accounts": ("/accounts", "account", "act", ("active", "archived")),
    "cases": ("/cases", "case", "case", ("open", "pending", "resolved")),
    "api_keys": ("/api-keys", "api-key", "api", ("active", "revoked")),
    "api_logs": ("/api-logs", "api-log", "req", ("200", "201", "404", "422")),
    "events": ("/events", "event", "evt", ("inquiry.created", "inquiry.completed", "case.resolved")),
    "inquiries": ("/inquiries", "inquiry", "inq", ("created", "pending", "completed", "declined")),
    "inquiry_sessions": ("/inquiry-sessions", "inquiry-session", "iqse", ("active", "expired", "canceled")),
    "workflow_runs": ("/workflow-runs", "workflow-run", "wfr", ("running", "completed", "failed")),
    "webhooks": ("/webhooks", "webhook", "wbh", ("enabled", "disabled")),
}
_COUNTRIES = ("US", "FR", "DE", "GB", "BR", "JP", None)


def _maker(resource: str) -> Any:
    _path, kind, prefix, statuses = _KINDS[resource]

    def make(index: int, created: int, rng: random.Random) -> Row:
        updated = created + rng.choice((0, 0, 60, 3600))
        created_ms = rng.randrange(1000)
        updated_ms = created_ms if updated == created else rng.randrange(1000)
        attributes = {
            "status": rng.choice(statuses),
            "reference-id": rng.choice((None, f"ref-{index:05d}")),
            "created-at": iso_ms_z(created, created_ms),
            "updated-at": iso_ms_z(updated, updated_ms),
            "tags": rng.sample(("vip", "manual-review", "watchlist", "beta"), rng.randint(0, 2)),
            "fields": {"name-first": rng.choice(("Ada", "Linus", "Grace", None)),
                       "address-country-code": rng.choice(_COUNTRIES)},
            "behaviors": {"request-spoof-attempts": rng.randint(0, 3), "hesitation-percentage": None},
        }
        record = {"type": kind, "id": f"{prefix}_{digest_token(resource, index, rng.random())}",
                  "attributes": attributes}
        return Row(created, updated, record)

    return make


def _touch(record: dict[str, Any], updated: int, rng: random.Random) -> dict[str, Any]:
    attributes = {**record["attributes"], "updated-at": iso_ms_z(updated, rng.randrange(1000)),
                  "tags": [*record["attributes"]["tags"], "updated"]}
    return {**record, "attributes": attributes}


def _build(options: BuildOptions) -> Dataset:
    lists = tuple(ListSpec(name=name, make=_maker(name), touch=_touch) for name in _KINDS)
    return Dataset(seed=options.seed, size=options.size, sizes=dict(options.sizes), lists=lists)


def _bad_request(detail: str) -> Response:
    return json_response({"errors": [{"title": "Bad Request", "details": detail}]}, status=400)


def _list(resource: str) -> Any:
    def handler(ctx: Context, request: Request, _match: re.Match[str]) -> Response:
        size = int_param(request, "page[size]", default=10, low=1, high=100)
        if size is None:
            return _bad_request("page[size] must be an integer between 1 and 100")
        table = ctx.table(resource)
        start = 0
        after = request.query.get("page[after]")
        if after:
            position = table.position(after)
            if position is None:
                return _bad_request(f"page[after] is not a known {resource} id")
            start = position + 1
        return json_response({"data": table.served()[start:start + size]})

    return handler


def _credentials(seed: int) -> Credentials:
    key = f"persona_sandbox_{digest_token('persona-key', seed, length=32)}"
    return Credentials(secrets={"api_key": key}, real={"api_key": key})


def _rate_headers(states: tuple[WindowState, ...]) -> tuple[tuple[str, str], ...]:
    state = states[0]
    return (("ratelimit-limit", str(state.window.limit)),
            ("ratelimit-remaining", str(max(state.remaining, 0))),
            ("ratelimit-reset", format_seconds(state.reset_s)))


def _throttled(states: tuple[WindowState, ...]) -> Response:
    body = {"errors": [{"title": "Too Many Requests"}]}
    return json_response(body, status=429, headers=_rate_headers(states))


PERSONA = Vendor(
    name="persona",
    base_path="",
    build=_build,
    routes=tuple(Route(re.compile(re.escape(path)), _list(name)) for name, (path, *_rest) in _KINDS.items()),
    credentials=_credentials,
    authenticate=bearer_authenticate,
    rate_windows=(Window(limit=300, seconds=60),),
    rate_scope=lambda _path: "all",
    rate_headers=_rate_headers,
    throttled=_throttled,
    truth_aliases={"workflows_run": "workflow_runs"},
)
