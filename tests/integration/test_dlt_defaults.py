"""restloom's dlt defaults reach dlt in a real run (DuckDB's memory and threads, uncompressed files, rotation),
and the user's own dlt config wins over each of them."""

from __future__ import annotations

import gc
import gzip
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest

from restloom.adapter.defaults import dlt_defaults
from restloom.adapter.sync import sync
from restloom.config import parse
from restloom.config.models import RetryPolicy
from restloom.testing import serve
from tests.integration.commands import restloom_command

SETTINGS = ("SELECT current_setting('memory_limit'), current_setting('threads'), "
            "current_setting('preserve_insertion_order')")


def _config(api: Any) -> dict[str, Any]:
    return {"client": {"base_url": api.base_url, "auth": {"type": "bearer", "token": api.secrets["api_key"]}},
            "resources": [{"name": "contacts", "primary_key": "id", "write_disposition": "merge", "endpoint": {
                "path": "contacts", "data_selector": "data",
                "paginator": {"type": "cursor", "cursor_param": "after", "cursor_path": "meta.next_cursor"}}}]}


def _sync_into(conn: duckdb.DuckDBPyConnection, tmp_path: Path, *, file_format: str = "parquet") -> int:
    """A real sync of 15 Yousign contacts through dlt's load into the caller's DuckDB connection: rows landed."""
    with serve("yousign", size=15, seed=4) as api:
        config = parse(_config(api), retry_base=RetryPolicy(wait_scale=0))
        result = sync(config, pipeline_name="defaults", destination=dlt.destinations.duckdb(conn),
                      dataset_name="data", pipelines_dir=str(tmp_path / "pipelines"), file_format=file_format)
    assert result.ok, result.report.failed
    return result.landed["contacts"]


def _loaded_files(pipelines_dir: Path) -> dict[str, bytes]:
    """The first bytes of every loader file of the pipeline's loaded packages, by file name."""
    files = sorted(pipelines_dir.glob("*/load/loaded/*/completed_jobs/*"))
    return {path.name: path.read_bytes()[:6] for path in files}


def test_duckdb_runs_the_load_with_bounded_memory_and_threads(tmp_path: Path) -> None:
    """The connection dlt loads through gets memory_limit 160 MB, 2 threads, insertion order not preserved."""
    with duckdb.connect(str(tmp_path / "own.duckdb")) as conn:
        before = conn.execute(SETTINGS).fetchone()
        landed = _sync_into(conn, tmp_path)
        after = conn.execute(SETTINGS).fetchone()
    assert landed == 15
    assert before is not None
    assert before[2] is True
    assert after == ("152.5 MiB", 2, False)


def test_the_users_dlt_config_wins_over_restlooms_duckdb_defaults(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A global_config in the user's dlt config (here its environment form) replaces restloom's whole dict."""
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG",
                       json.dumps({"memory_limit": "1GB", "threads": 1}))
    with duckdb.connect(str(tmp_path / "own.duckdb")) as conn:
        landed = _sync_into(conn, tmp_path)
        after = conn.execute(SETTINGS).fetchone()
    assert landed == 15
    assert after == ("953.6 MiB", 1, True)


def test_loader_files_are_written_uncompressed(tmp_path: Path) -> None:
    """insert_values files, which dlt gzips by default, are plain SQL text after a real run."""
    with duckdb.connect(str(tmp_path / "own.duckdb")) as conn:
        assert _sync_into(conn, tmp_path, file_format="preferred") == 15
    files = _loaded_files(tmp_path / "pipelines")
    contacts = [name for name in files if name.startswith("contacts.") and name.endswith(".insert_values")]
    assert len(contacts) == 1
    assert files[contacts[0]] == b"INSERT"
    assert all(head[:2] != b"\x1f\x8b" for head in files.values())


def test_the_users_compression_setting_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """DATA_WRITER__DISABLE_COMPRESSION=false in the user's config brings dlt's gzip back."""
    monkeypatch.setenv("DATA_WRITER__DISABLE_COMPRESSION", "false")
    with duckdb.connect(str(tmp_path / "own.duckdb")) as conn:
        assert _sync_into(conn, tmp_path, file_format="preferred") == 15
    contacts = list((tmp_path / "pipelines").glob("*/load/loaded/*/completed_jobs/contacts.*.insert_values*"))
    assert len(contacts) == 1
    assert contacts[0].name.endswith(".insert_values.gz")
    assert gzip.decompress(contacts[0].read_bytes()).startswith(b"INSERT")


def _writer() -> Any:
    """The data writer settings dlt's extract and normalize resolve (their spec, their sections)."""
    from dlt.common.configuration import resolve_configuration
    from dlt.common.data_writers.buffered import BufferedDataWriter

    return resolve_configuration(BufferedDataWriter.BufferedDataWriterConfiguration(), sections=("normalize",))


def _load_workers() -> int | None:
    """``load.workers`` as dlt's load step looks it up (None: dlt's own default, 20)."""
    return dlt.config.get("load.workers", int)  # type: ignore[no-any-return]


def test_the_defaults_are_dlt_config_only_inside_the_block() -> None:
    """dlt resolves restloom's values inside dlt_defaults() (rotation, load workers), and dlt's own outside it."""
    with dlt_defaults(), dlt_defaults():  # re-entrant: the inner block leaves the outer one's provider
        pass
    assert (_writer().file_max_items, _writer().disable_compression, _load_workers()) == (None, False, None)
    with dlt_defaults():
        assert (_writer().file_max_items, _writer().disable_compression, _load_workers()) == (200_000, True, 2)
    assert (_writer().file_max_items, _writer().disable_compression, _load_workers()) == (None, False, None)


def test_the_users_rotation_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    """A value the user sets for one key replaces restloom's for that key only."""
    monkeypatch.setenv("NORMALIZE__DATA_WRITER__FILE_MAX_ITEMS", "5000")
    monkeypatch.setenv("LOAD__WORKERS", "7")
    with dlt_defaults():
        assert (_writer().file_max_items, _writer().disable_compression, _load_workers()) == (5000, True, 7)


def test_restloom_run_writes_uncompressed_files(tmp_path: Path) -> None:
    """The CLI runs with the defaults: the pipeline state's insert_values file is plain SQL, not gzip."""
    with serve("yousign", size=15, seed=4) as api:
        config = tmp_path / "contacts.json"
        config.write_text(json.dumps(_config(api)), encoding="utf-8")
        done = subprocess.run([restloom_command(), "run", str(config)], cwd=tmp_path, capture_output=True,
                              text=True, timeout=180, check=False,
                              env={**os.environ, "RESTLOOM_RETRY_WAIT_SCALE": "0"})
    assert done.returncode == 0, done.stderr
    files = _loaded_files(tmp_path / "dlt_data" / "pipelines")
    state = [name for name in files if name.startswith("_dlt_pipeline_state.")]
    assert len(state) == 1
    assert files[state[0]] == b"INSERT"
    assert any(name.startswith("contacts.") and name.endswith(".parquet") for name in files)


def _collector_during_sync(tmp_path: Path) -> tuple[list[tuple[tuple[int, int, int], int]], int]:
    """What the collector looked like while a real sync's records went through a processing step, and the
    rows landed."""
    seen: list[tuple[tuple[int, int, int], int]] = []

    def look(record: dict[str, Any]) -> dict[str, Any]:
        seen.append((gc.get_threshold(), gc.get_freeze_count()))
        return record

    with serve("yousign", size=15, seed=4) as api:
        raw = _config(api)
        raw["resources"][0]["processing_steps"] = [{"map": look}]
        config = parse(raw, retry_base=RetryPolicy(wait_scale=0))
        with duckdb.connect(str(tmp_path / "own.duckdb")) as conn:
            result = sync(config, pipeline_name="collector", destination=dlt.destinations.duckdb(conn),
                          dataset_name="data", pipelines_dir=str(tmp_path / "pipelines"))
    assert result.ok, result.report.failed
    return seen, result.landed["contacts"]


def test_the_collector_is_eased_for_the_sync_and_restored_after(tmp_path: Path) -> None:
    """While records flow the thresholds are raised and the objects alive at the start frozen; after the sync
    both are as they were."""
    before = (gc.get_threshold(), gc.get_freeze_count())
    seen, landed = _collector_during_sync(tmp_path)
    assert landed == 15
    assert len(seen) == 15
    assert {threshold for threshold, _ in seen} == {(20_000, 20, 20)}
    assert min(frozen for _, frozen in seen) > before[1] + 10_000  # dlt, pyarrow and DuckDB's objects at least
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


def test_restloom_gc_ease_0_leaves_the_collector_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESTLOOM_GC_EASE", "0")
    before = (gc.get_threshold(), gc.get_freeze_count())
    seen, landed = _collector_during_sync(tmp_path)
    assert landed == 15
    assert set(seen) == {before}
