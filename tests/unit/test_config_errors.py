"""Invalid configs: every problem is reported once, at its config path, with a clear message."""

from __future__ import annotations

from typing import Any

import pytest

from restloom.config import SecretRef, parse
from restloom.config.incremental import INCREMENTAL_KEYS as INCREMENTAL_KEY_SET
from restloom.config.issues import MAX_MESSAGE
from restloom.config.secrets import resolve as resolve_config
from restloom.errors import ConfigError, ConfigIssue

BASE = "https://api.example.com/v1/"
SECRET = "sk_live_DISTINCTIVE_7f3a9c"
PAGINATORS = (
    "auto, cursor, header_cursor, header_link, json_link, json_response, offset, page_number, single_page"
)
AUTH_TYPES = "api_key, basic, bearer, http_basic, oauth2_client_credentials"
ENDPOINT_KEYS = (
    "auth, data, data_selector, error_handler, headers, incremental, json, method, paginator, "
    "params, path, response_actions, timeout"
)
RETRY_KEYS = (
    "backoff_factor, backoff_max, jitter, max_retries, retry_after_max, retry_on_errors, "
    "retry_on_status_codes, wait_scale"
)
# the incremental block takes dlt's incremental arguments, which grow with restloom's own options
# past the message bound, the listing leaves out the key the message already suggests
INCREMENTAL_KEYS_BUT_INITIAL = ", ".join(sorted(INCREMENTAL_KEY_SET - {"initial_value"}))
RESOLVE_HINT = "declare it in params as {type: resolve, resource: ..., field: ...}"
UNSET = "restloom_test_unset_secret"
UNSET_MESSAGE = f"secret '{UNSET}' is not set: export {UNSET.upper()}=... or add it to .dlt/secrets.toml"
ACTION_EXPECTED = "expected 'ignore', a callable or a list of callables"


def config(*resources: Any, client: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    """A config with a valid client unless one is given."""
    return {
        "client": client if client is not None else {"base_url": BASE},
        "resources": list(resources),
        **top,
    }


def endpoint(**keys: Any) -> dict[str, Any]:
    """A config with one resource 'r' (primary key id) reading /r with extra endpoint keys."""
    return config({"name": "r", "primary_key": "id", "endpoint": {"path": "/r", **keys}})


def auth(**keys: Any) -> dict[str, Any]:
    """A config whose client has this auth block."""
    return config("r", client={"base_url": BASE, "auth": keys})


def paginator(**keys: Any) -> dict[str, Any]:
    """A config whose one resource has this paginator block."""
    return endpoint(paginator=keys)


def resolve(resource: Any = "parent", field: Any = "id", **extra: Any) -> dict[str, Any]:
    """A resolve param for a child path."""
    return {"type": "resolve", "resource": resource, "field": field, **extra}


def child(path: str, **params: Any) -> dict[str, Any]:
    """A child resource reading ``path`` with these params."""
    return {"name": "child", "endpoint": {"path": path, "params": params}}


PAG = "resources[0] (r).endpoint.paginator"
EP = "resources[0] (r).endpoint"

CASES = [
    # top level
    pytest.param(
        [], "", "the config must be a mapping with 'client' and 'resources', got list", id="not-a-mapping"
    ),
    pytest.param(
        config("r", resourses=[]),
        "resourses",
        "unknown key 'resourses' — did you mean 'resources'? "
        "(known: client, concurrency, resource_defaults, resources)",
        id="top-unknown-key",
    ),
    pytest.param(
        {"resources": ["r"]}, "client", "required: a mapping with at least 'base_url'", id="client-missing"
    ),
    pytest.param(
        config("r", concurrency=0), "concurrency", "expected a positive integer, got 0", id="concurrency-0"
    ),
    pytest.param(
        config("r", concurrency="8"),
        "concurrency",
        "expected a positive integer, got str",
        id="concurrency-str",
    ),
    # client
    pytest.param(config("r", client="https://x"), "client", "expected a mapping, got str", id="client-str"),
    pytest.param(
        config("r", client={}),
        "client.base_url",
        "required: the API's base URL, e.g. https://api.example.com/v1/",
        id="base-url-missing",
    ),
    pytest.param(
        config("r", client={"base_url": 80}),
        "client.base_url",
        "expected a URL string, got int",
        id="base-url-int",
    ),
    pytest.param(
        config("r", client={"base_url": "ftp://files.example.com"}),
        "client.base_url",
        "expected an http(s) URL, got 'ftp://files.example.com'",
        id="base-url-scheme",
    ),
    pytest.param(
        config("r", client={"base_url": "ftp://reader:pass-word-1@files.example.com"}),
        "client.base_url",
        "expected an http(s) URL, got 'ftp://reader:***@files.example.com'",
        id="base-url-password-masked",
    ),
    pytest.param(
        config("r", client={"base_url": BASE, "auth_origins": "https://files.example.com"}),
        "client.auth_origins",
        "expected a list of origins such as https://files.example.com, got str",
        id="auth-origins-str",
    ),
    pytest.param(
        config("r", client={"base_url": BASE, "auth_origins": ["https://files.example.com/v1/"]}),
        "client.auth_origins[0]",
        "expected an origin — http(s)://host[:port], no path — got 'https://files.example.com/v1/'",
        id="auth-origins-path",
    ),
    pytest.param(
        config("r", client={"base_url": BASE, "auth_origins": ["files.example.com"]}),
        "client.auth_origins[0]",
        "expected an origin — http(s)://host[:port], no path — got 'files.example.com'",
        id="auth-origins-no-scheme",
    ),
    pytest.param(
        config("r", client={"base_url": BASE, "base_ulr": BASE}),
        "client.base_ulr",
        "unknown key 'base_ulr' — did you mean 'base_url'? "
        "(known: auth, auth_origins, base_url, error_handler, headers, paginator, session, timeout)",
        id="client-unknown-key",
    ),
    pytest.param(
        config("r", client={"base_url": BASE, "headers": ["Accept: json"]}),
        "client.headers",
        "expected a mapping of header names to values, got list",
        id="client-headers-list",
    ),
    pytest.param(
        config("r", client={"base_url": BASE, "error_handler": {"retry_on_status_codes": [999]}}),
        "client.error_handler.retry_on_status_codes",
        "expected a list of HTTP status codes (integers 100-599), got list [999]",
        id="client-error-handler",
    ),
    # auth of each type
    pytest.param(
        config("r", client={"base_url": BASE, "auth": 5}),
        "client.auth",
        "expected an auth mapping, a type name or a requests auth object, got int",
        id="auth-int",
    ),
    pytest.param(
        auth(type="bearr", token=SECRET),
        "client.auth.type",
        f"unknown auth type — did you mean 'bearer'? (known: {AUTH_TYPES})",
        id="auth-type-typo",
    ),
    pytest.param(auth(type="bearer"), "client.auth.token", "required for bearer auth", id="bearer-no-token"),
    pytest.param(
        auth(type="bearer", token=SECRET, tokne="x"),
        "client.auth.tokne",
        "unknown key 'tokne' — did you mean 'token'? (known: token)",
        id="bearer-unknown-key",
    ),
    pytest.param(
        auth(token=SECRET, tken="x"),
        "client.auth.tken",
        "unknown key 'tken' — did you mean 'token'? (known: token)",
        id="auth-type-defaults-to-bearer",
    ),
    pytest.param(
        auth(type="api_key", name="X-Key"),
        "client.auth.api_key",
        "required for api_key auth",
        id="api-key-missing",
    ),
    pytest.param(
        auth(type="api_key", api_key=SECRET, location="body"),
        "client.auth.location",
        "unknown location (known: header, query, param, cookie)",
        id="api-key-location",
    ),
    pytest.param(
        auth(type="basic", password=SECRET),
        "client.auth.username",
        "required for http_basic auth",
        id="basic-alias-no-username",
    ),
    pytest.param(
        auth(type="http_basic", username="u", passwd=SECRET),
        "client.auth.passwd",
        "unknown key 'passwd' — did you mean 'password'? (known: password, username)",
        id="basic-unknown-key",
    ),
    pytest.param(
        auth(type="oauth2_client_credentials", client_id="c", client_secret=SECRET),
        "client.auth.access_token_url",
        "required for oauth2_client_credentials auth",
        id="oauth2-no-url",
    ),
    pytest.param(
        endpoint(auth={"type": "digest"}),
        f"{EP}.auth.type",
        f"unknown auth type (known: {AUTH_TYPES})",
        id="endpoint-auth-type",
    ),
    # secrets (found missing by resolve, after parsing)
    pytest.param(auth(type="bearer", token=SecretRef(UNSET)), "client.auth.token", UNSET_MESSAGE,
                 id="auth-secret-unset"),
    pytest.param(endpoint(headers={"X-Key": SecretRef(UNSET, "Key {}")}), f"{EP}.headers.X-Key", UNSET_MESSAGE,
                 id="header-secret-unset"),
    pytest.param(endpoint(method="POST", json={"a": [SecretRef(UNSET)]}), f"{EP}.json.a[0]", UNSET_MESSAGE,
                 id="json-secret-unset"),
    # response_actions
    pytest.param(
        endpoint(response_actions=[{"status_code": 404, "action": 3}]),
        f"{EP}.response_actions[0].action",
        f"{ACTION_EXPECTED}, got int",
        id="action-int",
    ),
    pytest.param(
        endpoint(response_actions=[print, {"status_code": 404, "action": [print, "ignore"]}]),
        f"{EP}.response_actions[1].action",
        f"{ACTION_EXPECTED}, got a list with a non-callable",
        id="action-list-not-callable",
    ),
    pytest.param(
        endpoint(response_actions=[{"status_code": 404}]),
        f"{EP}.response_actions[0].action",
        f"required: {ACTION_EXPECTED[len('expected '):]}",
        id="action-missing",
    ),
    pytest.param(
        endpoint(response_actions=[{"status_code": 404.5, "action": "ignore"}]),
        f"{EP}.response_actions[0].status_code",
        "expected an HTTP status code (an integer), got float",
        id="action-status-float",
    ),
    pytest.param(
        endpoint(response_actions=[{"content": 404, "action": "ignore"}]),
        f"{EP}.response_actions[0].content",
        "expected a string to find in the response body, got int",
        id="action-content-int",
    ),
    pytest.param(
        endpoint(response_actions=["ignore"]),
        f"{EP}.response_actions[0]",
        "expected a mapping with 'action', or a callable, got str",
        id="action-not-mapping",
    ),
    pytest.param(
        endpoint(response_actions=[{"status": 404, "action": "ignore"}]),
        f"{EP}.response_actions[0].status",
        "unknown key 'status' — did you mean 'status_code'? (known: action, content, status_code)",
        id="action-unknown-key",
    ),
    # dlt paginators
    pytest.param(
        endpoint(paginator=3),
        PAG,
        "expected a paginator name, a mapping or a paginator object, got int",
        id="paginator-int",
    ),
    pytest.param(
        endpoint(paginator="curser"),
        f"{PAG}.type",
        f"unknown paginator type 'curser' — did you mean 'cursor'? (known: {PAGINATORS})",
        id="paginator-name-typo",
    ),
    pytest.param(
        paginator(next_url_path="next"),
        f"{PAG}.type",
        f"required: one of {PAGINATORS}",
        id="paginator-no-type",
    ),
    pytest.param(
        paginator(type="offset"), f"{PAG}.limit", "required for the offset paginator", id="offset-no-limit"
    ),
    pytest.param(
        paginator(type="offset", limit=10, offest_param="skip"),
        f"{PAG}.offest_param",
        "unknown key 'offest_param' — did you mean 'offset_param'? (known: has_more_path, limit, "
        "limit_body_path, limit_param, max_pages, maximum_offset, offset, offset_body_path, offset_param, "
        "stop_after_empty_page, stop_condition, total_path)",
        id="offset-unknown-key",
    ),
    pytest.param(
        paginator(type="json_link", next_url_pth="next"),
        f"{PAG}.next_url_pth",
        "unknown key 'next_url_pth' — did you mean 'next_url_path'? "
        "(known: max_pages, next_url_path, stop_condition)",
        id="json-link-unknown-key",
    ),
    pytest.param(
        paginator(type="header_link", links_next_ky="next"),
        f"{PAG}.links_next_ky",
        "unknown key 'links_next_ky' — did you mean 'links_next_key'? "
        "(known: links_next_key, max_pages, stop_condition)",
        id="header-link-unknown-key",
    ),
    pytest.param(
        paginator(type="single_page", max_pages=0),
        f"{PAG}.max_pages",
        "expected a positive integer, got 0",
        id="max-pages-0",
    ),
    pytest.param(
        paginator(type="page_number", stop_condition="respons.done"),
        f"{PAG}.stop_condition",
        "unknown variable 'respons' (known: response, headers, last_record, last_page_size, page_count, "
        "status_code) — did you mean 'response'?",
        id="page-number-stop-condition-variable",
    ),
    # the extended cursor and its expressions
    pytest.param(
        paginator(type="cursor", limit=10),
        PAG,
        "a cursor paginator needs cursor_value, cursor_path or cursor_param",
        id="cursor-no-source",
    ),
    pytest.param(
        paginator(type="cursor", limit="10", cursor_param="after"),
        f"{PAG}.limit",
        "expected a positive integer, got str",
        id="cursor-limit-str",
    ),
    pytest.param(
        paginator(type="cursor", limit=0, cursor_param="after"),
        f"{PAG}.limit",
        "expected a positive integer, got 0",
        id="cursor-limit-0",
    ),
    pytest.param(
        paginator(type="cursor", limit=5, cursor_param="after", limt_param="size"),
        f"{PAG}.limt_param",
        "unknown key 'limt_param' — did you mean 'limit_param'? (known: cursor_body_path, cursor_param, "
        "cursor_path, cursor_value, has_more_path, limit, limit_param, max_pages, stop_after_empty_page, "
        "stop_condition)",
        id="cursor-unknown-key",
    ),
    pytest.param(
        config(
            {
                "name": "r",
                "primary_key": ["a", "b"],
                "endpoint": {"paginator": {"type": "cursor", "limit": 5, "cursor_param": "after"}},
            }
        ),
        PAG,
        "the cursor comes from the last record's primary key, but the resource has a compound "
        "primary key: set cursor_path or cursor_value",
        id="cursor-last-record-compound-key",
    ),
    pytest.param(
        paginator(type="cursor", limit=5, cursor_param=5),
        f"{PAG}.cursor_param",
        "expected a string, got int",
        id="cursor-param-int",
    ),
    pytest.param(
        paginator(type="cursor", cursor_path="next", has_more_path=["more"], max_pages=3),
        f"{PAG}.has_more_path",
        "expected a string, got list",
        id="cursor-has-more-path-list",
    ),
    pytest.param(
        paginator(type="cursor", limit=5, cursor_path="next", stop_after_empty_page="yes"),
        f"{PAG}.stop_after_empty_page",
        "expected true or false, got str",
        id="cursor-stop-after-str",
    ),
    pytest.param(
        paginator(type="cursor", cursor_path="next", stop_condition="{{ response.get( }}"),
        f"{PAG}.stop_condition",
        "invalid expression: unexpected '}', expected ')' in '{{ response.get( }}'",
        id="cursor-stop-condition-syntax",
    ),
    pytest.param(
        paginator(type="cursor", cursor_value="{{ respone.next }}"),
        f"{PAG}.cursor_value",
        "unknown variable 'respone' (known: response, headers, last_record, last_page_size, page_count, "
        "status_code) — did you mean 'response'?",
        id="cursor-value-variable",
    ),
    pytest.param(
        paginator(type="cursor", cursor_value="{{ response.__class__ }}"),
        f"{PAG}.cursor_value",
        "access to '__class__' is not allowed in '{{ response.__class__ }}'",
        id="cursor-value-private",
    ),
    pytest.param(
        paginator(type="cursor", cursor_value=5),
        f"{PAG}.cursor_value",
        "expected an expression string, got int",
        id="cursor-value-int",
    ),
    # resource_defaults
    pytest.param(
        config("r", resource_defaults="merge"),
        "resource_defaults",
        "expected a mapping, got str",
        id="defaults-str",
    ),
    pytest.param(
        config("r", resource_defaults={"write_disposition": "merge", "primary_ky": "id"}),
        "resource_defaults.primary_ky",
        "unknown key 'primary_ky' — did you mean 'primary_key'? (known: columns, endpoint, file_format, "
        "include_from_parent, max_table_nesting, merge_key, nested_hints, parallelized, parent_table_name, "
        "processing_steps, references, schema_contract, selected, table_format, table_name, "
        "write_disposition)",
        id="defaults-unknown-key",
    ),
    pytest.param(
        config("r", resource_defaults={"endpoint": {"parms": {}}}),
        "resource_defaults.endpoint.parms",
        "unknown key 'parms' — did you mean 'params'? (known: auth, data, data_selector, error_handler, "
        "headers, incremental, json, method, paginator, params, response_actions, timeout)",
        id="defaults-endpoint-unknown-key",
    ),
    pytest.param(
        config("r", resource_defaults={"endpoint": {"path": "/all"}}),
        "resource_defaults.endpoint.path",
        "a default cannot set 'path': each resource reads its own path (its name when not set)",
        id="defaults-endpoint-path",
    ),
    pytest.param(
        config("r", resource_defaults={"endpoint": "/all"}),
        "resource_defaults.endpoint",
        "expected an endpoint mapping, got str",
        id="defaults-endpoint-str",
    ),
    pytest.param(
        config("r", resource_defaults={"endpoint": {"params": "limit=10"}}),
        "resource_defaults.endpoint.params",
        "expected a mapping of query parameters, got str",
        id="defaults-params-str",
    ),
    # resources
    pytest.param(
        {"client": {"base_url": BASE}}, "resources", "required: a list of resources", id="resources-missing"
    ),
    pytest.param(
        config(), "resources", "the list is empty: declare at least one resource", id="resources-empty"
    ),
    pytest.param(
        {"client": {"base_url": BASE}, "resources": {"r": {}}},
        "resources",
        "expected a list of resources, got dict",
        id="resources-dict",
    ),
    pytest.param(
        config("a", 5),
        "resources[1]",
        "expected a resource mapping, a name, or a dlt resource, got int",
        id="resource-int",
    ),
    pytest.param(
        config({"endpoint": "/r"}), "resources[0].name", "required: a non-empty string", id="resource-no-name"
    ),
    pytest.param(
        config({"name": "r", "endpont": "/r"}),
        "resources[0] (r).endpont",
        "unknown key 'endpont' — did you mean 'endpoint'? (known: columns, file_format, include_from_parent, "
        "max_table_nesting, merge_key, name, nested_hints, parallelized, parent_table_name, primary_key, "
        "processing_steps, references, schema_contract, selected, table_format, table_name, "
        "write_disposition)",
        id="resource-unknown-key",
    ),
    pytest.param(
        config("a", {"name": "b", "selected": "no"}),
        "resources[1] (b).selected",
        "expected true or false, got str",
        id="selected-str",
    ),
    pytest.param(
        config({"name": "r", "processing_steps": "filter"}),
        "resources[0] (r).processing_steps",
        "expected a list, got str",
        id="processing-steps-str",
    ),
    pytest.param(
        config("a", "b", "a"),
        "resources[2] (a).name",
        "resource 'a' is already defined at resources[0]",
        id="duplicate-name",
    ),
    # endpoint keys
    pytest.param(
        config({"name": "r", "endpoint": 5}),
        "resources[0] (r).endpoint",
        "expected a path string or an endpoint mapping, got int",
        id="endpoint-int",
    ),
    pytest.param(
        endpoint(parms={"a": 1}),
        f"{EP}.parms",
        f"unknown key 'parms' — did you mean 'params'? (known: {ENDPOINT_KEYS})",
        id="endpoint-unknown-key",
    ),
    pytest.param(endpoint(path=5), f"{EP}.path", "expected a path string, got int", id="path-int"),
    pytest.param(
        endpoint(params=["limit", 10]),
        f"{EP}.params",
        "expected a mapping of query parameters, got list",
        id="params-list",
    ),
    pytest.param(
        endpoint(method="POST", json="a=1"), f"{EP}.json", "expected a JSON object, got str", id="json-str"
    ),
    pytest.param(
        endpoint(headers="Accept: json"),
        f"{EP}.headers",
        "expected a mapping of header names to values, got str",
        id="headers-str",
    ),
    pytest.param(
        endpoint(response_actions={"status_code": 404}),
        f"{EP}.response_actions",
        "expected a list, got dict",
        id="response-actions-dict",
    ),
    # method
    pytest.param(
        endpoint(method="FETCH"),
        f"{EP}.method",
        "unknown HTTP method 'FETCH' (known: DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT)",
        id="method",
    ),
    # params / resolve
    pytest.param(
        config("parent", child("/parent/{id}/child", id=resolve(field=None))),
        "resources[1] (child).endpoint.params.id",
        "a resolve param needs 'resource' and 'field' (strings)",
        id="resolve-no-field",
    ),
    pytest.param(
        config("parent", child("/parent/child", id=resolve())),
        "resources[1] (child).endpoint.params.id",
        "resolve param 'id' is not used in the path '/parent/child': write {id} in the path, or use "
        "'{resources.<parent>.<field>}' in params",
        id="resolve-unused",
    ),
    pytest.param(
        config("parent", child("/parent/{id}/child", id=resolve(feild="x"))),
        "resources[1] (child).endpoint.params.id.feild",
        "unknown key 'feild' — did you mean 'field'? (known: field, resource, type)",
        id="resolve-unknown-key",
    ),
    pytest.param(
        config("parent", child("/parent/{resources.parent}/child")),
        "resources[1] (child).endpoint.path",
        "placeholder '{resources.parent}' names no field: write {resources.<parent>.<field>}",
        id="placeholder-no-field",
    ),
    pytest.param(
        endpoint(path="/r/{page.id}"),
        f"{EP}.path",
        "placeholder '{page.id}' names an unknown context (known: resources, incremental)",
        id="placeholder-unknown-context",
    ),
    # placeholders bound to nothing, implicit parents
    pytest.param(
        config("parent", {"name": "child", "endpoint": "/other/{other_id}/child"}),
        "resources[1] (child).endpoint.path",
        f"placeholder '{{other_id}}' is bound to nothing: no resource reads '/other'; {RESOLVE_HINT}",
        id="placeholder-bound-to-nothing",
    ),
    pytest.param(
        config(
            {"name": "p1", "endpoint": "/p"},
            {"name": "p2", "endpoint": "/p"},
            {"name": "child", "endpoint": "/p/{pid}/child"},
        ),
        "resources[2] (child).endpoint.path",
        f"placeholder '{{pid}}' is ambiguous: resources p1, p2 all read '/p'; {RESOLVE_HINT}",
        id="implicit-parent-ambiguous",
    ),
    # unknown parent, cycles
    pytest.param(
        config("parent", child("/parent/{id}/child", id=resolve("parnt"))),
        "resources[1] (child).endpoint.params.id.resource",
        "unknown parent resource 'parnt' (known: parent)",
        id="unknown-parent-resolve",
    ),
    pytest.param(
        config("parent", child("/parent/{resources.parnt.id}/child")),
        "resources[1] (child).endpoint.path",
        "unknown parent resource 'parnt' (known: parent)",
        id="unknown-parent-placeholder",
    ),
    pytest.param(
        config(
            {"name": "a", "endpoint": {"path": "/a/{x}", "params": {"x": resolve("b")}}},
            {"name": "b", "endpoint": {"path": "/b/{y}", "params": {"y": resolve("a")}}},
        ),
        "resources",
        "dependency cycle: a -> b -> a",
        id="dependency-cycle",
    ),
    pytest.param(
        config({"name": "a", "endpoint": "/a/{resources.a.id}"}),
        "resources",
        "dependency cycle: a -> a",
        id="self-parent",
    ),
    pytest.param(
        config(
            "parent",
            {"name": "child", "endpoint": "/parent/{resources.parent.id}/x", "include_from_parent": "id"},
        ),
        "resources[1] (child).include_from_parent",
        "expected a list of field names, got str",
        id="include-from-parent-str",
    ),
    pytest.param(
        config({"name": "r", "include_from_parent": ["id"]}),
        "resources[0] (r).include_from_parent",
        "resource 'r' has no parent to include fields from: bind a path placeholder to a parent resource, "
        "or remove include_from_parent",
        id="include-from-parent-without-parent",
    ),
    # incremental
    pytest.param(
        endpoint(incremental={"initial_value": 0}),
        f"{EP}.incremental.cursor_path",
        "required: the record field that orders the data",
        id="incremental-no-cursor",
    ),
    pytest.param(
        endpoint(incremental="updated_at"),
        f"{EP}.incremental",
        "expected a mapping, got str",
        id="incremental-str",
    ),
    pytest.param(
        endpoint(incremental={"cursor_path": "updated_at", "intial_value": 0}),
        f"{EP}.incremental.intial_value",
        f"unknown key 'intial_value' — did you mean 'initial_value'? (known: {INCREMENTAL_KEYS_BUT_INITIAL})",
        id="incremental-unknown-key",
    ),
    pytest.param(
        endpoint(incremental={"cursor_path": "updated_at", "per_parent": True}),
        f"{EP}.incremental.per_parent",
        "resource 'r' has no parent resource: a cursor per parent needs a child resource (remove per_parent)",
        id="per-parent-on-top-level",
    ),
    pytest.param(
        endpoint(incremental={"cursor_path": "updated_at", "per_parent": "yes"}),
        f"{EP}.incremental.per_parent",
        "expected true or false, got 'yes'",
        id="per-parent-not-bool",
    ),
    pytest.param(
        config("parent", {"name": "child", "endpoint": {"path": "parent/{resources.parent.id}/c", "incremental": {
            "cursor_path": "n", "last_value_func": sorted}}}),
        "resources[1] (child).endpoint.incremental.last_value_func",
        "a cursor per parent supports max and min, got <built-in function sorted>: set per_parent: false to use "
        "dlt's single incremental with this function",
        id="per-parent-last-value-func",
    ),
    pytest.param(
        config("parent", {"name": "child", "endpoint": {"path": "parent/{resources.parent.id}/c", "params": {
            "since": {"type": "incremental", "cursor_path": "n", "allow_external_schedulers": True}}}}),
        "resources[1] (child).endpoint.params.since.allow_external_schedulers",
        "not supported with a cursor per parent (an external scheduler sets one window for the whole resource): "
        "set per_parent: false to use dlt's single incremental",
        id="per-parent-external-scheduler",
    ),
    pytest.param(
        endpoint(params={"since": {"type": "incremental"}}),
        f"{EP}.params.since.cursor_path",
        "required: the record field that orders the data",
        id="incremental-param-no-cursor",
    ),
    pytest.param(
        endpoint(
            incremental={"cursor_path": "a"}, params={"since": {"type": "incremental", "cursor_path": "b"}}
        ),
        f"{EP}.params.since",
        "only one incremental per endpoint",
        id="incremental-twice",
    ),
    # error_handler
    pytest.param(
        endpoint(error_handler="retry"),
        f"{EP}.error_handler",
        "expected a mapping, got str",
        id="error-handler-str",
    ),
    pytest.param(
        endpoint(error_handler={"max_retires": 3}),
        f"{EP}.error_handler.max_retires",
        f"unknown key 'max_retires' (known: {RETRY_KEYS}) — did you mean 'max_retries'?",
        id="error-handler-unknown-key",
    ),
    pytest.param(
        endpoint(error_handler={"max_retries": -1}),
        f"{EP}.error_handler.max_retries",
        "expected an integer >= 0, got int -1",
        id="error-handler-negative",
    ),
    # timeout
    pytest.param(
        endpoint(timeout=30),
        f"{EP}.timeout",
        "expected a mapping with connect, read and total (seconds), got int",
        id="timeout-number",
    ),
    pytest.param(
        config("r", client={"base_url": BASE, "timeout": {"totl": 30}}),
        "client.timeout.totl",
        "unknown key 'totl' — did you mean 'total'? (known: connect, read, total)",
        id="timeout-unknown-key",
    ),
    pytest.param(
        endpoint(timeout={"read": 0}),
        f"{EP}.timeout.read",
        "expected a number of seconds > 0, got 0",
        id="timeout-zero",
    ),
    pytest.param(
        endpoint(timeout={"connect": "10s"}),
        f"{EP}.timeout.connect",
        "expected a number of seconds > 0, got str",
        id="timeout-str",
    ),
    # write_disposition, primary_key
    pytest.param(
        config({"name": "r", "write_disposition": "merg"}),
        "resources[0] (r).write_disposition",
        "unknown write disposition 'merg' — did you mean 'merge'? (known: append, replace, merge, skip)",
        id="write-disposition-typo",
    ),
    pytest.param(
        config({"name": "r", "write_disposition": {"disposition": "upsert"}}),
        "resources[0] (r).write_disposition.disposition",
        "expected one of append, replace, merge, skip, got 'upsert'",
        id="write-disposition-dict",
    ),
    pytest.param(
        config({"name": "r", "write_disposition": 1}),
        "resources[0] (r).write_disposition",
        "expected one of append, replace, merge, skip or a mapping, got int",
        id="write-disposition-int",
    ),
    pytest.param(
        config({"name": "r", "primary_key": 5}),
        "resources[0] (r).primary_key",
        "expected a column name or a list of column names, got int",
        id="primary-key-int",
    ),
    # data_selector
    pytest.param(
        endpoint(data_selector="data[?("),
        f"{EP}.data_selector",
        "invalid JSONPath 'data[?(': Parse error near the end of string!",
        id="selector-jsonpath",
    ),
    pytest.param(
        endpoint(data_selector=5),
        f"{EP}.data_selector",
        "expected a JSONPath string (or [] for the root), got int",
        id="selector-int",
    ),
    pytest.param(
        endpoint(data_selector=["data"]),
        f"{EP}.data_selector",
        "expected a JSONPath string (or [] for the root), got a non-empty list",
        id="selector-list",
    ),
]


def _only_error(raw: Any) -> ConfigError:
    """The ConfigError of parsing ``raw`` or, when it parses, of resolving it (secrets, credentials)."""
    with pytest.raises(ConfigError) as info:
        resolve_config(parse(raw))
    return info.value


@pytest.fixture(autouse=True)
def _no_credentials_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials a config leaves out are not found in the environment, whatever the machine has set."""
    monkeypatch.delenv(UNSET.upper(), raising=False)
    for key in ("TOKEN", "API_KEY", "USERNAME", "ACCESS_TOKEN_URL", "CLIENT_ID", "CLIENT_SECRET"):
        for prefix in ("SOURCES__REST_API__REST_API__", "SOURCES__REST_API__", "SOURCES__", ""):
            monkeypatch.delenv(f"{prefix}CREDENTIALS__{key}", raising=False)


@pytest.mark.parametrize(("raw", "path", "message"), CASES)
def test_invalid_config_names_path_and_message(raw: Any, path: str, message: str) -> None:
    """Each invalid config raises one ConfigError holding exactly this issue (path and message)."""
    error = _only_error(raw)
    assert ConfigIssue(path, message) in error.issues, error.issues


def test_cases_cover_at_least_forty_configs() -> None:
    """The table stays broad: every section keeps its invalid configs."""
    assert len(CASES) >= 40


@pytest.mark.parametrize(("raw", "path", "message"), CASES)
def test_each_case_reports_only_its_own_problem(raw: Any, path: str, message: str) -> None:
    """A single mistake yields a single issue: no echo of the same problem under another path."""
    error = _only_error(raw)
    assert [(issue.path, issue.message) for issue in error.issues] == [(path, message)]


def test_every_message_is_short() -> None:
    """No message reaches the 300-character limit (lists are cut at a name, not mid-word)."""
    for case in CASES:
        for issue in _only_error(case.values[0]).issues:
            assert len(issue.message) < MAX_MESSAGE, issue


def test_many_problems_are_reported_at_once_in_config_order() -> None:
    """Five problems in different sections come back together, in the order they appear in the config."""
    raw = {
        "client": {"base_url": "ftp://x", "auth": {"type": "bearer", "tokn": "x"}},
        "resource_defaults": {"primary_ky": "id"},
        "resources": [
            {"name": "a", "endpoint": {"path": "/a", "method": "FETCH"}},
            {
                "name": "b",
                "endpoint": {"path": "/b", "paginator": {"type": "cursor", "limit": 0, "cursor_path": "n"}},
            },
            {"name": "c", "endpoint": "/x/{xid}/c"},
            "a",
        ],
        "concurrency": 0,
    }
    error = _only_error(raw)
    assert [issue.path for issue in error.issues] == [
        "client.base_url",
        "client.auth.tokn",
        "resource_defaults.primary_ky",
        "resources[0] (a).endpoint.method",
        "resources[1] (b).endpoint.paginator.limit",
        "resources[2] (c).endpoint.path",
        "resources[3] (a).name",
        "concurrency",
    ]
    assert str(error).splitlines()[0] == "invalid config: 8 problems"
    assert "  - resources[3] (a).name: resource 'a' is already defined at resources[0]" in str(error).splitlines()


def test_unknown_key_suggests_and_lists_known_keys() -> None:
    """An unknown key names the closest known key and lists the known ones."""
    error = _only_error(config({"name": "r", "endpoint": {"path": "/r", "data_selecter": "data"}}))
    [issue] = error.issues
    assert issue.path == "resources[0] (r).endpoint.data_selecter"
    assert (
        issue.message
        == f"unknown key 'data_selecter' — did you mean 'data_selector'? (known: {ENDPOINT_KEYS})"
    )


def test_unknown_key_far_from_every_known_key_has_no_suggestion() -> None:
    """An unknown key that resembles nothing gets the list but no guess."""
    [issue] = _only_error(config("r", zzz=1)).issues
    assert issue.message == "unknown key 'zzz' (known: client, concurrency, resource_defaults, resources)"


@pytest.mark.parametrize(
    "auth_block",
    [
        {"type": "bearer", "token": SECRET, "tokn": SECRET},
        {"type": "bearr", "token": SECRET},
        {"type": SECRET},
        SECRET,
        {"type": "api_key", "api_key": SECRET, "location": SECRET},
        {"type": "http_basic", "username": "u", "password": SECRET, "pasword": SECRET},
        {"type": "oauth2_client_credentials", "client_secret": SECRET},
    ],
)
def test_secret_values_never_appear_in_messages(auth_block: Any) -> None:
    """Whatever is wrong in an auth block, the secret written there is not in the error text."""
    raw = {
        "client": {"base_url": BASE, "auth": auth_block},
        "resources": [{"name": "r", "endpoint": {"path": "/r", "auth": auth_block}}],
    }
    error = _only_error(raw)
    assert error.issues
    assert SECRET not in str(error)
    assert SECRET.lower() not in str(error).lower()


def test_incremental_placeholders_need_an_incremental() -> None:
    """{incremental.*} without an incremental block, or naming an unknown value, is reported (dlt errors too)."""
    raw = {"client": {"base_url": "https://api.example.com/"}, "resources": [
        {"name": "a", "endpoint": {"path": "a", "params": {"since": "{incremental.start_value}"}}},
        {"name": "b", "endpoint": {"path": "b", "params": {"since": "{incremental.bogus}"},
                                   "incremental": {"cursor_path": "updated_at"}}}]}
    with pytest.raises(ConfigError) as info:
        parse(raw)
    assert [str(issue) for issue in info.value.issues] == [
        "resources[0] (a).endpoint.params: placeholder '{incremental.start_value}' can never be filled: the endpoint "
        "has no incremental block",
        "resources[1] (b).endpoint.params: placeholder '{incremental.bogus}': unknown incremental value (known: "
        "end_value, initial_value, last_value, start_value)",
    ]


def test_per_parent_is_settled_by_the_parent_binding() -> None:
    """A child's incremental keeps a cursor per parent unless it opts out; a top-level one never does; an
    implicit parent counts as a parent; max and min are accepted, as is any function with per_parent false."""
    parsed = parse(config(
        "parent",
        {"name": "a", "endpoint": {"path": "parent/{resources.parent.id}/a", "incremental": {"cursor_path": "n"}}},
        {"name": "b", "endpoint": {"path": "parent/{resources.parent.id}/b", "incremental": {
            "cursor_path": "n", "per_parent": False, "last_value_func": sorted}}},
        {"name": "c", "endpoint": {"path": "parent/{pid}/c", "incremental": {"cursor_path": "n",
                                                                            "last_value_func": min}}},
        {"name": "d", "endpoint": {"path": "d", "incremental": {"cursor_path": "n", "per_parent": False}}},
        {"name": "e", "endpoint": {"path": "e", "incremental": {"cursor_path": "n"}}},
    ))
    settled = {spec.name: spec.endpoint.incremental.per_parent for spec in parsed.resources
               if spec.endpoint.incremental is not None}
    assert settled == {"a": True, "b": False, "c": True, "d": False, "e": False}
    assert "per_parent" not in parsed.resources[1].endpoint.incremental.args  # never passed on to dlt
