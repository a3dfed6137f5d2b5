"""Measure how fast a simulated API serves pre-rendered pages to one keep-alive client connection.

Run: ``/work/venv/bin/python bench/bench_mock_server.py [--seconds 5] [--pages 20] [--page-size 100]``.
The server runs in this process; the client (``http.client``, one HTTP/1.1 connection) runs in a child
process so the two do not share a GIL. Prints pages/s and MB/s. A figure, not a test.
"""

from __future__ import annotations

import argparse
import http.client
import subprocess
import sys
import time
from urllib.parse import urlencode, urlsplit


def client(*, root_url: str, token: str, targets: list[str], seconds: float) -> None:
    """Cycle over ``targets`` for ``seconds`` on one connection; print pages, bytes and elapsed time."""
    parts = urlsplit(root_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
    headers = {"Authorization": f"Bearer {token}"}
    pages = received = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for target in targets:
            connection.request("GET", target, headers=headers)
            response = connection.getresponse()
            body = response.read()
            if response.status != 200:
                raise SystemExit(f"unexpected {response.status} for {target}")
            pages += 1
            received += len(body)
    elapsed = time.perf_counter() - started
    connection.close()
    print(pages, received, elapsed)


def _targets(api: object, *, pages: int, page_size: int) -> list[str]:
    records = api.records("accounts")  # type: ignore[attr-defined]
    targets = [f"/accounts?{urlencode({'page[size]': page_size})}"]
    for page in range(1, pages):
        after = records[page * page_size - 1]["id"]
        targets.append(f"/accounts?{urlencode({'page[size]': page_size, 'page[after]': after})}")
    return targets


def main() -> None:
    """Start a simulated Persona, warm its page cache, run the client process, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--client", nargs=3, metavar=("ROOT_URL", "TOKEN", "TARGETS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        root_url, token, targets = args.client
        client(root_url=root_url, token=token, targets=targets.split("\n"), seconds=args.seconds)
        return
    from restloom.testing import serve

    with serve("persona", sizes={"accounts": args.pages * args.page_size}, seed=1) as api:
        targets = _targets(api, pages=args.pages, page_size=args.page_size)
        command = [sys.executable, __file__, "--seconds", str(args.seconds), "--client", api.root_url,
                   api.secrets["api_key"], "\n".join(targets)]
        warm_up = [*command[:2], "--seconds", "0.5", *command[4:]]
        subprocess.run(warm_up, check=True, capture_output=True, text=True)  # fills the page cache
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    pages, received, elapsed = (float(x) for x in output.split())
    print(f"persona /accounts, {args.page_size} records per page, one keep-alive connection")
    print(f"{pages / elapsed:,.0f} pages/s  {received / elapsed / 1e6:,.1f} MB/s  "
          f"({pages:.0f} pages, {received / pages / 1e3:.1f} kB/page, {elapsed:.1f} s)")


if __name__ == "__main__":
    main()
