"""``restloom connectors``, ``restloom run <catalog name>`` and ``restloom demo`` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from restloom.catalog import catalog_names, catalog_text
from restloom.testing import serve

CATALOG = ["easypost", "opsgenie", "persona", "yousign", "zendesk_talk"]
PERSONA = ("accounts", "cases", "api_keys", "api_logs", "events", "inquiries", "inquiry_sessions",
           "workflow_runs", "webhooks")
OPSGENIE_LISTS = ("users", "teams", "services", "integrations", "incidents", "alerts")


def _restloom(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([sys.executable, "-c", "from restloom.cli import main; main()", *args], cwd=cwd,
                          env=environ, capture_output=True, text=True, timeout=120, check=False)


def _summary_rows(stdout: str) -> dict[str, int]:
    """resource -> rows, read from the summary table."""
    rows = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) > 3 and cells[2].isdigit():
            rows[cells[1]] = int(cells[2])
    return rows


def test_connectors_list_prints_each_name_with_its_secrets(tmp_path: Path) -> None:
    """`connectors list` names the five catalog connectors and the environment variables they read."""
    done = _restloom("connectors", "list", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert catalog_names() == CATALOG
    assert done.stdout.splitlines() == [
        "easypost       secrets: EASYPOST_API_KEY",
        "opsgenie       secrets: OPSGENIE_API_KEY",
        "persona        secrets: PERSONA_API_KEY",
        "yousign        secrets: YOUSIGN_API_KEY",
        "zendesk_talk   secrets: ZENDESK_EMAIL, ZENDESK_API_TOKEN",
    ]


def test_connectors_show_prints_the_yaml_and_rejects_unknown_names(tmp_path: Path) -> None:
    """`connectors show NAME` prints the file as shipped, comments included; an unknown name exits 2."""
    shown = _restloom("connectors", "show", "opsgenie", cwd=tmp_path)
    unknown = _restloom("connectors", "show", "opsgenei", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == catalog_text("opsgenie")
    assert shown.stdout.startswith("# Opsgenie (alerting) — corrected from seed 001.\n")
    assert unknown.returncode == 2
    assert unknown.stderr == (
        "no catalog connector 'opsgenei' (known: easypost, opsgenie, persona, yousign, zendesk_talk)\n")


def test_run_takes_a_catalog_name_and_a_base_url(tmp_path: Path) -> None:
    """`restloom run persona --base-url <simulated>` reads the secret from the environment and loads all."""
    with serve("persona", size=12, seed=61) as api:
        done = _restloom("run", "persona", "--base-url", api.base_url, cwd=tmp_path,
                         env={"PERSONA_API_KEY": api.real_credentials["api_key"]})
        auth_forms = {r.auth for r in api.requests}
    assert done.returncode == 0, done.stderr
    assert _summary_rows(done.stdout) == dict.fromkeys(PERSONA, 12)
    assert auth_forms == {"seed"}
    assert (tmp_path / "persona.duckdb").is_file()


def test_run_without_the_secret_says_which_to_export(tmp_path: Path) -> None:
    """A catalog connector whose secret is not set exits 2 and names the variable to export."""
    env = {k: v for k, v in os.environ.items() if k != "YOUSIGN_API_KEY"}
    done = subprocess.run([sys.executable, "-c", "from restloom.cli import main; main()", "run", "yousign"],
                          cwd=tmp_path, env={**env, "COLUMNS": "200"}, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 2
    assert "secret 'yousign_api_key' is not set: export YOUSIGN_API_KEY=..." in done.stderr


def test_demo_opsgenie_syncs_the_catalog_connector(tmp_path: Path) -> None:
    """`restloom demo opsgenie` loads every resource, child streams included, with exact row counts."""
    done = _restloom("demo", "opsgenie", "--size", "20", cwd=tmp_path)
    with serve("opsgenie", size=20, seed=1) as api:  # the demo's data: same size, seed 1
        children = {name: sum(len(v) for v in api.children(name).values())
                    for name in ("user_teams", "alert_recipients", "alert_logs")}
    assert done.returncode == 0, done.stderr
    assert _summary_rows(done.stdout) == {**dict.fromkeys(OPSGENIE_LISTS, 20), **children}
    assert (tmp_path / "restloom_demo.duckdb").is_file()
