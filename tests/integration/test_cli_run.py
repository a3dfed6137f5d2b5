"""`restloom run` on seed files written for dlt: summary, exit codes, --resources and --base-url."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import duckdb

from restloom.testing import serve
from tests.integration.commands import restloom_command
from tests.seeds import seed_code

ENV_NAMES = {"yousign": {"api_key": "API_KEY"}, "zendesk_talk": {"api_key": "API_KEY"}}


def _run(args: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    restloom = restloom_command()
    return subprocess.run([restloom, *args], cwd=cwd, env={**os.environ, "COLUMNS": "200", **env},
                          capture_output=True, text=True, timeout=180, check=False)


def _seed_file(api: str, tmp_path: Path) -> Path:
    path = tmp_path / f"{api}_seed.py"
    path.write_text(seed_code(api), encoding="utf-8")
    return path


def _row(stdout: str, resource: str) -> list[str]:
    for line in stdout.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃|]", line) if c.strip()]
        if cells and cells[0] == resource:
            return cells
    raise AssertionError(f"no summary row for {resource} in:\n{stdout}")


def test_run_seed_file_prints_summary_and_exits_zero(tmp_path: Path) -> None:
    """A dlt seed file runs as is with --base-url; the summary shows rows per resource; exit 0."""
    with serve("yousign", size=12, seed=21) as api:
        done = _run(["run", str(_seed_file("yousign", tmp_path)), "--base-url", api.base_url],
                    cwd=tmp_path, env={"API_KEY": api.secrets["api_key"]})
        followers = sum(len(v) for v in api.children("signature_requests_followers").values())
    assert done.returncode == 0, done.stderr
    assert _row(done.stdout, "contacts")[1:2] == ["12"]
    assert _row(done.stdout, "signature_requests_followers")[1:2] == [str(followers)]
    assert _row(done.stdout, "labels")[-1] == "ok"
    with duckdb.connect(str(tmp_path / "yousign_seed.duckdb"), read_only=True) as db:
        assert db.execute("SELECT COUNT(*) FROM yousign_seed_data.contacts").fetchone() == (12,)


def test_run_with_failed_resources_exits_one_and_names_them(tmp_path: Path) -> None:
    """Zendesk's seed: the resources without 'id' fail by name in the summary; exit code 1; --resources works."""
    with serve("zendesk_talk", size=6, seed=22) as api:
        done = _run(["run", str(_seed_file("zendesk_talk", tmp_path)), "--base-url", api.base_url,
                     "--resources", "greetings,agents_overview"], cwd=tmp_path, env={"API_KEY": api.secrets["api_key"]})
        paths = {r.path for r in api.requests}
    assert done.returncode == 1
    assert _row(done.stdout, "greetings")[1:2] == ["6"]
    assert _row(done.stdout, "agents_overview")[-1] == "failed"
    assert "failed agents_overview: primary key 'id' (from resource_defaults) is missing" in " ".join(
        done.stderr.split())
    assert paths == {"/v1/greetings", "/v1/stats/agents_overview"}
