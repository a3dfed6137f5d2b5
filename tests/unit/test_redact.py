"""Tests for restloom.http.redact: secrets are blanked in text, URLs and headers; bodies truncated."""

from __future__ import annotations

from base64 import b64encode

import pytest

from restloom.config.models import AuthSpec
from restloom.http.auth import auth_secrets, build_auth
from restloom.http.redact import SENSITIVE_PARAM_NAMES, Redactor
from restloom.text import truncate

REDACTOR = Redactor(secrets=("s3cr3t/key+1", "ezpk_live_123"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("failed with key s3cr3t/key+1.", "failed with key ***."),
        ("quoted s3cr3t%2Fkey%2B1 and s3cr3t/key%2B1", "quoted *** and ***"),
        ("plus form s3cr3t%2Fkey%2B1", "plus form ***"),
        ("twice ezpk_live_123 ezpk_live_123", "twice *** ***"),
        ("basic " + b64encode(b"ezpk_live_123:").decode(), "basic ***"),
        ("b64 " + b64encode(b"ezpk_live_123").decode(), "b64 ***"),
        ("nothing secret here", "nothing secret here"),
        ("", ""),
    ],
)
def test_text(text: str, expected: str) -> None:
    """Every secret, raw, URL-quoted or base64 (basic 'key:'), becomes ***."""
    assert REDACTOR.text(text) == expected


def test_overlapping_secrets_longest_first() -> None:
    """A secret that contains another is blanked whole, not leaving a tail."""
    redactor = Redactor(secrets=("abcd", "abcdefgh"))
    assert redactor.text("x abcdefgh y abcd") == "x *** y ***"


def test_short_secrets_are_not_searched_in_text() -> None:
    """Secrets under 4 characters would blank ordinary letters, so free text keeps them."""
    redactor = Redactor(secrets=("pw",))
    assert redactor.text("the pw was wrong") == "the pw was wrong"
    assert redactor.url("https://h/x?p=pw&q=1") == "https://h/x?p=***&q=1"
    assert redactor.headers({"X-Pass": "pw"}) == {"X-Pass": "***"}


def test_no_secrets_is_identity_for_text() -> None:
    """An empty redactor changes no text."""
    assert Redactor().text("api_key=abc") == "api_key=abc"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://h.example.com/v1/calls?start_time=1&api_key=abc%20d&page=2",
            "https://h.example.com/v1/calls?start_time=1&api_key=***&page=2",
        ),
        (
            "https://h/x?Token=t1&access_token=t2&X-Api-Key=k",
            "https://h/x?Token=***&access_token=***&X-Api-Key=***",
        ),
        (
            "https://h/x?client_secret=c&sig=s&my_refresh_token=r",
            "https://h/x?client_secret=***&sig=***&my_refresh_token=***",
        ),
        ("https://h/x?page%5Bafter%5D=act_1&q=a+b", "https://h/x?page%5Bafter%5D=act_1&q=a+b"),
        ("https://h/x?other=ezpk_live_123&flag", "https://h/x?other=***&flag"),
        ("https://h/ezpk_live_123/items", "https://h/***/items"),
        ("https://user:pa55word@h/x", "https://user:***@h/x"),
        ("https://h/x?api_key=a#frag", "https://h/x?api_key=***#frag"),
        ("https://h/x", "https://h/x"),
    ],
)
def test_url(url: str, expected: str) -> None:
    """Sensitive query values and userinfo passwords are blanked; other parameters kept as written."""
    assert REDACTOR.url(url) == expected


def test_headers() -> None:
    """Credential headers and any value holding a secret become ***; others are kept."""
    headers = {
        "Authorization": "GenieKey abc",
        "Cookie": "session=1",
        "X-Api-Key": "k",
        "api_key": "seed-001-style",
        "X-Echo": "Bearer ezpk_live_123",
        "Accept": "application/json",
        "ratelimit-remaining": "0",
    }
    assert REDACTOR.headers(headers) == {
        "Authorization": "***",
        "Cookie": "***",
        "X-Api-Key": "***",
        "api_key": "***",
        "X-Echo": "***",
        "Accept": "application/json",
        "ratelimit-remaining": "0",
    }
    assert headers["Authorization"] == "GenieKey abc"


def test_redactor_with_auth_secrets_hides_basic_header() -> None:
    """EasyPost's basic auth (key as username, no password) is hidden in text via auth_secrets."""
    auth = build_auth(AuthSpec(type="basic", params={"username": "EZAK_key_1"}))
    redactor = Redactor(secrets=tuple(auth_secrets(auth)))
    header = "Basic " + b64encode(b"EZAK_key_1:").decode()
    assert redactor.text(f"sent {header} for EZAK_key_1") == "sent Basic *** for ***"


def test_sensitive_names_cover_the_usual_ones() -> None:
    """The documented parameter names are all treated as sensitive."""
    expected = {"api_key", "apikey", "key", "token", "access_token", "secret", "client_secret"}
    assert expected | {"password", "signature", "auth", "sig"} <= SENSITIVE_PARAM_NAMES


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 300, "short"),
        ("a" * 300, 300, "a" * 300),
        ("a" * 301, 300, "a" * 300 + "...(1 more characters)"),
        ("0123456789", 4, "0123...(6 more characters)"),
        ("", 10, ""),
    ],
)
def test_truncate(text: str, limit: int, expected: str) -> None:
    """Long bodies are cut and say how much was left out."""
    assert truncate(text, limit) == expected


def test_live_secrets_are_read_on_every_use() -> None:
    """A secret that appears after the Redactor was built (an OAuth token fetched at run time) is blanked."""
    tokens: list[str] = []
    redactor = Redactor(secrets=("static-secret",), live=lambda: tokens)
    assert redactor.text("fresh-token-1 static-secret") == "fresh-token-1 ***"
    tokens.append("fresh-token-1")
    assert redactor.text("fresh-token-1 static-secret") == "*** ***"
    assert redactor.url("https://h/p?t=fresh-token-1") == "https://h/p?t=***"
    assert redactor.headers({"X-Echo": "fresh-token-1"}) == {"X-Echo": "***"}
