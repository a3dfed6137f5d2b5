"""Filling a child's request from its parent record: path, params, json and headers placeholders."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dlt.common import jsonpath

from restloom.config.models import ResourceSpec
from restloom.errors import ResourceError


@dataclass(frozen=True, slots=True)
class RequestParts:
    """The parts of a first-page request after placeholders are filled."""

    path: str
    params: dict[str, Any]
    json: Any
    headers: dict[str, Any]
    data: Any = None


def parent_value(record: Mapping[str, Any], field: str) -> Any:
    """The value of ``field`` (a key or a JSONPath) in a parent record, or None."""
    if field in record:
        return record[field]
    values = jsonpath.find_values(field, dict(record))
    return values[0] if values else None


def _values(spec: ResourceSpec, parent: Mapping[str, Any] | None) -> dict[str, Any]:
    if parent is None:
        return {}
    out = {}
    for resolve in spec.resolves:
        value = parent_value(parent, resolve.field)
        if value is None:
            raise ResourceError(spec.name, f"parent '{resolve.resource}' record has no '{resolve.field}' to fill "
                                f"{{{resolve.placeholder}}}")
        out[resolve.placeholder] = value
    return out


def _fill(text: str, values: Mapping[str, Any]) -> str:
    """Placeholders replaced by their values as text, unquoted (as dlt's ``str.format`` does; requests
    percent-encodes what a URL cannot carry)."""
    for name, value in values.items():
        token = "{" + name + "}"
        if token in text:
            text = text.replace(token, str(value))
    return text


def _fill_any(value: Any, values: Mapping[str, Any], *, keep_type: bool = False) -> Any:
    """Placeholders filled in every string; with ``keep_type`` (json bodies, as dlt) a string that is one
    placeholder and nothing else becomes the value itself (a number stays a number)."""
    if isinstance(value, str):
        if keep_type and value.startswith("{") and value.endswith("}") and value[1:-1] in values:
            return values[value[1:-1]]
        return _fill(value, values)
    if isinstance(value, Mapping):
        return {k: _fill_any(v, values, keep_type=keep_type) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill_any(v, values, keep_type=keep_type) for v in value]
    return value


def render_request_parts(spec: ResourceSpec, *, parent: Mapping[str, Any] | None,
                         extra: Mapping[str, Any] | None = None) -> RequestParts:
    """The endpoint's path, params, json and headers with the parent's values (and ``extra`` placeholder
    values, such as ``incremental.start_value``) filled in."""
    endpoint = spec.endpoint
    from_parent = _values(spec, parent)
    values = {**from_parent, **(extra or {})}
    if not values:
        # a copy: a paginator writing into the body (cursor_body_path) must not change the config's json
        return RequestParts(endpoint.path, dict(endpoint.params), copy.deepcopy(endpoint.json),
                            dict(endpoint.headers), copy.deepcopy(endpoint.data))
    return RequestParts(
        path=_fill(endpoint.path, values),
        params=_fill_any(dict(endpoint.params), values),
        json=_fill_any(endpoint.json, values, keep_type=True),
        headers=_fill_any(dict(endpoint.headers), values),
        # dlt fills a form body for children only (its top-level resources send ``data`` as written)
        data=_fill_any(endpoint.data, values) if from_parent else copy.deepcopy(endpoint.data),
    )


def parent_column_names(spec: ResourceSpec) -> list[str]:
    """The names of the parent fields a child row carries, as dlt names them: ``_<parent>_<field>``."""
    return [f"_{spec.parent}_{field}" for field in spec.include_from_parent]


def parent_columns(spec: ResourceSpec, parent: Mapping[str, Any]) -> dict[str, Any]:
    """The parent fields a child row carries, with their values."""
    names = parent_column_names(spec)
    return {name: parent_value(parent, field) for name, field in zip(names, spec.include_from_parent, strict=True)}
