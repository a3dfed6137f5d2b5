"""``restloom check`` run as the installed command: what it prints and how it exits."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.integration.commands import restloom_command
from tests.seeds import seed_code

SECRET_ENV = {"API_KEY": "dummy", "API_TOKEN": "dummy", "USERNAME": "dummy"}
TOKEN_VAR = "RESTLOOM_CLI_TEST_TOKEN"



def run_check(
    config: Path, *, env: dict[str, str] | None = None, columns: int | None = 400
) -> subprocess.CompletedProcess[str]:
    """``restloom check CONFIG`` in a subprocess, in the config's directory, with a clean environment.

    ``columns`` widens the (non-terminal) console so long lines are not wrapped; the layout is
    checked separately.
    """
    clean = {k: v for k, v in os.environ.items() if k not in {*SECRET_ENV, TOKEN_VAR, "COLUMNS"}}
    clean["DLT_DATA_DIR"] = str(config.parent / "dlt_data")
    if columns is not None:
        clean["COLUMNS"] = str(columns)
    return subprocess.run(
        [restloom_command(), "check", str(config)],
        cwd=config.parent,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def write_seed(api: str, tmp_path: Path) -> Path:
    """The seed's code block as a Python config file."""
    file = tmp_path / f"{api}_seed.py"
    file.write_text(seed_code(api), encoding="utf-8")
    return file


SEED_EXPECTATIONS = {
    "persona": (
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
        [
            "config OK: 10 resources, base URL https://api.example.com, concurrency 8 (adaptive, up to 32)",
            "accounts  (resources[0])",
            "  GET /accounts",
            "  records: data; primary key: id; write: merge",
            "  auth: bearer; retries: up to 5 on 429, 500, 502, 503, 504",
            "  timeouts: connect 10 s, read 60 s, total 300 s",
            "  shares its requests with workflow_runs: a request they make alike is sent once",
            "  shares its requests with workflows_run: a request they make alike is sent once",
            "notice: resources 'workflows_run' and 'workflow_runs' read the same endpoint '/workflow-runs'; "
            "both load",
        ],
    ),
    "opsgenie": (
        ["users", "teams", "services", "integrations", "incidents", "alerts"],
        [
            "config OK: 6 resources, base URL https://api.example.com, concurrency 8 (adaptive, up to 32)",
            "  GET /v2/alerts",
            '  pages: cursor from cursor_value {{ response.get("paging", {}).get("next", {}) }}, '
            'followed as the next URL; stops when {{ not response.get("paging", {}).get("next", {}) }}',
            "  auth: api_key; retries: up to 5 on 429, 500, 502, 503, 504",
        ],
    ),
    "easypost": (
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
        [
            "config OK: 9 resources, base URL https://api.example.com/v2/, concurrency 8 (adaptive, up to 32)",
            "  pages: cursor from the last record's primary key, sent as before_id, page size 10 as limit; "
            'stops when {{ not response.get("has_more", {}) }}',
            "  records: $; primary key: id; write: merge",
            "  auth: http_basic; retries: up to 5 on 429, 500, 502, 503, 504",
        ],
    ),
    "yousign": (
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
        [
            "config OK: 8 resources, base URL https://api.example.com/v3/, concurrency 8 (adaptive, up to 32)",
            "  GET /signature_requests/{sign_req}/followers",
            "  pages: cursor(cursor_param=after, cursor_path=meta.next_cursor)",
            "  parent: signature_requests.id -> {sign_req} (implicit parent)",
            "notice: resource 'signature_requests_followers': {sign_req} is taken from the 'id' of each "
            "'signature_requests' record (implicit parent)",
        ],
    ),
    "zendesk_talk": (
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
        [
            "config OK: 13 resources, base URL https://api.example.com, concurrency 8 (adaptive, up to 32)",
            "  records: ivrs.menus.*; primary key: id; write: merge",
            "  pages: cursor from cursor_path next_page, followed as the next URL; "
            "stops when not response.get('next_page', {})",
            "  pages: cursor from cursor_path next_page, followed as the next URL; "
            "stops when response.get('count', {}) <= 1",
            "  GET /v1/stats/incremental/calls",
            "  shares its requests with ivr_menus, ivr_routes: a request they make alike is sent once",
            "  shares its requests with ivrs, ivr_routes: a request they make alike is sent once",
        ],
    ),
}


@pytest.mark.parametrize("api", sorted(SEED_EXPECTATIONS))
def test_check_prints_every_resource_and_what_was_inferred(api: str, tmp_path: Path) -> None:
    """Each seed file checks clean (exit 0) and the report names every resource and its inferences."""
    names, expected_lines = SEED_EXPECTATIONS[api]
    result = run_check(write_seed(api, tmp_path), env=SECRET_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    headers = [line.split("  (")[0] for line in lines if "  (resources[" in line]
    assert headers == names
    for index, name in enumerate(names):
        assert f"{name}  (resources[{index}])" in lines
    for line in expected_lines:
        assert line in lines, line
    assert "dummy" not in result.stdout


def test_check_prints_the_persona_cursor_parameter_verbatim(tmp_path: Path) -> None:
    """Persona's report says the cursor is sent as page[after] (brackets kept)."""
    result = run_check(write_seed("persona", tmp_path), env=SECRET_ENV)
    assert result.returncode == 0, result.stderr
    assert (
        "  pages: cursor from the last record's primary key, sent as page[after], page size 100 as limit; "
        "stops when response.get('data')|length == 0"
    ) in result.stdout.splitlines()


def test_check_does_not_wrap_lines_when_piped(tmp_path: Path) -> None:
    """Without a terminal width, report lines stay whole (so they can be grepped)."""
    result = run_check(write_seed("easypost", tmp_path), env=SECRET_ENV, columns=None)
    assert result.returncode == 0, result.stderr
    assert (
        "  pages: cursor from the last record's primary key, sent as before_id, page size 10 as limit; "
        'stops when {{ not response.get("has_more", {}) }}'
    ) in result.stdout.splitlines()


BROKEN_YAML = """\
client:
  base_url: ftp://api.example.com
resources:
  - name: users
    endpoint:
      path: /users
      method: FETCH
  - name: posts
    endpoint:
      path: /posts
      paginator: {type: offset, offest_param: skip, limit: 10}
"""


def test_check_reports_every_problem_of_a_broken_config(tmp_path: Path) -> None:
    """A YAML config with three problems exits 2 and prints all three, each with its path."""
    config = tmp_path / "broken.yaml"
    config.write_text(BROKEN_YAML, encoding="utf-8")
    result = run_check(config)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{config}: invalid config: 3 problems",
        "  - client.base_url: expected an http(s) URL, got 'ftp://api.example.com'",
        "  - resources[0] (users).endpoint.method: unknown HTTP method 'FETCH' "
        "(known: DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT)",
        "  - resources[1] (posts).endpoint.paginator.offest_param: unknown key 'offest_param' — did you mean "
        "'offset_param'? (known: has_more_path, limit, limit_body_path, limit_param, max_pages, "
        "maximum_offset, offset, offset_body_path, offset_param, stop_after_empty_page, stop_condition, "
        "total_path)",
    ]


def test_check_on_a_missing_file_exits_2(tmp_path: Path) -> None:
    """A config path that does not exist is a config error naming the file."""
    result = run_check(tmp_path / "nowhere.yaml")
    assert result.returncode == 2
    assert result.stdout == ""
    assert f"config file not found: {tmp_path / 'nowhere.yaml'}" in result.stderr


SECRET_YAML = f"""\
client:
  base_url: https://api.example.com/v1/
  auth:
    type: bearer
    token: {{secret: {TOKEN_VAR.lower()}}}
resources:
  - users
"""


def test_check_resolves_a_secret_reference_from_the_environment(tmp_path: Path) -> None:
    """{secret: name} is read from the environment; the secret itself is never printed."""
    config = tmp_path / "secret.yaml"
    config.write_text(SECRET_YAML, encoding="utf-8")
    result = run_check(config, env={TOKEN_VAR: "tok_VERY_SECRET_123"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == ("config OK: 1 resources, base URL https://api.example.com/v1/, "
                        "concurrency 8 (adaptive, up to 32)")
    assert "  auth: bearer; retries: up to 5 on 429, 500, 502, 503, 504" in lines
    assert "tok_VERY_SECRET_123" not in result.stdout + result.stderr


def test_check_names_a_secret_that_is_not_set(tmp_path: Path) -> None:
    """A missing secret exits 2 and says which one and how to set it."""
    config = tmp_path / "secret.yaml"
    config.write_text(SECRET_YAML, encoding="utf-8")
    result = run_check(config)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{config}: invalid config: 1 problem",
        f"  - client.auth.token: secret '{TOKEN_VAR.lower()}' is not set: export {TOKEN_VAR}=... or add it to "
        ".dlt/secrets.toml",
    ]


def test_check_prints_the_timeouts_each_resource_runs_with(tmp_path: Path) -> None:
    """A client timeout block, and an endpoint's over it, show per resource as connect/read/total seconds."""
    config = tmp_path / "timeouts.yaml"
    config.write_text("client:\n  base_url: https://api.example.com/v1/\n  timeout: {read: 5, total: 30}\n"
                      "resources:\n  - users\n  - {name: exports, endpoint: {path: exports, timeout: {total: 900}}}\n",
                      encoding="utf-8")
    result = run_check(config)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.startswith("  timeouts:")] == [
        "  timeouts: connect 10 s, read 5 s, total 30 s",
        "  timeouts: connect 10 s, read 5 s, total 900 s",
    ]


COLUMNAR_CONFIG = """\
client: {base_url: "https://api.example.com/v1/"}
resources:
  - name: items
    endpoint: {path: items}
  - name: events
    endpoint: {path: "items/{resources.items.id}/events"}
  - name: recent
    endpoint:
      path: recent
      incremental: {cursor_path: updated_at, start_param: since, initial_value: "2024-01-01T00:00:00Z"}
  - name: notes
    endpoint:
      path: "items/{resources.items.id}/notes"
      incremental: {cursor_path: seq, initial_value: 1, per_parent: false}
  - name: jsonl
    file_format: jsonl
    endpoint: {path: jsonl}
  - name: flat
    endpoint: {path: flat}
"""


def test_check_says_per_resource_whether_pages_go_columnar(tmp_path: Path) -> None:
    """Each resource's path: columnar (an incremental one too), or rows with the reason; RESTLOOM_COLUMNAR=0 sends
    every one as rows."""
    config = tmp_path / "columnar.yaml"
    config.write_text(COLUMNAR_CONFIG, encoding="utf-8")
    result = run_check(config)
    assert result.returncode == 0, result.stderr
    paths = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("path: ")]
    assert paths == ["path: rows (parent of events, notes)", "path: columnar", "path: columnar",
                     "path: rows (incremental per_parent: false (one cursor for all parents))",
                     "path: rows (file_format jsonl)", "path: columnar"]
    switched = run_check(config, env={"RESTLOOM_COLUMNAR": "0"})
    assert [line.strip() for line in switched.stdout.splitlines() if "path: " in line] == [
        "path: rows (RESTLOOM_COLUMNAR=0)"] * 6
