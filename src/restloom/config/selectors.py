"""Compiling ``data_selector``: which part of a response page holds the records (read by ``engine.select``).

A selector is compiled once, here, into a ``Selector``: the text as written, plus either the plain
steps of a dotted path (keys and ``*`` wildcards, which the engine may walk with projection over
lists) or a compiled JSONPath (dlt's reading). ``[]``, ``""`` and ``"$"`` are the root; no selector
written (``None``) means "detect the records as dlt does". See ``restloom.engine.select`` for how a
selector reads a page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dlt.common.jsonpath import compile_path
from jsonpath_ng import JSONPath
from jsonpath_ng.jsonpath import Child, Fields, Root, Wildcard

from restloom.errors import ConfigError, ConfigIssue
from restloom.text import truncate

__all__ = ["ROOT", "Selector", "Step", "compile_jsonpath", "compile_selector"]

Step = str | None  # a key, or None for a wildcard (`*`, `[*]`)


@dataclass(frozen=True, slots=True, kw_only=True)
class Selector:
    """A compiled data selector; build it with ``compile_selector``.

    ``steps``: the steps of a plain dotted path (``()`` is the root); ``jsonpath``: a real JSONPath,
    when the path is more than keys and wildcards; neither: detect the records on every page.
    """

    raw: str | None
    steps: tuple[Step, ...] | None = field(default=None, repr=False, compare=False)
    jsonpath: JSONPath | None = field(default=None, repr=False, compare=False)

    @property
    def projects(self) -> bool:
        """True when the selector is a plain path that can cross lists (two key steps or more)."""
        return self.steps is not None and sum(step is not None for step in self.steps) >= 2


def compile_selector(raw: str | list[Any] | None, *, path: str) -> Selector:
    """Compile a ``data_selector`` as written in a config; ``ConfigError`` names ``path`` if invalid."""
    if raw is None:
        return Selector(raw=None)
    if isinstance(raw, list) and not raw:
        return Selector(raw="$", steps=())
    if not isinstance(raw, str):
        kind = "a non-empty list" if isinstance(raw, list) else type(raw).__name__
        raise ConfigError([ConfigIssue(path, f"expected a JSONPath string (or [] for the root), got {kind}")])
    if raw.strip() in ("", "$"):
        return Selector(raw="$", steps=())
    compiled = compile_jsonpath(raw, path=path)
    steps = _plain_steps(compiled)
    return Selector(raw=raw, steps=steps, jsonpath=None if steps is not None else compiled)


def compile_jsonpath(raw: str, *, path: str) -> JSONPath:
    """``raw`` compiled as dlt compiles a JSONPath; ``ConfigError`` names ``path`` if it is invalid."""
    try:
        return compile_path(raw)
    except Exception as exc:  # jsonpath-ng raises its own lexer/parser errors, and RecursionError when deep
        message = f"invalid JSONPath {truncate(raw, 120)!r}: {truncate(str(exc), 120)}"
        raise ConfigError([ConfigIssue(path, message)]) from exc


ROOT = compile_selector("$", path="")


def _plain_steps(node: JSONPath, *, leftmost: bool = True) -> tuple[Step, ...] | None:
    """The steps of a plain dotted path (keys and wildcards), or None for real JSONPath."""
    if isinstance(node, Root):
        return () if leftmost else None
    if isinstance(node, Wildcard):
        return (None,)
    if isinstance(node, Fields):
        return (node.fields[0],) if len(node.fields) == 1 and node.fields[0] != "*" else None
    if isinstance(node, Child):
        left = _plain_steps(node.left, leftmost=leftmost)
        right = _plain_steps(node.right, leftmost=False)
        return None if left is None or right is None else left + right
    return None
