"""Filling a child's request from its parent record: path, params, json and headers placeholders.

A value placed in the *path* (a parent field, a resolve param, an implicit parent's key, an incremental
value) is percent-encoded as one path segment: ``../../admin`` becomes ``..%2F..%2Fadmin`` and cannot
leave the API's path, ``x?role=admin`` cannot add a query, ``y#frag`` cannot cut the path. A value that
cannot be one segment (empty, ``.``, ``..``) fails the resource. The config's own path text is not
encoded. Params, json and headers values are encoded by ``requests``.
"""

from __future__ import annotations

import copy
import json
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from dlt.common import jsonpath

from restloom.config.models import ResourceSpec
from restloom.errors import ResourceError
from restloom.text import truncate


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


def parent_key(spec: ResourceSpec, parent: Mapping[str, Any]) -> str:
    """Which requests of ``spec`` a parent record stands for: the values its requests take from the record
    (placeholder -> value, as ``render_request_parts`` fills them), serialised stably as sorted JSON."""
    return json.dumps(_values(spec, parent), sort_keys=True, separators=(",", ":"), default=str)


class _DottedFormatter(string.Formatter):
    """``str.format`` whose field names may contain dots as plain key text (``resources.users.id``)."""

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> Any:
        if field_name in kwargs:
            return kwargs[field_name], field_name
        return super().get_field(field_name, args, kwargs)


class _NotASegment(ValueError):
    """A path placeholder value that cannot be one path segment."""


class _SegmentFormatter(_DottedFormatter):
    """Formats each placeholder value, then percent-encodes it as one path segment (``/`` included)."""

    def format_field(self, value: Any, format_spec: str) -> str:
        text = super().format_field(value, format_spec)
        if text in ("", ".", ".."):
            raise _NotASegment(f"the value {truncate(text, 20)!r} cannot fill a path segment")
        return quote(text, safe="")


_FORMATTER = _DottedFormatter()
_PATH_FORMATTER = _SegmentFormatter()


def _single_field(text: str) -> str | None:
    """The field of a string that is exactly one placeholder (no text, format spec or conversion)."""
    try:
        parsed = list(_FORMATTER.parse(text))
    except ValueError:
        return None
    if len(parsed) == 1 and parsed[0][0] == "" and parsed[0][1] and not parsed[0][2] and parsed[0][3] is None:
        return parsed[0][1]
    return None


def _fill(text: str, values: Mapping[str, Any], *, resource: str, formatter: string.Formatter = _FORMATTER) -> str:
    """``str.format`` with the placeholder values, as dlt expands every string it sends (so ``{{`` is a
    literal brace); unquoted (requests percent-encodes what a URL cannot carry) unless ``formatter``
    encodes path segments."""
    try:
        return formatter.format(text, **values)
    except _NotASegment as exc:
        raise ResourceError(resource, f"cannot fill the placeholders of {truncate(text, 80)!r}: {exc}") from exc
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        shown = truncate(text, 80)
        raise ResourceError(resource, f"cannot fill the placeholders of {shown!r}: {exc!r} (write a literal "
                            "brace as {{ or }})") from exc


def _fill_any(value: Any, values: Mapping[str, Any], *, resource: str, keep_type: bool = False) -> Any:
    """Placeholders filled in every string, dict keys included; with ``keep_type`` (json bodies, as dlt) a
    string that is one placeholder and nothing else becomes the value itself (a number stays a number)."""
    if isinstance(value, str):
        field = _single_field(value) if keep_type else None
        if field is not None and field in values:
            return values[field]
        return _fill(value, values, resource=resource)
    if isinstance(value, Mapping):
        return {_fill_any(k, values, resource=resource): _fill_any(v, values, resource=resource, keep_type=keep_type)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_fill_any(v, values, resource=resource, keep_type=keep_type) for v in value]
    return value


def render_request_parts(spec: ResourceSpec, *, parent: Mapping[str, Any] | None,
                         extra: Mapping[str, Any] | None = None) -> RequestParts:
    """The endpoint's path, params, json and headers with the parent's values (and ``extra`` placeholder
    values, such as ``incremental.start_value``) filled in."""
    endpoint, name = spec.endpoint, spec.name
    values = {**_values(spec, parent), **(extra or {})}
    # new containers every time: a paginator writing into the body (cursor_body_path) must not change the
    # config's json
    return RequestParts(
        path=_fill(endpoint.path, values, resource=name, formatter=_PATH_FORMATTER),
        params=_fill_any(dict(endpoint.params), values, resource=name),
        json=copy.deepcopy(_fill_any(endpoint.json, values, resource=name, keep_type=True)),
        headers=_fill_any(dict(endpoint.headers), values, resource=name),
        data=_fill_any(endpoint.data, values, resource=name),
    )


def parent_column_names(spec: ResourceSpec) -> list[str]:
    """The names of the parent fields a child row carries, as dlt names them: ``_<parent>_<field>``."""
    return [f"_{spec.parent}_{field}" for field in spec.include_from_parent]


def parent_columns(spec: ResourceSpec, parent: Mapping[str, Any]) -> dict[str, Any]:
    """The parent fields a child row carries, with their values."""
    names = parent_column_names(spec)
    return {name: parent_value(parent, field) for name, field in zip(names, spec.include_from_parent, strict=True)}
