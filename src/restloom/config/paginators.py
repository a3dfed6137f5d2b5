"""Parsing ``paginator`` blocks: dlt's names, dicts and objects, and the seed dialect's cursor.

The rule that keeps dlt's meaning intact: a ``type: cursor`` block is read as dlt's
``JSONResponseCursorPaginator`` unless it uses a key dlt does not know for it (``limit``,
``limit_param``, ``cursor_value``, ``stop_condition``, ``max_pages``). Only then is it the extended
cursor, where a missing ``cursor_path`` means "the last record's primary key" (with ``cursor_param``)
or "a next-page URL" (without).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from dlt.sources.helpers.rest_client import paginators as dlt_paginators

from restloom.config.issues import Issues, join
from restloom.config.models import CursorSpec, PaginatorSpec
from restloom.config.selectors import compile_jsonpath
from restloom.errors import ConfigError
from restloom.expressions import compile_expression, constant_issues
from restloom.text import did_you_mean

BasePaginator = dlt_paginators.BasePaginator


def default_paginator_registry() -> dict[str, type[BasePaginator]]:
    """dlt's paginator classes by the names dlt's rest_api uses (a new dict each call).

    The front door builds it once and passes it to ``parse``; a parsed ``PaginatorSpec`` carries
    its class, so the engine needs no registry.
    """
    return {
        "json_link": dlt_paginators.JSONLinkPaginator,
        "json_response": dlt_paginators.JSONLinkPaginator,
        "header_link": dlt_paginators.HeaderLinkPaginator,
        "header_cursor": dlt_paginators.HeaderCursorPaginator,
        "cursor": dlt_paginators.JSONResponseCursorPaginator,
        "offset": dlt_paginators.OffsetPaginator,
        "page_number": dlt_paginators.PageNumberPaginator,
        "single_page": dlt_paginators.SinglePagePaginator,
    }


def constructor_params(cls: type) -> frozenset[str]:
    """The keyword arguments a paginator class accepts."""
    params = inspect.signature(cls).parameters
    return frozenset(name for name, param in params.items() if param.kind is not inspect.Parameter.VAR_KEYWORD)



JSONPATH_KEYS = ("cursor_path", "has_more_path", "next_url_path", "total_path")  # compiled at parse time
LOOP_KEYS = frozenset({"stop_condition", "max_pages"})
EXTENDED_CURSOR_KEYS = frozenset({"limit", "limit_param", "cursor_value"}) | LOOP_KEYS
CURSOR_KEYS = frozenset(
    {"cursor_param", "cursor_path", "cursor_value", "cursor_body_path", "limit", "limit_param",
     "has_more_path", "stop_after_empty_page"}
) | LOOP_KEYS


def parse_paginator(
    raw: Any, *, path: str, issues: Issues, primary_key: tuple[str, ...],
    registry: Mapping[str, type[BasePaginator]] | None = None,
) -> PaginatorSpec:
    """A PaginatorSpec for a paginator given by name, dict or object (``registry``: names to dlt classes,
    default ``default_paginator_registry()``)."""
    registry = registry if registry is not None else default_paginator_registry()
    if raw is None or raw == "auto":
        return PaginatorSpec(kind="auto")
    if isinstance(raw, BasePaginator):
        return PaginatorSpec(kind="object", type=type(raw).__name__, obj=raw)
    if isinstance(raw, str):
        raw = {"type": raw}
    if not issues.expect(raw, Mapping, path, "a paginator name, a mapping or a paginator object"):
        return PaginatorSpec(kind="auto")
    type_name = raw.get("type")
    known = sorted([*registry, "auto"])
    if type_name is None:
        issues.add(join(path, "type"), f"required: one of {', '.join(known)}")
        return PaginatorSpec(kind="auto")
    if not isinstance(type_name, str) or (type_name not in registry and type_name != "auto"):
        hint = did_you_mean(str(type_name), known) if isinstance(type_name, str) else ""
        issues.add(join(path, "type"), f"unknown paginator type {type_name!r}{hint} (known: {', '.join(known)})")
        return PaginatorSpec(kind="auto")
    options = {k: v for k, v in raw.items() if k != "type"}
    if type_name == "cursor" and EXTENDED_CURSOR_KEYS & options.keys():
        return _extended_cursor(options, path=path, issues=issues, primary_key=primary_key)
    return _dlt_paginator(type_name, options, path=path, issues=issues, registry=registry)


def _loop_options(options: Mapping[str, Any], *, path: str, issues: Issues) -> dict[str, Any]:
    """stop_condition and max_pages, which the page loop applies to every paginator."""
    out: dict[str, Any] = {}
    if "stop_condition" in options:
        out["stop_condition"] = _expression(options["stop_condition"], join(path, "stop_condition"), issues)
    max_pages = options.get("max_pages")
    if max_pages is not None and issues.expect(max_pages, int, join(path, "max_pages"), "a positive integer"):
        if max_pages < 1:
            issues.add(join(path, "max_pages"), f"expected a positive integer, got {max_pages}")
        out["max_pages"] = max_pages
    return out


def _expression(source: Any, path: str, issues: Issues) -> Any:
    if not issues.expect(source, str, path, "an expression string"):
        return None
    try:
        expression = compile_expression(source, path=path)
    except ConfigError as exc:
        issues.extend(exc)
        return None
    refused = constant_issues(expression)  # a payload that needs no response is refused now
    for issue in refused:
        issues.add(issue.path, issue.message)
    return None if refused else expression


def _dlt_paginator(
    type_name: str, options: dict[str, Any], *, path: str, issues: Issues,
    registry: Mapping[str, type[BasePaginator]],
) -> PaginatorSpec:
    loop = _loop_options(options, path=path, issues=issues)
    kwargs = {k: v for k, v in options.items() if k not in LOOP_KEYS}
    if type_name == "auto":
        issues.unknown_keys(kwargs, LOOP_KEYS, path)
        return PaginatorSpec(kind="auto", **loop)
    cls = registry[type_name]
    accepted = constructor_params(cls)
    unknown = kwargs.keys() - accepted
    issues.unknown_keys(kwargs, accepted | LOOP_KEYS, path)
    missing = sorted(required_params(cls) - kwargs.keys())
    for key in missing:
        issues.add(join(path, key), f"required for the {type_name} paginator")
    if unknown or missing or not _jsonpaths(kwargs, path=path, issues=issues):
        return PaginatorSpec(kind="dlt", type=type_name, cls=cls, params=MappingProxyType(kwargs), **loop)
    try:
        cls(**kwargs)
    except Exception as exc:  # dlt's own validation: TypeError, ValueError, or its JSONPath library's errors
        issues.add(path, f"invalid {type_name} paginator: {exc}")
    return PaginatorSpec(kind="dlt", type=type_name, cls=cls, params=MappingProxyType(kwargs), **loop)


def _extended_cursor(
    options: dict[str, Any], *, path: str, issues: Issues, primary_key: tuple[str, ...]
) -> PaginatorSpec:
    issues.unknown_keys(options, CURSOR_KEYS, path)
    loop = _loop_options(options, path=path, issues=issues)
    for key in ("cursor_param", "cursor_path", "cursor_body_path", "limit_param", "has_more_path"):
        if key in options:
            issues.expect(options[key], str, join(path, key), "a string")
    _jsonpaths(options, path=path, issues=issues)
    limit = options.get("limit")
    if limit is not None and issues.expect(limit, int, join(path, "limit"), "a positive integer") and limit < 1:
        issues.add(join(path, "limit"), f"expected a positive integer, got {limit}")
    cursor_value = None
    if "cursor_value" in options:
        cursor_value = _expression(options["cursor_value"], join(path, "cursor_value"), issues)
        source = "expression"
    elif options.get("cursor_path"):
        source = "path"
    elif options.get("cursor_param"):
        source = "last_record"
        if len(primary_key) != 1:
            issues.add(path, "the cursor comes from the last record's primary key, but the resource has "
                       f"{'no' if not primary_key else 'a compound'} primary key: set cursor_path or cursor_value")
    else:
        issues.add(path, "a cursor paginator needs cursor_value, cursor_path or cursor_param")
        source = "path"
    cursor = CursorSpec(
        source=source,  # type: ignore[arg-type]
        cursor_param=options.get("cursor_param"),
        cursor_path=options.get("cursor_path"),
        cursor_value=cursor_value,
        cursor_body_path=options.get("cursor_body_path"),
        limit=limit,
        limit_param=options.get("limit_param", "limit"),
        has_more_path=options.get("has_more_path"),
        stop_after_empty_page=_flag(options, "stop_after_empty_page", path, issues),
    )
    return PaginatorSpec(kind="cursor", type="cursor", cursor=cursor, **loop)


def _jsonpaths(options: Mapping[str, Any], *, path: str, issues: Issues) -> bool:
    """Compile the JSONPath options (``JSONPATH_KEYS``) now, as ``data_selector`` is; False if one is invalid."""
    valid = True
    for key in JSONPATH_KEYS:
        if isinstance(options.get(key), str):
            try:
                compile_jsonpath(options[key], path=join(path, key))
            except ConfigError as exc:
                issues.extend(exc)
                valid = False
    return valid


def _flag(options: Mapping[str, Any], key: str, path: str, issues: Issues) -> bool:
    value = options.get(key, False)
    return bool(value) if issues.expect(value, bool, join(path, key), "true or false") else False


def required_params(cls: type) -> frozenset[str]:
    """The keyword arguments a paginator class cannot do without (no default)."""
    params = inspect.signature(cls).parameters
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return frozenset(name for name, param in params.items()
                     if param.default is inspect.Parameter.empty and param.kind in named)
