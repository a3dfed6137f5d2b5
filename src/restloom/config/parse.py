"""``parse(raw) -> Config``: a dict in dlt's rest_api dialect or the extended one, checked once.

Shorthands are expanded here and nowhere else: a string resource, a string endpoint, a paginator
or auth given by name, ``resource_defaults`` (merged by dlt's rules: the endpoint's ``params`` and
``json`` merge key by key, everything else is replaced), ``basic`` as ``http_basic``,
``data_selector: []`` as the root, and ``error_handler`` and ``timeout`` blocks at client, defaults and
endpoint.
Every problem is collected with its config path and raised once, as one ConfigError.
"""

from __future__ import annotations

import math
import re
import typing
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from dlt.extract.hints import TResourceHintsBase
from dlt.sources.helpers.rest_client.detector import single_entity_path

from restloom.config.actions import parse_response_actions
from restloom.config.auth import parse_auth
from restloom.config.binding import bind_parents, duplicate_endpoints, find_resolves, placeholders
from restloom.config.incremental import parse_incremental
from restloom.config.issues import Issues, join, named_path
from restloom.config.models import (
    AuthSpec,
    ClientSpec,
    Config,
    EndpointSpec,
    ResourceSpec,
    RetryPolicy,
    Timeouts,
)
from restloom.config.paginators import BasePaginator, default_paginator_registry, parse_paginator
from restloom.config.retry import retry_policy_from_config
from restloom.config.selectors import compile_selector
from restloom.config.timeouts import parse_timeouts
from restloom.config.unused import unused_settings
from restloom.errors import ConfigError
from restloom.sensitive import mask_userinfo, origin
from restloom.text import did_you_mean, truncate

HINT_KEYS = frozenset(typing.get_type_hints(TResourceHintsBase)) | {"max_table_nesting"}
RESOURCE_KEYS = HINT_KEYS | {"name", "endpoint", "selected", "parallelized", "processing_steps",
                             "include_from_parent"}
DEFAULTS_KEYS = RESOURCE_KEYS - {"name"}
ENDPOINT_KEYS = frozenset({"path", "method", "params", "json", "data", "paginator", "data_selector",
                           "response_actions", "incremental", "auth", "headers", "error_handler", "timeout"})
CLIENT_KEYS = frozenset({"base_url", "headers", "auth", "auth_origins", "paginator", "session", "error_handler",
                         "timeout"})
TOP_KEYS = frozenset({"client", "resources", "resource_defaults", "concurrency"})
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
DEFAULT_CONCURRENCY = 8


def parse(raw: Any, *, concurrency: int | None = None, retry_base: RetryPolicy | None = None,
          paginators: Mapping[str, type[BasePaginator]] | None = None) -> Config:
    """Parse a whole config; raise one ConfigError listing every problem, each with its path.

    No I/O: ``SecretRef`` values are kept as they are and credentials an auth block leaves out are not
    looked for — ``restloom.config.secrets.resolve`` does both. ``paginators`` maps paginator names to
    dlt classes (default: ``default_paginator_registry()``).
    """
    issues = Issues()
    if not isinstance(raw, Mapping):
        issues.add("", f"the config must be a mapping with 'client' and 'resources', got {type(raw).__name__}")
        issues.raise_if_any()
    issues.unknown_keys(raw, TOP_KEYS, "")
    client_raw = raw.get("client")
    if client_raw is None:
        issues.add("client", "required: a mapping with at least 'base_url'")
        client_raw = None
    elif not issues.expect(client_raw, Mapping, "client", "a mapping"):
        client_raw = None
    # a missing or broken client is reported once, above, not again as a missing base_url
    ctx = _ClientContext.parse({"base_url": "https://"} if client_raw is None else client_raw, issues=issues,
                               retry_base=retry_base or RetryPolicy(),
                               paginators=default_paginator_registry() if paginators is None else paginators)
    defaults = _defaults(raw.get("resource_defaults"), issues)
    pending, dlt_resources = _resources(raw.get("resources"), defaults=defaults, ctx=ctx, issues=issues)
    resources, notices = bind_parents(pending, issues, dlt_parents=[str(item.name) for item in dlt_resources])
    notices.extend(duplicate_endpoints(resources))
    notices.extend(unused_settings(raw, resources))
    notices.extend(issues.notices)
    chosen = concurrency if concurrency is not None else raw.get("concurrency")
    workers = _concurrency(chosen, issues)
    issues.sort_by(_config_order(list(raw)))  # parent binding runs last; report in the config's own order
    names = _resource_names(raw.get("resources"))
    issues.name_resources(names)
    issues.raise_if_any()
    return Config(
        client=ctx.spec,
        resources=tuple(resources),
        dlt_resources=tuple(dlt_resources),
        notices=tuple(named_path(notice, names) for notice in notices),
        concurrency=workers, concurrency_fixed=chosen is not None,
    )


def _resource_names(raw: Any) -> dict[int, str]:
    """The name of each resource by its index, where one is written (a string resource is its own name)."""
    names: dict[int, str] = {}
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        name = item if isinstance(item, str) else item.get("name") if isinstance(item, Mapping) else None
        name = getattr(item, "name", None) if name is None and not isinstance(item, Mapping) else name
        if isinstance(name, str) and name:
            names[index] = name
    return names


def _config_order(top_keys: list[Any]) -> Callable[[str], tuple[int, float]]:
    """A sort key putting a config path where it is written: top-level key order, then resource index."""

    def key(path: str) -> tuple[int, float]:
        match = re.match(r"([^.\[]*)(?:\[(\d+)\])?", path)
        section, index = (match.group(1), match.group(2)) if match else ("", None)
        position = top_keys.index(section) if section in top_keys else (-1 if not section else len(top_keys))
        return position, (int(index) if index is not None else math.inf)

    return key


def _concurrency(value: Any, issues: Issues) -> int:
    if value is None or not issues.expect(value, int, "concurrency", "a positive integer"):
        return DEFAULT_CONCURRENCY
    if value < 1:
        issues.add("concurrency", f"expected a positive integer, got {value}")
        return DEFAULT_CONCURRENCY
    return int(value)


class _ClientContext:
    """What the client block contributes to every endpoint."""

    def __init__(self, spec: ClientSpec, auth: AuthSpec | None, paginator: Any, retry: RetryPolicy,
                 paginators: Mapping[str, type[BasePaginator]], *, timeouts: Timeouts) -> None:
        self.spec, self.auth, self.paginator_raw, self.retry = spec, auth, paginator, retry
        self.paginators, self.timeouts = paginators, timeouts

    @classmethod
    def parse(cls, raw: Mapping[str, Any], *, issues: Issues, retry_base: RetryPolicy,
              paginators: Mapping[str, type[BasePaginator]]) -> _ClientContext:
        issues.unknown_keys(raw, CLIENT_KEYS, "client")
        base_url = raw.get("base_url")
        if base_url is None:
            issues.add("client.base_url", "required: the API's base URL, e.g. https://api.example.com/v1/")
            base_url = ""
        elif issues.expect(base_url, str, "client.base_url", "a URL string") and not base_url.startswith(
            ("http://", "https://")
        ):
            issues.add("client.base_url", f"expected an http(s) URL, got '{mask_userinfo(base_url)[:60]}'")
        headers = _headers(raw.get("headers"), "client.headers", issues)
        auth = parse_auth(raw.get("auth"), path="client.auth", issues=issues)
        retry = _retry(raw.get("error_handler"), "client.error_handler", retry_base, issues)
        timeouts = parse_timeouts(raw.get("timeout"), path="client.timeout", base=Timeouts(), issues=issues)
        spec = ClientSpec(base_url=str(base_url), headers=headers, session=raw.get("session"), auth=auth,
                          auth_origins=_auth_origins(raw.get("auth_origins"), issues))
        return cls(spec, auth, raw.get("paginator"), retry, paginators, timeouts=timeouts)


def _auth_origins(raw: Any, issues: Issues) -> frozenset[str]:
    """``client.auth_origins``: a list of origins (``https://files.example.com``), each normalised."""
    path = "client.auth_origins"
    if raw is None or not issues.expect(raw, list, path, "a list of origins such as https://files.example.com"):
        return frozenset()
    found = set()
    for index, item in enumerate(raw):
        normal = origin(item) if isinstance(item, str) and item.lower().startswith(("http://", "https://")) else ""
        if not normal or urlsplit(item).path not in ("", "/") or "@" in item or "?" in item:
            shown = truncate(mask_userinfo(item), 60) if isinstance(item, str) else type(item).__name__
            issues.add(join(path, index), f"expected an origin — http(s)://host[:port], no path — got '{shown}'")
            continue
        found.add(normal)
    return frozenset(found)


def _headers(raw: Any, path: str, issues: Issues) -> Mapping[str, Any]:
    if raw is None:
        return MappingProxyType({})
    if not issues.expect(raw, Mapping, path, "a mapping of header names to values"):
        return MappingProxyType({})
    return MappingProxyType(dict(raw))


def _retry(raw: Any, path: str, base: RetryPolicy, issues: Issues) -> RetryPolicy:
    if raw is None:
        return base
    if not issues.expect(raw, Mapping, path, "a mapping"):
        return base
    try:
        return retry_policy_from_config(raw, path=path, base=base)
    except ConfigError as exc:
        issues.extend(exc)
        return base


def _defaults(raw: Any, issues: Issues) -> dict[str, Any]:
    if raw is None:
        return {}
    if not issues.expect(raw, Mapping, "resource_defaults", "a mapping"):
        return {}
    issues.unknown_keys(raw, DEFAULTS_KEYS, "resource_defaults")
    defaults = dict(raw)
    endpoint = raw.get("endpoint")
    if endpoint is None:
        return defaults
    if not issues.expect(endpoint, Mapping, "resource_defaults.endpoint", "an endpoint mapping"):
        del defaults["endpoint"]
        return defaults
    if "path" in endpoint:
        issues.add("resource_defaults.endpoint.path",
                   "a default cannot set 'path': each resource reads its own path (its name when not set)")
    issues.unknown_keys({k: v for k, v in endpoint.items() if k != "path"}, ENDPOINT_KEYS - {"path"},
                        "resource_defaults.endpoint")
    defaults["endpoint"] = _checked_bodies(endpoint, "resource_defaults.endpoint", issues)
    return defaults


def _checked_bodies(endpoint: Mapping[str, Any], path: str, issues: Issues) -> dict[str, Any]:
    """The endpoint without a ``params`` or ``json`` that is not a mapping (each such one is reported)."""
    out = dict(endpoint)
    for key, expected in (("params", "a mapping of query parameters"), ("json", "a JSON object")):
        if out.get(key) is not None and not issues.expect(out[key], Mapping, join(path, key), expected):
            del out[key]
    return out


def _resources(
    raw: Any, *, defaults: Mapping[str, Any], ctx: _ClientContext, issues: Issues
) -> tuple[list[tuple[ResourceSpec, set[str]]], list[Any]]:
    if raw is None:
        issues.add("resources", "required: a list of resources")
        return [], []
    if not issues.expect(raw, list, "resources", "a list of resources"):
        return [], []
    if not raw:
        issues.add("resources", "the list is empty: declare at least one resource")
    from dlt.extract.resource import DltResource

    specs: list[tuple[ResourceSpec, set[str]]] = []
    dlt_resources: list[Any] = []
    names: dict[str, str] = {}
    for index, item in enumerate(raw):
        path = join("resources", index)
        if isinstance(item, DltResource):  # of a dlt resource, only its name is read here
            if item.name in names:
                issues.add(path, f"resource '{item.name}' is already defined at {names[item.name]}")
            names[item.name] = path
            dlt_resources.append(item)
            continue
        parsed = _resource(item, defaults=defaults, ctx=ctx, path=path, issues=issues)
        if parsed is None:
            continue
        spec = parsed[0]
        if spec.name in names:
            issues.add(join(path, "name"), f"resource '{spec.name}' is already defined at {names[spec.name]}")
        names[spec.name] = path
        specs.append(parsed)
    return specs, dlt_resources


def _expand(item: Any, path: str, issues: Issues) -> dict[str, Any] | None:
    """A resource in its long form: ``{"name": ..., "endpoint": {"path": ...}}``."""
    if isinstance(item, str):
        return {"name": item, "endpoint": {"path": item}}
    if not issues.expect(item, Mapping, path, "a resource mapping, a name, or a dlt resource"):
        return None
    resource = dict(item)
    if not isinstance(resource.get("name"), str) or not resource.get("name"):
        issues.add(join(path, "name"), "required: a non-empty string")
        return None
    endpoint = resource.get("endpoint", {})
    if isinstance(endpoint, str):
        endpoint = {"path": endpoint}
    if not issues.expect(endpoint, Mapping, join(path, "endpoint"), "a path string or an endpoint mapping"):
        return None
    endpoint = _checked_bodies(endpoint, join(path, "endpoint"), issues)
    endpoint.setdefault("path", resource["name"])
    resource["endpoint"] = endpoint
    return resource


def _merge_defaults(resource: dict[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """dlt's merge rule: endpoint ``params`` and ``json`` merge key by key, the rest is replaced."""
    default_endpoint = dict(defaults.get("endpoint") or {})
    endpoint = resource["endpoint"]
    merged_endpoint = {**default_endpoint, **{k: v for k, v in endpoint.items() if k not in ("params", "json")}}
    for key in ("params", "json"):
        if key in endpoint:
            merged_endpoint[key] = {**(default_endpoint.get(key) or {}), **(endpoint[key] or {})}
    return {**defaults, **resource, "endpoint": merged_endpoint}


def _resource(
    item: Any, *, defaults: Mapping[str, Any], ctx: _ClientContext, path: str, issues: Issues
) -> tuple[ResourceSpec, set[str]] | None:
    resource = _expand(item, path, issues)
    if resource is None:
        return None
    issues.unknown_keys(resource, RESOURCE_KEYS, path)
    issues.unknown_keys(resource["endpoint"], ENDPOINT_KEYS, join(path, "endpoint"))
    declared_pk = "primary_key" in resource
    merged = _merge_defaults(resource, defaults)
    merged["endpoint"] = _bind_static_path_params(merged["endpoint"])
    primary_key = _primary_key(merged.get("primary_key"), join(path, "primary_key"), issues)
    endpoint = _endpoint(merged["endpoint"], ctx=ctx, primary_key=primary_key,
                         path=join(path, "endpoint"), issues=issues)
    hints = {k: merged[k] for k in HINT_KEYS if k in merged}
    _check_hints(hints, path, issues)
    include = merged.get("include_from_parent") or []
    if not issues.expect(include, list, join(path, "include_from_parent"), "a list of field names"):
        include = []
    resolves, unbound = find_resolves(name=merged["name"], endpoint=merged["endpoint"],
                                      path=join(path, "endpoint"), issues=issues)
    # dlt's `parallelized`: checked, nothing more — restloom fetches every resource on a thread of its own
    _flag(merged, "parallelized", False, path, issues)
    spec = ResourceSpec(
        name=merged["name"],
        config_path=path,
        endpoint=endpoint,
        primary_key=primary_key,
        primary_key_declared=declared_pk,
        hints=MappingProxyType(hints),
        include_from_parent=tuple(include),
        selected=_flag(merged, "selected", True, path, issues),
        processing_steps=tuple(_listed(merged.get("processing_steps"), join(path, "processing_steps"),
                                       issues)),
        resolves=tuple(resolves),
    )
    return spec, unbound


def _bind_static_path_params(endpoint: dict[str, Any]) -> dict[str, Any]:
    """dlt's (deprecated) static path params: ``path: items/{id}`` with ``params: {id: 7}`` reads
    ``items/7`` and does not send ``id``. A single-entity path keeps its single-entity defaults."""
    params, url_path = endpoint.get("params"), endpoint.get("path")
    if not isinstance(params, Mapping) or not isinstance(url_path, str):
        return endpoint
    static = [name for name in placeholders(url_path) if name in params and not isinstance(params[name], Mapping)]
    if not static:
        return endpoint
    bound = dict(endpoint)
    if single_entity_path(url_path):
        bound["data_selector"] = "$" if bound.get("data_selector") is None else bound["data_selector"]
        bound["paginator"] = "single_page" if bound.get("paginator") is None else bound["paginator"]
    for name in static:
        url_path = url_path.replace("{" + name + "}", str(params[name]))
    bound["path"] = url_path
    bound["params"] = {k: v for k, v in params.items() if k not in static}
    return bound


def _flag(resource: Mapping[str, Any], key: str, default: bool, path: str, issues: Issues) -> bool:
    value = resource.get(key, default)
    return value if issues.expect(value, bool, join(path, key), "true or false") else default


def _listed(value: Any, path: str, issues: Issues) -> list[Any]:
    if value is None or not issues.expect(value, (list, tuple), path, "a list"):
        return []
    return list(value)


WRITE_DISPOSITIONS = ("append", "replace", "merge", "skip")


def _check_hints(hints: Mapping[str, Any], path: str, issues: Issues) -> None:
    disposition = hints.get("write_disposition")
    if isinstance(disposition, str) and disposition not in WRITE_DISPOSITIONS:
        hint = did_you_mean(disposition, WRITE_DISPOSITIONS)
        issues.add(join(path, "write_disposition"),
                   f"unknown write disposition '{disposition}'{hint} (known: {', '.join(WRITE_DISPOSITIONS)})")
    elif isinstance(disposition, Mapping) and disposition.get("disposition") not in WRITE_DISPOSITIONS:
        issues.add(join(path, "write_disposition.disposition"),
                   f"expected one of {', '.join(WRITE_DISPOSITIONS)}, got {disposition.get('disposition')!r}")
    elif disposition is not None and not isinstance(disposition, str | Mapping) and not callable(disposition):
        issues.add(join(path, "write_disposition"), f"expected one of {', '.join(WRITE_DISPOSITIONS)} or a "
                   f"mapping, got {type(disposition).__name__}")


def _primary_key(raw: Any, path: str, issues: Issues) -> tuple[str, ...]:
    if raw is None or callable(raw):
        return ()
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, list | tuple) and all(isinstance(k, str) for k in raw):
        return tuple(raw)
    issues.add(path, f"expected a column name or a list of column names, got {type(raw).__name__}")
    return ()


def _endpoint(
    raw: Mapping[str, Any], *, ctx: _ClientContext, primary_key: tuple[str, ...], path: str, issues: Issues
) -> EndpointSpec:
    url_path = raw.get("path")
    issues.expect(url_path, str, join(path, "path"), "a path string")
    method = str(raw.get("method", "GET")).upper()
    if method not in METHODS:
        issues.add(join(path, "method"),
                   f"unknown HTTP method '{raw.get('method')}' (known: {', '.join(sorted(METHODS))})")
    paginator_raw = raw.get("paginator", ctx.paginator_raw)
    selector_raw = raw.get("data_selector")
    if selector_raw == "":  # dlt's rest_api reads an empty selector as none written: detect the records
        selector_raw = None
    if isinstance(url_path, str) and single_entity_path(url_path):
        selector_raw = "$" if selector_raw is None else selector_raw
        paginator_raw = "single_page" if raw.get("paginator") is None else paginator_raw
    paginator = parse_paginator(paginator_raw, path=join(path, "paginator"), issues=issues, primary_key=primary_key,
                                registry=ctx.paginators)
    params = raw.get("params") or {}
    if not issues.expect(params, Mapping, join(path, "params"), "a mapping"):
        params = {}
    auth = ctx.auth
    if "auth" in raw:
        auth = parse_auth(raw["auth"], path=join(path, "auth"), issues=issues)
    return EndpointSpec(
        path=url_path if isinstance(url_path, str) else "",
        method=method,
        params=MappingProxyType({k: v for k, v in params.items() if not _is_bound_param(v)}),
        json=raw.get("json"),
        data=raw.get("data"),
        headers=MappingProxyType({**ctx.spec.headers, **_headers(raw.get("headers"), join(path, "headers"), issues)}),
        paginator=paginator,
        selector=_selector(selector_raw, join(path, "data_selector"), issues),
        response_actions=parse_response_actions(raw.get("response_actions"), path=join(path, "response_actions"),
                                                issues=issues),
        incremental=parse_incremental(raw, path, issues),
        auth=auth,
        retry=_retry(raw.get("error_handler"), join(path, "error_handler"), ctx.retry, issues),
        timeouts=parse_timeouts(raw.get("timeout"), path=join(path, "timeout"), base=ctx.timeouts, issues=issues),
    )


def _is_bound_param(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("type") in ("resolve", "incremental")


def _selector(raw: Any, path: str, issues: Issues) -> Any:
    if raw is None:
        return None
    try:
        return compile_selector(raw, path=path)
    except ConfigError as exc:
        issues.extend(exc)
        return None
