"""The per-parent cursor's own rules: which window each parent gets and when its state entry moves."""

from __future__ import annotations

from typing import Any

from restloom.adapter.perparent import STATE_KEY, ParentCursor, ParentCursors
from restloom.config import parse
from restloom.config.models import IncrementalSpec, ResourceSpec

ROWS = [{"id": 1, "n": 5}, {"id": 2, "n": 7}, {"id": 3, "n": 9}]


def _cursor(entry: dict[str, Any] | None = None, **args: Any) -> ParentCursor:
    known = {k: args.pop(k) for k in ("initial_value", "end_value", "lookback") if k in args}
    spec = IncrementalSpec(cursor_path="n", args=args, per_parent=True, **known)
    return ParentCursor(spec, entry, resource="child", primary_key=["id"])


def _ids(rows: list[dict[str, Any]]) -> list[int]:
    return [row["id"] for row in rows]


def test_a_new_parent_starts_at_initial_value_and_its_entry_takes_the_max() -> None:
    cursor = _cursor(initial_value=6)
    kept, entry = cursor.filter(ROWS)
    assert (cursor.start_value, _ids(kept)) == (6, [2, 3])
    assert entry is not None
    assert entry["last_value"] == 9
    assert len(entry["unique_hashes"]) == 1  # the boundary row, so the next window drops it


def test_a_known_parent_starts_at_its_own_value_and_drops_the_boundary_row_it_loaded() -> None:
    _, entry = _cursor(initial_value=0).filter(ROWS)
    again = _cursor(entry, initial_value=0)
    kept, after = again.filter([*ROWS, {"id": 4, "n": 11}])
    assert (again.start_value, _ids(kept)) == (9, [4])
    assert after is not None
    assert after["last_value"] == 11


def test_min_moves_down() -> None:
    cursor = _cursor({"last_value": 7, "unique_hashes": []}, initial_value=100, last_value_func=min)
    kept, entry = cursor.filter(ROWS)
    assert (cursor.start_value, _ids(kept), entry and entry["last_value"]) == (7, [1, 2], 5)


def test_an_end_value_is_a_fixed_window_that_stores_nothing() -> None:
    cursor = _cursor({"last_value": 7, "unique_hashes": []}, initial_value=0, end_value=9)
    kept, entry = cursor.filter(ROWS)
    assert (cursor.start_value, _ids(kept), entry) == (0, [1, 2], None)  # end_value is open by default


def test_ranges_and_a_missing_cursor_are_dlts() -> None:
    open_start = _cursor({"last_value": 7, "unique_hashes": []}, initial_value=0, range_start="open",
                         range_end="closed", end_value=9)
    assert _ids(open_start.filter(ROWS)[0]) == [1, 2, 3]  # a fixed window: from initial_value, 9 included
    missing = [*ROWS, {"id": 4}]
    assert _ids(_cursor(initial_value=0, on_cursor_value_missing="include").filter(missing)[0]) == [1, 2, 3, 4]
    assert _ids(_cursor(initial_value=0, on_cursor_value_missing="exclude").filter(missing)[0]) == [1, 2, 3]


def test_lookback_moves_the_start_back_but_never_the_stored_value() -> None:
    cursor = _cursor({"last_value": 9, "unique_hashes": []}, initial_value=0, lookback=3)
    kept, entry = cursor.filter(ROWS[:2])
    assert (cursor.start_value, _ids(kept), entry and entry["last_value"]) == (6, [2], 9)


def test_each_parent_gets_its_own_window_in_params_and_placeholders() -> None:
    config = parse({"client": {"base_url": "https://api.example.com/"}, "resources": [
        "accounts",
        {"name": "entries", "endpoint": {
            "path": "accounts/{resources.accounts.id}/entries", "params": {"from": "{incremental.start_value}"},
            "incremental": {"cursor_path": "at", "start_param": "since", "convert": "epoch_seconds",
                            "initial_value": "2024-01-01T00:00:00Z"}}}]})
    spec: ResourceSpec = config.resources[1]
    state = {STATE_KEY: {"at": {'{"resources.accounts.id":"a"}': {"last_value": "2024-01-02T00:00:00Z",
                                                                   "unique_hashes": []}}}}
    cursors = ParentCursors(spec, state)
    known, new = cursors.window({"id": "a"}), cursors.window({"id": "b"})
    assert known.params == {"since": 1704153600}
    assert known.placeholders["incremental.start_value"] == 1704153600
    assert new.params == {"since": 1704067200}
    kept = cursors.take({"id": "b"}, [{"at": "2024-01-05T00:00:00Z"}, {"at": "2023-12-31T00:00:00Z"}])
    assert kept == [{"at": "2024-01-05T00:00:00Z"}]
    assert state[STATE_KEY]["at"]['{"resources.accounts.id":"b"}']["last_value"] == "2024-01-05T00:00:00Z"
