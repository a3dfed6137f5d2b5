"""Opsgenie (alerting): ``offset``/``limit`` with an absolute ``paging.next``; some lists unpaged."""

from __future__ import annotations

import random
import re
from datetime import datetime
from typing import Any

from restloom.testing.dataset import ChildSpec, Dataset, ListSpec, Row
from restloom.testing.gen import iso_ms_z, uuid_for
from restloom.testing.ratelimit import Window, WindowState, format_seconds
from restloom.testing.vendor import AuthForm, BuildOptions, Context, Credentials, Route, Vendor, int_param
from restloom.testing.wire import Request, Response, json_response, url_with

__all__ = ["OPSGENIE"]

_NAMES = ("ada", "linus", "grace", "ken", "barbara", "dennis", "margaret", "alan")
_PRIORITIES = ("P1", "P2", "P3", "P4", "P5")


def _stamp(epoch: int, rng: random.Random) -> str:
    return iso_ms_z(epoch, rng.randrange(1000))


def _user(index: int, created: int, rng: random.Random) -> Row:
    name = f"{rng.choice(_NAMES)}.{index}"
    record = {"id": uuid_for("user", index, rng.random()), "username": f"{name}@example.com",
              "fullName": name.replace(".", " ").title(), "role": {"id": "User", "name": "User"},
              "blocked": rng.random() < 0.1, "verified": rng.random() < 0.9, "timeZone": "Europe/Paris",
              "locale": rng.choice(("en_US", "fr_FR")), "createdAt": _stamp(created, rng),
              "userAddress": {"country": "", "state": "", "city": rng.choice(("Paris", "")), "line": "",
                              "zipCode": ""}}
    return Row(created, created, record)


def _team(index: int, created: int, rng: random.Random) -> Row:
    record = {"id": uuid_for("team", index, rng.random()), "name": f"team-{index}",
              "description": rng.choice(("", "On-call rotation"))}
    return Row(created, created, record)


def _service(index: int, created: int, rng: random.Random) -> Row:
    record: dict[str, Any] = {"id": uuid_for("service", index, rng.random()), "name": f"service-{index}",
              "teamId": uuid_for("team-ref", index), "description": rng.choice((None, "payments")),
              "visibility": rng.choice(("TEAM_MEMBERS", "OPSGENIE_USERS")), "tags": []}
    return Row(created, created, record)


def _integration(index: int, created: int, rng: random.Random) -> Row:
    record = {"id": uuid_for("integration", index, rng.random()), "name": f"integration-{index}",
              "enabled": rng.random() < 0.8, "type": rng.choice(("API", "Email", "Prometheus")),
              "teamId": None}
    return Row(created, created, record)


def _incident(index: int, created: int, rng: random.Random) -> Row:
    updated = created + rng.choice((0, 120, 3600))
    record: dict[str, Any] = {"id": uuid_for("incident", index, rng.random()), "tinyId": str(index + 1),
              "message": f"Incident {index + 1}", "status": rng.choice(("open", "resolved", "closed")),
              "tags": [], "createdAt": _stamp(created, rng), "updatedAt": _stamp(updated, rng),
              "priority": rng.choice(_PRIORITIES), "ownerTeam": "", "responders": [],
              "extraProperties": {}, "impactedServices": []}
    return Row(created, updated, record)


def _alert(index: int, created: int, rng: random.Random) -> Row:
    updated = created + rng.choice((0, 0, 60, 900))
    acknowledged = rng.random() < 0.4
    record = {"id": uuid_for("alert", index, rng.random()), "tinyId": str(index + 1),
              "alias": f"alias-{index}", "message": f"CPU high on host-{index % 7}",
              "status": rng.choice(("open", "closed")), "acknowledged": acknowledged,
              "isSeen": acknowledged or rng.random() < 0.5, "tags": rng.sample(("prod", "db", "web"), 2),
              "snoozed": False, "count": rng.randint(1, 9), "lastOccurredAt": _stamp(created, rng),
              "createdAt": _stamp(created, rng), "updatedAt": _stamp(updated, rng), "source": "api",
              "owner": rng.choice(("", "ada@example.com")), "priority": rng.choice(_PRIORITIES),
              "responders": [{"type": "team", "id": uuid_for("team-ref", index % 3)}],
              "integration": {"id": uuid_for("integration-ref", 0), "name": "API", "type": "API"},
              "report": {"ackTime": 15000, "acknowledgedBy": "ada@example.com"} if acknowledged else {}}
    return Row(created, updated, record)


def _touch_alert(record: dict[str, Any], updated: int, rng: random.Random) -> dict[str, Any]:
    return {**record, "updatedAt": _stamp(updated, rng), "status": "closed", "count": record["count"] + 1}


def _touch_named(record: dict[str, Any], updated: int, rng: random.Random) -> dict[str, Any]:
    field = "fullName" if "fullName" in record else "name" if "name" in record else "message"
    changed = {**record, field: f"{record[field]} (renamed)"}
    if "updatedAt" in record:
        changed["updatedAt"] = _stamp(updated, rng)
    return changed


def _child_counts(index: int, rng: random.Random) -> int:
    return (0, 3)[index] if index < 2 else rng.choice((0, 1, 1, 2, 3, 4))


def _user_teams(parent: dict[str, Any], index: int, rng: random.Random) -> list[dict[str, Any]]:
    return [{"id": uuid_for("team-ref", index, j), "name": f"team-{index}-{j}"}
            for j in range(_child_counts(index, rng))]


def _recipients(parent: dict[str, Any], index: int, rng: random.Random) -> list[dict[str, Any]]:
    return [{"user": {"id": uuid_for("user-ref", index, j), "username": f"{_NAMES[j]}@example.com"},
             "state": rng.choice(("action", "notactive")), "method": rng.choice(("Acknowledge", "SMS", "")),
             "createdAt": parent["createdAt"], "updatedAt": parent["updatedAt"]}
            for j in range(_child_counts(index, rng))]


def _logs(parent: dict[str, Any], index: int, rng: random.Random) -> list[dict[str, Any]]:
    return [{"log": f"Alert note {j}", "type": rng.choice(("system", "alertRecipient", "note")),
             "owner": "System", "createdAt": parent["createdAt"], "offset": f"{index}_{j}"}
            for j in range(_child_counts(index, rng))]


def _build(options: BuildOptions) -> Dataset:
    lists = (
        ListSpec(name="users", make=_user, touch=_touch_named, order="oldest"),
        ListSpec(name="teams", make=_team, touch=_touch_named, order="oldest"),
        ListSpec(name="services", make=_service, touch=_touch_named, order="oldest"),
        ListSpec(name="integrations", make=_integration, touch=_touch_named, order="oldest"),
        ListSpec(name="incidents", make=_incident, touch=_touch_named, order="newest"),
        ListSpec(name="alerts", make=_alert, touch=_touch_alert, order="newest", mean_gap=600),
    )
    children = (ChildSpec(name="user_teams", parent="users", make=_user_teams),
                ChildSpec(name="alert_recipients", parent="alerts", make=_recipients),
                ChildSpec(name="alert_logs", parent="alerts", make=_logs))
    return Dataset(seed=options.seed, size=options.size, sizes=dict(options.sizes), lists=lists,
                   children=children)


def _envelope(data: Any, **extra: Any) -> dict[str, Any]:
    return {"data": data, **extra, "took": 0.01, "requestId": uuid_for("request", len(data))}


def _unprocessable(message: str) -> Response:
    body = {"message": message, "took": 0.0, "requestId": uuid_for("error", message)}
    return json_response(body, status=422)


def _alert_filter(request: Request, records: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """Apply ``order`` and ``query=updatedAt>=<ms>``; None when either is not understood."""
    order, query = request.query.get("order", "desc"), request.query.get("query", "").strip()
    if order not in ("asc", "desc"):
        return None
    if query:
        match = re.fullmatch(r"updatedAt\s*>=\s*(\d+)", query)
        if match is None:
            return None
        since = int(match.group(1)) / 1000
        records = [r for r in records if _epoch(r["updatedAt"]) >= since]
    return records if order == "desc" else records[::-1]


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _paged(resource: str) -> Any:
    def handler(ctx: Context, request: Request, _match: re.Match[str]) -> Response:
        limit = int_param(request, "limit", default=20, low=1, high=100)
        offset = int_param(request, "offset", default=0, low=0, high=10**9)
        if limit is None or offset is None:
            return _unprocessable("limit must be 1-100 and offset a non-negative integer")
        records: list[dict[str, Any]] | None = ctx.table(resource).served()
        if resource == "alerts":
            records = _alert_filter(request, records or [])
            if records is None:
                return _unprocessable("order must be asc or desc; query supports updatedAt>=<epoch ms>")
        assert records is not None
        last = max((len(records) - 1) // limit * limit, 0)
        paging = {"first": url_with(request, offset=0, limit=limit), "last": url_with(request, offset=last,
                                                                                      limit=limit)}
        if offset + limit < len(records):
            paging["next"] = url_with(request, offset=offset + limit, limit=limit)
        page = records[offset:offset + limit]
        return json_response(_envelope(page, paging=paging, totalCount=len(records)))

    return handler


def _unpaged(resource: str) -> Any:
    def handler(ctx: Context, _request: Request, _match: re.Match[str]) -> Response:
        return json_response(_envelope(ctx.table(resource).served()))

    return handler


def _children(resource: str) -> Any:
    def handler(ctx: Context, _request: Request, match: re.Match[str]) -> Response:
        records = ctx.data.children(resource, match.group(1))
        if records is None:
            return json_response({"message": "Not found", "took": 0.0, "requestId": ""}, status=404)
        return json_response(_envelope(records))

    return handler


_ROUTES = (
    Route(re.compile("/v2/users"), _paged("users")),
    Route(re.compile("/v2/teams"), _unpaged("teams")),
    Route(re.compile("/v1/services"), _paged("services")),
    Route(re.compile("/v2/integrations"), _unpaged("integrations")),
    Route(re.compile("/v1/incidents"), _paged("incidents")),
    Route(re.compile("/v2/alerts"), _paged("alerts")),
    Route(re.compile("/v2/users/([^/]+)/teams"), _children("user_teams")),
    Route(re.compile("/v2/alerts/([^/]+)/recipients"), _children("alert_recipients")),
    Route(re.compile("/v2/alerts/([^/]+)/logs"), _children("alert_logs")),
)


def _credentials(seed: int) -> Credentials:
    key = uuid_for("opsgenie-key", seed)
    return Credentials(secrets={"api_token": key}, real={"api_key": key})


def _authenticate(request: Request, credentials: Credentials) -> AuthForm:
    key = credentials.real["api_key"]
    seed_header, real_header = request.headers.get("api_key"), request.headers.get("authorization")
    if seed_header is None and real_header is None:
        return "none"
    if real_header == f"GenieKey {key}":
        return "real"
    return "seed" if seed_header == key else "invalid"


def _throttled(states: tuple[WindowState, ...]) -> Response:
    hit = next((s for s in states if s.exceeded), states[0])
    headers = (("X-RateLimit-State", "THROTTLED"),
               ("X-RateLimit-Period-In-Sec", format_seconds(hit.period_s)))
    body = {"message": "You are making too many requests!", "took": 0.0, "requestId": ""}
    return json_response(body, status=429, headers=headers)


OPSGENIE = Vendor(
    name="opsgenie",
    base_path="",
    build=_build,
    routes=_ROUTES,
    credentials=_credentials,
    authenticate=_authenticate,
    rate_windows=(Window(limit=20, seconds=1), Window(limit=600, seconds=60)),
    rate_scope=lambda _path: "all",
    rate_headers=lambda _states: (),
    throttled=_throttled,
)
