"""`restloom run` on seed files written for dlt: summary, exit codes, --resources and --base-url."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb

from restloom.testing import serve
from tests.integration.commands import restloom_command, summary_row
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



def test_run_seed_file_prints_summary_and_exits_zero(tmp_path: Path) -> None:
    """A dlt seed file runs as is with --base-url; the summary shows rows per resource; exit 0."""
    with serve("yousign", size=12, seed=21) as api:
        done = _run(["run", str(_seed_file("yousign", tmp_path)), "--base-url", api.base_url],
                    cwd=tmp_path, env={"API_KEY": api.secrets["api_key"]})
        followers = sum(len(v) for v in api.children("signature_requests_followers").values())
    assert done.returncode == 0, done.stderr
    assert summary_row(done.stdout, "contacts")[1:2] == ["12"]
    assert summary_row(done.stdout, "signature_requests_followers")[1:2] == [str(followers)]
    assert summary_row(done.stdout, "labels")[-1] == "ok"
    with duckdb.connect(str(tmp_path / "yousign_seed.duckdb"), read_only=True) as db:
        assert db.execute("SELECT COUNT(*) FROM yousign_seed_data.contacts").fetchone() == (12,)


def test_the_command_freezes_its_heap_at_exit_and_what_it_loaded_is_whole(tmp_path: Path) -> None:
    """``main`` freezes the heap when the command is done (the interpreter's last collections then skip it):
    the process still exits 0 and the DuckDB file holds every row."""
    probe = ("import atexit, gc, sys; atexit.register(lambda: print('frozen at exit:', gc.get_freeze_count() > 0, "
             "file=sys.stderr)); from restloom.cli import main; main()")
    with serve("yousign", size=12, seed=21) as api:
        done = subprocess.run([sys.executable, "-c", probe, "run", str(_seed_file("yousign", tmp_path)),
                               "--base-url", api.base_url], cwd=tmp_path,
                              env={**os.environ, "COLUMNS": "200", "API_KEY": api.secrets["api_key"]},
                              capture_output=True, text=True, timeout=180, check=False)
        truth = sorted(record["id"] for record in api.records("contacts"))
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == "frozen at exit: True"
    with duckdb.connect(str(tmp_path / "yousign_seed.duckdb"), read_only=True) as db:
        landed = db.execute("SELECT id FROM yousign_seed_data.contacts ORDER BY id").fetchall()
    assert [row[0] for row in landed] == truth


def test_run_with_failed_resources_exits_one_and_names_them(tmp_path: Path) -> None:
    """Zendesk's seed: the resources without 'id' fail by name in the summary; exit code 1; --resources works."""
    with serve("zendesk_talk", size=6, seed=22) as api:
        done = _run(["run", str(_seed_file("zendesk_talk", tmp_path)), "--base-url", api.base_url,
                     "--resources", "greetings,agents_overview"], cwd=tmp_path, env={"API_KEY": api.secrets["api_key"]})
        paths = {r.path for r in api.requests}
    assert done.returncode == 1
    assert summary_row(done.stdout, "greetings")[1:2] == ["6"]
    assert summary_row(done.stdout, "agents_overview")[-1] == "failed"
    assert "failed agents_overview: primary key 'id' (from resource_defaults) is missing" in " ".join(
        done.stderr.split())
    assert paths == {"/v1/greetings", "/v1/stats/agents_overview"}


def test_run_summary_counts_a_shared_request_once(tmp_path: Path) -> None:
    """Persona's seed reads /workflow-runs for two resources: the summary's requests add up to the requests on
    the wire, the resource served by the other's requests says so, and a note explains it."""
    with serve("persona", size=25, seed=3) as api:
        done = _run(["run", str(_seed_file("persona", tmp_path)), "--base-url", api.base_url,
                     "--resources", "workflows_run,workflow_runs"], cwd=tmp_path,
                    env={"API_KEY": api.secrets["api_key"]})
        sent = len([r for r in api.requests if r.path == "/workflow-runs"])
    assert done.returncode == 0, done.stderr
    assert sent == 4
    cells = [summary_row(done.stdout, name)[4] for name in ("workflows_run", "workflow_runs")]  # the requests column
    counts = [re.fullmatch(r"(\d+)(?: \(\+(\d+) shared\))?", cell) for cell in cells]
    assert all(counts), cells
    sent_by = [(int(m[1]), int(m[2] or 0)) for m in counts if m]
    assert sum(own for own, _ in sent_by) == 4  # each request on the wire counted once
    assert [own + shared for own, shared in sent_by] == [4, 4]
    assert any(shared for _, shared in sent_by)
    assert ("note resources that make the same request share it: it is sent once and counted in the requests "
            "of the resource that sent it; '+N shared' are the pages another resource's requests served") in done.stdout
