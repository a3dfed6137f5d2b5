"""Credentials stay with their origin: a request to another origin is sent without them.

Why: a next-page link (``json_link``, ``header_link``, a cursor that is a URL) or an endpoint path may
point at another host. dlt — and requests, which applies auth objects when a request is prepared —
would send it the bearer token, the ``api_key`` query parameter, Basic auth or a custom credential
header. ``CredentialScope`` allows the base URL's origin and the config's ``client.auth_origins``; for
any other origin ``strip`` returns a copy of the request without its auth object, without headers that
carry credentials (by name, or by holding a known secret) and without such query parameters (in
``params`` or already in the URL, where an API may have echoed them into its next link).

Stripping, not refusing: a host that needs no credentials (a CDN, a pre-signed link) serves the page,
and one that does answers 401, which fails the resource loudly; the page loop's warning names the host
and the config key that allows it either way.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from requests import Request

from restloom.sensitive import is_sensitive_header, is_sensitive_name, origin

__all__ = ["CredentialScope"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CredentialScope:
    """The origins that may receive a run's credentials; ``is_secret`` tells a value that holds one."""

    origins: frozenset[str]
    is_secret: Callable[[str], bool]

    def allows(self, url: str) -> bool:
        """Whether ``url``'s origin may receive credentials."""
        return origin(url) in self.origins

    def strip(self, request: Request) -> tuple[Request, list[str]]:
        """A copy of ``request`` without credentials, and what was left out (``auth``, ``header X``,
        ``query y``) — names only, never values."""
        removed: list[str] = ["auth"] if request.auth is not None else []
        stripped = copy.copy(request)
        stripped.auth = None
        stripped.headers = dict(self._kept((request.headers or {}).items(), is_sensitive_header, "header", removed))
        stripped.params = dict(self._kept((request.params or {}).items(), is_sensitive_name, "query", removed))
        parts = urlsplit(request.url)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        kept = self._kept(pairs, is_sensitive_name, "query", removed)
        if len(kept) < len(pairs):
            stripped.url = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), parts.fragment))
        return stripped, list(dict.fromkeys(removed))

    def _kept(self, items: Iterable[tuple[Any, Any]], sensitive: Callable[[str], bool], kind: str,
              removed: list[str]) -> list[tuple[Any, Any]]:
        """The name-value pairs that carry no credential; the names of the others go to ``removed``."""
        kept = []
        for name, value in items:
            if sensitive(str(name)) or self.is_secret(str(value)):
                removed.append(f"{kind} {name}")
            else:
                kept.append((name, value))
        return kept
