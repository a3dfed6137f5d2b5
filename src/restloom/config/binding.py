"""Parent/child binding: resolve params, ``{resources.x.y}`` placeholders and implicit parents.

An implicit parent is the seed dialect's ``/signature_requests/{sign_req}/followers``: a placeholder
bound to nothing. dlt rejects such a path, so reading it never changes a valid dlt config: restloom
binds it to the one resource whose path is the prefix before the placeholder, using that
resource's primary key (``id`` by default), and says so in a notice.
"""

from __future__ import annotations

import dataclasses
import string
from collections.abc import Collection, Mapping
from typing import Any

from restloom.config.incremental import settle_per_parent
from restloom.config.issues import Issues, join
from restloom.config.models import ResolveSpec, ResourceSpec

CONTEXTS = ("resources", "incremental")


def placeholders(text: str) -> list[str]:
    """The ``{names}`` in a format string, in order."""
    try:
        return [name for _, name, _, _ in string.Formatter().parse(text) if name]
    except ValueError:
        return []


def find_resolves(
    *, name: str, endpoint: Mapping[str, Any], path: str, issues: Issues
) -> tuple[list[ResolveSpec], set[str]]:
    """Explicit bindings of one endpoint, and the path placeholders still bound to nothing."""
    resolves: list[ResolveSpec] = []
    params = endpoint.get("params") or {}
    url_path = str(endpoint.get("path", ""))
    path_names = placeholders(url_path)
    for key, value in params.items():
        if isinstance(value, Mapping) and value.get("type") == "resolve":
            _explicit(key, value, url_path=url_path, path=join(join(path, "params"), key), resolves=resolves,
                      issues=issues)
    for location, text in _templated_strings(endpoint):
        for placeholder in placeholders(text):
            parts = placeholder.split(".")
            if parts[0] == "resources" and len(parts) >= 3:
                resolves.append(ResolveSpec(placeholder=placeholder, resource=parts[1], field=".".join(parts[2:]),
                                            location=location))  # type: ignore[arg-type]
            elif parts[0] == "resources" and len(parts) > 1:
                issues.add(join(path, location), f"placeholder '{{{placeholder}}}' names no field: write "
                           "{resources.<parent>.<field>}")
            elif parts[0] == "incremental":
                _check_incremental_placeholder(placeholder, endpoint, path=join(path, location), issues=issues)
    bound = {r.placeholder for r in resolves}
    unbound = {p for p in path_names if p not in bound and "." not in p and p not in params}
    for placeholder in path_names:
        if "." in placeholder and placeholder.split(".")[0] not in CONTEXTS:
            issues.add(join(path, "path"), f"placeholder '{{{placeholder}}}' names an unknown context "
                       f"(known: {', '.join(CONTEXTS)})")
    return _dedupe(resolves), unbound


INCREMENTAL_VALUES = ("end_value", "initial_value", "last_value", "start_value")


def _check_incremental_placeholder(placeholder: str, endpoint: Mapping[str, Any], *, path: str,
                                   issues: Issues) -> None:
    """``{incremental.<value>}`` needs an incremental on the endpoint and a value it has."""
    value = placeholder.split(".", 1)[1] if "." in placeholder else ""
    if value not in INCREMENTAL_VALUES:
        issues.add(path, f"placeholder '{{{placeholder}}}': unknown incremental value (known: "
                   f"{', '.join(INCREMENTAL_VALUES)})")
        return
    params = endpoint.get("params") or {}
    has_param = any(isinstance(v, Mapping) and v.get("type") == "incremental" for v in params.values())
    if endpoint.get("incremental") is None and not has_param:
        issues.add(path, f"placeholder '{{{placeholder}}}' can never be filled: the endpoint has no incremental "
                   "block")


def _explicit(
    key: str, value: Mapping[str, Any], *, url_path: str, path: str, resolves: list[ResolveSpec], issues: Issues
) -> None:
    issues.unknown_keys(value, ("type", "resource", "field"), path)
    resource, field = value.get("resource"), value.get("field")
    if not isinstance(resource, str) or not isinstance(field, str):
        issues.add(path, "a resolve param needs 'resource' and 'field' (strings)")
        return
    if key not in placeholders(url_path):
        issues.add(path, f"resolve param '{key}' is not used in the path '{url_path}': write {{{key}}} in the "
                   "path, or use '{resources.<parent>.<field>}' in params")
        return
    resolves.append(ResolveSpec(placeholder=key, resource=resource, field=field, location="path", param_name=key))


def _templated_strings(endpoint: Mapping[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = [("path", str(endpoint.get("path", "")))]
    for location in ("params", "headers"):
        values = endpoint.get(location)
        if isinstance(values, Mapping):
            out.extend((location, value) for value in values.values() if isinstance(value, str))
    out.extend(("json", text) for text in _strings_in(endpoint.get("json")))
    return out


def _strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for item in value.values() for s in _strings_in(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings_in(item)]
    return []


def _dedupe(resolves: list[ResolveSpec]) -> list[ResolveSpec]:
    seen: set[str] = set()
    out = []
    for spec in resolves:
        if spec.placeholder not in seen:
            seen.add(spec.placeholder)
            out.append(spec)
    return out


def implicit_parent(
    *, url_path: str, placeholder: str, candidates: Mapping[str, tuple[str, tuple[str, ...]]], path: str,
    issues: Issues,
) -> ResolveSpec | None:
    """Bind ``{placeholder}`` to the resource whose path is the prefix before it, or record why not.

    ``candidates`` maps resource name -> (its endpoint path, its primary key), for top-level resources.
    """
    prefix = url_path.split("{" + placeholder + "}", maxsplit=1)[0].strip("/")
    matches = sorted(name for name, (other, _) in candidates.items() if other.strip("/") == prefix)
    where = join(path, "path")
    if not matches:
        issues.add(where, f"placeholder '{{{placeholder}}}' is bound to nothing: no resource reads '/{prefix}'; "
                   f"declare it in params as {{type: resolve, resource: ..., field: ...}}")
        return None
    if len(matches) > 1:
        issues.add(where, f"placeholder '{{{placeholder}}}' is ambiguous: resources {', '.join(matches)} all read "
                   f"'/{prefix}'; declare it in params as {{type: resolve, resource: ..., field: ...}}")
        return None
    parent = matches[0]
    key = candidates[parent][1]
    field = key[0] if len(key) == 1 else "id"
    return ResolveSpec(placeholder=placeholder, resource=parent, field=field, location="path", implicit=True)


def find_cycle(edges: Mapping[str, str | None]) -> list[str] | None:
    """A parent cycle among resources (child -> parent edges), as the list of names, or None."""
    for start in edges:
        seen = [start]
        node = edges.get(start)
        while node is not None:
            if node in seen:
                return [*seen[seen.index(node):], node]
            seen.append(node)
            node = edges.get(node)
    return None


def bind_parents(
    pending: list[tuple[ResourceSpec, set[str]]], issues: Issues, *, dlt_parents: Collection[str] = ()
) -> tuple[list[ResourceSpec], list[str]]:
    """Bind implicit parents, then check every parent exists and none cycles.

    ``dlt_parents``: the names of the dlt resources in ``resources`` — a parent as dlt's rest_api allows
    (``{resources.repositories.name}`` or a resolve param naming one); never an implicit parent.
    """
    notices: list[str] = []
    names = {spec.name for spec, _ in pending} | set(dlt_parents)
    top_level = {spec.name: (spec.endpoint.path, spec.primary_key) for spec, unbound in pending
                 if not spec.resolves and not unbound}
    bound: list[ResourceSpec] = []
    for spec, unbound in pending:
        resolves = list(spec.resolves)
        for placeholder in sorted(unbound):
            implicit = implicit_parent(url_path=spec.endpoint.path, placeholder=placeholder, candidates=top_level,
                                       path=join(spec.config_path, "endpoint"), issues=issues)
            if implicit is not None:
                resolves.append(implicit)
                notices.append(f"resource '{spec.name}': {{{placeholder}}} is taken from the '{implicit.field}' of "
                               f"each '{implicit.resource}' record (implicit parent)")
        parents = {r.resource for r in resolves}
        step = spec.endpoint.incremental.step if spec.endpoint.incremental is not None else None
        if resolves and step is not None:
            issues.add(step.path, "only a top-level resource steps through windows (this one is requested per "
                                  f"record of its parent '{resolves[0].resource}')")
        for resolve in resolves:
            if resolve.resource not in names:
                others = ", ".join(sorted(names - {spec.name}))
                issues.add(_binding_path(spec, resolve),
                           f"unknown parent resource '{resolve.resource}' (known: {others or 'none'})")
        if len(parents) > 1:
            issues.add(join(spec.config_path, "endpoint"),
                       f"more than one parent resource: {', '.join(sorted(parents))}")
        projects = spec.endpoint.selector is not None and spec.endpoint.selector.projects
        if spec.include_from_parent and not resolves and not projects:
            issues.add(join(spec.config_path, "include_from_parent"),
                       f"resource '{spec.name}' has no parent to include fields from: bind a path "
                       "placeholder to a parent resource, or remove include_from_parent")
        include = spec.include_from_parent or tuple(r.field for r in resolves if r.implicit)
        bound.append(settle_per_parent(dataclasses.replace(spec, resolves=tuple(resolves), include_from_parent=include),
                                       issues))
    cycle = find_cycle({spec.name: spec.parent for spec in bound})
    if cycle:
        issues.add("resources", f"dependency cycle: {' -> '.join(cycle)}")
    return bound, notices


def _binding_path(spec: ResourceSpec, resolve: ResolveSpec) -> str:
    """Where a parent binding is written: the resolve param's ``resource``, or the templated location."""
    endpoint = join(spec.config_path, "endpoint")
    if resolve.param_name is not None:
        return join(join(join(endpoint, "params"), resolve.param_name), "resource")
    return join(endpoint, resolve.location)


def duplicate_endpoints(resources: list[ResourceSpec]) -> list[str]:
    """A notice for each resource that reads the same endpoint as an earlier one (both load)."""
    seen: dict[tuple[str, str, str], str] = {}
    notices = []
    for spec in resources:
        key = (spec.endpoint.method, spec.endpoint.path, repr(sorted(spec.endpoint.params.items())))
        if key in seen:
            notices.append(f"resources '{seen[key]}' and '{spec.name}' read the same endpoint "
                           f"'{spec.endpoint.path}'; both load")
        else:
            seen[key] = spec.name
    return notices
