"""The restloom exception tree, grouped by what the caller does next.

RestloomError                      base of everything restloom raises on purpose
├── ConfigError                    fix the config: carries every ConfigIssue (path + message)
├── ResourceError                  fix or retry the resource: it failed (the others may go on)
│   ├── AuthError                  401/403: credentials are wrong or missing
│   ├── RetriesExhausted           a retryable failure outlived the retry policy
│   ├── ResponseError              a non-retryable HTTP status or an unreadable body
│   ├── PrimaryKeyMissing          records lack the primary key the resource declares
│   └── ExpressionError            a stop_condition / cursor_value failed on a real response
├── ResourcesFailed                stop: the run ended with failed resources (``raise_for_failures``)
└── PipelineError                  stop the run: the pipeline cannot run now; the message says what to do
    ├── PipelineBusy               another process is running the same pipeline (its lock is held)
    └── ReplayError                a load job a crash interrupted cannot be replayed without duplicates

Messages say what happened, where (resource, URL without secrets, config path) and what to do.
Response bodies are truncated and credentials never appear (see ``restloom.http.redact``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AuthError",
    "ConfigError",
    "ConfigIssue",
    "ExpressionError",
    "PipelineBusy",
    "PipelineError",
    "PrimaryKeyMissing",
    "ReplayError",
    "ResourceError",
    "ResourcesFailed",
    "ResponseError",
    "RestloomError",
    "RetriesExhausted",
]


class RestloomError(Exception):
    """Base class of every error restloom raises on purpose."""


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem in a config: where it is (a config path) and what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ConfigError(RestloomError):
    """The config is invalid; ``issues`` lists every problem found, each with its path."""

    def __init__(self, issues: list[ConfigIssue] | tuple[ConfigIssue, ...]) -> None:
        self.issues = tuple(issues)
        count = len(self.issues)
        head = f"invalid config: {count} problem{'s' if count != 1 else ''}"
        super().__init__("\n".join([head, *(f"  - {issue}" for issue in self.issues)]))


class ResourceError(RestloomError):
    """A resource failed: it ends the extract (``rest_api_source``'s default, ``on_failure="raise"``), or the
    other resources go on and the report carries it (``on_failure="continue"``, ``restloom run``)."""

    def __init__(self, resource: str, message: str) -> None:
        self.resource = resource
        self.reason = message
        super().__init__(f"resource '{resource}': {message}")


class AuthError(ResourceError):
    """The API refused the credentials (401/403)."""


class RetriesExhausted(ResourceError):
    """A retryable failure (429, 5xx, timeout, dropped connection) outlived the retry policy."""


class ResponseError(ResourceError):
    """A non-retryable HTTP status, or a body that is not the JSON the config expects."""


class PrimaryKeyMissing(ResourceError):
    """Records lack the primary key the resource declares, so they cannot be merged."""


class ExpressionError(ResourceError):
    """A config expression (stop_condition, cursor_value) failed on a real response."""


class ResourcesFailed(RestloomError):
    """A run ended with failed resources; ``failures`` maps each one's name to its (redacted) reason.

    Raised by ``RunReport.raise_for_failures`` for a caller that let the other resources load first
    (``rest_api_source(..., on_failure="continue")``) and now must not report success.
    """

    def __init__(self, failures: dict[str, str]) -> None:
        self.failures = dict(failures)
        count = len(self.failures)
        head = f"{count} resource{'s' if count != 1 else ''} failed"
        super().__init__("\n".join([head, *(f"  - {name}: {reason}" for name, reason in self.failures.items())]))


class PipelineError(RestloomError):
    """The pipeline cannot run now (nothing was extracted or loaded by this run)."""


class PipelineBusy(PipelineError):
    """Another process is running the same pipeline; this run refused to start beside it."""


class ReplayError(PipelineError):
    """A load job a crash interrupted cannot be made safe to replay; its package stays pending."""
