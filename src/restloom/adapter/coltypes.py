"""Column types of the columnar path: the type dlt's row normaliser gives a new column, and a column's values
as an Arrow array of that type, coerced by dlt's rules (from Python values, or from an Arrow array built by
Arrow's own inference). Whatever would not come out exactly as dlt's row path makes it raises ``NotColumnar``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.data_types.type_helpers import _COERCE_DISPATCH, coerce_value, py_type_to_sc_type
from dlt.common.schema import Schema, utils
from dlt.common.time import normalize_timezone

ARROW_TYPES: Mapping[str, pa.DataType] = {
    "text": pa.string(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}
# the ISO 8601 form Arrow's cast and dlt's pendulum parse to the same instant (others go value by value)
_ISO = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$"


class NotColumnar(Exception):
    """A page the columnar path cannot reproduce dlt's row path for; it goes to dlt as rows."""


def new_column(schema: Schema, name: str, first: Any, incomplete: Mapping[str, Any] | None) -> dict[str, Any]:
    """The column dlt's row normaliser infers for ``name`` from its first non-null value: dlt's type
    detections and preferred types, nullability and every other column hint from the schema's hints, merged
    over an incomplete column a resource hint declared."""
    data_type = schema.get_preferred_type(name) or (
        utils.autodetect_sc_type(schema._type_detections, type(first), first) or py_type_to_sc_type(type(first)))
    if data_type not in ARROW_TYPES:
        raise NotColumnar(f"column {name} would be {data_type}")
    column: dict[str, Any] = {"name": name, "data_type": data_type,
                              "nullable": not schema._infer_hint("not_null", name)}
    for hint in schema._compiled_hints:
        if hint == "not_null":
            continue
        prop = utils.hint_to_column_prop(hint)
        value = schema._infer_hint(hint, name)
        if not utils.has_default_column_prop_value(prop, value):
            column[prop] = value
    if incomplete:
        column = dict(utils.merge_column(column, dict(incomplete)))  # type: ignore[arg-type]
    return column


def py_array(column: Mapping[str, Any], values: list[Any]) -> pa.Array:
    """``values`` as an Arrow array of the column's type, coerced as dlt's row normaliser coerces them."""
    data_type: str = column["data_type"]
    kinds = {type(v) for v in values}
    kinds.discard(type(None))
    if None in values and not column.get("nullable", True):
        raise NotColumnar(f"a null in the not nullable column {column['name']}")
    if data_type == "timestamp":
        return _py_timestamps(column["name"], values, kinds)
    if kinds and all(py_type_to_sc_type(kind) == data_type for kind in kinds):
        try:
            return pa.array(values, ARROW_TYPES[data_type])
        except (OverflowError, pa.ArrowInvalid) as exc:
            raise NotColumnar(f"column {column['name']}: {exc}") from None
    coerced = [None if v is None else _coerce_one(column["name"], data_type, v) for v in values]
    try:
        return pa.array(coerced, ARROW_TYPES[data_type])
    except (OverflowError, pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise NotColumnar(f"column {column['name']}: {exc}") from None


def _coerce_one(name: str, data_type: str, value: Any) -> Any:
    """One value coerced by dlt's rules; a value dlt would put in a variant column is not columnar."""
    from_type = py_type_to_sc_type(type(value))
    if from_type == data_type:
        return value
    if (data_type, from_type) not in _COERCE_DISPATCH:
        raise NotColumnar(f"column {name}: a {from_type} value in a {data_type} column (a variant column)")
    try:
        coerced = coerce_value(data_type, from_type, value)  # type: ignore[arg-type]
    except (ValueError, SyntaxError):
        raise NotColumnar(f"column {name}: a {from_type} value in a {data_type} column (a variant column)") from None
    if callable(coerced):
        raise NotColumnar(f"column {name}: a variant value")
    return normalize_timezone(coerced, True) if data_type == "timestamp" else coerced


def _py_timestamps(name: str, values: list[Any], kinds: set[type]) -> pa.Array:
    """ISO 8601 strings of the one form both parsers read alike go through one Arrow cast (the instant is
    the same: UTC, microseconds); any other value takes dlt's coercion (pendulum), one by one."""
    if kinds == {str}:
        stamps = _iso_cast(pa.array(values, pa.string()))
        if stamps is not None:
            return stamps
    return _timestamps_one_by_one(name, values)


def _timestamps_one_by_one(name: str, values: list[Any]) -> pa.Array:
    coerced = [None if v is None else _coerce_one(name, "timestamp", v) for v in values]
    return pa.array(coerced, ARROW_TYPES["timestamp"])


def arrow_array(column: Mapping[str, Any], values: pa.Array) -> pa.Array:
    """An array Arrow inferred from JSON values (strings, int64, float64, bools, nulls) as the column's type.

    What Arrow can do in one step as dlt does value by value: the column's own type as is, int64 into a
    double column, integral doubles into a bigint column (a non-integral one is dlt's variant column), ISO
    timestamps of the form both parse alike. Everything else takes dlt's coercion value by value
    (``py_array``) — except a double going to a text or bool column: Arrow's inference has made ints and
    floats alike there, and dlt writes ``3`` and ``3.0`` differently."""
    data_type: str = column["data_type"]
    if values.null_count and not column.get("nullable", True):
        raise NotColumnar(f"a null in the not nullable column {column['name']}")
    target = ARROW_TYPES.get(data_type)
    if target is None:
        raise NotColumnar(f"column {column['name']} is {data_type}")
    kind = values.type
    if kind == target or pa.types.is_null(kind):
        return values.cast(target)
    if data_type == "double" and pa.types.is_int64(kind):
        try:
            return pc.cast(values, target)  # safe: an integer a double cannot hold exactly raises
        except pa.ArrowInvalid:
            return py_array(column, values.to_pylist())  # dlt's float(v), rounded as it rounds
    if data_type == "bigint" and pa.types.is_float64(kind):
        try:
            return pc.cast(values, target)  # safe: a fraction or an out of range value raises
        except pa.ArrowInvalid:
            raise NotColumnar(f"column {column['name']}: a double in a bigint column (a variant column)") from None
    if data_type == "timestamp" and pa.types.is_string(kind):
        stamps = _iso_cast(values)
        return stamps if stamps is not None else _timestamps_one_by_one(column["name"], values.to_pylist())
    if pa.types.is_floating(kind):
        raise NotColumnar(f"column {column['name']}: numbers in a {data_type} column")
    return py_array(column, values.to_pylist())


def _iso_cast(strings: pa.Array) -> pa.Array | None:
    """ISO 8601 strings as UTC timestamps in one Arrow cast, or None where a value is of another form."""
    if pc.all(pc.match_substring_regex(strings, _ISO)).as_py() is False:
        return None
    try:
        return pc.cast(strings, ARROW_TYPES["timestamp"])
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
