"""Records a loader can store: the values dlt cannot write are changed, loudly, before they reach it.

One poison record must not cost a sync every table, nor block every later run (a package that fails
to normalize stays pending). Two kinds of value do that in dlt 1.31, and are changed here:

* **integers outside the signed 64-bit range** (a column of integers is ``bigint``): dlt fails the
  extract above 2⁶⁴ and the normalize step (naming another table) between 2⁶³ and 2⁶⁴. Such an
  integer is stored as its exact decimal text in the column ``<column>__v_text`` — where dlt puts the
  text variant of a column — and ``<column>`` stays empty in that row: the value becomes
  ``{"v_text": "<digits>"}``, which dlt flattens there. (Plain text would not do: dlt turns digits
  back into an integer for a ``bigint`` column.) The page is parsed with exact integers for this
  (``restloom.http.client``).
* **structures nested deeper than dlt's writer goes** (orjson stops at 254 levels; dlt fails the
  whole extract): a record nested more than ``WRITABLE_DEPTH`` (250) levels keeps its first
  ``MAX_DEPTH - 1`` (199) levels, and each structure at level ``MAX_DEPTH`` (the record itself is
  level 1) is stored as its JSON text. (A body nested deeper than 1024 levels cannot be parsed at all:
  its resource fails.)

Everything else passes untouched: one ``orjson.dumps`` of the page decides (it fails on structures
too deep and, asked to, on integers beyond 53 bits); only then are its records checked one by one,
and only those that need it are walked and changed. Each change is a warning in
the report naming the resource, the record's key and the field.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from restloom.config.models import ResourceSpec
from restloom.text import truncate

__all__ = ["MAX_DEPTH", "WRITABLE_DEPTH", "json_text", "storable_page", "storable_rows"]

MAX_DEPTH = 200
WRITABLE_DEPTH = 250  # orjson writes 254 levels; dlt may wrap a record once or twice
INT64 = range(-(2**63), 2**63)
_WARNINGS_PER_PAGE = 5


def storable_rows(spec: ResourceSpec, rows: list[Any], warn: Callable[[str], None]) -> list[Any]:
    """``rows`` with every value dlt cannot store changed (see the module docstring); ``warn`` hears why."""
    return storable_page(spec, rows, warn)[0]


def storable_page(spec: ResourceSpec, rows: list[Any],
                  warn: Callable[[str], None]) -> tuple[list[Any], bytes | None]:
    """``storable_rows``, and the rows as the one ``orjson.dumps`` that decides wrote them (a JSON array)
    when no record needed a change, else None: the columnar path reads that text into Arrow outside the
    interpreter (``adapter/vector.py``)."""
    text = _dumped(rows)
    if text is not None:
        return rows, text
    notes: list[str] = []
    fixed = [_storable_record(spec, index, row, notes) for index, row in enumerate(rows)]
    for note in notes[:_WARNINGS_PER_PAGE]:
        warn(note)
    if len(notes) > _WARNINGS_PER_PAGE:
        warn(f"... and {len(notes) - _WARNINGS_PER_PAGE} more values changed the same way in the same page")
    return fixed, None


def _dumped(value: Any) -> bytes | None:
    """``value`` as JSON, or None when it may hold something dlt cannot store (too deep, or an integer
    beyond 53 bits)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_STRICT_INTEGER)
    except TypeError:  # orjson: "Recursion limit reached" or "Integer exceeds 53-bit range"
        return None


def _suspect(value: Any) -> bool:
    """True when ``value`` may hold something dlt cannot store (too deep, or an integer beyond 53 bits)."""
    return _dumped(value) is None


def _storable_record(spec: ResourceSpec, index: int, record: Any, notes: list[str]) -> Any:
    if not _suspect(record):
        return record
    where = _record_name(spec, index, record)

    def note(path: list[str], what: str) -> None:
        field = truncate(".".join(path) or "(the record)", 120)
        notes.append(f"record {where}: field {field}: {what}")

    return _fixed(record, path=[], depth=1, cut=_deeper_than(record, WRITABLE_DEPTH), note=note)


def _deeper_than(value: Any, limit: int) -> bool:
    """True when ``value`` nests more than ``limit`` levels (counted without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _fixed(value: Any, *, path: list[str], depth: int, cut: bool, note: Callable[[list[str], str], None]) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        if value in INT64:
            return value
        text = str(value)
        note(path, f"integer {truncate(text, 40)} is outside 64 bits; stored as text in {'__'.join([*path, 'v_text'])}")
        return {"v_text": text}
    if isinstance(value, dict | list):
        if cut and depth >= MAX_DEPTH:
            note(path, f"nested deeper than {MAX_DEPTH} levels; stored as JSON text")
            return json_text(value)
        if isinstance(value, dict):
            return {key: _fixed(item, path=[*path, str(key)], depth=depth + 1, cut=cut, note=note)
                    for key, item in value.items()}
        return [_fixed(item, path=[*path, str(i)], depth=depth + 1, cut=cut, note=note)
                for i, item in enumerate(value)]
    return value


def _record_name(spec: ResourceSpec, index: int, record: Any) -> str:
    """``id=7`` (the record's primary key), or ``#3 of its page`` when it has none."""
    if isinstance(record, Mapping):
        keys = [key for key in spec.primary_key if key in record]
        if keys:
            return ", ".join(f"{key}={truncate(str(record[key]), 60)}" for key in keys)
    return f"#{index + 1} of its page"


class _Raw(str):
    """Text already encoded, on the encoder's stack."""


def json_text(value: Any) -> str:
    """Compact JSON text of a parsed JSON value however deep it nests (an explicit stack, no recursion)."""
    out: list[str] = []
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _Raw):
            out.append(item)
        elif isinstance(item, dict):
            stack.append(_Raw("}"))
            for position, (key, child) in reversed(list(enumerate(item.items()))):
                stack.append(child)
                stack.append(_Raw(f"{',' if position else ''}{json.dumps(str(key), ensure_ascii=False)}:"))
            out.append("{")
        elif isinstance(item, list):
            stack.append(_Raw("]"))
            for position, child in reversed(list(enumerate(item))):
                stack.append(child)
                if position:
                    stack.append(_Raw(","))
            out.append("[")
        else:
            out.append(json.dumps(item, ensure_ascii=False))
    return "".join(out)
