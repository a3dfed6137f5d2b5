"""The HTTP layer's building blocks: retry policy and decision, auth objects, redaction of secrets.

``retry`` decides whether a failed request is tried again and after how long; ``auth`` builds
``requests`` auth objects (dlt's classes) from config blocks through an explicit registry;
``redact`` keeps credentials out of logs, errors and output. The client that sends requests uses
these; nothing here sends a request by itself (except an OAuth token fetch inside its auth object).
"""

from restloom.http.auth import (
    API_KEY_LOCATIONS,
    AUTH_ALIASES,
    AUTH_TYPE_PARAMS,
    DEFAULT_SECTIONS,
    ApiKeyAuth,
    AuthParamError,
    UnknownAuthType,
    auth_secrets,
    build_auth,
    credentials_from_config,
    default_auth_registry,
    resolve_auth_object,
)
from restloom.http.redact import (
    MASK,
    MIN_SECRET_LENGTH,
    SENSITIVE_HEADER_NAMES,
    SENSITIVE_PARAM_NAMES,
    Redactor,
    truncate,
)
from restloom.http.retry import (
    DEFAULT_RETRY_STATUSES,
    Decision,
    RetryPolicy,
    call_with_retries,
    decide,
    parse_retry_after,
    retry_policy_from_config,
    wait_from_headers,
)

__all__ = [
    "API_KEY_LOCATIONS",
    "AUTH_ALIASES",
    "AUTH_TYPE_PARAMS",
    "DEFAULT_RETRY_STATUSES",
    "DEFAULT_SECTIONS",
    "MASK",
    "MIN_SECRET_LENGTH",
    "SENSITIVE_HEADER_NAMES",
    "SENSITIVE_PARAM_NAMES",
    "ApiKeyAuth",
    "AuthParamError",
    "Decision",
    "Redactor",
    "RetryPolicy",
    "UnknownAuthType",
    "auth_secrets",
    "build_auth",
    "call_with_retries",
    "credentials_from_config",
    "decide",
    "default_auth_registry",
    "parse_retry_after",
    "resolve_auth_object",
    "retry_policy_from_config",
    "truncate",
    "wait_from_headers",
]
