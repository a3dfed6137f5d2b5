"""Frozen, typed models of a parsed config: what the engine plans and runs from.

Every shorthand of dlt's rest_api dialect and of the extended (seed) dialect has been expanded by
``restloom.config.parse`` before these are built, so the engine reads attributes, never ``.get``.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from restloom.config.selectors import Selector
from restloom.expressions import Expression
from restloom.sensitive import userinfo_password

EMPTY: Mapping[str, Any] = MappingProxyType({})


def _empty() -> Mapping[str, Any]:
    return EMPTY

DEFAULT_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """When to retry a request and how long to wait; waits in seconds, see ``restloom.http.retry``."""

    retry_on_status: frozenset[int] = DEFAULT_RETRY_STATUSES
    max_retries: int = 5
    backoff_factor: float = 1.0
    backoff_max: float = 60.0
    jitter: float = 0.25
    retry_after_max: float = 300.0
    retry_on_errors: bool = True
    wait_scale: float = 1.0

    def backoff(self, attempt: int) -> float:
        """The unscaled exponential wait before retry ``attempt`` (0-based), jitter applied."""
        base = min(self.backoff_max, self.backoff_factor * 2.0 ** min(attempt, 64))  # 2**64 s exceeds any cap
        if self.jitter == 0:
            return base
        return base * random.uniform(1 - self.jitter, 1 + self.jitter)


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeouts:
    """How long one request may take, in seconds: to connect, between two reads (silence), and in all
    (connect, headers and the whole body: a response that trickles in ends at ``total``)."""

    connect: float = 10.0
    read: float = 60.0
    total: float = 300.0


CursorSource = Literal["path", "expression", "last_record"]


@dataclass(frozen=True, slots=True)
class SecretRef:
    """A secret named by a config file (``{secret: NAME}``), read from ``dlt.secrets`` by
    ``restloom.config.secrets.resolve``; ``format`` places it inside a string where ``{}`` stands."""

    name: str
    format: str | None = None

    def render(self, value: Any) -> Any:
        """The config value this reference stands for, given the secret's ``value``."""
        return value if self.format is None else self.format.replace("{}", str(value))


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthSpec:
    """An auth scheme by registry name with its parameters, or a ready auth object.

    ``path`` is where the config wrote it (``client.auth``); after parsing, required credentials may
    still be missing (dlt's config may hold them): ``restloom.config.secrets.resolve`` fills them.
    """

    type: str
    params: Mapping[str, Any] = field(default_factory=_empty)
    obj: Any = None
    path: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponseActionSpec:
    """One of dlt's ``response_actions``, compiled: on a response matching ``status_code`` and/or
    ``content`` (a substring of the body), call ``hooks`` or, with none, drop it when ``ignore``.

    An action with neither ``hooks`` nor ``ignore`` does nothing (dlt's meaning).
    """

    status_code: int | None = None
    content: str | None = None
    ignore: bool = False
    hooks: tuple[Callable[..., Any], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class CursorSpec:
    """The extended cursor paginator (seed dialect): where the cursor comes from and how it is sent."""

    source: CursorSource
    cursor_param: str | None
    cursor_path: str | None = None
    cursor_value: Expression | None = None
    cursor_body_path: str | None = None
    limit: int | None = None
    limit_param: str = "limit"
    has_more_path: str | None = None
    stop_after_empty_page: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class PaginatorSpec:
    """How to page: a dlt paginator by name + kwargs, the extended cursor, or a user's object.

    ``stop_condition`` and ``max_pages`` belong to the page loop and work with every kind.
    """

    kind: Literal["dlt", "cursor", "object", "auto"]
    type: str = "auto"
    cls: Any = None  # the dlt paginator class of a named type
    params: Mapping[str, Any] = field(default_factory=_empty)
    cursor: CursorSpec | None = None
    obj: Any = None
    stop_condition: Expression | None = None
    max_pages: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolveSpec:
    """A value taken from each parent record: ``{placeholder}`` <- parent ``field``."""

    placeholder: str
    resource: str
    field: str
    location: Literal["path", "params", "json", "headers"] = "path"
    param_name: str | None = None
    implicit: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class StepSpec:
    """``incremental.step``: the initial window cut into consecutive windows of ``size``, each committed
    before the next. ``size`` is in the cursor's unit: seconds for a datetime or date cursor, the cursor's
    own unit for epoch (``cursor_format``) and plain numeric cursors."""

    text: str
    size: float
    kind: Literal["datetime", "date", "epoch", "number"]
    path: str


@dataclass(frozen=True, slots=True, kw_only=True)
class IncrementalSpec:
    """dlt's incremental arguments plus where its values go in the request."""

    cursor_path: str
    initial_value: Any = None
    end_value: Any = None
    start_param: str | None = None
    end_param: str | None = None
    convert: Any = None
    cursor_format: str | None = None
    lookback: float | None = None
    step: StepSpec | None = None
    args: Mapping[str, Any] = field(default_factory=_empty)
    per_parent: bool | None = None  # None until parent binding decides (True by default for a child)
    config_path: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class EndpointSpec:
    """One HTTP endpoint, fully resolved against the client and resource_defaults."""

    path: str
    method: str = "GET"
    params: Mapping[str, Any] = field(default_factory=_empty)
    json: Any = None
    data: Any = None
    headers: Mapping[str, Any] = field(default_factory=_empty)
    paginator: PaginatorSpec = field(default_factory=lambda: PaginatorSpec(kind="auto"))
    selector: Selector | None = None
    response_actions: tuple[ResponseActionSpec, ...] = ()
    incremental: IncrementalSpec | None = None
    auth: AuthSpec | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeouts: Timeouts = field(default_factory=Timeouts)

    @property
    def row_ordered(self) -> bool:
        """True when the incremental has dlt's ``row_order``: dlt stops reading at the first record past the
        window's end, so a page is asked for only when dlt wants it (none fetched ahead)."""
        return self.incremental is not None and self.incremental.args.get("row_order") is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceSpec:
    """One resource: its endpoint, parent binding and the dlt hints its table gets."""

    name: str
    config_path: str
    endpoint: EndpointSpec
    primary_key: tuple[str, ...] = ()
    primary_key_declared: bool = False
    hints: Mapping[str, Any] = field(default_factory=_empty)
    resolves: tuple[ResolveSpec, ...] = ()
    include_from_parent: tuple[str, ...] = ()
    selected: bool = True
    processing_steps: tuple[Mapping[str, Any], ...] = ()

    @property
    def parent(self) -> str | None:
        """The resource this one fans out over, if any."""
        return self.resolves[0].resource if self.resolves else None


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientSpec:
    """The shared HTTP client settings."""

    base_url: str
    headers: Mapping[str, Any] = field(default_factory=_empty)
    session: Any = None
    auth: AuthSpec | None = None  # the default of every endpoint (the same object), resolved with them
    auth_origins: frozenset[str] = frozenset()
    """Origins besides the base URL's that may receive credentials (``client.auth_origins``), normalised by
    ``restloom.sensitive.origin``; a request to any other origin goes without them."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """A whole parsed config: the resources in declaration order, plus parse-time notices.

    ``resolved`` is True once ``restloom.config.secrets.resolve`` has replaced every secret reference
    and filled the auth credentials from dlt's config; only a resolved config runs. ``secret_values``:
    every value resolve knows to be a credential (read from a secret or dlt's config, an auth block's
    credential, the value of a credential-named param or header, a ``base_url`` password) — the run
    redacts each wherever it would appear. ``concurrency``: requests in flight at the start of a run;
    ``concurrency_fixed``: the user set it (a hard cap) rather than leaving the default, which the run
    may raise while an API answers fast (``restloom.http.limits``).
    """

    client: ClientSpec
    resources: tuple[ResourceSpec, ...]
    dlt_resources: tuple[Any, ...] = ()
    notices: tuple[str, ...] = ()
    concurrency: int = 8
    concurrency_fixed: bool = False
    resolved: bool = False
    secret_values: frozenset[str] = frozenset()

    def with_descendants(self, roots: set[str]) -> set[str]:
        """The resources named in ``roots`` and every resource below one of them (children, grandchildren)."""
        parents = {spec.name: spec.parent for spec in self.resources}

        def under(name: str | None, depth: int = 0) -> bool:  # depth: a parent cycle cannot recurse forever
            return name is not None and depth <= len(parents) and (name in roots or under(parents.get(name), depth + 1))

        return {spec.name for spec in self.resources if under(spec.name)}

    def with_base_url(self, base_url: str | None) -> Config:
        """The config with the client's base URL replaced (``--base-url``); unchanged when None.
        A password in the new URL's userinfo is a secret of the run."""
        if not base_url:
            return self
        password = userinfo_password(base_url)
        secrets = self.secret_values | ({password} if password else set())
        return dataclasses.replace(self, client=dataclasses.replace(self.client, base_url=base_url),
                                   secret_values=frozenset(secrets))

    def resource(self, name: str) -> ResourceSpec:
        """The resource called ``name``."""
        for spec in self.resources:
            if spec.name == name:
                return spec
        raise KeyError(name)
