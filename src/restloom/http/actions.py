"""dlt's ``response_actions``: what to do with a response before it is read, in dlt's order and meaning.

An endpoint lists actions (compiled by ``restloom.config.actions`` into ResponseActionSpecs); each
one, in order, looks at every response:

- a callable is called with the response (it may change it, e.g. rewrite ``response._content``);
- a mapping matches on ``status_code`` and/or ``content`` (a substring of the body text); when it
  matches, its ``action`` runs: ``"ignore"`` drops the response and ends the resource's pages (a 404
  for a child that has nothing, say), a callable or a list of callables is called with the response.
  A mapping with neither ``status_code`` nor ``content`` calls its callables on every response.

The first ``ignore`` stops the list. After the actions, an error status that was not ignored fails
as usual (the fetcher's retry policy decides).
"""

from __future__ import annotations

from collections.abc import Sequence

import requests

from restloom.config.models import ResponseActionSpec

__all__ = ["ResponseActions"]


def _matches(action: ResponseActionSpec, response: requests.Response) -> bool:
    if action.status_code is not None and response.status_code != action.status_code:
        return False
    return action.content is None or action.content in response.text


class ResponseActions:
    """An endpoint's compiled response actions; ``apply`` says whether a response is ignored."""

    def __init__(self, actions: Sequence[ResponseActionSpec]) -> None:
        self._actions = tuple(action for action in actions if action.hooks or action.ignore)

    def __bool__(self) -> bool:
        return bool(self._actions)

    def apply(self, response: requests.Response) -> bool:
        """Run the actions on ``response`` in order; True when one of them ignores it."""
        for action in self._actions:
            if not _matches(action, response):
                continue
            if action.hooks:
                for hook in action.hooks:
                    hook(response)
            elif action.ignore:
                return True
        return False
