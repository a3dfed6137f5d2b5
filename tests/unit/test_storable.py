"""Values dlt cannot store are changed with a warning; everything else passes untouched (the same objects)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from restloom.config import parse
from restloom.config.models import ResourceSpec
from restloom.engine.storable import MAX_DEPTH, WRITABLE_DEPTH, json_text, storable_page, storable_rows
from restloom.http.client import Fetcher
from restloom.http.retry import UnreadableBody


def _spec(primary_key: Any = "id") -> ResourceSpec:
    config = parse({"client": {"base_url": "https://api.test/"},
                    "resources": [{"name": "items", "primary_key": primary_key}]})
    return config.resources[0]


def _nested(levels: int) -> Any:
    value: Any = {"leaf": 1}
    for _ in range(levels - 1):
        value = {"x": value}
    return value


def test_normal_pages_pass_as_the_same_objects() -> None:
    """A page with nothing beyond the limits is returned as is (no copy, no warning); one with long digit runs
    or integers beyond 53 bits that are still in range (the slow path) comes out equal, without a warning."""
    rows = [{"id": 1, "n": 2**53 - 1, "deep": _nested(WRITABLE_DEPTH - 1), "s": "x" * 30}]
    long_digits = [{"id": "1" * 25, "n": 2**63 - 1, "m": -(2**63), "deep": _nested(WRITABLE_DEPTH - 1)}]
    warnings: list[str] = []
    assert storable_rows(_spec(), rows, warnings.append) is rows
    assert storable_rows(_spec(), long_digits, warnings.append) == long_digits
    assert warnings == []


def test_a_page_passed_as_is_comes_with_its_json_text_and_a_changed_one_without() -> None:
    """The text the check wrote is handed on (the columnar path reads it) only when the rows are the ones it
    describes: a page with a value beyond 53 bits is walked and gets none, even when nothing had to change."""
    rows = [{"id": 1, "name": "é", "n": 1.5, "tags": ["a"], "nested": {"x": None}}]
    assert storable_page(_spec(), rows, lambda _note: None) == (rows, b'[{"id":1,"name":"\xc3\xa9","n":1.5,'
                                                                        b'"tags":["a"],"nested":{"x":null}}]')
    wide = [{"id": 1, "n": 2**60}]
    assert storable_page(_spec(), wide, lambda _note: None) == (wide, None)
    changed, text = storable_page(_spec(), [{"id": 2, "n": 2**64}], lambda _note: None)
    assert (changed, text) == ([{"id": 2, "n": {"v_text": str(2**64)}}], None)


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**30])
def test_integers_outside_64_bits_become_their_v_text_column(value: int) -> None:
    """An integer beyond int64 lands as exact text in <field>__v_text, named by the record key."""
    warnings: list[str] = []
    [row] = storable_rows(_spec(), [{"id": 7, "a": {"n": value}}], warnings.append)
    assert row == {"id": 7, "a": {"n": {"v_text": str(value)}}}
    assert warnings == [f"record id=7: field a.n: integer {value} is outside 64 bits; stored as text in a__n__v_text"]


def test_a_record_without_its_key_is_named_by_position() -> None:
    """No primary key in the record: the warning names its position in the page."""
    warnings: list[str] = []
    storable_rows(_spec(), [{"id": 1}, {"n": 10**20}], warnings.append)
    assert warnings == ["record #2 of its page: field n: integer 100000000000000000000 is outside 64 bits; "
                        "stored as text in n__v_text"]


def test_json_text_matches_json_dumps_and_goes_deeper_than_recursion() -> None:
    """The encoder writes compact JSON like json.dumps, and 5,000 levels without a RecursionError."""
    value = {"a": [1, 2.5, None, True, "é\"", {"b": []}, {}], "big": 10**30}
    assert json_text(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert json_text(_nested(5000)) == '{"x":' * 4999 + '{"leaf":1}' + "}" * 4999


def test_a_too_deep_record_is_cut_at_max_depth() -> None:
    """Only a record deeper than dlt writes is cut: its structure at level MAX_DEPTH becomes JSON text."""
    [row] = storable_rows(_spec(), [{"id": 1, "deep": _nested(300)}], lambda _note: None)
    value = row
    for _ in range(MAX_DEPTH - 1):
        value = value["deep" if "deep" in value else "x"]
    assert value == json_text(_nested(300 - (MAX_DEPTH - 2)))


def test_the_client_reads_long_integers_exactly() -> None:
    """A body with an integer beyond 64 bits is parsed exactly (orjson would round it to a float)."""
    response = requests.Response()
    response.status_code = 200
    response._content = (b'{"data": [{"id": 1, "n": 1000000000000000000000000000001, "f": 1.5, '
                         b'"m": -9223372036854775809, "g": 1e20}]}')
    [record] = Fetcher._parse(response)["data"]
    assert record == {"id": 1, "n": 10**30 + 1, "f": 1.5, "m": -(2**63) - 1, "g": 1e20}
    assert [type(record[k]) for k in ("n", "m", "g")] == [int, int, float]


@pytest.mark.parametrize(("body", "expected"), [
    (b'{"data": [{"n": 18446744073709551616}]}', 2**64),  # 20 digits: read exactly
    (b'{"data": [{"n": -9223372036854775809}]}', -(2**63) - 1),  # 19 digits, below 64 bits: read exactly
    (b'{"data": [{"n": 999999999999999999}]}', 999999999999999999),  # 18 digits: orjson's integer
    (b'{"data": [{"n": 1e20, "s": "12345678901234567890"}]}', 1e20),  # 20 digits in a string: a float stays one
    (b'{"data": [{"n": 1.5e19}]}', 1.5e19),  # a float of 1e18 or more: a float, as Python reads it
])
def test_large_numbers_are_read_as_pythons_parser_reads_them(body: bytes, expected: Any) -> None:
    """Integers beyond 64 bits (or below) exactly, 64-bit ones and floats as orjson reads them, which is
    what Python's parser gives too; a long string of digits changes nothing."""
    response = requests.Response()
    response.status_code = 200
    response._content = body
    [record] = Fetcher._parse(response)["data"]
    assert record["n"] == expected
    assert type(record["n"]) is type(expected)
    assert record["n"] == json.loads(body)["data"][0]["n"]


def test_a_body_too_deep_for_pythons_parser_keeps_orjsons_reading() -> None:
    """Nested 1,000 levels (orjson reads 1,024, Python's json less): the page is read, not failed."""
    response = requests.Response()
    response.status_code = 200
    response._content = b'{"data": [' + b'{"x": ' * 1000 + b"1" + b"}" * 1000 + b"]}"
    [record] = Fetcher._parse(response)["data"]
    assert json_text(record) == '{"x":' * 1000 + "1" + "}" * 1000


def _python_reads(body: bytes) -> bool:
    try:
        json.loads(body)
    except RecursionError:
        return False
    return True


def test_a_body_too_deep_to_read_its_large_numbers_exactly_is_unreadable_or_read_exactly() -> None:
    """Nested 1,000 levels (orjson reads 1,024) and holding a number orjson may have rounded. Where Python's
    parser stops short of that depth (3.11), a loud failure, not a guess; where it goes deeper (3.12 and
    later), the number exactly as written."""
    response = requests.Response()
    response.status_code = 200
    response._content = b'{"data": [{"n": 100000000000000000000, "deep": ' + b"[" * 1000 + b"]" * 1000 + b"}]}"
    if not _python_reads(response._content):
        with pytest.raises(UnreadableBody, match=r"^body nests too deep to read its numbers of 1e18 or more exactly"):
            Fetcher._parse(response)
    else:
        [record] = Fetcher._parse(response)["data"]
        assert record["n"] == 100000000000000000000
        assert isinstance(record["n"], int)
