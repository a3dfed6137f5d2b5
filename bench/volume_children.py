"""The three syncs ``bench_volume.py`` measures, each run in a fresh process: restloom, stock dlt, a reference.

Each prints one JSON line: its own seconds and, with ``--profile``, the peak RSS of each step (sampled
every 20 ms from ``/proc/self/statm``; restloom's steps come from its step markers).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BATCH_RECORDS = 50_000
_PAGE = os.sysconf("SC_PAGE_SIZE")


class Sampler:
    """Peak RSS and seconds per step, sampled on a daemon thread."""

    def __init__(self) -> None:
        self.step = "start"
        self.steps: dict[str, dict[str, float]] = {}
        self._started = time.perf_counter()
        threading.Thread(target=self._loop, daemon=True).start()

    def mark(self, name: str) -> None:
        self._sample()
        now = time.perf_counter()
        self.steps.setdefault(self.step, {"peak_mib": 0.0, "seconds": 0.0})["seconds"] += now - self._started
        self.step, self._started = name.split(maxsplit=1)[0], now

    def _sample(self) -> None:
        with open("/proc/self/statm") as statm:
            rss = int(statm.read().split()[1]) * _PAGE / 2**20
        entry = self.steps.setdefault(self.step, {"peak_mib": 0.0, "seconds": 0.0})
        entry["peak_mib"] = max(entry["peak_mib"], rss)

    def _loop(self) -> None:
        while True:
            self._sample()
            time.sleep(0.02)


def run_restloom(config: dict, workdir: Path, sampler: Sampler | None) -> None:
    """What a user runs: ``restloom run volume.json --dataset-name bench`` in ``workdir`` (the command's
    ``main``, in this process so that the sampler sees its steps), dlt's data directory in ``workdir``."""
    import sys

    from restloom.adapter import hooks
    from restloom.cli import main

    if sampler is not None:
        marker = hooks._marker

        def marked(name: str) -> None:
            sampler.mark(name)
            marker(name)

        hooks._marker = marked
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "volume.json").write_text(json.dumps(config))
    os.chdir(workdir)
    os.environ["DLT_DATA_DIR"] = str(workdir / "dlt")
    sys.argv = ["restloom", "run", "volume.json", "--dataset-name", "bench"]
    try:
        main()
    except SystemExit as exc:
        if exc.code:
            raise SystemExit(f"restloom run exited with {exc.code}") from None


def run_dlt(config: dict, workdir: Path, sampler: Sampler | None) -> None:
    import dlt
    from dlt.sources.rest_api import rest_api_source

    pipeline = dlt.pipeline(pipeline_name="volume", dataset_name="bench", pipelines_dir=str(workdir / "pipelines"),
                            destination=dlt.destinations.duckdb(str(workdir / "volume.duckdb")))
    if sampler is not None:
        sampler.mark("run")
    pipeline.run(rest_api_source(config), loader_file_format="parquet")


def _flatten(table: Any) -> tuple[Any, Any]:
    """Nested objects to ``a__b`` columns; the ``items`` list to a child table keyed by the parent's id."""
    import pyarrow as pa
    import pyarrow.compute as pc

    items = table.column("items").combine_chunks()
    parents = pc.take(table.column("id"), pc.list_parent_indices(items))
    flat_items = pc.list_flatten(items)
    child = pa.table({"_parent_id": parents, "_pos": _positions(items),
                      **{f.name: flat_items.field(f.name) for f in flat_items.type}})
    table = table.drop_columns(["items"])
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    table = table.rename_columns([name.replace(".", "__") for name in table.column_names])
    for name in ("created_at", "updated_at"):
        stamps = pc.strptime(table.column(name), format="%Y-%m-%dT%H:%M:%SZ", unit="us")
        table = table.set_column(table.schema.get_field_index(name), name, stamps)
    return table, child


def _positions(items: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    starts = pc.take(items.offsets, pc.list_parent_indices(items)).cast(pa.int64())
    return pc.subtract(pa.array(range(len(starts)), type=pa.int64()), starts)


def _merge(conn: Any, records: list[dict]) -> None:
    import pyarrow as pa

    parent, child = _flatten(pa.Table.from_pylist(records))
    conn.register("batch", parent)
    conn.register("batch_items", child)
    conn.execute("CREATE TABLE IF NOT EXISTS bench.records AS SELECT * FROM batch LIMIT 0")
    conn.execute("CREATE TABLE IF NOT EXISTS bench.records__items AS SELECT * FROM batch_items LIMIT 0")
    conn.execute("BEGIN")
    conn.execute("MERGE INTO bench.records AS t USING batch AS s ON t.id = s.id "
                 "WHEN MATCHED THEN UPDATE WHEN NOT MATCHED THEN INSERT")
    conn.execute("DELETE FROM bench.records__items WHERE _parent_id IN (SELECT id FROM batch)")
    conn.execute("INSERT INTO bench.records__items BY NAME SELECT * FROM batch_items")
    conn.execute("COMMIT")
    conn.unregister("batch")
    conn.unregister("batch_items")


def run_ref(base_url: str, workdir: Path, sampler: Sampler | None) -> None:
    import duckdb
    import orjson
    import requests

    workdir.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(str(workdir / "volume.duckdb"))
    conn.execute("CREATE SCHEMA IF NOT EXISTS bench")
    if sampler is not None:
        sampler.mark("run")
    session, batch = requests.Session(), []
    url, params = f"{base_url}records", {}
    while True:
        response = session.get(url, params=params, timeout=60)
        response.raise_for_status()
        page = orjson.loads(response.content)
        batch.extend(page["data"])
        if len(batch) >= BATCH_RECORDS:
            _merge(conn, batch)
            batch = []
        if page["next_cursor"] is None:
            break
        params = {"cursor": page["next_cursor"]}
    if batch:
        _merge(conn, batch)
    conn.close()


def run_child(system: str, config: dict, base_url: str, workdir: Path, *, profile: bool) -> None:
    """Run one system's sync and print its JSON line."""
    sampler = Sampler() if profile else None
    runners: dict[str, Callable[[], None]] = {
        "restloom": lambda: run_restloom(config, workdir, sampler),
        "dlt": lambda: run_dlt(config, workdir, sampler),
        "ref": lambda: run_ref(base_url, workdir, sampler),
    }
    started = time.perf_counter()
    runners[system]()
    seconds = time.perf_counter() - started
    if sampler is not None:
        sampler.mark("end")
    print(json.dumps({"own_seconds": round(seconds, 2), "steps": sampler.steps if sampler else {}}))
