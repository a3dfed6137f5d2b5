"""A small ledger API: accounts and, per account, entries filtered by time — for per-parent cursors.

- ``/ledger/accounts``                   every account, oldest first, one page ``{"data": [...]}``
- ``/ledger/accounts/<id>/entries``      the account's entries, ascending ``at`` (ISO 8601 ``Z``), one
  page ``{"data": [...]}``; ``since`` keeps those at or after it, ``until`` those before it
  (``404`` for an unknown account)

An account's history does not follow its creation: entry ``k`` of the account created ``i``-th is at
``BASE + 60 i + 3600 k``, so an account added later (``mutate``) has entries older than the newest
entries of the accounts before it. Each account has ``entry_count`` entries; touching an account
(``mutate``, or ``set_field(..., "entry_count", n)``) gives it new entries after its others.
No credentials are needed.
"""

from __future__ import annotations

import random
import re
from typing import Any

from restloom.testing.dataset import ChildSpec, Dataset, ListSpec, Row
from restloom.testing.gen import iso_z
from restloom.testing.vendor import AuthForm, BuildOptions, Context, Credentials, Route, Vendor
from restloom.testing.wire import Request, Response, error, json_response

__all__ = ["BASE_EPOCH", "LEDGER"]

BASE_EPOCH = 1_700_000_000
"""The instant of the first entry of the first account (2023-11-14T22:13:20Z)."""


def _account(index: int, created: int, rng: random.Random) -> Row:
    record = {"id": f"acc-{index + 1}", "name": f"account {index + 1}", "position": index,
              "entry_count": rng.randint(2, 4)}
    return Row(created, created, record)


def _touch(record: dict[str, Any], _updated: int, _rng: random.Random) -> dict[str, Any]:
    return {**record, "entry_count": record["entry_count"] + 2}


def _entries(parent: dict[str, Any], _index: int, _rng: random.Random) -> list[dict[str, Any]]:
    position = parent["position"]
    return [{"id": f"{parent['id']}-{k}", "amount": 10 * position + k,
             "at": iso_z(BASE_EPOCH + 60 * position + 3600 * k)} for k in range(parent["entry_count"])]


def _build(options: BuildOptions) -> Dataset:
    accounts = ListSpec(name="accounts", make=_account, touch=_touch, order="oldest")
    children = (ChildSpec(name="entries", parent="accounts", make=_entries),)
    return Dataset(seed=options.seed, size=options.size, sizes=dict(options.sizes), lists=(accounts,),
                   children=children)


def _accounts(ctx: Context, _request: Request, _match: re.Match[str]) -> Response:
    return json_response({"data": ctx.table("accounts").served()})


def _account_entries(ctx: Context, request: Request, match: re.Match[str]) -> Response:
    records = ctx.data.children("entries", match.group(1))
    if records is None:
        return error(404, "no such account")
    low, high = request.query.get("since"), request.query.get("until")
    return json_response({"data": [r for r in records
                                   if (low is None or r["at"] >= low) and (high is None or r["at"] < high)]})


_ROUTES = (
    Route(re.compile("/ledger/accounts"), _accounts),
    Route(re.compile("/ledger/accounts/([^/]+)/entries"), _account_entries),
)


def _credentials(_seed: int) -> Credentials:
    return Credentials(secrets={}, real={})


def _authenticate(_request: Request, _credentials: Credentials) -> AuthForm:
    return "seed"


LEDGER = Vendor(
    name="ledger",
    base_path="/ledger",
    build=_build,
    routes=_ROUTES,
    credentials=_credentials,
    authenticate=_authenticate,
)
