"""Record makers for the simulated Zendesk Talk: integer ids, ``...Z`` timestamps, nested IVRs."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from restloom.testing.dataset import Dataset, Row
from restloom.testing.gen import iso_z

__all__ = ["MAKERS", "ivr_menus", "ivr_routes", "stats_object", "touch"]

Record = dict[str, Any]
_BASE_ID = 360_000_000_000


def _id(index: int, rng: random.Random) -> int:
    return _BASE_ID + index * 1000 + rng.randrange(1000)


def _stamped(index: int, created: int, rng: random.Random, fields: Record, *,
             updated: int | None = None) -> Row:
    updated = created if updated is None else updated
    record = {"id": _id(index, rng), **fields, "created_at": iso_z(created), "updated_at": iso_z(updated)}
    return Row(created, updated, record)


def _address(index: int, created: int, rng: random.Random) -> Row:
    return _stamped(index, created, rng, {
        "name": f"Office {index}", "street": f"{rng.randint(1, 300)} Market St", "zip": "94103",
        "city": "San Francisco", "state": "CA", "province": None, "country_code": "US",
        "provider_reference": rng.choice((None, f"AD{rng.randrange(10**8):08d}"))})


def _greeting_category(index: int, created: int, rng: random.Random) -> Row:
    return _stamped(index, created, rng, {"name": ("voicemail", "available", "hold", "wait")[index % 4]})


def _greeting(index: int, created: int, rng: random.Random) -> Row:
    return _stamped(index, created, rng, {
        "name": f"Greeting {index}", "category_id": 1 + index % 4, "default": index < 2,
        "active": rng.random() < 0.8, "pending": False, "audio_name": f"greeting{index}.mp3",
        "audio_url": None, "ivr_ids": [], "has_sub_settings": False, "phone_number_ids": []})


def _phone_number(index: int, created: int, rng: random.Random) -> Row:
    number = f"+1415555{index % 10000:04d}"
    return _stamped(index, created, rng, {
        "number": number, "display_number": number, "name": f"Line {index}", "nickname": None,
        "country_code": "US", "toll_free": rng.random() < 0.2, "sms_enabled": False, "location": "CA",
        "capabilities": {"sms": rng.random() < 0.5, "mms": False, "voice": True},
        "greeting_ids": [], "default_greeting_ids": ["voicemail_en"], "priority_group_id": None})


def _routes(menu_index: int, rng: random.Random, count: int) -> list[Record]:
    return [{"id": _id(menu_index * 10 + j, rng),
             "action": rng.choice(("group", "voicemail", "phone_number")),
             "greeting": None, "keypress": str(j + 1), "option_text": f"Option {j + 1}",
             "options": {"group_ids": [rng.randint(1, 9)]}, "overflow_options": []} for j in range(count)]


def _ivr(index: int, created: int, rng: random.Random) -> Row:
    menu_count = 2 if index == 0 else rng.randint(1, 3)
    menus = []
    for m in range(menu_count):
        routes = (0, 3)[m] if index == 0 else rng.randint(0, 4)
        menus.append({"id": _id(index * 10 + m, rng), "name": f"Menu {index}.{m}", "default": m == 0,
                      "greeting_id": None, "routes": _routes(index * 10 + m, rng, routes)})
    return _stamped(index, created, rng, {"name": f"IVR {index}", "phone_number_ids": [_BASE_ID + index],
                                          "phone_number_names": [f"Line {index}"], "menus": menus})


def _agent_activity(index: int, created: int, rng: random.Random) -> Row:
    record = {"agent_id": _BASE_ID + index, "name": f"Agent {index}", "avatar_url": None,
              "agent_state": rng.choice(("online", "offline", "away", "transfers_only")),
              "call_status": rng.choice((None, "on_call", "wrap_up")), "via": rng.choice(("client", "phone")),
              "forwarding_number": None, "calls_accepted": rng.randint(0, 40),
              "calls_denied": rng.randint(0, 3),
              "average_talk_time": rng.randint(30, 600), "total_call_duration": rng.randint(0, 20000)}
    return Row(created, created, record)


def _ceil3(epoch: int) -> int:
    return epoch + (-epoch % 3)


def _call(index: int, created: int, rng: random.Random) -> Row:
    duration = rng.randint(5, 900)
    return _stamped(index, created, rng, {
        "agent_id": _BASE_ID + rng.randrange(10), "call_charge": f"{rng.uniform(0, 2):.3f}",
        "call_group_id": None, "call_recording_consent": "always", "completion_status": "completed",
        "customer_id": rng.randrange(10**9), "direction": rng.choice(("inbound", "outbound")),
        "duration": duration, "hold_time": rng.randint(0, 30), "wait_time": rng.randint(0, 60),
        "talk_time": duration, "voicemail": rng.random() < 0.1, "ticket_id": rng.choice((None, index)),
        "minutes_billed": 1 + duration // 60, "exceeded_queue_wait_time": False, "line": "phone",
        "quality_issues": rng.sample(("none", "echo", "jitter"), 1)}, updated=_ceil3(created))


def _leg(index: int, created: int, rng: random.Random) -> Row:
    duration = rng.randint(5, 600)
    return _stamped(index, created, rng, {
        "call_id": _BASE_ID + index // 2, "agent_id": _BASE_ID + rng.randrange(10), "user_id": None,
        "type": rng.choice(("agent", "customer", "external")), "duration": duration, "talk_time": duration,
        "hold_time": rng.randint(0, 20), "wrap_up_time": rng.randint(0, 60), "completion_status": "completed",
        "minutes_billed": 1 + duration // 60, "quality_issues": [], "conference_time": 0},
        updated=_ceil3(created))


MAKERS: dict[str, Callable[[int, int, random.Random], Row]] = {
    "addresses": _address, "greeting_categories": _greeting_category, "greetings": _greeting,
    "phone_numbers": _phone_number, "ivrs": _ivr, "agents_activity": _agent_activity,
    "calls": _call, "legs": _leg,
}


def touch(record: Record, updated: int, rng: random.Random) -> Record:
    """A copy with ``updated_at`` moved and one field changed (agents: their state)."""
    if "agent_state" in record:
        return {**record, "agent_state": "offline" if record["agent_state"] != "offline" else "online"}
    field = "duration" if "duration" in record else "name" if "name" in record else "active"
    changed = {**record, "updated_at": iso_z(updated)}
    changed[field] = record[field] + 1 if field == "duration" else f"{record.get(field)} (edited)"
    return changed


def stats_object(name: str, rng: random.Random) -> Record:
    """One of the single stats objects."""
    if name == "current_queue_activity":
        return {"agents_online": rng.randint(0, 9), "average_wait_time": rng.randint(0, 90),
                "callbacks_waiting": 0, "calls_waiting": rng.randint(0, 5),
                "longest_wait_time": rng.randint(0, 300),
                "embeddable_callbacks_waiting": 0}
    if name == "account_overview":
        return {"average_call_duration": rng.randint(60, 400), "average_queue_wait_time": rng.randint(5, 60),
                "average_wrap_up_time": rng.randint(5, 60), "total_calls": rng.randint(100, 5000),
                "total_voicemails": rng.randint(0, 50), "max_calls_waiting": rng.randint(0, 9)}
    return {"average_accepted_transfers": rng.randint(0, 5), "average_available_time": rng.randint(0, 3600),
            "average_calls_accepted": rng.randint(0, 40), "total_calls_accepted": rng.randint(0, 900),
            "total_calls_denied": rng.randint(0, 20), "average_talk_time": None}


def ivr_menus(data: Dataset) -> list[Record]:
    """Every IVR's menus, IVRs in served order (what ``ivrs.menus.*`` selects)."""
    return [menu for ivr in data.tables["ivrs"].served() for menu in ivr["menus"]]


def ivr_routes(data: Dataset) -> list[Record]:
    """Every menu's routes (they live under menus; the seed's ``ivrs.routes.*`` matches none of them)."""
    return [route for menu in ivr_menus(data) for route in menu["routes"]]
