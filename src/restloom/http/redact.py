"""Redaction: credentials never appear in logs, error messages, tables or printed output.

Why: restloom puts URLs, headers and response bodies into messages so a failure can be diagnosed;
those carry API keys in query strings (seed 004), custom headers (seed 001) and basic-auth values
(seed 002). A ``Redactor`` knows the run's secrets (from ``auth_secrets`` and the config's secret
values) and blanks them, with the forms they take on the wire: URL-quoted, base64 as in a basic-auth
header (``key:``). Independently of the known secrets, the values of sensitive query parameters
(``?api_key=***``) and sensitive headers (``Authorization``, ``Cookie``, ``X-Api-Key``...) are
blanked, so a secret we were not told about is still hidden in the usual places.

Secrets shorter than ``MIN_SECRET_LENGTH`` characters are not searched for in free text (they would
blank ordinary letters); they are still blanked where they are a header or parameter value.
"""

from __future__ import annotations

import re
from base64 import b64encode
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit, urlunsplit

from restloom.sensitive import (
    MASK,
    SENSITIVE_HEADER_NAMES,
    SENSITIVE_PARAM_NAMES,
    is_sensitive_header,
    is_sensitive_name,
)

__all__ = [
    "MASK",
    "MIN_SECRET_LENGTH",
    "SENSITIVE_HEADER_NAMES",
    "SENSITIVE_PARAM_NAMES",
    "Redactor",
    "is_sensitive_name",
]

MIN_SECRET_LENGTH = 4


@dataclass(frozen=True, slots=True)
class _Known:
    """The secrets known at one moment and the pattern that finds them in text."""

    live: tuple[str, ...]
    values: frozenset[str]
    pattern: re.Pattern[str] | None


def _known(secrets: Iterable[str], live: tuple[str, ...]) -> _Known:
    values = frozenset(secrets) | frozenset(live)
    forms = {form for secret in values if len(secret) >= MIN_SECRET_LENGTH for form in _forms(secret)}
    ordered = sorted(forms, key=lambda form: (-len(form), form))  # longest first
    pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None
    return _Known(live, values, pattern)


@dataclass(frozen=True, slots=True, kw_only=True)
class Redactor:
    """Blanks the given secrets (and sensitive parameters and headers) with ``***``.

    ``live``: called on every use, returns secrets that may appear while the run goes on (an OAuth
    access token fetched at run time); the pattern is rebuilt only when what it returns changes.
    """

    secrets: tuple[str, ...] = ()
    live: Callable[[], Iterable[str]] | None = field(default=None, compare=False)
    _cache: list[_Known] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_cache", [_known(self.secrets, ())])

    def _current(self) -> _Known:
        known = self._cache[0]
        if self.live is None:
            return known
        live = tuple(value for value in self.live() if isinstance(value, str) and value)
        if live != known.live:
            known = _known(self.secrets, live)
            self._cache[0] = known  # one list slot: a racing thread at worst rebuilds the same pattern
        return known

    def text(self, value: str) -> str:
        """``value`` with every known secret, in any of its wire forms, replaced by ``***``."""
        pattern = self._current().pattern
        if pattern is None:
            return value
        return pattern.sub(MASK, value)

    def is_secret(self, value: str) -> bool:
        """Whether ``value`` is, or holds, a known secret (in any of its wire forms)."""
        known = self._current()
        return value in known.values or (known.pattern is not None and known.pattern.search(value) is not None)

    def url(self, url: str) -> str:
        """The URL with sensitive query values and a userinfo password blanked, and secrets removed."""
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, host = netloc.rpartition("@")
            if ":" in userinfo:
                netloc = f"{userinfo.partition(':')[0]}:{MASK}@{host}"
        query = "&".join(self._query_part(part) for part in parts.query.split("&")) if parts.query else ""
        return self.text(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))

    def _query_part(self, part: str) -> str:
        name, equals, value = part.partition("=")
        if equals and (is_sensitive_name(unquote_plus(name)) or unquote_plus(value) in self._current().values):
            return f"{name}={MASK}"
        return part

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """A copy of ``headers`` with credential headers and any value holding a secret set to ``***``."""
        return {name: MASK if self._hides(name, value) else value for name, value in headers.items()}

    def _hides(self, name: str, value: str) -> bool:
        return is_sensitive_header(name) or self.is_secret(value)


def _forms(secret: str) -> set[str]:
    """The secret as it may appear: raw, URL-quoted, base64 (alone and as a basic-auth ``key:``)."""
    return {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        b64encode(secret.encode()).decode(),
        b64encode(f"{secret}:".encode()).decode(),
    }
