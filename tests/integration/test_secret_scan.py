"""Acceptance: marker secrets through every auth kind, params, headers, DEBUG logs, failing resources and a
config error never appear in stdout, stderr, any DuckDB table or any file under the pipelines dir."""

from __future__ import annotations

import base64
import gzip
import os
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import yaml

from restloom.testing import serve
from tests.integration.commands import restloom_command

ACCESS_KEY = "MARKER-access-key-7f3c9a"
HEADER_SECRET = "MARKER-header-secret-51bd"
BASE_URL_PASSWORD = "MARKER-url-password-c0de"


def _resource(name: str, path: str, **endpoint: Any) -> dict[str, Any]:
    return {"name": name, "endpoint": {"path": path, "data_selector": "items",
                                       "paginator": {"type": "offset", "limit": 5, "total_path": "total"},
                                       **endpoint}}


def _config(base_url: str) -> dict[str, Any]:
    secret = {name: {"secret": f"rl_{name}"} for name in
              ("token", "api_key", "username", "password", "client_id", "client_secret", "access_key", "header")}
    auth = {
        "bearer": {"type": "bearer", "token": secret["token"]},
        "header": {"type": "api_key", "name": "X-API-Key", "api_key": secret["api_key"]},
        "query": {"type": "api_key", "name": "api_key", "location": "query", "api_key": secret["api_key"]},
        "cookie": {"type": "api_key", "name": "session_key", "location": "cookie", "api_key": secret["api_key"]},
        "basic": {"type": "http_basic", "username": secret["username"], "password": secret["password"]},
        "oauth": {"type": "oauth2_client_credentials", "access_token_url": f"{base_url}oauth/token",
                  "client_id": secret["client_id"], "client_secret": secret["client_secret"]},
    }
    echo = {"data_selector": "items", "paginator": "single_page", "params": {"access_key": secret["access_key"]},
            "headers": {"X-Custom-Secret": secret["header"]}, "error_handler": {"max_retries": 1}}
    echoes = [{"name": f"echo_{kind}", "endpoint": {"path": f"echo/{code}", "auth": auth[kind], **echo}}
              for kind, code in (("bearer", 400), ("oauth", 500), ("cookie", 403), ("basic", 422),
                                 ("query", 404))]
    return {
        "client": {"base_url": base_url},
        "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
        "resources": [
            _resource("bearer_items", "private/items", auth=auth["bearer"]),
            _resource("header_items", "private/items", auth=auth["header"]),
            _resource("query_items", "private/items", auth=auth["query"]),
            _resource("cookie_items", "offset/items", auth=auth["cookie"]),
            _resource("basic_items", "private/items", auth=auth["basic"]),
            _resource("oauth_items", "private/items", auth=auth["oauth"]),
            _resource("params_items", "offset/items", params={"access_key": secret["access_key"]}),
            *echoes,
        ],
    }


def _cli(args: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RL_")}
    debug = {"RESTLOOM_LOG_LEVEL": "DEBUG", "RUNTIME__LOG_LEVEL": "DEBUG", "RESTLOOM_RETRY_WAIT_SCALE": "0",
             "DLT_DATA_DIR": str(cwd / "dlt_data"), "COLUMNS": "300"}
    return subprocess.run([restloom_command(), *args], cwd=cwd, env={**clean, **debug, **env},
                          capture_output=True, text=True, timeout=120, check=False)


def _forms(secret: str) -> set[str]:
    return {secret, base64.b64encode(secret.encode()).decode()}


def _tables(database: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the DuckDB file, by ``schema.table``."""
    with duckdb.connect(str(database), read_only=True) as db:
        names = db.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall()
        return {f"{schema}.{table}": db.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall()
                for schema, table in names}


def _leaks(markers: set[str], outputs: dict[str, str], tmp_path: Path) -> list[str]:
    """Where any marker appears: the given outputs and every file under the dlt data dir (pipelines)."""
    files = {str(file.relative_to(tmp_path)): text for file, text in _file_texts(tmp_path / "dlt_data")}
    assert len(files) > 10
    return sorted({where for where, text in {**outputs, **files}.items() for marker in markers if marker in text})


def _file_texts(root: Path) -> list[tuple[Path, str]]:
    """Every file under ``root`` as text (gzip files decompressed), to search for a marker."""
    found = []
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        data = file.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        found.append((file, data.decode("utf-8", errors="replace")))
    return found


def test_no_secret_reaches_any_output_of_a_debug_cli_run(tmp_path: Path) -> None:
    """Protects issue 9 point 8: no marker secret (config, every auth kind, the OAuth token fetched at run time,
    params, headers echoed in error bodies) in stdout, stderr, tables or pipeline files of a DEBUG run."""
    with serve("generic", size=8, seed=5) as api:
        real = api.real_credentials
        (tmp_path / "scan.yaml").write_text(yaml.safe_dump(_config(api.base_url)), encoding="utf-8")
        env = {f"RL_{name.upper()}": value for name, value in real.items() if name != "oauth_token"}
        env |= {"RL_ACCESS_KEY": ACCESS_KEY, "RL_HEADER": HEADER_SECRET}
        done = _cli(["run", "scan.yaml", "--pipeline-name", "scan"], cwd=tmp_path, env=env)
        checked = _cli(["check", "scan.yaml"], cwd=tmp_path, env=env)
        echoed = [r.status for r in api.requests if r.path.startswith("/api/echo/")]
    markers = {form for name, value in real.items() if name != "username" for form in _forms(value)}
    markers |= _forms(ACCESS_KEY) | _forms(HEADER_SECRET)
    markers.add(base64.b64encode(f"{real['username']}:{real['password']}".encode()).decode())
    tables = _tables(tmp_path / "scan.duckdb")
    assert done.returncode == 1
    assert checked.returncode == 0
    assert sorted(echoed) == [400, 403, 404, 422, 500, 500]
    assert "failed echo_bearer: HTTP 400 at" in " ".join(done.stderr.split())
    assert "DEBUG" in done.stderr
    landed = {name: len(rows) for name, rows in tables.items() if name.startswith("scan_data.")}
    assert {name: count for name, count in landed.items() if name.endswith("_items")} == {
        f"scan_data.{kind}_items": 8 for kind in ("bearer", "header", "query", "cookie", "basic", "oauth", "params")}
    outputs = {"stdout": done.stdout, "stderr": done.stderr, "tables": repr(tables),
               "check stdout": checked.stdout, "check stderr": checked.stderr}
    assert _leaks(markers, outputs, tmp_path) == []


def test_a_config_error_masks_a_base_url_password(tmp_path: Path) -> None:
    """A base_url with user:password@ echoed by a config error shows the password as ***."""
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(
        {"client": {"base_url": f"htps://reader:{BASE_URL_PASSWORD}@example.com/"}, "resources": ["items"]}),
        encoding="utf-8")
    invalid = _cli(["check", "bad.yaml"], cwd=tmp_path, env={})
    assert invalid.returncode == 2
    assert invalid.stderr == ("bad.yaml: invalid config: 1 problem\n"
                              "  - client.base_url: expected an http(s) URL, got 'htps://reader:***@example.com/'\n")
    assert BASE_URL_PASSWORD not in invalid.stdout + invalid.stderr


PYTHON_CONFIG = """
import dlt

config = {{
    "client": {{"base_url": "{base_url}", "auth": {{"type": "bearer", "token": dlt.secrets["rl_token"]}}}},
    "resources": [{{"name": "echo", "endpoint": {{"path": "echo/400", "paginator": "single_page",
                                                "params": {{"access_key": dlt.secrets["rl_access_key"]}},
                                                "headers": {{"X-Api-Token": dlt.secrets["rl_header"]}}}}}}],
}}
"""


def test_python_config_secrets_under_credential_names_are_redacted(tmp_path: Path) -> None:
    """A Python config's dlt.secrets values are plain strings: under credential names (access_key, X-Api-Token)
    they are redacted everywhere though the server echoes them in its error body."""
    with serve("generic", size=3, seed=5) as api:
        (tmp_path / "scan.py").write_text(PYTHON_CONFIG.format(base_url=api.base_url), encoding="utf-8")
        env = {"RL_TOKEN": api.real_credentials["token"], "RL_ACCESS_KEY": ACCESS_KEY, "RL_HEADER": HEADER_SECRET}
        done = _cli(["run", "scan.py"], cwd=tmp_path, env=env)
        sent = [(r.path, r.query.get("access_key")) for r in api.requests]
    assert done.returncode == 1
    assert sent == [("/api/echo/400", ACCESS_KEY)]
    assert ('failed echo: HTTP 400 at ' f'{api.base_url}echo/400?access_key=***; body: {{"error":"status 400",'
            '"headers":{"x-api-token":"***","authorization":"Bearer ***"},"query":{"access_key":"***"}}'
            ) in done.stderr.replace("\n", "")
    markers = _forms(ACCESS_KEY) | _forms(HEADER_SECRET) | _forms(api.real_credentials["token"])
    assert _leaks(markers, {"stdout": done.stdout, "stderr": done.stderr}, tmp_path) == []


def test_check_report_masks_a_base_url_password() -> None:
    """`restloom check`'s report shows a valid base_url's password as ***."""
    from restloom.cli.describe import describe_config
    from restloom.config import parse, resolve

    config = resolve(parse({"client": {"base_url": f"https://reader:{BASE_URL_PASSWORD}@api.example.com/v1/"},
                            "resources": ["items"]}))
    assert describe_config(config).splitlines()[0] == (
        "config OK: 1 resources, base URL https://reader:***@api.example.com/v1/, concurrency 8 (adaptive, up to 32)")
    assert config.secret_values == {BASE_URL_PASSWORD}
