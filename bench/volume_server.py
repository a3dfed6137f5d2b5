"""The static, fast API that ``bench_volume.py`` syncs from: N records pre-rendered to one file of JSON pages.

Each record has 16 fields, two of them nested objects (``address``, ``meta``), and a list of two
objects (``items``, a child table once loaded). Pages hold 100 records: ``GET /records?cursor=K`` returns
``{"data": [...], "next_cursor": "K+1"}`` (``null`` on the last page), the first page has no ``cursor``.
The pages are rendered once per N into ``<cache>/pages-N.bin`` (reused by later runs), read into the
server's memory (about 460 bytes a record; the server is a process of its own, outside what the bench
measures) and served by an asyncio HTTP/1.1 keep-alive server that reads only the request line, so a
request costs next to no CPU and never waits for the disk (what a static file server costs).

    python bench/volume_server.py --records 20000      # renders if needed, prints the base URL, serves
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import sys
from array import array
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import orjson

PAGE_SIZE = 100
CACHE = Path(os.environ.get("RESTLOOM_BENCH_CACHE", "/tmp/restloom-bench-volume"))
_STATUSES = ("active", "pending", "closed", "archived")
_CITIES = ("Lisbon", "Porto", "Braga", "Faro", "Coimbra")
_NOTE = "The quick brown fox jumps over the lazy dog while the bench measures every byte of it."


def record(i: int) -> dict:
    """Record ``i`` (ids from 1): deterministic, so any run can check what landed."""
    day, second = divmod(i, 86400)
    clock = f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
    stamp = f"2026-{1 + day % 12:02d}-{1 + day % 28:02d}T{clock}Z"
    return {
        "id": i, "uid": f"rec-{i:09d}", "name": f"Name {i}", "email": f"user{i}@example.com",
        "status": _STATUSES[i % 4], "score": (i % 1000) / 8, "count": i % 97, "active": i % 3 == 0,
        "created_at": stamp, "updated_at": stamp, "note": _NOTE[: 20 + i % 60],
        "address": {"street": f"{i} Main Street", "city": _CITIES[i % 5], "zip": f"{i % 100000:05d}"},
        "meta": {"source": "bench", "version": i % 5},
        "items": [{"sku": f"sku-{i}-{k}", "qty": k + 1} for k in range(2)],
    }


def pages_file(records: int) -> tuple[Path, Path]:
    """The page file for ``records`` records and its offsets file, rendered on first use."""
    CACHE.mkdir(parents=True, exist_ok=True)
    data, index = CACHE / f"pages-{records}.bin", CACHE / f"pages-{records}.idx"
    if data.exists() and index.exists():
        return data, index
    pages = (records + PAGE_SIZE - 1) // PAGE_SIZE
    offsets = array("q", [0])
    partial = data.with_suffix(".part")
    with partial.open("wb") as out:
        for page in range(pages):
            first = page * PAGE_SIZE + 1
            rows = [record(i) for i in range(first, min(first + PAGE_SIZE, records + 1))]
            nxt = str(page + 1) if page + 1 < pages else None
            offsets.append(offsets[-1] + out.write(orjson.dumps({"data": rows, "next_cursor": nxt})))
    index.write_bytes(offsets.tobytes())
    partial.rename(data)
    return data, index


class _Pages(asyncio.Protocol):
    """HTTP/1.1 keep-alive GETs, answered from the page file: the request line is all that is read (no
    header parsing, no thread per connection), so a request costs the server tens of microseconds and the
    systems measured wait for it as little as for a static file server."""

    pages: bytes = b""
    offsets: array = array("q")

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head, self.buffer = self.buffer[:end], self.buffer[end + 4:]
            method, _, rest = head.partition(b" ")
            target = rest.partition(b" ")[0].decode("latin-1")
            self.transport.write(self._answer(method, target))

    def _answer(self, method: bytes, target: str) -> bytes:
        parts = urlsplit(target)
        cursor = parse_qs(parts.query).get("cursor", ["0"])[0]
        page = int(cursor) if cursor.isdigit() else -1
        if method != b"GET" or parts.path != "/records" or not 0 <= page < len(self.offsets) - 1:
            return _response(404, b'{"error": "not found"}')
        start, end = self.offsets[page], self.offsets[page + 1]
        return _response(200, self.pages[start:end])


def _response(status: int, body: bytes) -> bytes:
    head = (f"HTTP/1.1 {status} {'OK' if status == 200 else 'Not Found'}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    return head + body


def serve(records: int) -> None:
    """Serve the pages of ``records`` records on a free port of 127.0.0.1; print the base URL, then block."""
    data, index = pages_file(records)
    _Pages.pages = data.read_bytes()  # in memory: a page cache the machine evicts would make reads wait
    _Pages.offsets = array("q")
    _Pages.offsets.frombytes(index.read_bytes())

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(_Pages, "127.0.0.1", 0)
        print(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/", flush=True)
        await server.serve_forever()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, required=True)
    serve(parser.parse_args().records)
    sys.exit(0)
