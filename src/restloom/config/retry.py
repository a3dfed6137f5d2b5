"""Parsing ``error_handler`` blocks into a frozen ``RetryPolicy`` (what ``restloom.http.retry`` decides with).

Keys: ``retry_on_status_codes``, ``max_retries``, ``backoff_factor``, ``backoff_max``, ``jitter``,
``retry_after_max``, ``retry_on_errors``, ``wait_scale``. A block applies over the one above it
(client, then ``resource_defaults``, then the endpoint).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from restloom.config.models import RetryPolicy
from restloom.errors import ConfigError, ConfigIssue
from restloom.text import did_you_mean, truncate

__all__ = ["retry_policy_from_config"]

_NUMBER = "a number >= 0"
_CONFIG_KEYS: dict[str, str] = {
    "retry_on_status_codes": "a list of HTTP status codes (integers 100-599)",
    "max_retries": "an integer >= 0",
    "backoff_factor": _NUMBER,
    "backoff_max": _NUMBER,
    "jitter": "a number between 0 and 1",
    "retry_after_max": _NUMBER,
    "retry_on_errors": "true or false",
    "wait_scale": _NUMBER,
}


def retry_policy_from_config(
    raw: Mapping[str, Any], *, path: str, base: RetryPolicy | None = None
) -> RetryPolicy:
    """A policy from a config ``error_handler`` block over ``base``; every problem in one ConfigError."""
    if not isinstance(raw, Mapping):
        raise ConfigError([ConfigIssue(path, f"expected a mapping, got {type(raw).__name__}")])
    issues: list[ConfigIssue] = []
    changes: dict[str, Any] = {}
    for key, value in raw.items():
        key_path = f"{path}.{key}" if path else str(key)
        if key not in _CONFIG_KEYS:
            issues.append(ConfigIssue(key_path, _unknown_key_message(str(key))))
            continue
        converted = _convert(key, value)
        if converted is None:
            expected = _CONFIG_KEYS[key]
            issues.append(ConfigIssue(key_path, f"expected {expected}, got {_show(value)}"))
            continue
        changes["retry_on_status" if key == "retry_on_status_codes" else key] = converted
    if issues:
        raise ConfigError(issues)
    return replace(base or RetryPolicy(), **changes)


def _convert(key: str, value: Any) -> Any:
    """The value as the policy field wants it, or None when it is not what ``key`` expects."""
    is_number = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if key == "retry_on_status_codes":
        valid = isinstance(value, list | tuple) and all(
            isinstance(code, int) and not isinstance(code, bool) and 100 <= code <= 599 for code in value
        )
        return frozenset(value) if valid else None
    if key == "max_retries":
        return value if is_number and isinstance(value, int) and value >= 0 else None
    if key == "retry_on_errors":
        return value if isinstance(value, bool) else None
    if not is_number or value < 0 or (key == "jitter" and value > 1):
        return None
    return float(value)


def _unknown_key_message(key: str) -> str:
    return f"unknown key '{key}' (known: {', '.join(sorted(_CONFIG_KEYS))}){did_you_mean(key, _CONFIG_KEYS)}"


def _show(value: Any) -> str:
    return f"{type(value).__name__} {truncate(repr(value), 40)}"
