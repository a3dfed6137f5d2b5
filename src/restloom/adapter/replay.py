"""Recovery: finish the packages a crash left, so that replaying a load job never adds its rows twice.

Why a kill inside the load step duplicated rows: dlt runs each load job (a file of rows) on a worker
thread, and records it as done only *after* the destination committed it (``RunnableLoadJob._release``
writes a "pending transition" marker, then the file moves to ``completed_jobs``). A kill between the
commit and that marker leaves the job in ``started_jobs``, and the resumed load runs it again. For a
merge table the job copies into the staging dataset, which dlt truncates only when it first
initialises a package — not on resume — so staging then holds the file's rows twice, with the *same*
``_dlt_id``. dlt's merge deduplicates staging by primary key only for a table without nested tables;
for a table with nested ones (``calls`` → ``calls__quality_issues``) it selects the root rows to insert
by ``_dlt_id``, so both copies pass and the table keeps every replayed row twice, for good. Append
tables, loaded straight into the dataset, would duplicate the same way.

The fix, before the resumed load: for every job left started without a recorded outcome, delete from
its target table (staging or dataset, as dlt would choose) the rows whose ``_dlt_id`` is in the job's
file. ``_dlt_id`` is unique per row and fixed once the file is written, so this removes exactly what a
committed run of the job wrote (or nothing, if it never committed), and the replay then writes each row
once. Deleting is idempotent, so a kill during recovery is recovered the same way. SQL follow-up jobs
(the merge itself) need nothing: they delete by key before they insert. Job files are parquet or jsonl
(their ``_dlt_id`` column is read) or ``insert_values`` (dlt's state table: the file is run into an empty
copy of the target, whose ids are then deleted); a file without ``_dlt_id`` rows stops the recovery with
an error rather than risking duplicates.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dlt.common.schema.typing import C_DLT_ID
from dlt.common.storages import FileStorage
from dlt.common.storages.load_storage import ParsedLoadJobFileName
from dlt.destinations.insert_job_client import InsertValuesLoadJob

from restloom.errors import ReplayError

__all__ = ["recover", "undo_interrupted_jobs"]

FOLLOWUP_FORMATS = frozenset({"sql", "reference"})
CHUNK = 500
REPLAY_TABLE = "_restloom_replay"


def recover(pipeline: Any) -> None:
    """Normalize and load what a crash left, each interrupted load job undone before it is replayed."""
    pipeline.normalize()
    undo_interrupted_jobs(pipeline)
    pipeline.load()


def undo_interrupted_jobs(pipeline: Any) -> list[str]:
    """Delete the rows of every started-but-unrecorded load job from its target; the job files handled."""
    packages = pipeline._get_load_storage().normalized_packages
    undone: list[str] = []
    for load_id in packages.list_packages():
        for job_file in packages.list_started_jobs(load_id):
            name = os.path.basename(job_file)
            parsed = ParsedLoadJobFileName.parse(name)
            if parsed.file_format in FOLLOWUP_FORMATS or packages.load_pending_transition(load_id, name):
                continue
            schema = packages.load_schema(load_id)
            job = InterruptedJob(parsed=parsed, path=packages.storage.make_full_path(job_file),
                                 id_column=schema.naming.normalize_identifier(C_DLT_ID))
            with pipeline.destination_client(schema_name=schema.name) as client:
                _delete_rows(client, job)
            undone.append(name)
    return undone


@dataclass(frozen=True, slots=True, kw_only=True)
class InterruptedJob:
    """A load job file left in ``started_jobs`` with no recorded outcome."""

    parsed: ParsedLoadJobFileName
    path: str
    id_column: str


def _delete_rows(client: Any, job: InterruptedJob) -> None:
    table = job.parsed.table_name
    staging = hasattr(client, "with_staging_dataset") and client.should_load_data_to_staging_dataset(table)
    with client.with_staging_dataset() if staging else contextlib.nullcontext():
        sql = client.sql_client
        target = sql.make_qualified_table_name(table)
        column = sql.escape_column_name(job.id_column)
        if job.parsed.file_format == "insert_values":
            _delete_inserted_values(sql, target=target, column=column, path=job.path)
            return
        literal = client.capabilities.escape_literal
        ids = list(_row_ids(job))
        for start in range(0, len(ids), CHUNK):
            values = ", ".join(literal(value) for value in ids[start:start + CHUNK])
            sql.execute_sql(f"DELETE FROM {target} WHERE {column} IN ({values})")


def _delete_inserted_values(sql: Any, *, target: str, column: str, path: str) -> None:
    """An ``insert_values`` file is SQL: run it into an empty copy of the target, delete what it holds."""
    copy = sql.make_qualified_table_name(REPLAY_TABLE)
    sql.execute_sql(f"DROP TABLE IF EXISTS {copy}")
    sql.execute_sql(f"CREATE TABLE {copy} AS SELECT * FROM {target} WHERE 1 = 0")
    try:
        job = InsertValuesLoadJob(path)
        job._sql_client = sql
        for fragments in job._insert(copy, path):
            sql.execute_fragments(fragments)
        sql.execute_sql(f"DELETE FROM {target} WHERE {column} IN (SELECT {column} FROM {copy})")
    finally:
        sql.execute_sql(f"DROP TABLE IF EXISTS {copy}")


def _row_ids(job: InterruptedJob) -> Iterator[str]:
    parsed, path, id_column = job.parsed, job.path, job.id_column
    if parsed.file_format == "parquet":
        import pyarrow.parquet as pq

        if id_column not in pq.read_schema(path).names:
            raise ReplayError(_unreadable(parsed, f"its rows have no {id_column} column"))
        yield from (str(value) for value in pq.read_table(path, columns=[id_column]).column(0).to_pylist())
        return
    if parsed.file_format in {"jsonl", "typed-jsonl"}:
        with FileStorage.open_zipsafe_ro(path, "r", encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    row = json.loads(line)
                    if id_column not in row:
                        raise ReplayError(_unreadable(parsed, f"its rows have no {id_column} column"))
                    yield str(row[id_column])
        return
    raise ReplayError(_unreadable(parsed, f"restloom cannot read the rows of a {parsed.file_format} file"))


def _unreadable(parsed: ParsedLoadJobFileName, why: str) -> str:
    return (f"a load job of table '{parsed.table_name}' was interrupted after it may have written its rows, and "
            f"{why} to remove them before it runs again; drop the pending package (`dlt pipeline <name> "
            f"drop-pending-packages`) and run again")
