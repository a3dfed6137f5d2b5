"""Credentials stay with their origin: a request to another origin is sent without them.

Why: a next-page link (``json_link``, ``header_link``, a cursor that is a URL), an endpoint path or a
redirect may point at another host. dlt — and requests, which applies auth objects when a request is
prepared and keeps custom headers across redirects — would send it the bearer token, the ``api_key``
query parameter, Basic auth or a custom credential header. ``CredentialScope`` allows the base URL's
origin and the config's ``client.auth_origins``; for any other origin ``strip`` returns a copy of the
request without its auth object, without headers that carry credentials (by name, or by holding a known
secret), without such query parameters (in ``params`` or already in the URL, where an API may have
echoed them into its next link) and without such top-level fields of a JSON or form body;
``strip_prepared`` does the same to the headers and URL of a redirect requests is about to follow.

Stripping, not refusing: a host that needs no credentials (a CDN, a pre-signed link) serves the page,
and one that does answers 401, which fails the resource loudly; ``warn`` puts a warning naming the host
and the config key that allows it in the summary either way.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from requests import PreparedRequest, Request

from restloom.report import RunReport
from restloom.sensitive import is_sensitive_header, is_sensitive_name, origin

__all__ = ["CredentialScope"]

log = logging.getLogger("restloom")


@dataclass(frozen=True, slots=True, kw_only=True)
class CredentialScope:
    """The origins that may receive a run's credentials: the base URL's (``base``) and ``allowed``;
    ``is_secret`` tells a value that holds a known secret."""

    base: str
    allowed: frozenset[str] = frozenset()
    is_secret: Callable[[str], bool]

    def allows(self, url: str) -> bool:
        """Whether ``url``'s origin may receive credentials."""
        found = origin(url)
        return found == self.base or found in self.allowed

    def warn(self, report: RunReport, resource: str, url: str, removed: list[str]) -> None:
        """Warn (summary and log) that credentials were left out of a request to ``url`` — names only, never
        values; once per resource and host."""
        lead = f"credentials not sent to {origin(url)}"
        message = (f"{lead}, another origin than the base URL's ({self.base}): left out {', '.join(removed)}; "
                   "list it in client.auth_origins to send them")
        if report.warn_once(resource, message, lead=f"{lead},"):
            log.warning("resource '%s': %s", resource, message)

    def strip(self, request: Request) -> tuple[Request, list[str]]:
        """A copy of ``request`` without credentials, and what was left out (``auth``, ``header X``,
        ``query y``)."""
        removed: list[str] = ["auth"] if request.auth is not None else []
        stripped = copy.copy(request)
        stripped.auth = None
        stripped.headers = dict(self._kept((request.headers or {}).items(), is_sensitive_header, "header", removed))
        stripped.params = dict(self._kept((request.params or {}).items(), is_sensitive_name, "query", removed))
        for kind in ("json", "data"):  # top-level fields of a body, as config writes them
            body = getattr(request, kind)
            if isinstance(body, Mapping):
                setattr(stripped, kind, dict(self._kept(body.items(), is_sensitive_name, f"{kind} field", removed)))
        stripped.url = self._url(request.url, removed)
        return stripped, list(dict.fromkeys(removed))

    def strip_prepared(self, request: PreparedRequest) -> list[str]:
        """Remove credential headers and query pairs from a prepared request (a redirect) in place; what was
        left out."""
        removed: list[str] = []
        for name, _ in self._dropped(request.headers.items(), is_sensitive_header):
            del request.headers[name]
            removed.append(f"header {name}")
        request.url = self._url(request.url or "", removed)
        return removed

    def _url(self, url: str, removed: list[str]) -> str:
        parts = urlsplit(url)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        kept = self._kept(pairs, is_sensitive_name, "query", removed)
        if len(kept) == len(pairs):
            return url
        return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), parts.fragment))

    def _kept(self, items: Iterable[tuple[Any, Any]], sensitive: Callable[[str], bool], kind: str,
              removed: list[str]) -> list[tuple[Any, Any]]:
        """The name-value pairs that carry no credential; the names of the others go to ``removed``."""
        pairs = list(items)
        dropped = self._dropped(pairs, sensitive)
        removed.extend(f"{kind} {name}" for name, _ in dropped)
        return [pair for pair in pairs if pair not in dropped]

    def _dropped(self, items: Iterable[tuple[Any, Any]], sensitive: Callable[[str], bool]) -> list[tuple[Any, Any]]:
        return [(name, value) for name, value in list(items) if sensitive(str(name)) or self.is_secret(str(value))]
