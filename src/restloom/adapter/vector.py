"""The vectorised lane of the columnar path: a chunk of records becomes dlt's tables in Arrow's engine.

Why our own: dlt's relational normaliser flattens and unnests record by record in Python, which was most of a
bulk sync's time even with Arrow tables handed to dlt. Here Arrow infers one struct array for the whole chunk
(in C++), and flattening (``a__b``), unnesting lists into nested tables and the linkage columns are column
operations. What must be dlt's exactly is dlt's: names, nesting limits and json columns from the normaliser's
own helpers (``_normalize_identifier``, ``_shorten_fragments``, ``_is_nested_type``), root-key propagation from
its config, the order of new columns from its ``_flatten`` run on the record where each column first has a
value, a nested row's ``_dlt_id`` by its ``get_nested_row_hash`` (checked against it on every chunk), types by
``coltypes``. Whatever it cannot promise raises ``NotColumnar``, and the chunk goes through dlt's normaliser
record by record instead (``columnar.py``).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json
from dlt.common.normalizers.json.helpers import get_nested_row_hash, get_root_row_id_type, get_row_hash
from dlt.common.normalizers.json.relational import DataItemNormalizer
from dlt.common.normalizers.utils import DLT_ID_LENGTH_BYTES, generate_dlt_ids
from dlt.common.schema import Schema, utils

from restloom.adapter.coltypes import NotColumnar, arrow_array, new_column

Built = tuple[str, str | None, pa.Table, Any]  # table, parent, its Arrow table, the partial table of new columns
_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError, TypeError,
                 ValueError)


@dataclass(slots=True)
class _Level:
    """The rows of one table while it is built: their values (objects as a struct array, or the scalars of a
    list), where each came from, their ids, and the linkage columns after their fields."""

    name: str
    path: tuple[str, ...]  # the normaliser's parent_path + ident_path of these rows
    parent: str | None
    values: pa.Array
    level: int  # the normaliser's _r_lvl of these rows
    origin: Callable[[int], Any]  # the record (or list element) row i came from
    key: Callable[[int], tuple[int, ...]]  # row i's place in the normaliser's depth-first walk
    ids: pa.Array
    root_ids: pa.Array | None
    meta: Sequence[tuple[str, pa.Array]]


def record_array(rows: Sequence[dict[str, Any]], texts: Sequence[bytes | None] = (),
                 known: pa.DataType | None = None) -> pa.StructArray:
    """The chunk's records as one Arrow struct array.

    Arrow infers it from the Python records (``pa.array``, which holds the interpreter's lock the whole
    time, about a fifth of a bulk sync). When the engine kept each page's records as JSON text
    (``Batch.text``) and an earlier chunk gave their type (``known``), Arrow's JSON reader reads the text
    instead, outside the interpreter, typed as ``known``: it refuses any value of another JSON kind than
    the type says (a string for a number, an object for a list, a fraction for an integer, a value for a
    null type, an integer beyond 64 bits), and a field the type lacks changes the type read. Anything but
    the ``known`` type exactly, or another number of records, and the records are inferred as before.
    The two agree value for value (an integer where ``known`` says double is read as that double; the
    lane casts it so anyway). Struct fields come in ``known``'s order, which the lane does not rely on.
    """
    written = [text for text in texts if text is not None]
    if known is not None and written and len(written) == len(texts):
        records = _read_records(written, known)
        if records is not None and len(records) == len(rows):
            return records
    try:
        records = pa.array(rows)
    except _ARROW_ERRORS as exc:
        raise NotColumnar(f"Arrow infers no single type for a field ({exc})") from None
    if not isinstance(records, pa.StructArray) or records.null_count:
        raise NotColumnar("a record that is not an object")
    return records


def _read_records(texts: Sequence[bytes], known: pa.DataType) -> pa.StructArray | None:
    """The records of JSON arrays of them, read by Arrow's JSON reader as ``known``, or None."""
    lines = [b'{"d":' + text + b"}" for text in texts]  # orjson writes no newline: one page a line
    field = pa.field("d", pa.list_(known))
    # on this thread, without the lock: Arrow's thread pool was no faster here and held ~50 MiB more at 200k
    options = pa_json.ReadOptions(block_size=max(1 << 20, 2 * max(map(len, lines)) + 2), use_threads=False)
    parse = pa_json.ParseOptions(explicit_schema=pa.schema([field]), unexpected_field_behavior="infer")
    try:
        column = pa_json.read_json(pa.BufferReader(b"\n".join(lines)), read_options=options,
                                   parse_options=parse).column("d")
    except _ARROW_ERRORS:
        return None
    if column.type.value_type != known:
        return None
    records = pa.concat_arrays([chunk.flatten() for chunk in column.chunks])
    return records if isinstance(records, pa.StructArray) and not records.null_count else None


def vector_tables(schema: Schema, normalizer: Any, root: str, rows: Sequence[dict[str, Any]], load_id: str, *,
                  texts: Sequence[bytes | None] = (),
                  known: pa.DataType | None = None) -> tuple[list[Built], pa.DataType]:
    """Every table the records make, in the order dlt's normaliser first yields a row of each, and the Arrow
    type of the records (``texts``, ``known``: see ``record_array``)."""
    if type(normalizer) is not DataItemNormalizer:
        raise NotColumnar("a custom data item normaliser")
    records = record_array(rows, texts, known)
    count = len(rows)
    ids = _root_ids(schema, normalizer, root, records, rows)
    propagation = normalizer._get_propagation_mapping(root, True) if normalizer._get_propagation_mapping else {}
    if propagation not in ({}, {normalizer.c_dlt_id: normalizer.c_dlt_root_id}):
        raise NotColumnar("a propagation of columns to nested tables")
    level = normalizer._get_table_nesting_level(root, normalizer.max_nesting)  # 0 keeps every nested value whole
    if level is None:
        level = normalizer.max_nesting
    meta = [(normalizer.c_dlt_load_id, pa.array([load_id] * count, pa.string())), (normalizer.c_dlt_id, ids)]
    pending = [_Level(root, (root,), None, records, level, rows.__getitem__, lambda i: (i,), ids,
                      ids if propagation else None, meta)]
    built: list[tuple[tuple[int, ...], Built]] = []
    while pending:
        current = pending.pop()
        table, lists = _table(schema, normalizer, current)
        built.append((current.key(0), table))
        pending.extend(_nested(normalizer, current, ident, values, keys) for ident, values, keys in lists)
        pending = [level for level in pending if len(level.values)]
    return [table for _, table in sorted(built, key=lambda entry: entry[0])], records.type


def _root_ids(schema: Schema, normalizer: Any, root: str, records: pa.StructArray,
              rows: Sequence[dict[str, Any]]) -> pa.Array:
    """The root rows' ``_dlt_id``: random (drawn in one call), or dlt's key hash (upsert and the like: a hash
    of the primary key's values, by dlt's ``get_row_hash``) when every key column is a top-level field of
    ints, strings or bools with no null (a double would hash as Arrow made it, not as the record holds it)."""
    row_id_type = get_root_row_id_type(schema, root)
    if row_id_type == "random":
        return pa.array(generate_dlt_ids(len(rows)), pa.string())
    if row_id_type != "key_hash":
        raise NotColumnar(f"row ids are {row_id_type}es")
    keys = normalizer._get_primary_key(root)
    fields = {normalizer._normalize_identifier(field.name): (field.name, field.type) for field in records.type}
    if not keys or any(key not in fields or not _hashable(fields[key][1]) for key in keys):
        raise NotColumnar("a primary key that is not a top-level field of ints, strings or bools")
    originals = [(key, fields[key][0]) for key in keys]
    try:
        return pa.array([get_row_hash({key: row[original] for key, original in originals}, subset=keys)
                         for row in rows], pa.string())
    except KeyError:
        raise NotColumnar("a record without its primary key") from None


def _hashable(kind: pa.DataType) -> bool:
    return pa.types.is_int64(kind) or pa.types.is_string(kind) or pa.types.is_boolean(kind)


def _walk(normalizer: DataItemNormalizer, level: _Level) -> tuple[list[Any], list[Any]]:
    """The leaf columns (name, values, original keys) and lists (ident path, list array, original keys) of a
    level's objects, walked as the normaliser's ``_flatten`` walks a record."""
    if not pa.types.is_struct(level.values.type):
        return [(normalizer.c_value, level.values, ())], []
    leaves: list[Any] = []
    lists: list[Any] = []
    stack: list[tuple[pa.StructArray, int, tuple[str, ...], tuple[str, ...]]] = [(level.values, level.level, (), ())]
    empty = normalizer.EMPTY_KEY_IDENTIFIER
    while stack:
        struct, depth, path, keys = stack.pop()
        for field, values in zip(struct.type, struct.flatten(), strict=True):
            key = field.name
            norm = normalizer._normalize_identifier(key) if key and not key.isspace() else empty
            name = norm if not path else normalizer._shorten_fragments(*path, norm)
            nested = pa.types.is_struct(field.type) or pa.types.is_list(field.type)
            if nested and normalizer._is_nested_type(level.name, name, depth):
                raise NotColumnar(f"column {name} would be json")
            if pa.types.is_struct(field.type):
                stack.append((values, depth - 1, (*path, norm), (*keys, key)))
            elif pa.types.is_list(field.type):
                lists.append(((*path, normalizer._normalize_table_identifier(key)), values, (*keys, key)))
            elif not (pa.types.is_primitive(field.type) or pa.types.is_string(field.type)
                      or pa.types.is_null(field.type)):
                raise NotColumnar(f"column {name} is {field.type}")
            else:
                leaves.append((name, values, (*keys, key)))
    return leaves, lists


def _table(schema: Schema, normalizer: DataItemNormalizer, level: _Level) -> tuple[Built, list[Any]]:
    """One level's Arrow table (columns in the row path's order and types) and its lists."""
    leaves, lists = _walk(normalizer, level)
    names = [name for name, _, _ in leaves] + [name for name, _ in level.meta]
    tables = [normalizer._shorten_fragments(*level.path, *ident) for ident, _, _ in lists]
    if len(set(names)) < len(names) or len(set(tables)) < len(tables):
        raise NotColumnar(f"two fields of {level.name} have one name")
    if any(name.startswith("_dlt") for name, _, _ in leaves):
        raise NotColumnar(f"a field of {level.name} named like dlt's own columns")
    present = [(name, values, keys, _first(values)) for name, values, keys in leaves if values.null_count < len(values)]
    order = _order(normalizer, level, present)
    existing = schema.tables.get(level.name)
    known: dict[str, Any] = existing["columns"] if existing else {}
    new_columns: dict[str, Any] = {}
    fields: list[pa.Field] = []
    arrays: list[pa.Array] = []
    for name, values, first in order:
        column = known.get(name)
        if column is None or not utils.is_complete_column(column):
            column = new_column(schema, name, first(), column)
            new_columns[name] = column
        arrays.append(arrow_array(column, values))
        fields.append(pa.field(name, arrays[-1].type, nullable=column.get("nullable", True)))
    placed = {name for name, _, _ in order}
    for name, column in known.items():
        if name not in placed and not column.get("nullable", True) and utils.is_complete_column(column):
            raise NotColumnar(f"column {name} is not nullable and the page has no value for it")
    partial: Any = None
    if new_columns or existing is None:
        partial = {"name": level.name, "columns": {}} if existing is not None else utils.new_table(
            level.name, level.parent)  # type: ignore[arg-type]  # None: a root table, as dlt's row path calls it
        partial["columns"] = new_columns
    arrow = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    return (level.name, level.parent, arrow, partial), lists


def _first(values: pa.Array) -> int:
    """The index of the first non-null value."""
    return 0 if not values.null_count else int(pc.index(values.is_valid(), True).as_py())


def _order(normalizer: DataItemNormalizer, level: _Level,
           present: list[Any]) -> list[tuple[str, pa.Array, Callable[[], Any]]]:
    """The columns in the order the row path adds them: by the first row with a value, then by the place of
    the field in that row as the normaliser flattens it; the linkage columns after the first row's fields.
    With each, how to get its first value as the record holds it (Arrow made ints and floats alike)."""
    places: dict[int, list[str]] = {}

    def fields(row: int) -> list[str]:
        if row not in places:
            origin = level.origin(row)
            places[row] = list(normalizer._flatten(level.name, origin, level.level)[0]) if isinstance(
                origin, dict) else [normalizer.c_value]
        return places[row]

    ranked: list[tuple[tuple[int, int], tuple[str, pa.Array, Callable[[], Any]]]] = []
    for name, values, keys, row in present:
        if name not in fields(row):
            raise NotColumnar(f"the fields of {level.name} are not in one order")
        ranked.append(((row, fields(row).index(name)), (name, values, _digger(level, row, keys))))
    for offset, (name, values) in enumerate(level.meta, start=len(fields(0))):
        ranked.append(((0, offset), (name, values, values[0].as_py)))
    return [entry for _, entry in sorted(ranked, key=lambda item: item[0])]


def _digger(level: _Level, row: int, keys: tuple[str, ...]) -> Callable[[], Any]:
    return lambda: _dig(level.origin(row), keys)


def _dig(value: Any, keys: tuple[str, ...]) -> Any:
    """The value under ``keys`` (object by object) of a record or list element."""
    for key in keys:
        value = value[key]
    return value


def _nested(normalizer: DataItemNormalizer, parent: _Level, ident: tuple[str, ...], lists: pa.Array,
            keys: tuple[str, ...]) -> _Level:
    """The rows a list field of ``parent`` makes in its nested table, with dlt's linkage."""
    path = (*parent.path, *ident)
    name = normalizer._shorten_fragments(*path)
    if not normalizer._should_be_nested(name) or (
            normalizer._get_propagation_mapping and normalizer._get_propagation_mapping(name, False)):
        raise NotColumnar(f"table {name} is not a plain nested table")
    values = pc.list_flatten(lists)
    parents = pc.list_parent_indices(lists).cast(pa.int64())
    offsets = lists.offsets
    starts = pc.subtract(pc.take(offsets, parents), offsets[0]).cast(pa.int64())
    positions = pc.subtract(pa.array(range(len(values)), pa.int64()), starts)
    parent_ids = pc.take(parent.ids, parents)
    ids = _nested_ids(name, parent_ids.to_pylist(), positions.to_pylist())
    root_ids = None if parent.root_ids is None else pc.take(parent.root_ids, parents)
    meta = [*([(normalizer.c_dlt_root_id, root_ids)] if root_ids is not None else []),
            (normalizer.c_dlt_parent_id, parent_ids), (normalizer.c_dlt_list_idx, positions),
            (normalizer.c_dlt_id, ids)]
    at, place = parents.to_pylist(), positions.to_pylist()
    level = parent.level - 1
    if pa.types.is_list(values.type):  # a list in a list: dlt makes the row {"list": [...]}, one level deeper
        values = pa.StructArray.from_arrays([values], names=["list"])
        level -= 1

        def origin(i: int) -> Any:
            return {"list": _element(parent, at[i], keys, place[i])}
    else:
        def origin(i: int) -> Any:
            return _element(parent, at[i], keys, place[i])

    def key(i: int) -> tuple[int, ...]:
        return (*parent.key(at[i]), _rank(normalizer, parent, at[i], ident), place[i])

    return _Level(name, path, parent.name, values, level, origin, key, ids, root_ids, meta)


def _element(parent: _Level, row: int, keys: tuple[str, ...], position: int) -> Any:
    return _dig(parent.origin(row), keys)[position]


def _rank(normalizer: DataItemNormalizer, parent: _Level, row: int, ident: tuple[str, ...]) -> int:
    """Which of the row's lists the normaliser walks into ``ident``'s place (its lists in flatten order)."""
    lists = list(normalizer._flatten(parent.name, parent.origin(row), parent.level)[1])
    return lists.index(ident) if ident in lists else len(lists)


def _nested_ids(table: str, parent_ids: list[str], positions: list[int]) -> pa.Array:
    """dlt's ``_dlt_id`` of nested rows, ``get_nested_row_hash`` (a shake128 digest of parent id, table and
    position, in base64 without its padding) computed with its parts bound once; the first is checked
    against dlt's own function."""
    shake, size, middle = hashlib.shake_128, DLT_ID_LENGTH_BYTES, f"_{table}_"
    digests = [shake(f"{parent}{middle}{position}".encode()).digest(size)
               for parent, position in zip(parent_ids, positions, strict=True)]
    ids = _base64_column(digests, size)
    if ids and ids[0].as_py() != get_nested_row_hash(parent_ids[0], table, positions[0]):
        raise NotColumnar("nested row ids are not dlt's")
    return ids


def _base64_column(digests: list[bytes], size: int) -> pa.Array:
    """Each ``size``-byte digest in base64 without padding, as a string column, in one encoding: each is
    padded with zero bytes to a multiple of 3, so the encoding of all of them joined is theirs side by side
    (the zero bytes only add the characters that padding would), cut to length by Arrow."""
    pad = -size % 3
    width, kept = (size + pad) // 3 * 4, -(-size * 4 // 3)
    text = base64.b64encode((b"\0" * pad).join(digests) + b"\0" * pad if digests else b"")
    offsets = pa.array(range(0, len(digests) * width + 1, width), pa.int32())
    padded = pa.StringArray.from_buffers(len(digests), offsets.buffers()[1], pa.py_buffer(text))
    return padded if kept == width else pc.utf8_slice_codeunits(padded, 0, kept)


__all__ = ["Built", "vector_tables"]
