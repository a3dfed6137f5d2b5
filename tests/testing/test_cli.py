"""``restloom mock serve`` prints the base URL and credentials, serves, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import requests

RESTLOOM = Path(sys.executable).with_name("restloom")


def test_mock_serve_persona_serves_and_stops_on_sigint() -> None:
    """The CLI starts Persona on a free port, answers with the printed key, exits 0 on SIGINT."""
    command = [str(RESTLOOM), "mock", "serve", "persona", "--port", "0", "--size", "12", "--seed", "3",
               "--fault", "503@#2"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip().removeprefix("base_url: ")
        secret = process.stdout.readline().strip().removeprefix("secret api_key: ")
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {secret}"
            first = session.get(f"{base_url}/accounts", params={"page[size]": 100}, timeout=5)
            second = session.get(f"{base_url}/accounts", timeout=5)
        assert base_url.startswith("http://127.0.0.1:")
        assert (first.status_code, len(first.json()["data"]), second.status_code) == (200, 12, 503)
    finally:
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "stopped" in err


def test_mock_serve_rejects_unknown_api() -> None:
    """An unknown API name is a usage error (exit 2) naming the known APIs."""
    result = subprocess.run([str(RESTLOOM), "mock", "serve", "nope"], capture_output=True, text=True,
                            timeout=30, check=False)
    assert result.returncode == 2
    assert "zendesk_talk" in result.stderr
