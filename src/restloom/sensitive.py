"""Which names carry credentials, a URL's userinfo password masked, a URL's origin — shared by config and http.

Why here: ``restloom.config.resolve`` records the values of credential-named params and headers as
secrets (a Python config reads ``dlt.secrets[...]`` into plain strings, so the name is the only clue),
config errors mask a ``base_url`` password, and the HTTP layer blanks the same names on the wire.
One list keeps the two in step. This module imports nothing from restloom.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "MASK",
    "SENSITIVE_HEADER_NAMES",
    "SENSITIVE_PARAM_NAMES",
    "is_sensitive_header",
    "is_sensitive_name",
    "mask_userinfo",
    "origin",
    "userinfo_password",
]

MASK = "***"

# compared with the name lower-cased and '-' turned into '_'
SENSITIVE_PARAM_NAMES = frozenset(
    {
        "access_key",
        "access_token",
        "api_key",
        "api_secret",
        "apikey",
        "api_token",
        "app_key",
        "appkey",
        "auth",
        "auth_token",
        "authorization",
        "client_key",
        "client_secret",
        "consumer_key",
        "consumer_secret",
        "id_token",
        "key",
        "license_key",
        "passwd",
        "password",
        "private_key",
        "pwd",
        "refresh_token",
        "secret",
        "secret_key",
        "session",
        "session_id",
        "sessionid",
        "sig",
        "signature",
        "token",
        "x_api_key",
    }
)
_SENSITIVE_SUFFIXES = ("_token", "_secret", "_password", "_api_key", "_apikey", "_signature", "_access_key")
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


def is_sensitive_header(name: str) -> bool:
    """Whether a header name usually carries a credential (``Authorization``, ``Cookie``, ``X-Api-Key``...)."""
    return name.strip().lower() in SENSITIVE_HEADER_NAMES or is_sensitive_name(name)


def userinfo_password(url: str) -> str | None:
    """The password of a URL's ``user:password@`` part, or None."""
    netloc = urlsplit(url).netloc if "://" in url else ""
    userinfo, at, _ = netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return None
    return userinfo.partition(":")[2] or None


def mask_userinfo(url: str) -> str:
    """``url`` with the password of its ``user:password@`` part shown as ``***``."""
    if "://" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    netloc = f"{userinfo.partition(':')[0]}:{MASK}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> str:
    """A URL's origin, as browsers compare them: ``scheme://host[:port]``, lower-cased, the default port
    left out (``HTTPS://API.example.com:443/v1/`` → ``https://api.example.com``); empty when it has none."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if not scheme or not host:
        return ""
    if ":" in host:
        host = f"[{host}]"
    shown = f":{port}" if port is not None and port != _DEFAULT_PORTS.get(scheme) else ""
    return f"{scheme}://{host}{shown}"
