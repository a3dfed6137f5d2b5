"""What ``restloom check`` prints: the resources and everything restloom inferred about them."""

from __future__ import annotations

from datetime import UTC, datetime

from restloom.adapter.source import describe_paths
from restloom.adapter.steps import describe_plan
from restloom.config.models import Config, PaginatorSpec, ResourceSpec
from restloom.engine.shared import share_groups
from restloom.http.limits import ADAPTIVE_CEILING
from restloom.sensitive import mask_userinfo


def describe_paginator(spec: PaginatorSpec) -> str:
    """One line on how a resource pages."""
    if spec.kind == "cursor" and spec.cursor is not None:
        cursor = spec.cursor
        where = {"expression": f"cursor_value {cursor.cursor_value.source if cursor.cursor_value else ''}",
                 "path": f"cursor_path {cursor.cursor_path}",
                 "last_record": "the last record's primary key"}[cursor.source]
        send = f"sent as {cursor.cursor_param}" if cursor.cursor_param else "followed as the next URL"
        text = f"cursor from {where}, {send}"
        if cursor.limit is not None:
            text += f", page size {cursor.limit} as {cursor.limit_param}"
    elif spec.kind == "dlt":
        options = ", ".join(f"{k}={v}" for k, v in spec.params.items())
        text = f"{spec.type}({options})"
    elif spec.kind == "object":
        text = f"object {spec.type}"
    else:
        text = ("detected from the first response (dlt's auto-detection; a fallback to a single page is "
                "a warning: set endpoint.paginator to be sure)")
    if spec.stop_condition is not None:
        text += f"; stops when {spec.stop_condition.source}"
    if spec.max_pages is not None:
        text += f"; at most {spec.max_pages} pages"
    return text


def describe_resource(spec: ResourceSpec) -> list[str]:
    """The lines describing one resource."""
    endpoint = spec.endpoint
    selector = endpoint.selector.raw if endpoint.selector is not None else "auto-detected"
    key = ", ".join(spec.primary_key) or "none"
    lines = [f"{spec.name}  ({spec.config_path})",
             f"  {endpoint.method} {endpoint.path}",
             f"  records: {selector}; primary key: {key}; write: {spec.hints.get('write_disposition', 'append')}",
             f"  pages: {describe_paginator(endpoint.paginator)}",
             f"  auth: {endpoint.auth.type if endpoint.auth else 'none'}; retries: up to {endpoint.retry.max_retries} "
             f"on {', '.join(str(s) for s in sorted(endpoint.retry.retry_on_status))}",
             f"  timeouts: connect {endpoint.timeouts.connect:g} s, read {endpoint.timeouts.read:g} s, "
             f"total {endpoint.timeouts.total:g} s"]
    for resolve in spec.resolves:
        how = "implicit parent" if resolve.implicit else "resolve"
        lines.append(f"  parent: {resolve.resource}.{resolve.field} -> {{{resolve.placeholder}}} ({how})")
    if endpoint.incremental is not None:
        per_parent = " (one cursor per parent)" if endpoint.incremental.per_parent else ""
        lines.append(f"  incremental on {endpoint.incremental.cursor_path}{per_parent}")
        if endpoint.incremental.step is not None:
            lines.append(f"  {describe_plan(endpoint.incremental, datetime.now(UTC))}")
    return lines


def _concurrency(config: Config) -> str:
    """``8 (adaptive, up to 32)`` by default; the number alone when the user set it (a hard cap)."""
    if config.concurrency_fixed:
        return str(config.concurrency)
    return f"{config.concurrency} (adaptive, up to {max(config.concurrency, ADAPTIVE_CEILING)})"


def describe_config(config: Config) -> str:
    """The whole report of ``restloom check``."""
    lines = [f"config OK: {len(config.resources)} resources, base URL {mask_userinfo(config.client.base_url)}, "
             f"concurrency {_concurrency(config)}"]
    groups = {name: group for group in share_groups(config.resources) for name in group}
    paths = describe_paths(config)
    for spec in config.resources:
        lines.extend(describe_resource(spec))
        lines.append(f"  path: {paths[spec.name]}")
        if spec.name in groups:
            others = ", ".join(name for name in groups[spec.name] if name != spec.name)
            lines.append(f"  shares its requests with {others}: a request they make alike is sent once")
    lines.extend(f"notice: {notice}" for notice in config.notices)
    return "\n".join(lines)
