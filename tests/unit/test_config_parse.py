"""Valid configs: the five seeds and dlt's shorthands parse into exactly the models we expect."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from dlt.sources.helpers.rest_client import paginators as dp
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator

from restloom.config import Config, parse
from restloom.config.models import CursorSpec, PaginatorSpec, ResolveSpec, ResponseActionSpec, Timeouts
from restloom.errors import ConfigError
from tests.seeds import seed_config

BASE = "https://api.example.com/v1/"
SECRETS = {
    "persona": {"api_key": "dummy-key"},
    "opsgenie": {"api_token": "dummy-token"},
    "easypost": {"username": "dummy-user"},
    "yousign": {"api_key": "dummy-key"},
    "zendesk_talk": {"api_key": "dummy-key"},
}


def load_seed(api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The seed's raw config; its secrets are set through monkeypatch so they are undone afterwards."""
    for name, value in SECRETS[api].items():
        monkeypatch.setenv(name.upper(), value)
    return seed_config(api, base_url=BASE, secrets=SECRETS[api], tmp_path=tmp_path)


def seed(api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    """The parsed seed config."""
    return parse(load_seed(api, tmp_path, monkeypatch))


def minimal(*resources: Any, **top: Any) -> dict[str, Any]:
    """A config with just a base URL and these resources."""
    return {"client": {"base_url": BASE}, "resources": list(resources), **top}


@pytest.mark.parametrize(
    ("api", "names"),
    [
        (
            "persona",
            [
                "accounts",
                "cases",
                "api_keys",
                "api_logs",
                "events",
                "inquiries",
                "inquiry_sessions",
                "workflows_run",
                "webhooks",
                "workflow_runs",
            ],
        ),
        ("opsgenie", ["users", "teams", "services", "integrations", "incidents", "alerts"]),
        (
            "easypost",
            [
                "batches",
                "addresses",
                "trackers",
                "metadata_carriers",
                "end_shippers",
                "webhooks",
                "users_children",
                "carrier_accounts",
                "api_keys",
            ],
        ),
        (
            "yousign",
            [
                "signature_requests",
                "signature_requests_followers",
                "contacts",
                "users",
                "workspaces",
                "electronic_seal_images",
                "templates",
                "labels",
            ],
        ),
        (
            "zendesk_talk",
            [
                "addresses",
                "agents_activity",
                "agents_overview",
                "greeting_categories",
                "greetings",
                "phone_numbers",
                "call_legs",
                "calls",
                "current_queue_activity",
                "account_overview",
                "ivrs",
                "ivr_menus",
                "ivr_routes",
            ],
        ),
    ],
)
def test_each_seed_parses_with_its_resources_in_order(
    api: str, names: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every seed parses as written; its resources keep their names and declaration order."""
    config = seed(api, tmp_path, monkeypatch)
    assert [spec.name for spec in config.resources] == names
    assert config.client.base_url == BASE
    assert all(spec.primary_key == ("id",) for spec in config.resources)
    assert all(spec.hints["write_disposition"] == "merge" for spec in config.resources)


def test_persona_cursor_is_the_last_records_id_sent_as_page_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Persona's seed cursor (no source written) reads the last record's key and pages 100 at a time."""
    config = seed("persona", tmp_path, monkeypatch)
    for spec in config.resources:
        paginator = spec.endpoint.paginator
        assert paginator.kind == "cursor"
        assert paginator.cursor == CursorSpec(
            source="last_record", cursor_param="page[after]", limit=100, limit_param="limit"
        )
        assert paginator.stop_condition is not None
        assert paginator.stop_condition.source == "response.get('data')|length == 0"
        assert spec.endpoint.auth is not None
        assert spec.endpoint.auth.type == "bearer"
        assert dict(spec.endpoint.auth.params) == {"token": "dummy-key"}
    assert config.notices == (
        "resources 'workflows_run' and 'workflow_runs' read the same endpoint '/workflow-runs'; both load",
    )


def test_opsgenie_cursor_is_an_expression_followed_as_a_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opsgenie's cursor_value is compiled as an expression and has no cursor_param (a next URL)."""
    config = seed("opsgenie", tmp_path, monkeypatch)
    cursor = config.resource("alerts").endpoint.paginator.cursor
    assert cursor is not None
    assert cursor.source == "expression"
    assert cursor.cursor_param is None
    assert cursor.limit is None
    assert cursor.cursor_value is not None
    assert cursor.cursor_value.source == '{{ response.get("paging", {}).get("next", {}) }}'
    assert cursor.cursor_value.path == "resources[5].endpoint.paginator.cursor_value"
    auth = config.resource("alerts").endpoint.auth
    assert auth is not None
    assert (auth.type, dict(auth.params)) == (
        "api_key",
        {"name": "api_key", "api_key": "dummy-token", "location": "header"},
    )


def test_easypost_basic_auth_alias_and_root_selector(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """EasyPost's 'basic' auth is http_basic with only a username; data_selector [] is the root."""
    config = seed("easypost", tmp_path, monkeypatch)
    auth = config.resource("batches").endpoint.auth
    assert auth is not None
    assert auth.type == "http_basic"
    assert dict(auth.params) == {"username": "dummy-user"}
    for name in ("carrier_accounts", "api_keys"):
        selector = config.resource(name).endpoint.selector
        assert selector is not None
        assert selector.raw == "$"
    assert config.resource("batches").endpoint.paginator.cursor == CursorSpec(
        source="last_record", cursor_param="before_id", limit=10
    )
    assert config.resource("metadata_carriers").endpoint.paginator == PaginatorSpec(kind="auto")


def test_yousign_followers_get_an_implicit_parent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """{sign_req} with no declared parent binds to signature_requests.id, with a notice; id is included."""
    config = seed("yousign", tmp_path, monkeypatch)
    followers = config.resource("signature_requests_followers")
    assert followers.resolves == (
        ResolveSpec(
            placeholder="sign_req", resource="signature_requests", field="id", location="path", implicit=True
        ),
    )
    assert followers.parent == "signature_requests"
    assert followers.include_from_parent == ("id",)
    assert config.notices == (
        "resource 'signature_requests_followers': {sign_req} is taken from the 'id' of each "
        "'signature_requests' record (implicit parent)",
    )
    assert config.resource("signature_requests").parent is None


def test_yousign_cursor_with_only_dlt_keys_stays_dlts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A seed cursor written with dlt's keys only is dlt's JSONResponseCursorPaginator, unchanged."""
    config = seed("yousign", tmp_path, monkeypatch)
    paginator = config.resource("contacts").endpoint.paginator
    assert paginator.kind == "dlt"
    assert paginator.type == "cursor"
    assert dict(paginator.params) == {"cursor_param": "after", "cursor_path": "meta.next_cursor"}
    assert paginator.cursor is None


def test_zendesk_selectors_and_stop_conditions_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Zendesk's nested selector and its stop conditions survive parsing verbatim."""
    config = seed("zendesk_talk", tmp_path, monkeypatch)
    menus = config.resource("ivr_menus").endpoint
    assert menus.selector is not None
    assert menus.selector.raw == "ivrs.menus.*"
    assert menus.paginator.cursor == CursorSpec(source="path", cursor_param=None, cursor_path="next_page")
    assert menus.paginator.stop_condition is not None
    assert menus.paginator.stop_condition.source == "not response.get('next_page', {})"
    calls = config.resource("calls").endpoint.paginator
    assert calls.stop_condition is not None
    assert calls.stop_condition.source == "response.get('count', {}) <= 1"
    overview = config.resource("agents_overview").endpoint
    assert overview.selector is not None
    assert overview.selector.raw == "agents_overview"
    auth = config.resource("calls").endpoint.auth
    assert auth is not None
    assert dict(auth.params)["location"] == "query"


@pytest.mark.parametrize("api", sorted(SECRETS))
def test_parsing_a_seed_does_not_mutate_it(api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """parse() leaves the caller's dict exactly as it was."""
    raw = load_seed(api, tmp_path, monkeypatch)
    before = copy.deepcopy(raw)
    parse(raw)
    assert raw == before


def test_shorthands_and_defaults_do_not_mutate_the_input() -> None:
    """Expanding strings and merging resource_defaults never writes into the given dicts."""
    raw = minimal(
        "users",
        {"name": "orders", "endpoint": {"path": "/orders", "params": {"status": "open"}}},
        {"name": "posts", "endpoint": "/posts"},
        resource_defaults={"primary_key": "id", "endpoint": {"params": {"per_page": 50}}},
    )
    before = copy.deepcopy(raw)
    parse(raw)
    assert raw == before


def test_string_resources_and_string_endpoints_expand() -> None:
    """A resource written as a name reads that path; an endpoint written as a string is its path."""
    config = parse(minimal("users", {"name": "posts", "endpoint": "/v2/posts"}))
    users, posts = config.resources
    assert (users.name, users.endpoint.path, users.endpoint.method) == ("users", "users", "GET")
    assert (posts.name, posts.endpoint.path) == ("posts", "/v2/posts")
    assert users.endpoint.paginator == PaginatorSpec(kind="auto")
    assert users.endpoint.selector is None
    assert (users.config_path, posts.config_path) == ("resources[0]", "resources[1]")


def test_resource_defaults_merge_by_dlts_rules() -> None:
    """params and json merge key by key; every other default is replaced by the resource's own value."""
    config = parse(
        minimal(
            "plain",
            {
                "name": "own",
                "primary_key": "uuid",
                "write_disposition": "append",
                "endpoint": {
                    "path": "/own",
                    "method": "POST",
                    "params": {"status": "open", "per_page": 10},
                    "json": {"filter": "x"},
                    "data_selector": "items",
                    "paginator": {"type": "offset", "limit": 5},
                },
            },
            resource_defaults={
                "primary_key": "id",
                "write_disposition": "merge",
                "endpoint": {
                    "params": {"per_page": 50, "sort": "asc"},
                    "json": {"page": 1},
                    "data_selector": "data",
                    "paginator": "single_page",
                },
            },
        )
    )
    plain, own = config.resources
    assert plain.primary_key == ("id",)
    assert plain.hints["write_disposition"] == "merge"
    assert dict(plain.endpoint.params) == {"per_page": 50, "sort": "asc"}
    assert plain.endpoint.json == {"page": 1}
    assert plain.endpoint.selector is not None
    assert plain.endpoint.selector.raw == "data"
    assert plain.endpoint.paginator == PaginatorSpec(kind="dlt", type="single_page", cls=dp.SinglePagePaginator)
    assert own.primary_key == ("uuid",)
    assert own.hints["write_disposition"] == "append"
    assert dict(own.endpoint.params) == {"per_page": 10, "sort": "asc", "status": "open"}
    assert own.endpoint.json == {"page": 1, "filter": "x"}
    assert own.endpoint.selector is not None
    assert own.endpoint.selector.raw == "items"
    assert own.endpoint.paginator == PaginatorSpec(kind="dlt", type="offset", cls=dp.OffsetPaginator,
                                                   params={"limit": 5})
    assert own.endpoint.method == "POST"


def test_dlt_cursor_with_only_dlt_keys_is_dlts_paginator() -> None:
    """A type: cursor block dlt accepts keeps dlt's meaning (JSONResponseCursorPaginator)."""
    config = parse(
        minimal(
            {
                "name": "r",
                "endpoint": {
                    "paginator": {
                        "type": "cursor",
                        "cursor_path": "meta.next",
                        "cursor_param": "after",
                        "has_more_path": "meta.more",
                    }
                },
            }
        )
    )
    assert config.resources[0].endpoint.paginator == PaginatorSpec(
        kind="dlt",
        type="cursor",
        cls=dp.JSONResponseCursorPaginator,
        params={"cursor_path": "meta.next", "cursor_param": "after", "has_more_path": "meta.more"},
    )


def test_adding_limit_makes_the_extended_cursor() -> None:
    """The same cursor block plus limit becomes restloom's extended cursor."""
    config = parse(
        minimal(
            {
                "name": "r",
                "endpoint": {
                    "paginator": {
                        "type": "cursor",
                        "cursor_path": "meta.next",
                        "cursor_param": "after",
                        "has_more_path": "meta.more",
                        "limit": 25,
                        "limit_param": "page_size",
                    }
                },
            }
        )
    )
    paginator = config.resources[0].endpoint.paginator
    assert paginator.kind == "cursor"
    assert paginator.cursor == CursorSpec(
        source="path",
        cursor_param="after",
        cursor_path="meta.next",
        limit=25,
        limit_param="page_size",
        has_more_path="meta.more",
    )


def test_paginator_and_auth_objects_pass_through() -> None:
    """Live paginator and auth objects are kept as they are, kind/type 'object'."""
    paginator = JSONLinkPaginator(next_url_path="links.next")
    auth = BearerTokenAuth(token="dummy")
    config = parse({"client": {"base_url": BASE, "auth": auth, "paginator": paginator}, "resources": ["r"]})
    endpoint = config.resources[0].endpoint
    assert endpoint.paginator.kind == "object"
    assert endpoint.paginator.type == "JSONLinkPaginator"
    assert endpoint.paginator.obj is paginator
    assert endpoint.auth is not None
    assert endpoint.auth.type == "object"
    assert endpoint.auth.obj is auth


def test_paginator_by_name_and_client_paginator_apply_to_resources() -> None:
    """A paginator named by a string is dlt's class; the client's applies unless a resource overrides it."""
    config = parse(
        {
            "client": {"base_url": BASE, "paginator": "header_link"},
            "resources": ["a", {"name": "b", "endpoint": {"paginator": "single_page"}}],
        }
    )
    header_link = PaginatorSpec(kind="dlt", type="header_link", cls=dp.HeaderLinkPaginator)
    assert config.resource("a").endpoint.paginator == header_link
    assert config.resource("b").endpoint.paginator == PaginatorSpec(kind="dlt", type="single_page",
                                                                    cls=dp.SinglePagePaginator)


def test_explicit_resolve_binds_a_child_to_its_parent() -> None:
    """A resolve param binds the path placeholder and is not sent as a query parameter."""
    config = parse(
        minimal(
            "users",
            {
                "name": "posts",
                "include_from_parent": ["name"],
                "endpoint": {
                    "path": "users/{user_id}/posts",
                    "params": {
                        "user_id": {"type": "resolve", "resource": "users", "field": "id"},
                        "per_page": 5,
                    },
                },
            },
        )
    )
    posts = config.resource("posts")
    assert posts.resolves == (
        ResolveSpec(
            placeholder="user_id", resource="users", field="id", location="path", param_name="user_id"
        ),
    )
    assert dict(posts.endpoint.params) == {"per_page": 5}
    assert posts.include_from_parent == ("name",)
    assert config.notices == ()


def test_one_config_error_carries_every_issue() -> None:
    """Several problems raise one ConfigError whose message lists each of them."""
    with pytest.raises(ConfigError) as info:
        parse(
            {
                "client": {"base_url": BASE},
                "resources": [
                    {"name": "a", "endpoint": {"method": "FETCH"}},
                    {"name": "a", "selected": "no"},
                ],
            }
        )
    error = info.value
    assert [(issue.path, issue.message) for issue in error.issues] == [
        (
            "resources[0] (a).endpoint.method",
            "unknown HTTP method 'FETCH' (known: DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT)",
        ),
        ("resources[1] (a).selected", "expected true or false, got str"),
        ("resources[1] (a).name", "resource 'a' is already defined at resources[0]"),
    ]
    assert str(error) == "\n".join(
        [
            "invalid config: 3 problems",
            *(f"  - {issue.path}: {issue.message}" for issue in error.issues),
        ]
    )


def test_concurrency_is_read_from_the_config_or_the_argument() -> None:
    """concurrency defaults to 8, is read from the config, and the keyword argument wins."""
    assert parse(minimal("a")).concurrency == 8
    assert parse(minimal("a", concurrency=3)).concurrency == 3
    assert parse(minimal("a", concurrency=3), concurrency=2).concurrency == 2


def test_timeouts_default_and_apply_client_then_defaults_then_endpoint() -> None:
    """10/60/300 s by default; the client's block applies to all, an endpoint's (or the defaults') over it."""
    assert parse(minimal("a")).resources[0].endpoint.timeouts == Timeouts(connect=10, read=60, total=300)
    raw = {
        "client": {"base_url": BASE, "timeout": {"connect": 2, "total": 30}},
        "resource_defaults": {"endpoint": {"timeout": {"read": 5}}},
        "resources": ["a", {"name": "b", "endpoint": {"path": "b", "timeout": {"total": 9.5}}}],
    }
    timeouts = {spec.name: spec.endpoint.timeouts for spec in parse(raw).resources}
    assert timeouts == {"a": Timeouts(connect=2, read=5, total=30), "b": Timeouts(connect=2, read=60, total=9.5)}


def test_include_from_parent_on_a_projecting_selector_is_accepted() -> None:
    """include_from_parent names item fields to carry when the selector projects over lists."""
    from restloom.config import parse

    config = parse({"client": {"base_url": "https://api.example.com/"}, "resources": [
        {"name": "menus", "include_from_parent": ["id"], "endpoint": {"path": "ivr", "data_selector": "ivrs.menus"}}]})
    assert config.resources[0].include_from_parent == ("id",)
    assert config.resources[0].endpoint.selector is not None
    assert config.resources[0].endpoint.selector.projects


def test_settings_that_can_never_take_effect_are_notices() -> None:
    """Defaults every resource overrides and a limit_param without a limit are notices, not errors."""
    from restloom.config import parse

    config = parse({
        "client": {"base_url": "https://api.example.com/"},
        "resource_defaults": {"write_disposition": "merge", "primary_key": "id",
                              "endpoint": {"data_selector": "data", "method": "GET"}},
        "resources": [
            {"name": "a", "write_disposition": "append", "endpoint": {"path": "a", "data_selector": "items"}},
            {"name": "b", "write_disposition": "replace", "endpoint": {
                "path": "b", "data_selector": "rows",
                "paginator": {"type": "cursor", "cursor_param": "after", "limit_param": "size",
                              "stop_condition": "not response.more"}}},
        ]})
    assert config.notices == (
        "resource_defaults.write_disposition is never used: every resource sets its own",
        "resource_defaults.endpoint.data_selector is never used: every resource sets its own",
        "resources[1] (b).endpoint.paginator.limit_param is never sent: no limit is set",
    )


def test_response_actions_dlt_accepts_but_never_applies_are_notices() -> None:
    """An unknown action name and a status code written as text run as in dlt (doing nothing), with a notice."""
    from restloom.config import parse

    config = parse({"client": {"base_url": "https://api.example.com/"}, "resources": [
        {"name": "a", "endpoint": {"path": "a", "response_actions": [
            {"status_code": 404, "action": "ignor"}, {"status_code": "404", "action": "ignore"}]}}]})
    assert config.notices == (
        "resources[0] (a).endpoint.response_actions[0].action: unknown action 'ignor' is never applied (dlt accepts "
        "it and does nothing) — did you mean 'ignore'? (known: ignore)",
        "resources[0] (a).endpoint.response_actions[1].status_code: a status code written as text ('404') never "
        "matches a response (dlt compares it with the number): write it as a number",
    )
    specs = config.resources[0].endpoint.response_actions
    assert [(s.status_code, s.ignore) for s in specs] == [(404, False), ("404", True)]


def _hook(response: Any) -> None:
    """A response hook (does nothing)."""


def test_response_actions_are_compiled_at_parse_time() -> None:
    """Each response action becomes a frozen ResponseActionSpec: callables, ignore, hooks and no-ops."""
    config = parse({"client": {"base_url": BASE}, "resources": [{"name": "r", "endpoint": {
        "path": "r", "response_actions": [
            _hook,
            {"status_code": 404, "action": "ignore"},
            {"content": "gone", "status_code": 410, "action": [_hook, _hook]},
            {"action": _hook},
            {"action": "ignore"},
        ]}}]})
    assert config.resources[0].endpoint.response_actions == (
        ResponseActionSpec(hooks=(_hook,)),
        ResponseActionSpec(status_code=404, ignore=True),
        ResponseActionSpec(status_code=410, content="gone", hooks=(_hook, _hook)),
        ResponseActionSpec(hooks=(_hook,)),
        ResponseActionSpec(),
    )


def test_paginator_registry_is_passed_in() -> None:
    """parse reads paginator names from the registry it is given; the default registry lacks a custom name."""
    raw = {"client": {"base_url": BASE}, "resources": [{"name": "r", "endpoint": {
        "path": "r", "paginator": {"type": "pages", "total_path": None}}}]}
    config = parse(raw, paginators={"pages": dp.PageNumberPaginator})
    assert config.resources[0].endpoint.paginator == PaginatorSpec(
        kind="dlt", type="pages", cls=dp.PageNumberPaginator, params={"total_path": None})
    with pytest.raises(ConfigError) as info:
        parse(raw)
    assert [issue.path for issue in info.value.issues] == ["resources[0] (r).endpoint.paginator.type"]


def test_auth_origins_are_normalised() -> None:
    """client.auth_origins keeps each origin as requests compare them: lower-cased, default port dropped."""
    config = parse({"client": {"base_url": "https://api.example.com/", "auth_origins": [
        "HTTPS://Files.Example.com:443", "http://127.0.0.1:8080/"]}, "resources": ["r"]})
    assert config.client.auth_origins == {"https://files.example.com", "http://127.0.0.1:8080"}


def _dlt_parent(name: str = "repositories") -> Any:
    import dlt

    @dlt.resource(name=name)
    def records() -> Any:
        yield [{"id": 1}]

    return records


@pytest.mark.parametrize("endpoint", [
    {"path": "repos/{resources.repositories.id}/events"},
    {"path": "repos/{rid}/events", "params": {"rid": {"type": "resolve", "resource": "repositories", "field": "id"}}},
], ids=["placeholder", "resolve"])
def test_a_dlt_resource_is_a_parent_by_its_name(endpoint: dict[str, Any]) -> None:
    """A REST resource binds to a dlt resource in `resources` by its name, in both of dlt's syntaxes."""
    parent = _dlt_parent()
    config = parse({"client": {"base_url": "https://x.test/"},
                    "resources": [parent, {"name": "events", "endpoint": endpoint}]})
    assert config.dlt_resources == (parent,)
    assert config.resource("events").parent == "repositories"
    assert [r.field for r in config.resource("events").resolves] == ["id"]


def test_dlt_resource_parents_in_errors() -> None:
    """An unknown parent lists the dlt resources as known parents; a dlt resource is never an implicit
    parent; a REST resource named like a dlt resource is a duplicate."""
    with pytest.raises(ConfigError) as info:
        parse({"client": {"base_url": "https://x.test/"}, "resources": [
            _dlt_parent(), {"name": "a", "endpoint": {"path": "a/{resources.repos.id}"}},
            {"name": "b", "endpoint": {"path": "repositories/{rid}"}},
            {"name": "repositories", "endpoint": {"path": "r"}}]})
    assert [(issue.path, issue.message) for issue in info.value.issues] == [
        ("resources[1] (a).endpoint.path", "unknown parent resource 'repos' (known: b, repositories)"),
        ("resources[2] (b).endpoint.path", "placeholder '{rid}' is bound to nothing: no resource reads "
                                           "'/repositories'; declare it in params as {type: resolve, resource: ..., "
                                           "field: ...}"),
        ("resources[3] (repositories).name", "resource 'repositories' is already defined at resources[0]"),
    ]
