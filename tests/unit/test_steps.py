"""incremental.step: every malformed step is one error with its config path; the windows' arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from restloom.adapter.steps import close_window, describe_plan, next_window
from restloom.config import parse
from restloom.config.models import IncrementalSpec
from restloom.errors import ConfigError

PATH = "resources[0] (calls).endpoint.incremental.step"
NOW = datetime(2024, 3, 1, 12, 30, 15, 500000, tzinfo=UTC)


def _config(**incremental: Any) -> dict[str, Any]:
    return {"client": {"base_url": "https://api.example.com/"},
            "resources": [{"name": "calls", "endpoint": {"path": "calls",
                                                        "incremental": {"cursor_path": "updated_at", **incremental}}}]}


def _incremental(**incremental: Any) -> IncrementalSpec:
    spec = parse(_config(**incremental)).resources[0].endpoint.incremental
    assert spec is not None
    return spec


ISO = "2024-01-01T00:00:00Z"
MALFORMED = [
    ({"step": "30x", "initial_value": ISO}, "expected a duration such as 30d (a whole number then s, m, h, d or w) "
                                            "or a positive number, got '30x'"),
    ({"step": "0d", "initial_value": ISO}, "expected a duration such as 30d (a whole number then s, m, h, d or w) "
                                           "or a positive number, got '0d'"),
    ({"step": "1.5d", "initial_value": ISO}, "expected a duration such as 30d (a whole number then s, m, h, d or w) "
                                             "or a positive number, got '1.5d'"),
    ({"step": -5, "initial_value": ISO}, "expected a duration such as 30d (a whole number then s, m, h, d or w) "
                                         "or a positive number, got -5"),
    ({"step": True, "initial_value": ISO}, "expected a duration such as 30d (a whole number then s, m, h, d or w) "
                                           "or a positive number, got True"),
    ({"step": [30], "initial_value": ISO}, "expected a duration such as 30d (a whole number then s, m, h, d or w) "
                                           "or a positive number, got [30]"),
    ({"step": "30d"}, "needs initial_value: the first window starts there"),
    ({"step": "30d", "initial_value": "last tuesday"},
     "needs an initial_value that is a point in time (ISO 8601 text, a date or a datetime) or a number, "
     "got 'last tuesday'"),
    ({"step": "30d", "initial_value": ISO, "cursor_format": "epoch_seconds"},
     "needs an initial_value that is a number in that unit (cursor_format is set), got '2024-01-01T00:00:00Z'"),
    ({"step": "30d", "initial_value": 1, "end_value": 100},
     "'30d' is a duration, but the cursor is a plain number (initial_value 1): give the step as a number in the "
     "cursor's unit, or set cursor_format: epoch_seconds | epoch_ms"),
    ({"step": 10, "initial_value": 1}, "a numeric cursor needs end_value: the windows end there (there is no 'now' "
                                       "for a number)"),
    ({"step": "12h", "initial_value": "2024-01-01"},
     "a date cursor steps in whole days (d or w, or a multiple of 86400 seconds), got '12h'"),
    ({"step": "1d", "initial_value": ISO, "end_value": "2023-01-01T00:00:00Z"},
     "end_value '2023-01-01T00:00:00Z' must be a later point of the same kind than initial_value "
     "'2024-01-01T00:00:00Z'"),
    ({"step": 5, "initial_value": 10, "end_value": "20"},
     "end_value '20' must be a later point of the same kind than initial_value 10"),
]


@pytest.mark.parametrize(("incremental", "message"), MALFORMED)
def test_a_malformed_step_is_one_error_with_its_path(incremental: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(_config(**incremental))
    assert [(issue.path, issue.message) for issue in caught.value.issues] == [(PATH, message)]


def test_a_step_on_a_child_resource_is_an_error_with_its_path() -> None:
    raw = {"client": {"base_url": "https://api.example.com/"},
           "resources": ["calls", {"name": "legs", "endpoint": {
               "path": "calls/{resources.calls.id}/legs",
               "incremental": {"cursor_path": "updated_at", "initial_value": ISO, "step": "1d"}}}]}
    with pytest.raises(ConfigError) as caught:
        parse(raw)
    assert [(i.path, i.message) for i in caught.value.issues] == [
        ("resources[1] (legs).endpoint.incremental.step",
         "only a top-level resource steps through windows (this one is requested per record of its parent 'calls')")]


def test_a_step_in_an_incremental_param_has_that_path() -> None:
    raw = _config()
    raw["resources"][0]["endpoint"] = {"path": "calls", "params": {"since": {
        "type": "incremental", "cursor_path": "updated_at", "step": "1d"}}}
    with pytest.raises(ConfigError) as caught:
        parse(raw)
    assert [(i.path, i.message) for i in caught.value.issues] == [
        ("resources[0] (calls).endpoint.params.since.step", "needs initial_value: the first window starts there")]


@pytest.mark.parametrize(("incremental", "size", "kind"), [
    ({"step": "30d", "initial_value": ISO}, 30 * 86400, "datetime"),
    ({"step": 3600, "initial_value": ISO}, 3600, "datetime"),
    ({"step": "2w", "initial_value": "2024-01-01"}, 14 * 86400, "date"),
    ({"step": "1d", "initial_value": 1704067200, "cursor_format": "epoch_seconds"}, 86400, "epoch"),
    ({"step": "1d", "initial_value": 1704067200000, "cursor_format": "epoch_ms"}, 86400000, "epoch"),
    ({"step": 500, "initial_value": 1704067200000, "cursor_format": "epoch_ms"}, 500, "epoch"),
    ({"step": 20, "initial_value": 1, "end_value": 100}, 20, "number"),
])
def test_the_step_is_read_in_the_cursors_unit(incremental: dict[str, Any], size: float, kind: str) -> None:
    step = _incremental(**incremental).step
    assert step is not None
    assert (step.size, step.kind, step.path) == (size, kind, "resources[0].endpoint.incremental.step")


def test_windows_are_written_like_initial_value_and_end_at_now_in_whole_seconds() -> None:
    spec = _incremental(step="30d", initial_value="2024-01-01T00:00:00Z")
    live: dict[str, Any] = {}
    windows = []
    while (window := next_window(spec, live.get("restloom_step"), NOW)) is not None:
        windows.append((window.start, window.end, window.number, window.left))
        close_window(spec, live, window)
    assert windows == [("2024-01-01T00:00:00Z", "2024-01-31T00:00:00Z", 1, 2),
                       ("2024-01-31T00:00:00Z", "2024-03-01T00:00:00Z", 2, 1),
                       ("2024-03-01T00:00:00Z", "2024-03-01T12:30:15Z", 3, 0)]
    assert live["incremental"]["updated_at"]["last_value"] == "2024-03-01T12:30:15Z"
    assert live["restloom_step"]["caught_up"] is True
    assert next_window(spec, live["restloom_step"], datetime(2030, 1, 1, tzinfo=UTC)) is None


@pytest.mark.parametrize(("initial", "step", "first_end"), [
    ("2024-01-01T00:00:00+00:00", "1d", "2024-01-02T00:00:00+00:00"),
    ("2024-01-01T00:00:00.000Z", "1d", "2024-01-02T00:00:00.000Z"),
    ("2024-01-01T00:00:00.000000+00:00", "1d", "2024-01-02T00:00:00.000000+00:00"),
    ("2024-01-01T00:00:00", "12h", "2024-01-01T12:00:00"),
    ("2024-01-01T01:00:00+01:00", "1h", "2024-01-01T02:00:00+01:00"),
    ("2024-01-01", "1w", "2024-01-08"),
    (date(2024, 1, 1), "1d", date(2024, 1, 2)),
    (datetime(2024, 1, 1, tzinfo=UTC), "1d", datetime(2024, 1, 2, tzinfo=UTC)),
])
def test_window_bounds_keep_the_initial_values_form(initial: Any, step: str, first_end: Any) -> None:
    window = next_window(_incremental(step=step, initial_value=initial), None, NOW)
    assert window is not None
    assert (window.start, window.end) == (initial, first_end)


def test_epoch_ms_windows_and_a_date_cursor_ending_today() -> None:
    spec = _incremental(step="1d", initial_value=1709164800000, cursor_format="epoch_ms")  # 2024-02-29
    first = next_window(spec, None, NOW)
    assert first is not None
    assert (first.start, first.end, first.left) == (1709164800000, 1709251200000, 1)
    last = next_window(spec, {"next": first.end, "done": 1}, NOW)
    assert last is not None
    assert (last.end, last.number, last.left) == (1709296215000, 2, 0)
    dated = next_window(_incremental(step="1d", initial_value="2024-02-29"), {"next": "2024-03-01"}, NOW)
    assert dated is None  # a date cursor's windows end at the start of today: today's rows come after


def test_check_describes_the_plan() -> None:
    spec = _incremental(step="30d", initial_value="2024-01-01T00:00:00Z", end_value="2024-03-01T00:00:00Z")
    assert describe_plan(spec, NOW) == (
        "step 30d: 2 windows up to end_value, first 2024-01-01T00:00:00Z .. 2024-01-31T00:00:00Z, "
        "last 2024-01-31T00:00:00Z .. 2024-03-01T00:00:00Z; then an ordinary incremental")
    numeric = _incremental(step=20, initial_value=1, end_value=56)
    assert describe_plan(numeric, NOW) == ("step 20: 3 windows up to end_value, first 1 .. 21, last 41 .. 56; "
                                           "then an ordinary incremental")
