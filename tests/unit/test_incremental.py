"""Incremental windows: the cursor formats these services use, conversions, and lookback units."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from restloom.adapter.windows import converter, lag_of, to_datetime
from restloom.config import parse
from restloom.errors import ConfigError

MOMENT = datetime(2024, 1, 2, 13, 29, 20, tzinfo=UTC)


@pytest.mark.parametrize(("value", "cursor_format"), [
    ("2024-01-02T13:29:20Z", None),
    ("2024-01-02T13:29:20+00:00", None),
    ("2024-01-02T14:29:20+01:00", None),
    (1704202160, None),
    (1704202160, "epoch_seconds"),
    (1704202160000, "epoch_ms"),
    ("1704202160", None),
    (MOMENT, None),
])
def test_every_cursor_format_reads_as_the_same_moment(value: object, cursor_format: str | None) -> None:
    """ISO 8601 with Z or an offset, epoch seconds and epoch ms all read as one point in time."""
    assert to_datetime(value, cursor_format=cursor_format) == MOMENT


def _incremental(**block: object) -> object:
    config = parse({"client": {"base_url": "https://api.example.com/"}, "resources": [
        {"name": "r", "endpoint": {"path": "r", "incremental": {"cursor_path": "updated_at", **block}}}]})
    return config.resources[0].endpoint.incremental


@pytest.mark.parametrize(("convert", "cursor_format", "value", "expected"), [
    ("epoch_seconds", None, "2024-01-02T13:29:20Z", 1704202160),
    ("epoch_ms", None, "2024-01-02T13:29:20+00:00", 1704202160000),
    ("iso_z", "epoch_ms", 1704202160000, "2024-01-02T13:29:20Z"),
    ("iso", "epoch_seconds", 1704202160, "2024-01-02T13:29:20+00:00"),
    ("date", None, "2024-01-02T13:29:20Z", "2024-01-02"),
    (None, None, "2024-01-02T13:29:20Z", "2024-01-02T13:29:20Z"),
])
def test_named_conversions(convert: str | None, cursor_format: str | None, value: object, expected: object) -> None:
    """convert: <name> writes the window in the request's format, whatever the cursor's format."""
    block = {k: v for k, v in {"convert": convert, "cursor_format": cursor_format}.items() if v is not None}
    assert converter(_incremental(**block))(value) == expected  # type: ignore[arg-type]


def test_lookback_is_lag_in_the_cursor_unit() -> None:
    """lookback is seconds; for an epoch-ms cursor dlt's lag is in milliseconds."""
    assert lag_of(_incremental(lookback=60)) == 60  # type: ignore[arg-type]
    assert lag_of(_incremental(lookback=60, cursor_format="epoch_ms")) == 60000  # type: ignore[arg-type]
    assert lag_of(_incremental(lag=5)) == 5  # type: ignore[arg-type]


def test_bad_incremental_extensions_are_config_errors() -> None:
    """An unknown conversion, cursor format or a negative lookback is reported with its path."""
    with pytest.raises(ConfigError) as info:
        _incremental(convert="epoch_secnds", cursor_format="ms", lookback=-1)
    assert [str(i) for i in info.value.issues] == [
        "resources[0] (r).endpoint.incremental.convert: expected a callable or one of date, epoch_ms, epoch_seconds, "
        "iso, iso_z, got 'epoch_secnds' — did you mean 'epoch_seconds'?",
        "resources[0] (r).endpoint.incremental.cursor_format: expected epoch_seconds or epoch_ms, got 'ms'",
        "resources[0] (r).endpoint.incremental.lookback: expected a number of seconds >= 0, got -1",
    ]
