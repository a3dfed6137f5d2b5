"""Socket reads per page, and what they cost beside a busy Python thread: restloom's fetcher against a plain
``requests`` session (http.client's 8 KiB response buffer), alternating, on ``volume_server.py``'s pages.

Every read of a socket with a timeout lets go of the interpreter lock twice (a poll, then the read); a
thread that holds the lock for Python work gives it back only at the switch interval (5 ms). That is what
happens while restloom turns pages into tables on one thread and fetches on another. ``--busy`` runs a
thread of pure Python beside the fetching to show it (the worst case); without it the figures are the
fetching alone.

    python bench/bench_reads.py --pages 500 --rounds 3 --busy
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_volume import server

from restloom.config.retry import RetryPolicy
from restloom.http.client import Fetcher
from restloom.http.redact import Redactor
from restloom.report import RunReport

_reads = [0]
_original = socket.SocketIO.readinto


def _counted(io: socket.SocketIO, buffer: Any) -> int | None:
    _reads[0] += 1
    return _original(io, buffer)


def _pages(get: Any, base_url: str, pages: int) -> int:
    """Follow the cursor for ``pages`` pages with ``get(url, params)`` (parsed JSON); records read."""
    records, params = 0, {}
    for _ in range(pages):
        document = get(f"{base_url}records", params)
        records += len(document["data"])
        if document["next_cursor"] is None:
            break
        params = {"cursor": document["next_cursor"]}
    return records


def _plain(session: requests.Session) -> Any:
    """Parsed with orjson, as restloom parses: only the reading differs."""
    return lambda url, params: orjson.loads(session.get(url, params=params, timeout=60).content)


def _restloom(fetcher: Fetcher) -> Any:
    policy = RetryPolicy(wait_scale=0)
    return lambda url, params: fetcher.fetch(requests.Request("GET", url, params=params), resource="records",
                                             policy=policy).document


def _busy(stop: threading.Event) -> None:
    total = 0
    while not stop.is_set():
        for i in range(1000):
            total += i


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--busy", action="store_true", help="a thread of pure Python runs beside the fetching")
    args = parser.parse_args()
    socket.SocketIO.readinto = _counted  # type: ignore[method-assign]
    with server(args.pages * 100) as base_url:
        for round_number in range(args.rounds):
            session = requests.Session()
            fetcher = Fetcher(concurrency=1, report=RunReport(), redactor=Redactor(secrets=()))
            sides = [("plain requests", _plain(session)), ("restloom", _restloom(fetcher))]
            for name, get in sides if round_number % 2 == 0 else sides[::-1]:
                stop = threading.Event()
                busy = threading.Thread(target=_busy, args=(stop,), daemon=True)
                if args.busy:
                    busy.start()
                _reads[0], started = 0, time.perf_counter()
                records = _pages(get, base_url, args.pages)
                seconds = time.perf_counter() - started
                stop.set()
                print(f"round {round_number + 1} {name:<15} {args.pages} pages ({records} records): {seconds:.2f} s, "
                      f"{_reads[0] / args.pages:.1f} socket reads a page", flush=True)
            fetcher.close()
            session.close()


if __name__ == "__main__":
    main()
