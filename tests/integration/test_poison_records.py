"""One poison record (nested past dlt's writer, an integer past 64 bits) neither fails the sync nor blocks the next.

The records come from a tiny purpose-built API on 127.0.0.1 (the JSON is written by hand: no serializer
emits these values), next to a normal resource.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from restloom.engine.storable import MAX_DEPTH, json_text
from restloom.text import truncate
from tests.conftest import Sync, table_rows

HUGE = 10**30
BEYOND_INT64 = 2**63  # orjson reads it, DuckDB's BIGINT cannot hold it


def _nested(levels: int) -> str:
    """JSON text of ``levels`` objects nested inside each other, {"x": {"x": ... {"leaf": 1}}}."""
    return '{"x": ' * (levels - 1) + '{"leaf": 1}' + "}" * (levels - 1)


def _nested_value(levels: int) -> Any:
    """The value ``_nested(levels)`` reads as, built without a parser (Python's json stops near 1,000)."""
    value: Any = {"leaf": 1}
    for _ in range(levels - 1):
        value = {"x": value}
    return value


BODIES = {
    "/good": '{"data": [{"id": 1, "n": 1}, {"id": 2, "n": 2}]}',
    "/poison": ('{"data": [{"id": 1, "n": 1, "deep": {"leaf": 1}}, '
                f'{{"id": 2, "n": 2, "deep": {_nested(300)}}}, '
                f'{{"id": 3, "n": {HUGE}}}, {{"id": 4, "n": {BEYOND_INT64}}}]}}'),
    "/deeper": f'{{"data": [{{"id": 1, "deep": {_nested(1000)}}}]}}',  # too deep for Python's json module
}


class _Handler(BaseHTTPRequestHandler):
    seen: list[str]

    def do_GET(self) -> None:
        self.seen.append(self.path)
        body = BODIES[self.path].encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        return


@pytest.fixture
def poison_api() -> Iterator[tuple[str, list[str]]]:
    """The API's base URL and its request log (paths, in arrival order)."""
    seen: list[str] = []
    handler = type("Handler", (_Handler,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/", seen
    server.shutdown()
    server.server_close()


def _config(base_url: str) -> dict[str, Any]:
    return {"client": {"base_url": base_url},
            "resource_defaults": {"primary_key": "id", "write_disposition": "merge",
                                  "endpoint": {"data_selector": "data", "paginator": "single_page"}},
            "resources": ["good", "poison", "deeper"]}


def test_poison_values_are_stored_changed_and_named_and_the_next_run_is_not_blocked(
        run_sync: Sync, poison_api: tuple[str, list[str]]) -> None:
    """Deep structure -> JSON text at level 200, huge integers -> exact text; both runs load; warnings name them."""
    base_url, seen = poison_api
    first = run_sync(_config(base_url), pipeline_name="p")
    second = run_sync(_config(base_url), pipeline_name="p")
    deep_path = ".".join(["deep"] + ["x"] * (MAX_DEPTH - 2))  # the record is level 1, deep level 2
    deep_column = deep_path.replace(".", "__")
    cut = json.loads(_nested(300 - (MAX_DEPTH - 2)))  # the dict at level 200 and the 101 inside it
    assert first.ok
    assert second.ok
    assert sorted(seen) == ["/deeper", "/deeper", "/good", "/good", "/poison", "/poison"]
    assert first.report.stats("poison").warnings == [
        f"record id=2: field {truncate(deep_path, 120)}: nested deeper than {MAX_DEPTH} levels; stored as JSON text",
        f"record id=3: field n: integer {HUGE} is outside 64 bits; stored as text in n__v_text",
        f"record id=4: field n: integer {BEYOND_INT64} is outside 64 bits; stored as text in n__v_text",
    ]
    assert first.report.stats("deeper").warnings == [
        f"record id=1: field {truncate(deep_path, 120)}: nested deeper than {MAX_DEPTH} levels; stored as JSON text"]
    assert sorted(table_rows(second, "good", "id, n")) == [(1, 1), (2, 2)]
    rows = sorted(table_rows(second, "poison", f'id, n, n__v_text, "{deep_column}", deep__leaf'))
    assert rows == [(1, 1, None, None, 1), (2, 2, None, json.dumps(cut, separators=(",", ":")), None),
                    (3, None, str(HUGE), None, None), (4, None, str(BEYOND_INT64), None, None)]
    deeper_cut = json_text(_nested_value(1000 - (MAX_DEPTH - 2)))
    assert table_rows(second, "deeper", f'id, "{deep_column}"') == [(1, deeper_cut)]
