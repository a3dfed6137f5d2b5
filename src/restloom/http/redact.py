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
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit, urlunsplit

__all__ = [
    "MASK",
    "MIN_SECRET_LENGTH",
    "SENSITIVE_HEADER_NAMES",
    "SENSITIVE_PARAM_NAMES",
    "Redactor",
]

MASK = "***"
MIN_SECRET_LENGTH = 4

# compared with the name lower-cased and '-' turned into '_'
SENSITIVE_PARAM_NAMES = frozenset(
    {
        "access_token",
        "api_key",
        "apikey",
        "api_token",
        "auth",
        "auth_token",
        "authorization",
        "client_secret",
        "id_token",
        "key",
        "passwd",
        "password",
        "private_key",
        "pwd",
        "refresh_token",
        "secret",
        "session",
        "session_id",
        "sessionid",
        "sig",
        "signature",
        "token",
        "x_api_key",
    }
)
_SENSITIVE_SUFFIXES = ("_token", "_secret", "_password", "_api_key", "_apikey", "_signature")
SENSITIVE_HEADER_NAMES = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "x-auth-token",
        "x-access-token",
    }
)


def is_sensitive_name(name: str) -> bool:
    """Whether a query parameter (or header) name usually carries a credential."""
    normal = name.strip().lower().replace("-", "_")
    return normal in SENSITIVE_PARAM_NAMES or normal.endswith(_SENSITIVE_SUFFIXES)


@dataclass(frozen=True, slots=True, kw_only=True)
class Redactor:
    """Blanks the given secrets (and sensitive parameters and headers) with ``***``."""

    secrets: tuple[str, ...] = ()
    _pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        forms = {
            form for secret in self.secrets if len(secret) >= MIN_SECRET_LENGTH for form in _forms(secret)
        }
        ordered = sorted(forms, key=lambda form: (-len(form), form))  # longest first
        pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        object.__setattr__(self, "_pattern", pattern)

    def text(self, value: str) -> str:
        """``value`` with every known secret, in any of its wire forms, replaced by ``***``."""
        if self._pattern is None:
            return value
        return self._pattern.sub(MASK, value)

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
        if equals and (is_sensitive_name(unquote_plus(name)) or unquote_plus(value) in self.secrets):
            return f"{name}={MASK}"
        return part

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """A copy of ``headers`` with credential headers and any value holding a secret set to ``***``."""
        return {name: MASK if self._hides(name, value) else value for name, value in headers.items()}

    def _hides(self, name: str, value: str) -> bool:
        if name.lower() in SENSITIVE_HEADER_NAMES or is_sensitive_name(name):
            return True
        if value in self.secrets:
            return True
        return self._pattern is not None and self._pattern.search(value) is not None


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
