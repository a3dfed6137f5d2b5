"""What a simulated vendor declares: data, routes, auth forms, rate-limit windows and headers."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from restloom.testing.dataset import Dataset, Table
from restloom.testing.ratelimit import Window, WindowState
from restloom.testing.wire import Request, Response, error

__all__ = [
    "AuthForm",
    "BuildOptions",
    "Context",
    "Credentials",
    "Route",
    "Vendor",
    "dispatch",
    "int_param",
]

AuthForm = Literal["seed", "real", "none", "invalid"]


@dataclass(frozen=True, kw_only=True)
class BuildOptions:
    """What a dataset is built from."""

    seed: int
    size: int
    sizes: Mapping[str, int] = field(default_factory=dict)
    export_page_size: int = 1000


@dataclass(frozen=True, kw_only=True)
class Credentials:
    """``secrets``: the dlt.secrets names the seed reads; ``real``: what the real auth form needs."""

    secrets: dict[str, str]
    real: dict[str, str]


@dataclass(frozen=True, kw_only=True)
class Context:
    """What a route handler works with."""

    data: Dataset
    options: BuildOptions

    def table(self, name: str) -> Table:
        """One list table."""
        return self.data.tables[name]


Handler = Callable[[Context, Request, "re.Match[str]"], Response]


@dataclass(frozen=True)
class Route:
    """A path pattern (full path, anchored), its handler and the methods it answers (GET by default)."""

    pattern: re.Pattern[str]
    handler: Handler
    methods: tuple[str, ...] = ("GET", "HEAD")


def dispatch(routes: tuple[Route, ...], ctx: Context, request: Request) -> Response:
    """Run the first route whose pattern matches; 404 or 405 otherwise."""
    for route in routes:
        match = route.pattern.fullmatch(request.path)
        if match is not None:
            if request.method not in route.methods:
                return error(405, f"method {request.method} not allowed")
            return route.handler(ctx, request, match)
    return error(404, f"no such path: {request.path}")


def bearer_authenticate(request: Request, credentials: Credentials) -> AuthForm:
    """``Authorization: Bearer <api_key>``: the seed's form and the real one for Persona and Yousign."""
    header = request.headers.get("authorization")
    if header is None:
        return "none"
    return "seed" if header == f"Bearer {credentials.real['api_key']}" else "invalid"


def no_rate_headers(_states: tuple[WindowState, ...]) -> tuple[tuple[str, str], ...]:
    """Rate headers of a vendor that sends none."""
    return ()


def plain_429(_states: tuple[WindowState, ...]) -> Response:
    """The throttled answer of a vendor with nothing to say but 429."""
    return error(429, "too many requests")


def int_param(request: Request, name: str, *, default: int, low: int, high: int) -> int | None:
    """An integer query parameter within ``[low, high]``; None when it is malformed or out of bounds."""
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if low <= value <= high else None


@dataclass(frozen=True, kw_only=True)
class Vendor:
    """One simulated service."""

    name: str
    base_path: str
    build: Callable[[BuildOptions], Dataset]
    routes: tuple[Route, ...]
    credentials: Callable[[int], Credentials]
    authenticate: Callable[[Request, Credentials], AuthForm]
    rate_windows: tuple[Window, ...] = ()
    rate_scope: Callable[[str], str | None] = lambda _path: None
    rate_headers: Callable[[tuple[WindowState, ...]], tuple[tuple[str, str], ...]] = no_rate_headers
    throttled: Callable[[tuple[WindowState, ...]], Response] = plain_429
    query_auth_params: tuple[str, ...] = ()
    truth_aliases: Mapping[str, str] = field(default_factory=dict)
    derived_truth: Mapping[str, Callable[[Dataset], list[dict[str, Any]]]] = field(default_factory=dict)
