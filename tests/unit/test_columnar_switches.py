"""The columnar path's switches: RESTLOOM_COLUMNAR, RESTLOOM_COLUMNAR_ROWS and the per-resource reasons."""

from __future__ import annotations

import pytest

from restloom.adapter.columnar import chunk_rows, columnar_enabled, describe_path, row_path_reason
from restloom.adapter.front import RunOptions
from restloom.config import parse
from restloom.errors import ConfigError


@pytest.mark.parametrize(("value", "enabled"), [("1", True), ("", True), ("0", False), ("false", False),
                                                ("OFF", False), ("no", False), ("yes", True)])
def test_columnar_switch(value: str, enabled: bool) -> None:
    assert columnar_enabled({"RESTLOOM_COLUMNAR": value}) is enabled
    assert columnar_enabled({}) is True


@pytest.mark.parametrize(("value", "rows"), [("", 5000), ("12", 12), ("007", 7)])
def test_chunk_rows(value: str, rows: int) -> None:
    assert chunk_rows({"RESTLOOM_COLUMNAR_ROWS": value}) == rows
    assert chunk_rows({}) == 5000


@pytest.mark.parametrize("value", ["0", "-3", "x", "1.5"])
def test_a_malformed_chunk_size_is_refused_by_name(value: str) -> None:
    """Not quietly the default: the run options refuse it before a run, and so does the lane itself."""
    expected = f"$RESTLOOM_COLUMNAR_ROWS: expected a positive integer, got {value!r}"
    with pytest.raises(ConfigError) as raised:
        chunk_rows({"RESTLOOM_COLUMNAR_ROWS": value})
    assert str(raised.value).endswith(expected)
    with pytest.raises(ConfigError) as raised:
        RunOptions.from_env(environ={"RESTLOOM_COLUMNAR_ROWS": value})
    assert str(raised.value).endswith(expected)


def test_reasons_for_rows() -> None:
    config = parse({"client": {"base_url": "https://api.example.com/"}, "resources": [
        {"name": "plain", "endpoint": {"path": "plain"}},
        {"name": "routed", "table_name": lambda item: item["kind"], "endpoint": {"path": "routed"}},
        {"name": "contract", "schema_contract": "freeze", "endpoint": {"path": "contract"}},
        {"name": "history", "primary_key": "id",
         "write_disposition": {"disposition": "merge", "strategy": "scd2"}, "endpoint": {"path": "history"}},
    ]})
    reasons = {spec.name: row_path_reason(spec, enabled=True) for spec in config.resources}
    assert reasons == {"plain": None, "routed": "table_name computed per record", "contract": "schema_contract",
                       "history": "scd2"}
    plain = config.resources[0]
    assert row_path_reason(plain, enabled=True, source_schema=object()) == "a user schema"
    assert row_path_reason(plain, enabled=True, source_contract="evolve") == "schema_contract"
    assert row_path_reason(plain, enabled=True, file_format="insert_values") == "file_format insert_values"
    assert row_path_reason(plain, enabled=False) == "RESTLOOM_COLUMNAR=0"
    assert describe_path(None) == "columnar"
    assert describe_path("scd2") == "rows (scd2)"
