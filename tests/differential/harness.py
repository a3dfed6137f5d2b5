"""Run one config through stock dlt's ``rest_api_source`` and through restloom's, against ONE simulated
server, and compare what landed and what was asked.

Compared, per table of each pipeline's ``default_schema``: the column names in order with their hints
(data type, key, nullability, precision, row/parent/root keys, unique), ``_dlt_*`` columns included,
the table hints (write disposition, merge strategy, table format, schema contract, parent table, and
every other table property but dlt's bookkeeping) and the rows (as a multiset: sorted by their JSON
text) without the ``_dlt_*`` values, since load ids and row ids differ by construction. The linkage of
nested tables is compared structurally instead (``linkage``): each nested row, identified by its content
and its list index, must hang under a parent row of the same content and the same root row, on both sides.
Requests are compared per path, in order: method, query (as sorted pairs: the order of query parameters
carries no meaning) and body (parsed when JSON).

File format: restloom loads parquet by default while dlt writes insert_values for DuckDB. The harness
runs restloom with its default on purpose: the types dlt infers from the same records must come out
the same whatever the loader file format, and the suite would catch a type that only parquet changes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
from dlt.sources.rest_api import rest_api_source as dlt_rest_api_source

import restloom
from restloom.adapter.duckdb_merge import lean_duckdb
from restloom.testing import SimulatedAPI, serve
from restloom.testing.log import RequestRecord

ConfigFactory = Callable[[SimulatedAPI], Mapping[str, Any]]
Request = tuple[str, tuple[tuple[str, str], ...], Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Side:
    """What one implementation did: its tables (rows and column types) and its requests per path."""

    rows: dict[str, list[dict[str, Any]]]
    columns: dict[str, dict[str, Any]]
    hints: dict[str, dict[str, Any]]
    requests: dict[str, list[Request]]
    pipeline: Any
    source: Any = None
    linkage: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """Both sides of a differential run and the server they ran against."""

    dlt: Side
    restloom: Side
    api: SimulatedAPI
    logs: dict[str, list[RequestRecord]] = field(default_factory=dict)
    fan_out_paths: frozenset[str] = frozenset()

    def assert_same(self) -> None:
        """Tables, column types, rows and per-path request sequences are equal.

        A path under a prefix in ``fan_out_paths`` is one children request: restloom fetches the
        children of a parent page concurrently (deliberately), so there the requests are compared as a
        multiset; each child's own pages still come in order. Elsewhere the requests are compared as a
        multiset (each page exactly once) and in order, except a request for a later ``offset`` or ``page``
        than the path's first (in the query or the JSON body): restloom requests those pages concurrently
        once the first page gave the total (deliberately), so only their multiset is compared.
        """
        assert sorted(self.restloom.columns) == sorted(self.dlt.columns)
        for table, columns in self.dlt.columns.items():
            assert self.restloom.columns[table] == columns, table
            assert list(self.restloom.columns[table]) == list(columns), table  # the same column order
        assert self.restloom.linkage == self.dlt.linkage
        for table, hints in self.dlt.hints.items():
            assert self.restloom.hints[table] == hints, table
        for table, rows in self.dlt.rows.items():
            assert self.restloom.rows[table] == rows, table
        assert sorted(self.restloom.requests) == sorted(self.dlt.requests)
        for path, requests in self.dlt.requests.items():
            if any(path.startswith(prefix) for prefix in self.fan_out_paths):
                assert sorted(map(repr, self.restloom.requests[path])) == sorted(map(repr, requests)), path
            else:
                ours, first = self.restloom.requests[path], _page_value(requests[0])
                assert sorted(map(repr, ours)) == sorted(map(repr, requests)), path
                assert _in_order(ours, first) == _in_order(requests, first), path


_PAGE_PARAMS = ("offset", "page")


def _page_value(request: Request) -> tuple[str, str] | None:
    """The ``offset`` or ``page`` a request asks for, in its query or its (top-level) JSON body."""
    _, query, body = request
    for name, value in query:
        if name in _PAGE_PARAMS:
            return name, value
    if isinstance(body, dict):
        for name in _PAGE_PARAMS:
            if name in body:
                return name, str(body[name])
    return None


def _in_order(requests: list[Request], first: tuple[str, str] | None) -> list[Request]:
    """The requests whose order is meaningful: all but those asking for a later offset or page number than
    the path's first request (those restloom may send concurrently once the first page gave the total)."""
    return [r for r in requests if (value := _page_value(r)) is None or value == first]


def _body(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def requests_by_path(records: list[RequestRecord]) -> dict[str, list[Request]]:
    """The requests of a run grouped by path, each path's in arrival order."""
    grouped: dict[str, list[Request]] = defaultdict(list)
    for record in records:
        grouped[record.path].append((record.method, tuple(sorted(record.query_pairs)), _body(record.body)))
    return dict(grouped)


def _sort_key(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, default=repr)


COLUMN_HINTS = ("data_type", "primary_key", "merge_key", "nullable", "precision", "scale", "timezone", "row_key",
                "parent_key", "root_key", "unique", "variant", "x-nested-type")
TABLE_HINTS = ("write_disposition", "x-merge-strategy", "table_format", "schema_contract", "parent")
# dlt's bookkeeping, not a table's shape: where it was declared, whether data was seen, file format hint
TABLE_BOOKKEEPING = ("name", "columns", "resource", "x-normalizer", "file_format")
LINK_COLUMNS = ("_dlt_id", "_dlt_parent_id", "_dlt_root_id", "_dlt_list_idx", "_dlt_load_id")


def tables_of(pipeline: Any) -> tuple[dict[str, list[dict[str, Any]]], dict[str, dict[str, Any]],
                                      dict[str, dict[str, Any]]]:
    """Every data table's rows (sorted, ``_dlt_*`` values left out), column hints and table hints."""
    schema = pipeline.default_schema
    rows: dict[str, list[dict[str, Any]]] = {}
    columns: dict[str, dict[str, Any]] = {}
    hints: dict[str, dict[str, Any]] = {}
    with pipeline.sql_client() as client:
        for table in schema.data_table_names():
            columns[table] = {name: {hint: column[hint] for hint in COLUMN_HINTS if column.get(hint) is not None}
                              for name, column in schema.get_table_columns(table).items()}
            kept = {name: hint for name, hint in columns[table].items() if not name.startswith("_dlt_")}
            hints[table] = {hint: schema.tables[table][hint] for hint in TABLE_HINTS  # type: ignore[literal-required]
                            if schema.tables[table].get(hint) is not None}
            others = {k: v for k, v in schema.tables[table].items() if k not in (*TABLE_HINTS, *TABLE_BOOKKEEPING)}
            if others:
                hints[table]["others"] = others
            if not kept:
                rows[table] = []
                continue
            names = list(kept)
            selected = ", ".join(client.escape_column_name(name) for name in names)
            query = f"SELECT {selected} FROM {client.make_qualified_table_name(table)}"
            found = [dict(zip(names, row, strict=True)) for row in client.execute_sql(query)]
            rows[table] = sorted(found, key=_sort_key)
    return rows, columns, hints


def run_side(sources: Callable[[], Any], *, name: str, tmp_path: Path, runs: int = 1,
             before_run: Callable[[int], None] | None = None, lean: bool = False) -> Side:
    """Load ``sources()`` ``runs`` times into a DuckDB file of its own and read back what landed
    (``before_run(n)`` is called before run ``n``, 0-based). ``lean``: into DuckDB as ``restloom.sync`` loads
    it, merges deduplicating the staged rows with ``DISTINCT ON`` (``adapter/duckdb_merge.py``)."""
    destination = dlt.destinations.duckdb(str(tmp_path / f"{name}.duckdb"))
    if lean:
        destination = lean_duckdb(destination)
    pipeline = dlt.pipeline(pipeline_name=name, destination=destination, dataset_name="data",
                            pipelines_dir=str(tmp_path / f"{name}_pipelines"))
    for run in range(runs):
        if before_run is not None:
            before_run(run)
        source = sources()
        pipeline.run(source)
    rows, columns, hints = tables_of(pipeline)
    return Side(rows=rows, columns=columns, hints=hints, requests={}, pipeline=pipeline, source=source,
                linkage=linkage(pipeline))


def _content(row: Mapping[str, Any]) -> str:
    return json.dumps({k: v for k, v in row.items() if k not in LINK_COLUMNS}, sort_keys=True, default=repr)


def linkage(pipeline: Any) -> dict[str, list[str]]:
    """Every nested table's rows as ``<content> @<list index> under <parent content> in <root content>``
    (sorted), resolved through ``_dlt_parent_id`` and ``_dlt_root_id``: ids differ between two runs, the
    structure they encode must not. A dangling id reads ``<missing>``. Root rows keep the invariants dlt's
    merge relies on: ``_dlt_id`` unique and a ``_dlt_load_id`` on every row."""
    schema = pipeline.default_schema
    tables = schema.data_table_names()
    by_id: dict[str, str] = {}
    root_ids: dict[str, str] = {}
    rows: dict[str, list[dict[str, Any]]] = {}
    with pipeline.sql_client() as client:
        for table in tables:
            names = list(schema.get_table_columns(table))
            if "_dlt_id" not in names:
                continue
            selected = ", ".join(client.escape_column_name(name) for name in names)
            found = [dict(zip(names, row, strict=True))
                     for row in client.execute_sql(f"SELECT {selected} FROM {client.make_qualified_table_name(table)}")]
            rows[table] = found
            ids = [row["_dlt_id"] for row in found]
            assert len(ids) == len(set(ids)), f"{table}: _dlt_id not unique"
            for row in found:
                by_id[row["_dlt_id"]] = _content(row)
                if not schema.tables[table].get("parent"):
                    assert row.get("_dlt_load_id"), f"{table}: a row without _dlt_load_id"
                    root_ids[row["_dlt_id"]] = _content(row)
    linked: dict[str, list[str]] = {}
    for table, found in rows.items():
        if not schema.tables[table].get("parent"):
            continue
        linked[table] = sorted(
            f"{_content(row)} @{row['_dlt_list_idx']} under {by_id.get(row['_dlt_parent_id'], '<missing>')} "
            f"in {root_ids.get(row.get('_dlt_root_id'), '<no root>' if '_dlt_root_id' not in row else '<missing>')}"
            for row in found)
    return linked


OFFSET_PAGES = {"type": "offset", "limit": 10, "total_path": "total"}
ITEMS_INCREMENTAL = {"cursor_path": "updated_at", "initial_value": "2020-01-01T00:00:00Z"}


def merged_items(*, incremental: bool = False, **resource: Any) -> ConfigFactory:
    """A config of one resource, ``items`` of the generic API in pages of 10, merged on ``id`` (with an
    incremental on ``updated_at`` if asked; ``resource``: more keys of the resource)."""
    endpoint: dict[str, Any] = {"path": "offset/items"}
    if incremental:
        endpoint["incremental"] = ITEMS_INCREMENTAL

    def factory(api: SimulatedAPI) -> dict[str, Any]:
        return {"client": {"base_url": api.base_url, "paginator": OFFSET_PAGES},
                "resources": [{"name": "items", "primary_key": "id", "write_disposition": "merge",
                               "endpoint": dict(endpoint), **resource}]}
    return factory


def differential(config_factory: ConfigFactory, *, tmp_path: Path, api: str = "generic", size: int = 23,
                 seed: int = 0, source_kwargs: Mapping[str, Any] | None = None,
                 compare: bool = True, fan_out_paths: Collection[str] = (), runs: int = 1,
                 restloom_only: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                 prepare: Callable[[SimulatedAPI, int], None] | None = None,
                 adapt: Callable[[Any], Any] = lambda source: source) -> Outcome:
    """Run ``config_factory(api)`` on stock dlt, then on restloom, against one server; compare both.

    The factory is called once per side, so each gets its own config (dlt and restloom may keep
    paginator or auth objects). ``compare=False`` returns both sides unasserted, for a test about a
    deliberate difference. ``runs`` loads the config that many times into the same pipeline (its
    incremental state carries over); the request logs then cover every run. ``restloom_only`` changes
    restloom's config alone (an option of the extended dialect that dlt would reject). ``prepare(api, n)``
    sets the served data before run ``n`` of each side (it must depend on ``n`` alone: both sides see the
    same). ``adapt(source)``: what each side runs instead of its source (e.g. ``source.add_limit(2)``).
    """
    kwargs = dict(source_kwargs or {})
    with serve(api, size=size, seed=seed) as server:
        before_run = None if prepare is None else (lambda run: prepare(server, run))
        dlt_side = run_side(lambda: adapt(dlt_rest_api_source(dict(config_factory(server)), **kwargs)), name="dlt_side",
                            tmp_path=tmp_path, runs=runs, before_run=before_run)
        dlt_log = server.requests
        server.clear_requests()
        restloom_side = run_side(
            lambda: adapt(restloom.rest_api_source((restloom_only or dict)(dict(config_factory(server))), **kwargs,
                                                   retry_wait_scale=0.0)),
            name="restloom_side", tmp_path=tmp_path, runs=runs, before_run=before_run, lean=True)
        restloom_log = server.requests
    outcome = Outcome(
        dlt=_with_requests(dlt_side, dlt_log),
        restloom=_with_requests(restloom_side, restloom_log),
        api=server,
        logs={"dlt": dlt_log, "restloom": restloom_log},
        fan_out_paths=frozenset(fan_out_paths),
    )
    if compare:
        outcome.assert_same()
    return outcome


def _with_requests(side: Side, log: list[RequestRecord]) -> Side:
    return Side(rows=side.rows, columns=side.columns, hints=side.hints, requests=requests_by_path(log),
                pipeline=side.pipeline, source=side.source, linkage=side.linkage)
