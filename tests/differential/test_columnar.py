"""Differential: the columnar path (pages handed to dlt as Arrow tables) lands exactly what stock dlt's row
path lands: tables, columns in order with their hints, ``_dlt_*`` linkage of nested tables, values, merges.

Each case plants hostile values in the generic API (two pages of 12 and 11 items) and also asserts which
path restloom took, so a case cannot pass by silently falling back to rows.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import restloom
from restloom.testing import SimulatedAPI
from tests.differential.harness import Outcome, differential

PAGES = {"type": "offset", "limit": 12, "total_path": "total"}


def _config(**resource: Any) -> Callable[[SimulatedAPI], dict[str, Any]]:
    def factory(api: SimulatedAPI) -> dict[str, Any]:
        return {"client": {"base_url": api.base_url, "paginator": PAGES},
                "resources": [{"name": "items", "endpoint": {"path": "offset/items"}, **resource}]}
    return factory


def _plant(values: dict[tuple[int, str], Any]) -> Callable[[SimulatedAPI, int], None]:
    def prepare(api: SimulatedAPI, _run: int) -> None:
        for (position, name), value in values.items():
            api.set_field("items", position, name, value)
    return prepare


def _path(outcome: Outcome, name: str = "items") -> str:
    return restloom.report_of(outcome.restloom.source).stats(name).path


def _record_by_record(outcome: Outcome, name: str = "items") -> str | None:
    """Why a chunk went through dlt's normaliser record by record; None: every chunk was vectorised."""
    return restloom.report_of(outcome.restloom.source).stats(name).record_by_record


NESTED = {
    (0, "events"): [{"kind": "view", "meta": {"by": "ann", "n": 1}, "hops": [[1, 2], [3]]},
                    {"kind": "buy", "meta": {"by": "bob", "n": 2}, "hops": []}],
    (1, "events"): [],
    (3, "events"): [{"kind": "return", "meta": {"by": None, "n": 3}, "hops": [[4]]}],
    (0, "matrix"): [[1, 2], [3, 4, 5]],
    (2, "matrix"): [[], [6]],
    (0, "profile"): {"address": {"city": "Oslo", "zip": "0150"}, "langs": ["no", "en"]},
    (5, "profile"): {"address": {"city": "Rome", "zip": None}, "langs": []},
}


@pytest.mark.parametrize("disposition", ["append", "merge"])
def test_nested_objects_lists_and_lists_of_lists(tmp_path: Path, disposition: str) -> None:
    """Nested objects flatten to a__b, lists of objects and of scalars and lists inside lists become nested
    tables with dlt's linkage (root ids with merge), all from Arrow tables."""
    outcome = differential(_config(primary_key="id", write_disposition=disposition), tmp_path=tmp_path,
                           prepare=_plant(NESTED))
    assert _path(outcome) == "columnar"
    assert _record_by_record(outcome) is None
    assert set(outcome.dlt.linkage) == {"items__tags", "items__events", "items__events__hops",
                                        "items__events__hops__list", "items__matrix", "items__matrix__list",
                                        "items__profile__langs"}
    assert len(outcome.dlt.linkage["items__events__hops__list"]) == 4
    assert "profile__address__city" in outcome.dlt.columns["items"]
    root = "_dlt_root_id" in outcome.dlt.columns["items__tags"]
    assert root is (disposition == "merge")


TYPED = {
    (0, "seen"): "2024-05-31T21:27:22Z", (1, "seen"): "2024-05-31T23:27:22+02:00",
    (2, "seen"): "2024-06-01T00:00:00.123456Z", (3, "seen"): "2024-06-01T00:00:00.5-03:30",
    (4, "seen"): "2024-06-01 10:00:00+00:00", (14, "seen"): "2024-07-01T00:00:00Z",
    (0, "day"): "2024-05-31", (13, "day"): "2024-06-30",
    (0, "ratio"): 0.5, (1, "ratio"): 3, (15, "ratio"): 7,
    (0, "count"): 4, (1, "count"): 5.0, (16, "count"): -2,
    (0, "flag"): True, (20, "flag"): False,
    (0, "big"): 2**62, (1, "big"): -(2**63),
    (14, "late"): "first value on page 2", (15, "late"): None,
}


def test_timestamps_dates_numbers_and_nulls_first(tmp_path: Path) -> None:
    """ISO timestamps with Z, offsets and fractions (one cast where Arrow and pendulum agree, dlt's coercion
    otherwise), date strings (text: dlt detects no dates), a double column with ints, a bigint column with
    an integral float, bools, 64-bit extremes, and a column null on the first page that gets values later."""
    outcome = differential(_config(), tmp_path=tmp_path, prepare=_plant(TYPED))
    assert _path(outcome) == "columnar"
    assert _record_by_record(outcome) is None
    columns = outcome.dlt.columns["items"]
    assert columns["seen"]["data_type"] == "timestamp"
    assert columns["day"]["data_type"] == "text"
    assert columns["ratio"]["data_type"] == "double"
    assert columns["count"]["data_type"] == "bigint"
    assert columns["late"]["data_type"] == "text"
    assert list(columns).index("late") > list(columns).index("_dlt_id")  # appears on page 2, after the ids


def test_a_field_whose_type_changes_goes_to_rows_from_that_page(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """An int column that gets a text value on page 2 makes dlt add a variant column (shape__v_text): that
    page and the rest go as rows, and Arrow page 1 plus row page 2 land as dlt's all-rows run (one page per
    Arrow table here; by default the two pages would be one table, and both would go as rows)."""
    monkeypatch.setenv("RESTLOOM_COLUMNAR_ROWS", "12")
    outcome = differential(_config(), tmp_path=tmp_path,
                           prepare=_plant({(0, "shape"): 1, (14, "shape"): "round", (1, "amount"): 2,
                                           (15, "amount"): 2.5}))
    assert "shape__v_text" in outcome.dlt.columns["items"]
    assert "amount__v_double" in outcome.dlt.columns["items"]
    assert _path(outcome).startswith("columnar, rows from page 2 (column ")


SHAPES = {
    (0, "alpha"): None, (0, "zeta"): 1, (1, "alpha"): 2,  # alpha has its first value after zeta
    (0, "nest"): {"b": None, "a": 1}, (2, "nest"): {"b": 2, "a": None},
    (0, "camelCase Key"): "x", (1, ""): "an empty key",
    (0, "maybe"): None, (3, "maybe"): {"deep": {"deeper": 5}},
    (0, "sparse"): [None, {"k": 1}, None], (1, "sparse"): [{"k": 2, "j": "x"}, {}],
    (0, "nums"): [1, None, 3], (1, "nums"): [None],
    (4, "whole"): 3, (5, "whole"): 4.0,  # first an int: bigint, and 4.0 is coerced to 4
    (4, "real"): 2.5, (5, "real"): 7,  # first a float: double
}


def test_shapes_the_vectorised_lane_reproduces(tmp_path: Path) -> None:
    """Columns whose first value comes later than another's, in objects too; names dlt normalises (camel
    case, spaces, an empty key); objects and lists null in some records; null elements in lists of objects
    and of scalars; an empty object in a list; ints and floats in one field: every chunk vectorised, and
    the tables are stock dlt's (columns in order with their types, rows, linkage)."""
    outcome = differential(_config(primary_key="id", write_disposition="merge"), tmp_path=tmp_path,
                           prepare=_plant(SHAPES))
    assert (_path(outcome), _record_by_record(outcome)) == ("columnar", None)
    columns = list(outcome.dlt.columns["items"])
    assert columns.index("zeta") < columns.index("alpha")
    assert columns.index("nest__a") < columns.index("nest__b")
    assert {"camel_case_key", "_empty", "maybe__deep__deeper"} <= set(columns)
    assert outcome.dlt.columns["items"]["whole"]["data_type"] == "bigint"
    assert outcome.dlt.columns["items"]["real"]["data_type"] == "double"
    assert len(outcome.dlt.linkage["items__sparse"]) == 5
    assert len(outcome.dlt.linkage["items__nums"]) == 4


def test_fields_that_normalise_to_one_name_go_record_by_record(tmp_path: Path) -> None:
    """"a b" and "a_b" are one column for dlt: the vectorised lane does not merge fields, so the chunk goes
    through dlt's normaliser (still columnar), and the table is stock dlt's."""
    outcome = differential(_config(), tmp_path=tmp_path, prepare=_plant({(0, "a b"): 1, (1, "a_b"): 2}))
    assert (_path(outcome), _record_by_record(outcome)) == ("columnar", "two fields of items have one name")
    assert outcome.dlt.columns["items"]["a_b"]["data_type"] == "bigint"


@pytest.mark.parametrize(("chunk", "strategy"), [("12", "delete-insert"), ("5000", "delete-insert"),
                                               ("5000", "upsert")])
def test_merge_resync_replaces_the_children_of_updated_parents(tmp_path: Path, chunk: str, strategy: str,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Run 2 shrinks item 1's lists and empties item 2's: dlt's merge deletes their old child rows via the
    root key, with the children written as Arrow exactly as with rows (one Arrow table per page, or one for
    both pages; upsert's row ids are dlt's key hashes)."""
    monkeypatch.setenv("RESTLOOM_COLUMNAR_ROWS", chunk)
    lists = {0: ({(0, "tags"): ["a", "b", "c"], (1, "tags"): ["x"], (0, "name"): "v1", (0, "events"): [
        {"kind": "a", "hops": [[1], [2]]}, {"kind": "b", "hops": []}]}),
             1: ({(0, "tags"): ["a"], (1, "tags"): [], (0, "name"): "v2",
                  (0, "events"): [{"kind": "a", "hops": [[9]]}]})}

    def prepare(api: SimulatedAPI, run: int) -> None:
        _plant(lists[run])(api, run)

    disposition = {"disposition": "merge", "strategy": strategy}
    outcome = differential(_config(primary_key="id", write_disposition=disposition), tmp_path=tmp_path, runs=2,
                           prepare=prepare)
    assert _path(outcome) == "columnar"
    assert _record_by_record(outcome) is None
    tags = [line for line in outcome.restloom.linkage["items__tags"] if '"name": "v2"' in line]
    assert len(tags) == 1
    assert tags[0].startswith('{"value": "a"} @0')
    assert len(outcome.restloom.linkage["items__events__hops__list"]) == 1


def test_max_table_nesting(tmp_path: Path) -> None:
    """max_table_nesting=1: dlt keeps deeper structures as json columns, which the columnar path does not
    build, so those pages go as rows; the tables are still dlt's."""
    outcome = differential(_config(), tmp_path=tmp_path, source_kwargs={"max_table_nesting": 1},
                           prepare=_plant({(0, "profile"): {"address": {"city": "Oslo"}}}))
    assert outcome.dlt.columns["items"]["profile__address"]["data_type"] == "json"
    assert _path(outcome) == "columnar, rows from page 1 (column profile__address would be json)"
    assert _record_by_record(outcome) == "column profile__address would be json"
    flat = differential(_config(), tmp_path=tmp_path / "flat", source_kwargs={"max_table_nesting": 2},
                        prepare=_plant({(0, "profile"): {"address": {"city": "Oslo"}}}))
    assert _path(flat) == "columnar"


def _nesting_zero_on_the_resource(source: Any) -> Any:
    source.resources["items"].max_table_nesting = 0
    return source


@pytest.mark.parametrize("where", ["config", "dlt"])
def test_max_table_nesting_zero_on_a_resource(tmp_path: Path, where: str) -> None:
    """A resource's own max_table_nesting of 0 (in its config, or set in dlt on the built resource) keeps
    every nested value whole, in json columns, with no nested table: the columnar path read a level of 0
    as "not set" and unnested the lists into tables dlt does not make. The json columns go as rows."""
    config = _config(max_table_nesting=0) if where == "config" else _config()
    adapt = _nesting_zero_on_the_resource if where == "dlt" else (lambda source: source)
    outcome = differential(config, tmp_path=tmp_path, prepare=_plant(NESTED), adapt=adapt)
    assert sorted(outcome.restloom.rows) == ["items"]
    assert outcome.restloom.columns["items"]["profile"]["data_type"] == "json"
    assert _path(outcome).startswith("columnar, rows from page 1 (column ")


TAG_HINTS = {"tags": {"columns": {"value": {"name": "value", "data_type": "text"}}}}


def _tag_hints_on_the_resource(source: Any) -> Any:
    source.resources["items"].apply_hints(nested_hints=TAG_HINTS)
    return source


@pytest.mark.parametrize("where", ["config", "dlt"])
def test_nested_hints_go_as_rows(tmp_path: Path, where: str) -> None:
    """dlt's nested_hints (a rest_api config key, or applied in dlt to the built resource) are applied to
    the nested tables dlt makes from records; the columnar path failed on them (a nested table handed over
    with the root table's keys), so such a resource goes as rows and lands what dlt lands."""
    config = _config(nested_hints=TAG_HINTS) if where == "config" else _config()
    adapt = _tag_hints_on_the_resource if where == "dlt" else (lambda source: source)
    outcome = differential(config, tmp_path=tmp_path, adapt=adapt)
    assert sorted(outcome.restloom.rows) == ["items", "items__tags"]
    assert outcome.restloom.columns["items__tags"]["value"]["data_type"] == "text"
    reason = "nested_hints: dlt applies them to the nested tables it makes from the records"
    assert _path(outcome) == (f"rows ({reason})" if where == "config" else f"columnar, rows from page 1 ({reason})")


def _table_per_colour(source: Any) -> Any:
    source.resources["items"].apply_hints(table_name=lambda record: f"items_{record['colour']}")
    return source


def test_a_table_name_computed_per_record_in_dlt_goes_as_rows(tmp_path: Path) -> None:
    """A table name applied in dlt as a function of the record: dlt computes it from each record, so the
    resource goes as rows from its first page (the columnar path failed: no record to compute it from)."""
    outcome = differential(_config(), tmp_path=tmp_path, adapt=_table_per_colour)
    assert sorted(table for table in outcome.restloom.rows if "__" not in table) == [
        "items_amber", "items_blue", "items_green", "items_red"]
    assert _path(outcome) == "columnar, rows from page 1 (hints computed per record)"


def _scd2(source: Any) -> Any:
    source.resources["items"].apply_hints(write_disposition={"disposition": "merge", "strategy": "scd2"})
    return source


def test_scd2_applied_in_dlt_goes_as_rows(tmp_path: Path) -> None:
    """scd2 applied in dlt to the built resource goes as rows, as a config's does (row hashes, validity
    columns). Its validity timestamps are each side's load time, so tables are compared without them."""
    outcome = differential(_config(primary_key="id"), tmp_path=tmp_path, adapt=_scd2, compare=False,
                           prepare=_plant(NESTED))
    assert _path(outcome) == "columnar, rows from page 1 (scd2)"
    assert outcome.restloom.rows == outcome.dlt.rows
    assert outcome.restloom.columns == outcome.dlt.columns
    assert "_dlt_valid_from" in outcome.restloom.columns["items"]


def test_row_path_switch_and_reasons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """RESTLOOM_COLUMNAR=0 sends every page as rows (same tables); processing steps always do."""
    monkeypatch.setenv("RESTLOOM_COLUMNAR", "0")
    outcome = differential(_config(primary_key="id", write_disposition="merge"), tmp_path=tmp_path,
                           prepare=_plant(NESTED))
    assert _path(outcome) == "rows (RESTLOOM_COLUMNAR=0)"
    monkeypatch.delenv("RESTLOOM_COLUMNAR")
    stepped = differential(_config(processing_steps=[{"map": lambda item: item}]), tmp_path=tmp_path / "steps")
    assert _path(stepped) == "rows (processing_steps)"


def test_children_and_parallelized_resources(tmp_path: Path) -> None:
    """A parent goes as rows (its child, a dlt transformer, reads its records); the child and a
    parallelized resource go columnar, each under dlt's extract of its own (threads included)."""
    def factory(api: SimulatedAPI) -> dict[str, Any]:
        return {"client": {"base_url": api.base_url, "paginator": PAGES}, "resources": [
            {"name": "items", "primary_key": "id", "write_disposition": "merge", "endpoint": {"path": "offset/items"}},
            {"name": "events", "endpoint": {"path": "items/{resources.items.id}/events", "paginator": "single_page",
                                            "response_actions": [{"status_code": 404, "action": "ignore"}]}},
            {"name": "cheap", "parallelized": True, "endpoint": {"path": "pages/items", "paginator": "single_page"}}]}

    outcome = differential(factory, tmp_path=tmp_path, prepare=_plant(NESTED))
    assert [_path(outcome, name) for name in ("items", "events", "cheap")] == [
        "rows (parent of events)", "columnar", "columnar"]
    assert outcome.dlt.rows["events"]
    assert "items__events__hops__list" in outcome.dlt.linkage


def _read_spy(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each chunk offered as JSON text was read from it (True) or inferred from the records again."""
    from restloom.adapter import vector

    read = vector._read_records
    seen: list[bool] = []

    def spy(texts: Any, known: Any) -> Any:
        records = read(texts, known)
        seen.append(records is not None)
        return records

    monkeypatch.setattr(vector, "_read_records", spy)
    return seen


LATE = {(14, "late"): "2024-06-30"}  # new on page 2; Arrow's JSON reader alone would make it a timestamp
LATE_NESTED = {(0, "nest"): {"a": 1}, (14, "nest"): {"a": 2, "b": "new in page 2"}}
WIDER = {(0, "ratio"): 1, (14, "ratio"): 2.5}  # int64 on page 1: the fraction is refused, dlt makes a variant
NARROWER = {(0, "ratio"): 1.5, (14, "ratio"): 2}  # double on page 1: page 2's int is read as a double


SAME = {**{k: v for k, v in TYPED.items() if k[1] != "late"}, **SHAPES, **NESTED}  # nothing new on page 2


@pytest.mark.parametrize(("planted", "read"), [
    (SAME, [True]), (LATE, [False]), (LATE_NESTED, [False]), (WIDER, [False]),
    (NARROWER, [True])], ids=["same-shape", "new-field", "new-nested-field", "wider-type", "narrower-type"])
def test_later_chunks_are_read_from_the_engines_json_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          planted: dict[tuple[int, str], Any],
                                                          read: list[bool]) -> None:
    """Page 2 (its own chunk) is read by Arrow's JSON reader typed as page 1's records when it fits that type
    exactly, and inferred from the records when it does not (a new field, at the top or nested, or a value
    of a wider type); either way the tables are stock dlt's."""
    monkeypatch.setenv("RESTLOOM_COLUMNAR_ROWS", "12")
    seen = _read_spy(monkeypatch)
    outcome = differential(_config(primary_key="id", write_disposition="merge"), tmp_path=tmp_path,
                           prepare=_plant(planted))
    assert seen == read
    if planted is LATE:
        assert outcome.dlt.columns["items"]["late"]["data_type"] == "text"
    if planted is WIDER:
        assert "ratio__v_double" in outcome.dlt.columns["items"]
        assert _path(outcome).startswith("columnar, rows from page 2")
    else:
        assert (_path(outcome), _record_by_record(outcome)) == ("columnar", None)


START = "2024-05-31T12:00:00Z"
LATER = "2024-07-01T00:00:00Z"


def _changes(**incremental: Any) -> Callable[[SimulatedAPI], dict[str, Any]]:
    """``/api/changes`` (ascending ``updated_at``, offset pages of 8) merged on ``id``, incremental on
    ``updated_at`` sent as ``since``."""
    def factory(api: SimulatedAPI) -> dict[str, Any]:
        paginator = {"type": "offset", "limit": 8, "total_path": "total"}
        return {"client": {"base_url": api.base_url, "paginator": paginator},
                "resources": [{"name": "changes", "primary_key": "id", "write_disposition": "merge",
                               "endpoint": {"path": "changes", "data_selector": "items", "incremental": {
                                   "cursor_path": "updated_at", "start_param": "since", "initial_value": START,
                                   **incremental}}}]}
    return factory


def _cursor(outcome: Outcome, side: str) -> dict[str, Any]:
    state = getattr(outcome, side).pipeline.state["sources"]["rest_api"]["resources"]["changes"]["incremental"]
    return dict(state["updated_at"])


def _updated_later_in_run_two(planted: dict[tuple[int, str], Any] | None = None) -> Callable[[SimulatedAPI, int], None]:
    """Record 3 is updated (``updated_at`` = ``LATER``) before the second run of each side, and is as it was
    before the first; ``planted`` values are set before every run."""
    original: dict[str, Any] = {}

    def prepare(api: SimulatedAPI, run: int) -> None:
        original.setdefault("updated_at", api.records("items")[3]["updated_at"])
        api.set_field("items", 3, "updated_at", LATER if run == 1 else original["updated_at"])
        for (position, name), value in (planted or {}).items():
            api.set_field("items", position, name, value)
    return prepare


def test_an_incremental_resource_goes_columnar_and_keeps_dlts_cursor(tmp_path: Path) -> None:
    """dlt's incremental filters the records before they become Arrow tables: over two runs (the second asks
    from the stored cursor and finds record 3 updated) the same tables, requests and stored cursor as dlt's
    row path; the cursor's values are the service's strings, as dlt stores them from records."""
    outcome = differential(_changes(), tmp_path=tmp_path, runs=2, prepare=_updated_later_in_run_two(NESTED))
    assert _path(outcome, "changes") == "columnar"
    ours, theirs = _cursor(outcome, "restloom"), _cursor(outcome, "dlt")
    assert ours == theirs
    assert ours["last_value"] == LATER
    starts = [dict(query)["since"] for _, query, _ in outcome.restloom.requests["/api/changes"]
              if dict(query)["offset"] == "0"]
    assert starts == [START, ours["start_value"]]
    assert ours["start_value"] > START
    assert outcome.restloom.rows["changes__events"]


def test_an_incremental_resource_that_turns_to_rows_keeps_dlts_cursor(tmp_path: Path) -> None:
    """A page the columnar path cannot build goes as rows after dlt's incremental filtered it, and so do the
    pages after it: the same tables and cursor as dlt's."""
    outcome = differential(_changes(initial_value="2000-01-01T00:00:00Z"), tmp_path=tmp_path, prepare=_plant(WIDER))
    assert _path(outcome, "changes") == (
        "columnar, rows from page 1 (column ratio: a double value in a bigint column (a variant column))")
    assert _cursor(outcome, "restloom") == _cursor(outcome, "dlt")


def test_row_order_hands_dlt_a_page_at_a_time(tmp_path: Path) -> None:
    """With ``row_order`` dlt closes the resource at the first record past ``end_value``; the columnar path
    hands dlt one page at a time, as the row path does, so it stops after the same pages (2 of 5 here)."""
    def factory(api: SimulatedAPI) -> dict[str, Any]:
        moments = sorted(record["updated_at"] for record in api.records("items"))
        return _changes(initial_value=moments[0], end_value=moments[12], row_order="asc")(api)

    outcome = differential(factory, tmp_path=tmp_path, size=40)
    assert _path(outcome, "changes") == "columnar"
    assert len(outcome.restloom.rows["changes"]) == 12
    offsets = [dict(query)["offset"] for _, query, _ in outcome.restloom.requests["/api/changes"]]
    assert offsets == ["0", "8"]
