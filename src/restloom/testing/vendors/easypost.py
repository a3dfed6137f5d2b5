"""EasyPost (shipping): HTTP Basic with an empty password, ``before_id`` = last id, ``has_more``."""

from __future__ import annotations

import base64
import random
import re
from datetime import datetime
from typing import Any

from restloom.testing.dataset import Dataset, ListSpec, Row
from restloom.testing.gen import digest_token, iso_z
from restloom.testing.ratelimit import Window, WindowState
from restloom.testing.vendor import AuthForm, BuildOptions, Context, Credentials, Route, Vendor, int_param
from restloom.testing.wire import Request, Response, json_response

__all__ = ["EASYPOST"]

_HEX = "0123456789abcdef"
# resource -> (path under /v2, response key, id prefix)
_LISTS: dict[str, tuple[str, str, str]] = {
    "batches": ("/batches", "batches", "batch"),
    "addresses": ("/addresses", "addresses", "adr"),
    "trackers": ("/trackers", "trackers", "trk"),
    "end_shippers": ("/end_shippers", "end_shippers", "es"),
    "webhooks": ("/webhooks", "webhooks", "hook"),
    "users_children": ("/users/children", "children", "user"),
    "carrier_accounts": ("/carrier_accounts", "", "ca"),
}
_OBJECTS = {"batches": "Batch", "addresses": "Address", "trackers": "Tracker", "end_shippers": "EndShipper",
            "webhooks": "Webhook", "users_children": "User", "carrier_accounts": "CarrierAccount"}
_CARRIERS = ("USPS", "UPS", "FedEx", "DHL Express", "Canada Post", "Royal Mail", "LaserShip", "OnTrac")
_STATES = {"batches": ("created", "purchased", "label_generated"), "trackers": ("pre_transit", "in_transit",
           "delivered", "return_to_sender"), "webhooks": ("enabled", "disabled")}


def _fields(resource: str, index: int, rng: random.Random) -> dict[str, Any]:
    if resource == "batches":
        return {"state": rng.choice(_STATES["batches"]), "num_shipments": rng.randint(0, 40),
                "reference": rng.choice((None, f"batch-{index}")), "shipments": [], "label_url": None,
                "status": {"created": rng.randint(0, 5), "postage_purchased": rng.randint(0, 5)}}
    if resource == "trackers":
        return {"tracking_code": f"EZ{rng.randrange(10**12):012d}", "status": rng.choice(_STATES["trackers"]),
                "carrier": rng.choice(_CARRIERS), "weight": rng.choice((None, round(rng.uniform(1, 90), 1))),
                "tracking_details": [{"status": "pre_transit", "message": "Label created"}
                                     ][: rng.randint(0, 1)]}
    if resource == "webhooks":
        return {"url": f"https://hooks.example.com/{index}", "disabled_at": None, "mode": "test"}
    if resource == "carrier_accounts":
        return {"type": f"{rng.choice(_CARRIERS).replace(' ', '')}Account", "readable": rng.choice(_CARRIERS),
                "description": None, "credentials": {"account_number": f"{rng.randrange(10**8):08d}"}}
    return {"name": rng.choice(("Ada Lovelace", "Linus T.", "Grace Hopper", None)),
            "company": rng.choice(("EasyPost", None)), "street1": f"{rng.randint(1, 999)} Mission St",
            "city": "San Francisco", "state": "CA", "zip": "94105", "country": "US",
            "verifications": {"zip4": {"success": rng.random() < 0.8, "errors": []}}}


def _maker(resource: str) -> Any:
    prefix = _LISTS[resource][2]

    def make(index: int, created: int, rng: random.Random) -> Row:
        updated = created + rng.choice((0, 0, 30, 7200))
        record = {"id": f"{prefix}_{digest_token(resource, index, rng.random(), length=32, alphabet=_HEX)}",
                  "object": _OBJECTS[resource], "mode": "test",
                  "created_at": iso_z(created), "updated_at": iso_z(updated), **_fields(resource, index, rng)}
        return Row(created, updated, record)

    return make


def _touch(record: dict[str, Any], updated: int, rng: random.Random) -> dict[str, Any]:
    return {**record, "updated_at": iso_z(updated), "mode": "production"}


def _build(options: BuildOptions) -> Dataset:
    lists = [ListSpec(name=name, make=_maker(name), touch=_touch) for name in _LISTS]
    carriers = ListSpec(name="metadata_carriers", make=_carrier, key="name", order="oldest",
                        default_size=min(options.size, len(_CARRIERS)))
    seed = options.seed
    keys = {"id": f"user_{digest_token('user', seed, length=32, alphabet=_HEX)}",
            "keys": [{"object": "ApiKey", "mode": mode, "created_at": "2023-03-01T10:00:00Z",
                      "id": f"ak_{digest_token('ak', seed, mode, length=32, alphabet=_HEX)}",
                      "key": f"EZ{mode[0].upper()}K{digest_token('k', seed, mode, length=20)}"}
                     for mode in ("test", "production")],
            "children": []}
    return Dataset(seed=seed, size=options.size, sizes=dict(options.sizes), lists=(*lists, carriers),
                   objects={"api_keys": keys})


def _carrier(index: int, created: int, rng: random.Random) -> Row:
    name = _CARRIERS[index].lower().replace(" ", "_") if index < len(_CARRIERS) else f"carrier_{index}"
    record = {"name": name, "human_readable": name.replace("_", " ").title(),
              "service_levels": [{"name": "Ground", "carrier": name}][: rng.randint(0, 1)],
              "predefined_packages": rng.sample(("Parcel", "FlatRateEnvelope", "Tube"), rng.randint(0, 2))}
    return Row(created, created, record)


def _parse_time(raw: str | None) -> float | None:
    return None if raw is None else datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()


def _invalid(message: str) -> Response:
    body = {"error": {"code": "PARAMETER.INVALID", "message": message, "errors": []}}
    return json_response(body, status=422)


def _list(resource: str) -> Any:
    key = _LISTS[resource][1]

    def handler(ctx: Context, request: Request, _match: re.Match[str]) -> Response:
        size = int_param(request, "page_size", default=20, low=1, high=100)
        if size is None:
            return _invalid("page_size must be an integer between 1 and 100")
        try:
            start, end = (_parse_time(request.query.get(n)) for n in ("start_datetime", "end_datetime"))
        except ValueError:
            return _invalid("start_datetime and end_datetime must be ISO 8601 timestamps")
        table = ctx.table(resource)
        records = table.served()
        before = request.query.get("before_id")
        if before:
            position = table.position(before)
            if position is None:
                return _invalid(f"before_id {before!r} is not a known id")
            records = records[position + 1:]
        if start is not None or end is not None:
            records = [r for r in records if _in_window(r["created_at"], start, end)]
        return json_response({key: records[:size], "has_more": len(records) > size})

    return handler


def _in_window(created_at: str, start: float | None, end: float | None) -> bool:
    created = _parse_time(created_at)
    assert created is not None
    return (start is None or created >= start) and (end is None or created < end)


def _root(name: str) -> Any:
    def handler(ctx: Context, _request: Request, _match: re.Match[str]) -> Response:
        if name in ctx.data.objects:
            return json_response(ctx.data.objects[name])
        if name == "metadata_carriers":
            return json_response({"carriers": ctx.table(name).served()})
        return json_response(ctx.table(name).served())

    return handler


def _routes() -> tuple[Route, ...]:
    paged = [Route(re.compile(re.escape(f"/v2{path}")), _list(name))
             for name, (path, key, _prefix) in _LISTS.items() if key]
    return (*paged,
            Route(re.compile("/v2/carrier_accounts"), _root("carrier_accounts")),
            Route(re.compile("/v2/metadata/carriers"), _root("metadata_carriers")),
            Route(re.compile("/v2/api_keys"), _root("api_keys")))


def _credentials(seed: int) -> Credentials:
    key = f"EZTK{digest_token('easypost-key', seed, length=32, alphabet=_HEX)}"
    return Credentials(secrets={"username": key}, real={"api_key": key})


def _authenticate(request: Request, credentials: Credentials) -> AuthForm:
    header = request.headers.get("authorization")
    if header is None:
        return "none"
    expected = base64.b64encode(f"{credentials.real['api_key']}:".encode()).decode()
    return "seed" if header == f"Basic {expected}" else "invalid"


def _throttled(_states: tuple[WindowState, ...]) -> Response:
    body = {"error": {"code": "RATE_LIMITED", "message": "Too many requests; slow down.", "errors": []}}
    return json_response(body, status=429)


EASYPOST = Vendor(
    name="easypost",
    base_path="/v2",
    build=_build,
    routes=_routes(),
    credentials=_credentials,
    authenticate=_authenticate,
    rate_windows=(Window(limit=5, seconds=1),),
    rate_scope=lambda _path: "all",
    rate_headers=lambda _states: (),
    throttled=_throttled,
)
