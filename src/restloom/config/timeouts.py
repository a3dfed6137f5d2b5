"""Parsing ``timeout`` blocks into frozen ``Timeouts`` (what ``restloom.http.client`` sends each request with).

Keys, in seconds: ``connect`` (default 10), ``read`` (the longest silence between two reads, default 60)
and ``total`` (the whole request, body included, default 300). A block applies over the one above it
(client, then ``resource_defaults``, then the endpoint); a key it leaves out keeps the value above.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from restloom.config.issues import Issues, describe, join
from restloom.config.models import Timeouts

__all__ = ["TIMEOUT_KEYS", "parse_timeouts"]

TIMEOUT_KEYS = ("connect", "read", "total")


def parse_timeouts(raw: Any, *, path: str, base: Timeouts, issues: Issues) -> Timeouts:
    """``base`` with the values of a config ``timeout`` block; every problem recorded at its path."""
    if raw is None or not issues.expect(raw, Mapping, path, "a mapping with connect, read and total (seconds)"):
        return base
    issues.unknown_keys(raw, TIMEOUT_KEYS, path)
    changes: dict[str, float] = {}
    for key in TIMEOUT_KEYS:
        if key not in raw:
            continue
        value = raw[key]
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if number and math.isfinite(value) and value > 0:
            changes[key] = float(value)
        else:
            shown = value if number else describe(value)
            issues.add(join(path, key), f"expected a number of seconds > 0, got {shown}")
    return replace(base, **changes)
