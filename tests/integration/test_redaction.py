"""Credentials never appear in logs, errors or the summary — whatever form the auth takes."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from rich.console import Console

from restloom.cli.summary import print_summary
from restloom.testing import serve
from tests.conftest import Sync
from tests.seeds import seed_config


def _summary_text(result) -> str:  # type: ignore[no-untyped-def]
    buffer = io.StringIO()
    print_summary(Console(file=buffer, width=400), result.report, loaded=result.loaded)
    return buffer.getvalue()


def test_query_api_key_is_redacted_everywhere(run_sync: Sync, tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    """Zendesk's api_key query parameter (right or wrong) shows only as *** in errors, logs and summary."""
    caplog.set_level(logging.DEBUG)
    wrong = "wrongkey-1234567890"
    with serve("zendesk_talk", size=5, seed=1, export_page_size=4) as api:
        good = seed_config("zendesk_talk", base_url=api.base_url, secrets=api.secrets, tmp_path=tmp_path)
        secret = api.secrets["api_key"]
        ok_result = run_sync(good)
        bad = seed_config("zendesk_talk", base_url=api.base_url, secrets={"api_key": wrong}, tmp_path=tmp_path)
        bad_result = run_sync(bad)
    errors = [s.error or "" for s in bad_result.report.resources.values()]
    assert len(errors) == 13
    assert all(e.startswith("HTTP 401 at ") and "api_key=***" in e for e in errors)
    text = "\n".join([caplog.text, _summary_text(ok_result), _summary_text(bad_result), *errors])
    assert "api_key=***" in text
    assert secret not in text
    assert wrong not in text


def test_basic_auth_username_is_redacted(run_sync: Sync, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """EasyPost's basic-auth key (the username) never appears, in clear or base64, in a 401 error."""
    import base64

    caplog.set_level(logging.DEBUG)
    wrong = "EZAKwrongwrongwrong"
    with serve("easypost", size=3, seed=1) as api:
        result = run_sync(seed_config("easypost", base_url=api.base_url, secrets={"username": wrong},
                                      tmp_path=tmp_path))
    text = "\n".join([caplog.text, _summary_text(result), *(s.error or "" for s in result.report.failed)])
    assert len(result.report.failed) == 9
    assert wrong not in text
    assert base64.b64encode(f"{wrong}:".encode()).decode() not in text


def test_open_run_redacts_every_logger_and_logged_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    """While a run is open, a secret logged by any logger (not only the named ones), a credential parameter in
    a logged URL and a secret inside a logged traceback are blanked; after the run the filter is gone."""
    from restloom.config import parse, resolve
    from restloom.engine.run import Run

    caplog.set_level(logging.DEBUG)
    raw = {"client": {"base_url": "https://api.example.com/", "auth": {"type": "bearer", "token": "tok-secret-9"}},
           "resources": ["r"]}
    with Run(resolve(parse(raw))):
        logging.getLogger("urllib3.util.retry").debug("Incremented Retry for (url='/r?api_key=k-77'): tok-secret-9")
        try:
            raise ValueError("boom tok-secret-9")
        except ValueError:
            logging.getLogger("third.party").exception("failed")
    logging.getLogger("third.party").warning("after the run: tok-secret-9")
    assert caplog.text.count("tok-secret-9") == 1
    assert "k-77" not in caplog.text
    assert "url='/r?api_key=***'): ***" in caplog.text
    assert "ValueError: boom ***" in caplog.text
