"""Parsing dlt's ``response_actions`` into frozen ResponseActionSpecs, every mistake with its path.

An endpoint lists actions: a callable, or a mapping with ``status_code`` (an int), ``content`` (a
string) and ``action`` — ``"ignore"``, a callable or a list of callables. dlt accepts a wrong
``action`` and fails the resource when the first response arrives; here it is a config error. What dlt
accepts and then silently never applies — an unknown action name, a status code written as text — still
runs as in dlt, with a notice naming it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from restloom.config.issues import Issues, describe, join
from restloom.config.models import ResponseActionSpec
from restloom.text import did_you_mean

__all__ = ["ACTION_KEYS", "parse_response_actions"]

ACTION_KEYS = frozenset({"status_code", "content", "action"})
ACTIONS = ("ignore",)


def parse_response_actions(raw: Any, *, path: str, issues: Issues) -> tuple[ResponseActionSpec, ...]:
    """The compiled actions of an endpoint's ``response_actions`` list (the invalid ones left out)."""
    if raw is None or not issues.expect(raw, (list, tuple), path, "a list"):
        return ()
    specs = (_action(item, path=join(path, index), issues=issues) for index, item in enumerate(raw))
    return tuple(spec for spec in specs if spec is not None)


def _action(raw: Any, *, path: str, issues: Issues) -> ResponseActionSpec | None:
    if callable(raw):
        return ResponseActionSpec(hooks=(raw,))
    if not issues.expect(raw, Mapping, path, "a mapping with 'action', or a callable"):
        return None
    before = len(issues)
    issues.unknown_keys(raw, ACTION_KEYS, path)
    status, content, action = raw.get("status_code"), raw.get("content"), raw.get("action")
    if isinstance(status, str):
        issues.notice(join(path, "status_code"), f"a status code written as text ({status!r}) never matches a "
                      "response (dlt compares it with the number): write it as a number")
    elif status is not None:
        issues.expect(status, int, join(path, "status_code"), "an HTTP status code (an integer)")
    if content is not None:
        issues.expect(content, str, join(path, "content"), "a string to find in the response body")
    hooks = _hooks(action, path=join(path, "action"), issues=issues)
    if len(issues) > before:
        return None
    if status is None and content is None and not hooks:
        return ResponseActionSpec()  # dlt: an action that matches nothing does nothing
    return ResponseActionSpec(status_code=status, content=content, ignore=action == "ignore", hooks=hooks)


def _hooks(action: Any, *, path: str, issues: Issues) -> tuple[Any, ...]:
    """The callables an action runs (none for ``ignore``); a wrong action is reported."""
    if isinstance(action, str):
        if action not in ACTIONS:
            issues.notice(path, f"unknown action '{action}' is never applied (dlt accepts it and does nothing)"
                          f"{did_you_mean(action, ACTIONS)} (known: ignore)")
        return ()
    if callable(action):
        return (action,)
    if isinstance(action, list) and all(callable(item) for item in action):
        return tuple(action)
    if action is None:
        issues.add(path, "required: 'ignore', a callable or a list of callables")
    elif isinstance(action, list):
        issues.add(path, "expected 'ignore', a callable or a list of callables, got a list with a non-callable")
    else:
        issues.add(path, f"expected 'ignore', a callable or a list of callables, got {describe(action)}")
    return ()
