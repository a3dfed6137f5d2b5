"""dlt's ``response_actions``: what to do with a response before it is read, in dlt's order and meaning.

An endpoint lists actions; each one, in order, looks at every response:

- a callable is called with the response (it may change it, e.g. rewrite ``response._content``);
- a mapping matches on ``status_code`` and/or ``content`` (a substring of the body text); when it
  matches, its ``action`` runs: ``"ignore"`` drops the response and ends the resource's pages (a 404
  for a child that has nothing, say), a callable or a list of callables is called with the response.
  A mapping with neither ``status_code`` nor ``content`` calls its callables on every response.

The first ``ignore`` stops the list. After the actions, an error status that was not ignored fails
as usual (the fetcher's retry policy decides).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

__all__ = ["ResponseActions"]

Hook = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class _Action:
    status_code: int | None
    content: str | None
    ignore: bool
    hooks: tuple[Hook, ...]

    def matches(self, response: requests.Response) -> bool:
        if self.status_code is not None and response.status_code != self.status_code:
            return False
        return self.content is None or self.content in response.text


def _compile(raw: Any) -> _Action:
    if callable(raw):
        return _Action(status_code=None, content=None, ignore=False, hooks=(raw,))
    if not isinstance(raw, Mapping):
        raise TypeError(f"a response action is a mapping or a callable, got {type(raw).__name__}")
    action = raw.get("action")
    if isinstance(action, str):
        hooks: tuple[Hook, ...] = ()
    elif callable(action):
        hooks = (action,)
    elif isinstance(action, list) and all(callable(item) for item in action):
        hooks = tuple(action)
    else:
        raise TypeError(f"a response action's 'action' is a string, a callable or a list of callables, "
                        f"got {type(action).__name__}")
    status, content = raw.get("status_code"), raw.get("content")
    if status is None and content is None and not hooks:
        return _Action(status_code=None, content=None, ignore=False, hooks=())  # dlt: matches nothing
    return _Action(status_code=status, content=content, ignore=not hooks and action == "ignore", hooks=hooks)


class ResponseActions:
    """An endpoint's compiled response actions; ``apply`` says whether a response is ignored."""

    def __init__(self, raw: Sequence[Any]) -> None:
        self._actions = tuple(_compile(item) for item in raw)

    def __bool__(self) -> bool:
        return bool(self._actions)

    def apply(self, response: requests.Response) -> bool:
        """Run the actions on ``response`` in order; True when one of them ignores it."""
        for action in self._actions:
            if not action.hooks and not action.ignore:
                continue
            if not action.matches(response):
                continue
            if action.hooks:
                for hook in action.hooks:
                    hook(response)
            elif action.ignore:
                return True
        return False
