"""Parsing ``incremental.step``: a duration (``30d``) or a positive number, checked against the cursor.

What a step means depends on the cursor, known from ``initial_value`` and ``cursor_format``:

* a datetime or date cursor (``initial_value`` ISO 8601 text, a date or a datetime): a duration, or a
  number of seconds (a date cursor steps in whole days);
* an epoch cursor (``cursor_format: epoch_seconds | epoch_ms``): a duration converted to the unit, or a
  number in the unit;
* a plain numeric cursor: a number only, and ``end_value`` is required (there is no "now" for an id).

Each malformed step gets one problem, at ``...incremental.step``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, Literal

from restloom.config.issues import Issues, join
from restloom.config.models import StepSpec

StepKind = Literal["datetime", "date", "epoch", "number"]
DURATION = re.compile(r"(\d+)(s|m|h|d|w)")
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
DAY = 86400
EXPECTED = "expected a duration such as 30d (a whole number then s, m, h, d or w) or a positive number"


def parse_step(block: Mapping[str, Any], where: str, issues: Issues) -> StepSpec | None:
    """The block's step, or None (absent, or a problem recorded at ``<where>.step``)."""
    raw = block.get("step")
    if raw is None:
        return None
    path = join(where, "step")
    problem, spec = _step(raw, block, path)
    if problem is not None:
        issues.add(path, problem)
    return spec


def _amount(raw: Any) -> tuple[float, bool] | None:
    """(amount, is a duration in seconds), or None when ``raw`` is neither form or not positive."""
    if isinstance(raw, str):
        match = DURATION.fullmatch(raw.strip())
        if match is None or int(match.group(1)) == 0:
            return None
        return int(match.group(1)) * SECONDS[match.group(2)], True
    if isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw) and raw > 0:
        return raw, False
    return None


def cursor_kind(initial: Any, cursor_format: Any) -> StepKind | None:
    """What kind of cursor ``initial_value`` says this is, or None when it is no point in time or number."""
    number = isinstance(initial, int | float) and not isinstance(initial, bool)
    if cursor_format is not None:
        return "epoch" if number else None
    if number:
        return "number"
    if isinstance(initial, datetime):
        return "datetime"
    if isinstance(initial, date):
        return "date"
    if isinstance(initial, str):
        try:
            if len(initial) == 10:
                date.fromisoformat(initial)
                return "date"
            datetime.fromisoformat(initial.replace("Z", "+00:00"))
            return "datetime"
        except ValueError:
            return None
    return None


def point(value: Any, kind: StepKind) -> float | None:
    """A cursor value as a number: seconds since the epoch for datetime and date cursors (a value without a
    time zone is UTC), the value itself for numeric ones; None when ``value`` is not of that kind."""
    if kind in ("epoch", "number"):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return float(value) if number else None
    moment: Any = value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(moment, date) and not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
    if not isinstance(moment, datetime):
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _step(raw: Any, block: Mapping[str, Any], path: str) -> tuple[str | None, StepSpec | None]:
    amount = _amount(raw)
    if amount is None:
        return f"{EXPECTED}, got {raw!r}", None
    initial = block.get("initial_value")
    if initial is None:
        return "needs initial_value: the first window starts there", None
    cursor_format = block.get("cursor_format")
    kind = cursor_kind(initial, cursor_format)
    if kind is None:
        what = ("a number in that unit (cursor_format is set)" if cursor_format is not None
                else "a point in time (ISO 8601 text, a date or a datetime) or a number")
        return f"needs an initial_value that is {what}, got {initial!r}", None
    size, is_duration = amount
    if kind == "number" and is_duration:
        return (f"{raw!r} is a duration, but the cursor is a plain number (initial_value {initial!r}): give the "
                "step as a number in the cursor's unit, or set cursor_format: epoch_seconds | epoch_ms"), None
    if kind == "number" and block.get("end_value") is None:
        return "a numeric cursor needs end_value: the windows end there (there is no 'now' for a number)", None
    if kind == "date" and size % DAY:
        return f"a date cursor steps in whole days (d or w, or a multiple of {DAY} seconds), got {raw!r}", None
    if kind == "epoch" and is_duration and cursor_format == "epoch_ms":
        size *= 1000
    end, start = block.get("end_value"), point(initial, kind)
    end_point = None if end is None else point(end, kind)
    if end is not None and (end_point is None or start is None or end_point <= start):
        return f"end_value {end!r} must be a later point of the same kind than initial_value {initial!r}", None
    text = raw if isinstance(raw, str) else f"{raw:g}"
    return None, StepSpec(text=text.strip(), size=size, kind=kind, path=path)
