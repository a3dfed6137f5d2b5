"""Tests for restloom.engine.select: dlt's reading of data selectors, plus projection over lists."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from dlt.sources.helpers.rest_client import RESTClient

from restloom.config.selectors import ROOT, Selector, compile_selector
from restloom.engine.select import Selection
from restloom.engine.select import select as run_selector
from restloom.errors import ConfigError, ConfigIssue

M1, M2, M3 = {"id": "m1"}, {"id": "m2"}, {"id": "m3"}
R1 = {"id": "r1"}
IVRS = {
    "ivrs": [
        {"id": 1, "name": "main", "menus": [dict(M1, routes=[R1]), M2]},
        {"id": 2, "name": "alt", "menus": [M3]},
    ]
}
FLAT_MENUS = [dict(M1, routes=[R1]), M2, M3]


def select(raw: Any, document: Any) -> Selection:
    return run_selector(compile_selector(raw, path="resources[0].endpoint.data_selector"), document)


def dlt_records(raw: str, document: Any) -> list[Any]:
    """What dlt's RESTClient.extract_response returns for this selector and page."""
    response = requests.Response()
    response._content = json.dumps(document).encode()
    response.status_code = 200
    return RESTClient(base_url="http://localhost/").extract_response(response, raw)


CASES: list[tuple[Any, Any, list[Any], bool]] = [
    # root selectors
    ([], {"id": "user_1", "keys": []}, [{"id": "user_1", "keys": []}], True),
    ("$", [{"id": 1}, {"id": 2}], [{"id": 1}, {"id": 2}], True),
    ("", [{"id": 1}], [{"id": 1}], True),
    ("$", [], [], True),
    # one key
    ("data", {"data": [{"id": 1}, {"id": 2}]}, [{"id": 1}, {"id": 2}], True),
    ("data", {"data": []}, [], True),
    ("data", {"data": None}, [], True),
    ("data", {"other": [1]}, [], False),
    ("agents_overview", {"agents_overview": {"calls": 3}}, [{"calls": 3}], True),
    ("count", {"count": 7}, [7], True),
    # dotted paths and trailing wildcards
    ("meta.items", {"meta": {"items": [1, 2]}}, [1, 2], True),
    ("$.meta.items", {"meta": {"items": [1, 2]}}, [1, 2], True),
    ("addresses.*", {"addresses": [{"id": 1}, {"id": 2}]}, [{"id": 1}, {"id": 2}], True),
    ("addresses[*]", {"addresses": [{"id": 1}]}, [{"id": 1}], True),
    ("stats.*", {"stats": {"a": {"n": 1}, "b": {"n": 2}}}, [{"n": 1}, {"n": 2}], True),
    ("calls.*", {"calls": [], "count": 0}, [], False),
    # real JSONPath, through dlt
    ("ivrs[*].menus[*]", IVRS, FLAT_MENUS, True),
    ("ivrs[?(@.id == 2)]", IVRS, [IVRS["ivrs"][1]], True),
    ("ivrs[0].name", IVRS, ["main"], True),
    ("$..routes[*].id", IVRS, ["r1"], True),
    ("ivrs[5]", IVRS, [], False),
]

PROJECTION_CASES: list[tuple[str, Any, list[Any], bool]] = [
    ("ivrs.menus.*", IVRS, FLAT_MENUS, True),
    ("ivrs.menus", IVRS, FLAT_MENUS, True),
    ("ivrs.menus.id", IVRS, ["m1", "m2", "m3"], True),
    ("ivrs.menus.routes", IVRS, [R1], True),
    ("ivrs.routes.*", IVRS, [], False),
    ("ivrs.routes", IVRS, [], False),
    ("data", [{"data": [1]}, {"data": [2, 3]}, {"x": 0}], [1, 2, 3], True),
]


@pytest.mark.parametrize(("raw", "document", "records", "matched"), CASES + PROJECTION_CASES)
def test_selection(raw: Any, document: Any, records: list[Any], matched: bool) -> None:
    """Each selector form gives exactly these records and this matched flag."""
    assert select(raw, document) == Selection(records=records, matched=matched)


DLT_EQUIVALENCE = [(raw, document) for raw, document, _, _ in CASES if isinstance(raw, str) and raw] + [
    ("a.*", {"a": {"x": [1, 2]}}),
    ("a.*", {"a": [[1, 2]]}),
    ("a.*", {"a": [[1], [2]]}),
    ("a.*", {"a": "text"}),
    ("a.b", {"a": {"b": "text"}}),
    ("a[*]", {"a": {"x": 1}}),
    ("*", {"a": [1], "b": [2]}),
    ("*", [5, 6]),
    ("$.*", {"only": [1, 2]}),
    ("a.*.b", {"a": [{"b": [1]}, {"b": [2]}, {"c": 3}]}),
    ("a.*.b", {"a": [{"b": [1, 2]}]}),
    ("a[?(@.on == true)].id", {"a": [{"on": True, "id": 1}, {"on": False, "id": 2}]}),
    ("a", {"a": [{"id": 1}]}),
]


@pytest.mark.parametrize(("raw", "document"), DLT_EQUIVALENCE)
def test_equivalent_to_dlt_where_dlt_finds_records(raw: str, document: Any) -> None:
    """Wherever dlt's extract_response reads a selector, we read it identically."""
    assert select(raw, document).records == dlt_records(raw, document)


@pytest.mark.parametrize(("raw", "document"), [(raw, document) for raw, document, _, _ in PROJECTION_CASES])
def test_projection_only_where_dlt_finds_nothing(raw: str, document: Any) -> None:
    """The projection extension is used only for selectors dlt reads as no records."""
    assert dlt_records(raw, document) == []


def test_single_key_returns_the_page_list_itself() -> None:
    """The common `data` case is a dict lookup: the page's own list, not a copy."""
    page = {"data": [{"id": i} for i in range(1000)], "meta": {}}
    assert select("data", page).records is page["data"]


def test_root_constant_and_raw_forms() -> None:
    """ROOT and the root spellings show as '$'; other selectors keep what was written."""
    assert ROOT.raw == "$"
    assert run_selector(ROOT, {"a": 1}) == Selection(records=[{"a": 1}], matched=True)
    assert [compile_selector(raw, path="p").raw for raw in ([], "", "$", "ivrs.menus.*", None)] == [
        "$",
        "$",
        "$",
        "ivrs.menus.*",
        None,
    ]
    assert isinstance(ROOT, Selector)


@pytest.mark.parametrize(
    ("document", "records"),
    [
        ({"meta": {"next_cursor": None}, "data": [{"id": 1}]}, [{"id": 1}]),
        ({"results": [1, 2], "links": [3]}, [1, 2]),
        ([{"id": 1}], [{"id": 1}]),
        ({"id": "user_1"}, [{"id": "user_1"}]),
    ],
)
def test_no_selector_detects_like_dlt(document: Any, records: list[Any]) -> None:
    """With no data_selector the records are detected as dlt's find_response_page_data does."""
    assert select(None, document) == Selection(records=records, matched=True)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("data[", "invalid JSONPath 'data[': Parse error near the end of string!"),
        ("a.where", "invalid JSONPath 'a.where': Parse error at 1:2 near token where (WHERE)"),
        (["data"], "expected a JSONPath string (or [] for the root), got a non-empty list"),
        (3, "expected a JSONPath string (or [] for the root), got int"),
    ],
)
def test_invalid_selectors_are_config_errors(raw: Any, message: str) -> None:
    """An invalid selector is reported at config time with its path."""
    with pytest.raises(ConfigError) as caught:
        compile_selector(raw, path="resources[2].endpoint.data_selector")
    assert caught.value.issues == (ConfigIssue("resources[2].endpoint.data_selector", message),)


def test_document_is_not_mutated() -> None:
    """Selecting, including projection, leaves the document as it was."""
    before = json.dumps(IVRS, sort_keys=True)
    select("ivrs.menus.*", IVRS)
    select("ivrs[?(@.id == 2)]", IVRS)
    assert json.dumps(IVRS, sort_keys=True) == before


def test_projection_carries_the_fields_of_the_items_it_crosses() -> None:
    """ivrs.menus.routes.* with carry=("id",) gives each route its IVR's and its menu's id."""
    doc = {"ivrs": [{"id": 1, "menus": [{"id": 10, "routes": [{"id": 100}, {"id": 101}]}, {"id": 11}]},
                    {"id": 2, "menus": [{"id": 20, "routes": [{"id": 200}]}]}]}
    routes = run_selector(compile_selector("ivrs.menus.routes.*", path=""), doc, carry=("id",))
    menus = run_selector(compile_selector("ivrs.menus", path=""), doc, carry=("id",))
    assert routes.records == [{"id": 100, "_ivrs_id": 1, "_menus_id": 10}, {"id": 101, "_ivrs_id": 1, "_menus_id": 10},
                              {"id": 200, "_ivrs_id": 2, "_menus_id": 20}]
    assert menus.records == [{"id": 10, "routes": [{"id": 100}, {"id": 101}], "_ivrs_id": 1},
                             {"id": 11, "_ivrs_id": 1}, {"id": 20, "routes": [{"id": 200}], "_ivrs_id": 2}]
    assert doc["ivrs"][0]["menus"][0] == {"id": 10, "routes": [{"id": 100}, {"id": 101}]}  # input untouched


def test_carry_never_changes_what_dlt_would_select() -> None:
    """Where the plain JSONPath reading finds records, carry adds nothing (dlt's reading wins)."""
    doc = {"data": {"items": [{"id": 1}]}}
    assert run_selector(compile_selector("data.items", path=""), doc, carry=("id",)).records == [{"id": 1}]
