"""Settings a valid config carries that can never take effect: reported as notices, not errors.

dlt accepts these configs, so restloom runs them as dlt would; ``restloom check`` and every run say
what is dead weight: a ``resource_defaults`` key every resource sets for itself, a ``limit_param``
with no ``limit`` to send.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from restloom.config.models import ResourceSpec


def unused_settings(raw: Mapping[str, Any], resources: list[ResourceSpec]) -> list[str]:
    """One notice per setting that no resource can use."""
    notices = _unused_defaults(raw.get("resource_defaults"), raw.get("resources"), resources)
    notices.extend(_unused_limit_params(raw, resources))
    return notices


def _declared(items: Any) -> list[Mapping[str, Any]]:
    """The resources written as mappings ({} for a string resource, which declares nothing)."""
    if not isinstance(items, list):
        return []
    return [item if isinstance(item, Mapping) else {} for item in items if isinstance(item, Mapping | str)]


def _unused_defaults(defaults: Any, items: Any, resources: list[ResourceSpec]) -> list[str]:
    if not isinstance(defaults, Mapping) or not resources:
        return []
    declared = _declared(items)
    notices = []
    for key in defaults:
        if key != "endpoint" and declared and all(key in item for item in declared):
            notices.append(f"resource_defaults.{key} is never used: every resource sets its own")
    endpoint = defaults.get("endpoint")
    if isinstance(endpoint, Mapping) and declared:
        endpoints = [item.get("endpoint") for item in declared]
        for key in endpoint:
            if key not in ("params", "json") and all(isinstance(e, Mapping) and key in e for e in endpoints):
                notices.append(f"resource_defaults.endpoint.{key} is never used: every resource sets its own")
    return notices


def _unused_limit_params(raw: Mapping[str, Any], resources: list[ResourceSpec]) -> list[str]:
    notices = []
    for spec in resources:
        cursor = spec.endpoint.paginator.cursor
        if cursor is not None and cursor.limit is None and cursor.limit_param != "limit":
            notices.append(f"{spec.config_path}.endpoint.paginator.limit_param is never sent: no limit is set")
    return notices
