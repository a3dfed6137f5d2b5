"""The one front door: a raw config and the run options, read once, into a parsed ``Config``.

``rest_api_source``, ``restloom run`` / ``check`` and the catalog all come in here, so the run options
mean the same everywhere: ``concurrency`` (requests in flight; ``RESTLOOM_CONCURRENCY``) and
``retry_wait_scale`` (every retry wait multiplied by it; ``RESTLOOM_RETRY_WAIT_SCALE``, 0 = instant).
The paginator registry is built here, once per config, and passed to the parser.
An explicit argument wins over the environment; a bad environment value is a config error naming it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from restloom.adapter.columnar import chunk_rows
from restloom.config.models import Config, RetryPolicy
from restloom.config.paginators import default_paginator_registry
from restloom.config.parse import parse
from restloom.config.secrets import resolve
from restloom.errors import ConfigError, ConfigIssue
from restloom.text import truncate

__all__ = ["CONCURRENCY_ENV", "DLT_SECTION", "WAIT_SCALE_ENV", "RunOptions", "compile_config"]

CONCURRENCY_ENV = "RESTLOOM_CONCURRENCY"
WAIT_SCALE_ENV = "RESTLOOM_RETRY_WAIT_SCALE"
DLT_SECTION = "rest_api"
"""dlt's rest_api source lives in config section ``rest_api``: credentials left out of a config are read
from ``sources.rest_api.<name>`` there, and here too."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOptions:
    """How a run behaves beyond what its config says."""

    concurrency: int | None = None
    retry_wait_scale: float = 1.0

    @classmethod
    def from_env(cls, *, concurrency: int | None = None, retry_wait_scale: float | None = None,
                 environ: Mapping[str, str] | None = None) -> RunOptions:
        """The options given, the rest from ``RESTLOOM_CONCURRENCY`` / ``RESTLOOM_RETRY_WAIT_SCALE``; a
        malformed ``RESTLOOM_COLUMNAR_ROWS`` is refused here too."""
        env = os.environ if environ is None else environ
        issues: list[ConfigIssue] = []
        if concurrency is None and env.get(CONCURRENCY_ENV):
            concurrency = _env_number(env, CONCURRENCY_ENV, int, issues, "a positive integer", minimum=1)
        if retry_wait_scale is None and env.get(WAIT_SCALE_ENV):
            retry_wait_scale = _env_number(env, WAIT_SCALE_ENV, float, issues, "a number >= 0", minimum=0)
        try:  # read when the pages become tables: checked here too, before a run starts
            chunk_rows(env)
        except ConfigError as exc:
            issues.extend(exc.issues)
        if issues:
            raise ConfigError(issues)
        return cls(concurrency=concurrency, retry_wait_scale=1.0 if retry_wait_scale is None else retry_wait_scale)


def _env_number(env: Mapping[str, str], name: str, kind: type, issues: list[ConfigIssue], expected: str, *,
                minimum: float) -> Any:
    text = env[name]
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or value < minimum:
        issues.append(ConfigIssue(f"${name}", f"expected {expected}, got {truncate(text, 40)!r}"))
        return None
    return value


def compile_config(raw: Any, *, options: RunOptions | None = None,
                   sections: tuple[str, ...] = ("sources", DLT_SECTION, "rest_api")) -> Config:
    """Parse ``raw`` with the run options (from the environment when not given), then resolve its secrets
    and auth credentials (dlt's config ``sections``): a config ready to run, or one ConfigError."""
    options = options or RunOptions.from_env()
    parsed = parse(raw, concurrency=options.concurrency, retry_base=RetryPolicy(wait_scale=options.retry_wait_scale),
                   paginators=default_paginator_registry())
    return resolve(parsed, sections=sections)
